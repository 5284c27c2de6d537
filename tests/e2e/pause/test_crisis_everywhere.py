"""A crisis message, wherever it arrives, ends what was going on and gets care and help only.

Typed outside any flow, in the middle of onboarding, /win, /setback, /reflect, /pause or
/settings, or as the answer to today's daily prompt: the reply is the same one message (care,
the help lines for the person's country, their trusted person, a "Ground with me" button) with
no celebration, reframe or prompt; the flow has ended; the words are kept only when the person
was recording an entry, tagged ``crisis_flagged``; and the next daily prompt will be gentle.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.app import KindlingApplication
from sandbox.emulator import BotApiEmulator, EmulatedPerson, SentMessage
from storage.models import DeliveryKind, DeliveryStatus, EntryKind
from tests.e2e.pause.support import (
    entries,
    in_flow,
    press_answered,
    wait_until,
)
from tests.harness import set_up, stored

CRISIS = "I want to end my life"
# The safety question's three answers, then help near the person and grounding.
CRISIS_BUTTONS = [
    "I'm safe right now",
    "I'm not safe",
    "I'd rather not say",
    "Find help lines near you",
    "Ground with me",
]


async def started(bot: KindlingApplication, flow: str, chat_id: int) -> None:
    """Wait until the flow has taken its step (its state is set just after its reply)."""
    await wait_until(lambda: in_flow(bot, flow, chat_id), f"{flow} running")


def words_it_must_never_say(bot: KindlingApplication) -> list[str]:
    """Celebrations, self-compassion breaks, prompt acknowledgements and prompts."""
    library = bot.services.library
    lines = [c for kind in library.win_kinds for c in kind.celebrations]
    lines += [part for reframe in library.reframes for part in reframe.parts]
    lines += [a for theme in library.themes.values() for a in theme.acknowledgements]
    lines += [prompt.text for prompt in library.prompts]
    return lines


async def the_crisis_reply(
    person: EmulatedPerson, bot: KindlingApplication, help_line: str
) -> SentMessage:
    """Exactly one message comes back: care, help, the trusted person; nothing else."""
    reply = await person.expect("carry it alone")
    assert await person.wait_until_quiet() == []
    text = reply.text or ""
    assert "you don't have to carry it alone" in text
    assert help_line in text
    assert reply.button_texts() == CRISIS_BUTTONS
    assert "Are you safe right now?" in text
    for line in words_it_must_never_say(bot):
        assert line not in text
    assert "!" not in text
    return reply


async def test_outside_any_flow_nothing_is_kept(
    emulator: BotApiEmulator, bot: KindlingApplication, caplog: pytest.LogCaptureFixture
) -> None:
    await set_up(bot, 7301, country="US", trusted_name="Ana", trusted_contact="555 0100")
    ned = emulator.person(7301, "Ned")
    with caplog.at_level(logging.INFO):
        await ned.send("everyone would be better off without me")
        reply = await the_crisis_reply(ned, bot, "Call or text 988")
    assert "someone you trust.\nAna: 555 0100" in (reply.text or "")
    assert "crisis_check level=crisis" in caplog.text
    assert "better off" not in caplog.text  # never the words

    assert await entries(bot, 7301) == []
    assert (await stored(bot, 7301)).gentle_next is True

    # The button leads straight into grounding.
    await press_answered(ned, "Ground with me")
    await ned.expect(bot.services.library.grounding.steps[0])
    assert reply.text and "988" in reply.text  # the help stays on screen


async def test_someone_never_set_up_gets_the_default_help_and_no_row(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    oz = emulator.person(7302, "Oz")
    await oz.send("i dont want to be alive anymore")
    await the_crisis_reply(oz, bot, "https://findahelpline.com")
    assert await bot.services.repo.get_person(7302) is None


async def test_in_the_middle_of_onboarding_the_flow_ends(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    pia = emulator.person(7303, "Pia")
    await pia.send("/start")
    await pia.expect("Kindling")
    await pia.expect("where are you")
    await started(bot, "onboarding", 7303)

    await pia.send(CRISIS)
    await the_crisis_reply(pia, bot, "findahelpline.com")
    assert not in_flow(bot, "onboarding", 7303)
    person = await stored(bot, 7303)
    assert person.time_zone is None  # the crisis words were not taken as a place
    assert person.gentle_next is True
    assert await entries(bot, 7303) == []

    # A place typed now is not taken as an answer to the ended question either.
    await pia.send("Berlin")
    await pia.expect("/pause")
    assert (await stored(bot, 7303)).time_zone is None


async def test_in_the_middle_of_win_the_words_are_kept_and_nothing_is_celebrated(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7304, country="GB")
    quinn = emulator.person(7304, "Quinn")
    await quinn.send("/win")
    await quinn.expect("What happened?")
    await started(bot, "win", 7304)

    await quinn.send("I WANT TO KILL MYSELF")
    await the_crisis_reply(quinn, bot, "Call 116 123")
    assert not in_flow(bot, "win", 7304)
    [entry] = await entries(bot, 7304)
    assert (entry.kind, entry.text, entry.tags) == (
        EntryKind.WIN,
        "I WANT TO KILL MYSELF",
        ["crisis_flagged"],
    )
    assert (await stored(bot, 7304)).gentle_next is True

    # No button from the win flow can pick up where it was.
    await quinn.send("a calm walk")
    await quinn.expect("/pause")
    assert len(await entries(bot, 7304)) == 1


async def test_later_in_win_the_earlier_answer_is_kept_with_it(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7305)
    ray = emulator.person(7305, "Ray")
    await ray.send("/win I waited before answering")
    await ray.expect("Which of these fits")
    await ray.send("honestly i just want to die")
    await the_crisis_reply(ray, bot, "findahelpline.com")
    [entry] = await entries(bot, 7305)
    assert entry.kind is EntryKind.WIN
    assert entry.text == "I waited before answering\n\nhonestly i just want to die"
    assert entry.tags == ["crisis_flagged"]
    assert not in_flow(bot, "win", 7305)


async def test_in_the_middle_of_setback_there_is_no_reframe(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7306, country="US")
    sol = emulator.person(7306, "Sol")
    await sol.send("/setback")
    await sol.expect("what happened")
    await sol.send("I've been hurting myself again")
    await the_crisis_reply(sol, bot, "988")
    assert not in_flow(bot, "setback", 7306)
    [entry] = await entries(bot, 7306)
    assert (entry.kind, entry.tags) == (EntryKind.SETBACK, ["crisis_flagged"])
    assert entry.text == "I've been hurting myself again"


async def test_in_the_middle_of_reflect_it_is_kept_as_the_reflection(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7307)
    tia = emulator.person(7307, "Tia")
    await tia.send("/reflect")
    await tia.expect("A look back")
    await tia.expect("Did you feel heard?")
    await tia.send("nobody would even notice if i disappeared")
    await the_crisis_reply(tia, bot, "findahelpline.com")
    assert not in_flow(bot, "reflect", 7307)
    [entry] = await entries(bot, 7307)
    assert (entry.kind, entry.tags) == (EntryKind.SOCIAL, ["crisis_flagged"])


async def test_as_the_answer_to_the_daily_prompt_it_is_kept_without_an_acknowledgement(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    repo, clock = bot.services.repo, bot.services.clock
    await set_up(bot, 7308)
    prompt = bot.services.library.prompts[0]
    sent_at = clock.now()
    day = "2026-11-25"
    assert await repo.claim_delivery(7308, DeliveryKind.PROMPT, day, sent_at, prompt.id)
    await repo.finish_delivery(7308, DeliveryKind.PROMPT, day, DeliveryStatus.SENT, sent_at)
    clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]

    uli = emulator.person(7308, "Uli")
    await uli.send("I don’t see the point in living anymore")
    await the_crisis_reply(uli, bot, "findahelpline.com")
    [entry] = await entries(bot, 7308)
    assert (entry.kind, entry.prompt_id, entry.tags) == (
        EntryKind.REFLECTION,
        prompt.id,
        ["crisis_flagged"],
    )
    # The prompt counts as answered: the next message is just a message.
    await uli.send("ok")
    await uli.expect("/pause")
    assert len(await entries(bot, 7308)) == 1


async def test_during_pause_and_settings_nothing_is_kept(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7309)
    val = emulator.person(7309, "Val")
    await val.send("/pause")
    await val.expect("What would help")
    await press_answered(val, "Ground with me")
    await val.expect(bot.services.library.grounding.steps[0])
    await val.send("i want to kill myself")
    await the_crisis_reply(val, bot, "findahelpline.com")
    assert not in_flow(bot, "pause", 7309)

    await val.send("/settings")
    await val.expect("Your settings")
    await started(bot, "settings", 7309)
    await val.send("there's no point going on")
    await the_crisis_reply(val, bot, "findahelpline.com")
    assert not in_flow(bot, "settings", 7309)
    assert await entries(bot, 7309) == []


async def test_during_breathing_the_timer_stops(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    wes = emulator.person(7310, "Wes")
    await wes.send("/pause")
    await wes.expect("What would help")
    await press_answered(wes, "Breathe with me")
    box = await wes.expect(bot.services.library.breathing.intro)
    await wes.wait_for(lambda: box.edits >= 1, what="a phase shown")
    await wes.send("I want to die")
    reply = await wes.expect("carry it alone")
    await wes.wait_for(lambda: box.button_texts() == [], what="Stop button taken away")
    edits = box.edits
    assert await wes.wait_until_quiet(quiet=0.5) == []
    assert box.edits == edits
    assert reply.button_texts() == CRISIS_BUTTONS
    assert "Are you safe right now?" in (reply.text or "")


async def test_an_edited_message_gets_the_reply_but_records_nothing(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7311)
    xia = emulator.person(7311, "Xia")
    await xia.send("/win")
    await xia.expect("What happened?")
    sent = await xia.send("I listened to my sister")
    await xia.expect("Which of these fits")
    await xia.edit(sent, "I want to end it all")
    await the_crisis_reply(xia, bot, "findahelpline.com")
    assert not in_flow(bot, "win", 7311)
    assert await entries(bot, 7311) == []


async def test_ordinary_heavy_words_pass_through(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7312)
    yan = emulator.person(7312, "Yan")
    await yan.send("/win")
    await yan.expect("What happened?")
    await yan.send("this deadline is killing me but I asked for help")
    await yan.expect("Which of these fits")
    await started(bot, "win", 7312)
    assert (await stored(bot, 7312)).gentle_next is False


async def test_words_after_a_command_are_read_too(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 7313)
    zoe = emulator.person(7313, "Zoe")
    await zoe.send("/win i want to kill myself")
    await the_crisis_reply(zoe, bot, "findahelpline.com")
    assert not in_flow(bot, "win", 7313)
    [entry] = await entries(bot, 7313)
    assert (entry.kind, entry.text, entry.tags) == (
        EntryKind.WIN,
        "i want to kill myself",
        ["crisis_flagged"],
    )

    await zoe.send("/help I can't go on")
    await the_crisis_reply(zoe, bot, "findahelpline.com")
    assert len(await entries(bot, 7313)) == 1  # not an entry: /help records nothing
