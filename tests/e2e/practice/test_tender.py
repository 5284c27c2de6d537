"""After a crisis or an "are you safe?" check, no cheer until the person's next local day.

The crisis check calls ``handlers.tender.mark_tender``; these stories call it directly, then
look at what the person reads: no celebration after /win, no self-compassion break after
/setback, no "real connection" after /reflect, plain thanks for a prompt's answer, and a gentle
daily prompt next. Once the person's own midnight has passed, /win celebrates again.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot.app import KindlingApplication
from bot.clock import ManualClock
from handlers.tender import UNZONED_TENDER, mark_tender
from sandbox.emulator import BotApiEmulator, EmulatedPerson, SentMessage
from scheduler.ticker import tick
from storage.models import EntryKind
from tests.e2e.practice.support import entries, press_and_check_answered, send_prompt
from tests.harness import set_up, stored
from tests.unit.test_acknowledgements import presuming

# The conftest's START, 2026-11-25 09:00 UTC, is 22:00 that evening in Auckland (UTC+13 in
# summer): the next local day there begins two hours later, eleven hours before UTC's.
AUCKLAND_MIDNIGHT = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
UTC_MIDNIGHT = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
BERLIN_MIDNIGHT = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)  # UTC+1 in winter
BERLIN_EIGHT_PM = datetime(2026, 11, 25, 19, 0, tzinfo=UTC)


def everything_said(person: EmulatedPerson) -> str:
    """Every text the bot showed this person, edits included."""
    texts: list[str] = []
    for message in person.messages:
        texts += [message.raw_text or "", *(t or "" for t in message.history)]
    return "\n".join(texts)


def celebrations(bot: KindlingApplication) -> list[str]:
    return [line for kind in bot.services.library.win_kinds for line in kind.celebrations]


async def log_a_win(person: EmulatedPerson, words: str) -> SentMessage:
    """/win with words, a kind, a rating: the message that closes it."""
    await person.send(f"/win {words}")
    question = await person.expect("fits it best")
    await person.press("I listened without fixing")
    await person.expect_edit("How connected", question)
    await person.press("3")
    done = await person.expect_edit("/journal", question)
    assert await person.wait_until_quiet() == []
    return done


async def test_a_win_after_a_crisis_is_kept_without_a_celebration(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await set_up(bot, 8101, zone="Europe/Berlin")
    await mark_tender(bot.services, 8101)
    person = await stored(bot, 8101)
    assert person.tender_until == BERLIN_MIDNIGHT and person.gentle_next

    ida = emulator.person(8101, "Ida")
    done = await log_a_win(ida, "I let my brother finish his story")
    said = everything_said(ida)
    assert not [line for line in celebrations(bot) if line in said]
    assert done.raw_text is not None
    assert done.raw_text.endswith(bot.services.ui("win.saved_tender"))
    [win] = await entries(bot.services.repo, 8101)
    assert (win.kind, win.text, win.rating) == (
        EntryKind.WIN,
        "I let my brother finish his story",
        3,
    )

    # The next local day in Berlin: the celebration is back.
    clock.set(BERLIN_MIDNIGHT)
    done = await log_a_win(ida, "I listened to my friend")
    assert any(line in (done.raw_text or "") for line in celebrations(bot))


async def test_the_quiet_ends_at_the_persons_own_midnight_not_utcs(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await set_up(bot, 8102, zone="Pacific/Auckland")
    await mark_tender(bot.services, 8102)
    until = (await stored(bot, 8102)).tender_until
    assert until == AUCKLAND_MIDNIGHT != UTC_MIDNIGHT

    joe = emulator.person(8102, "Joe")
    clock.set(AUCKLAND_MIDNIGHT - timedelta(seconds=1))
    done = await log_a_win(joe, "I asked my neighbour how she was")
    assert not [line for line in celebrations(bot) if line in everything_said(joe)]
    assert bot.services.ui("win.saved_tender") in (done.raw_text or "")

    clock.set(AUCKLAND_MIDNIGHT)  # 00:00 in Auckland, still 11:00 the day before in UTC
    done = await log_a_win(joe, "I waited before I answered")
    assert any(line in (done.raw_text or "") for line in celebrations(bot))


async def test_a_person_with_no_zone_gets_a_whole_day_and_a_stranger_no_row(
    bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    await repo.ensure_person(8103, clock.now())  # started, but never said where they live
    await mark_tender(bot.services, 8103)
    person = await stored(bot, 8103)
    assert person.tender_until == clock.now() + UNZONED_TENDER and person.gentle_next

    await mark_tender(bot.services, 8199)  # never wrote to Kindling
    assert await repo.get_person(8199) is None


async def test_a_second_mark_never_shortens_the_quiet(
    bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    await repo.ensure_person(8104, clock.now())
    await mark_tender(bot.services, 8104)  # no zone yet: a whole day, until tomorrow 09:00 UTC
    await repo.update_person(8104, time_zone="Europe/Berlin")
    await mark_tender(bot.services, 8104)  # Berlin's midnight comes sooner: the day is kept
    assert (await stored(bot, 8104)).tender_until == clock.now() + UNZONED_TENDER


async def test_a_setback_after_a_crisis_gets_no_reframe(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 8105, zone="Europe/Berlin")
    await bot.services.repo.update_person(8105, gentle_next=False)
    await mark_tender(bot.services, 8105)

    kai = emulator.person(8105, "Kai")
    await kai.send("/setback I shouted at my sister")
    feelings = await kai.expect("How did it leave you feeling?")
    await kai.press("Ashamed")
    done = await kai.expect_edit("/pause", feelings)
    assert done.reply_markup is None
    assert (done.raw_text or "").endswith(bot.services.ui("setback.saved_tender"))
    assert await kai.wait_until_quiet() == []  # no self-compassion break, no more questions

    said = everything_said(kai)
    parts = [part for reframe in bot.services.library.reframes for part in reframe.parts]
    assert not [part for part in parts if part in said]
    assert "what would you say to them" not in said.lower()
    assert "next time" not in said.lower()

    [setback] = await entries(bot.services.repo, 8105)
    assert (setback.kind, setback.text, setback.tags) == (
        EntryKind.SETBACK,
        "I shouted at my sister",
        ["ashamed"],
    )
    assert setback.extra == {"friend": None, "next_time": None}
    assert (await stored(bot, 8105)).gentle_next


async def test_a_reflection_after_a_crisis_closes_with_plain_thanks(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 8106, zone="Europe/Berlin")
    await mark_tender(bot.services, 8106)
    lea = emulator.person(8106, "Lea")
    await lea.send("/reflect")
    await lea.expect("three quick taps")
    question = await lea.expect("Did you feel heard?")
    # All yes: "connected", which on any other day closes with "real connection there".
    for next_question in ("real interest", "without shutting down", "Anything you'd like to add"):
        await press_and_check_answered(lea, "Yes", question)
        await lea.expect_edit(next_question, question)
    await press_and_check_answered(lea, "Skip", question)
    done = await lea.expect_edit("/journal", question)
    assert (done.raw_text or "").endswith(bot.services.ui("reflect.saved_tender"))
    said = everything_said(lea)
    assert bot.services.ui("reflect.saved_connected") not in said
    [entry] = await entries(bot.services.repo, 8106)
    assert "connected" in entry.tags  # the recap still learns what the answers said


async def test_a_harsh_answer_to_the_prompt_is_not_told_it_went_well(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    repo, clock, ui = bot.services.repo, bot.services.clock, bot.services.ui
    inner_voice = next(p for p in bot.services.library.prompts if "inner voice" in p.text)
    lines = bot.services.library.themes[inner_voice.theme].acknowledgements

    # Any day: the theme's acknowledgement, none of which presumes a good answer.
    for chat_id, answer in ((8107, "Harsh"), (8108, "nobody cares")):
        await set_up(bot, chat_id)
        await send_prompt(repo, chat_id, inner_voice.id, clock.now())
        person = emulator.person(chat_id)
        await person.send(answer)
        reply = await person.expect("/journal")
        [line] = [line for line in lines if line in (reply.raw_text or "")]
        assert presuming(line) == []

    # After a crisis: plain thanks, nothing chosen for the theme.
    await set_up(bot, 8109)
    await send_prompt(repo, 8109, inner_voice.id, clock.now())
    await mark_tender(bot.services, 8109)
    max_ = emulator.person(8109, "Max")
    await max_.send("Harsh")
    reply = await max_.expect("/journal")
    tender = ui("prompt_answer.tender_acknowledgement")
    assert reply.raw_text == ui("prompt_answer.saved", acknowledgement=tender)
    [reflection] = await entries(repo, 8109)
    assert (reflection.text, reflection.prompt_id) == ("Harsh", inner_voice.id)


async def test_the_next_daily_prompt_is_a_gentle_one(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    # Several people, so a gentle prompt picked by chance (about one in six) cannot pass alone.
    people = {chat_id: emulator.person(chat_id) for chat_id in range(8110, 8116)}
    for chat_id in people:
        await set_up(bot, chat_id, zone="Europe/Berlin", at=time(20, 0))
        await bot.services.repo.update_person(chat_id, gentle_next=False)
        await mark_tender(bot.services, chat_id)
    clock.set(BERLIN_EIGHT_PM)
    await tick(bot)
    library = bot.services.library
    for chat_id, person in people.items():
        [delivery] = await bot.services.repo.list_deliveries(chat_id)
        prompt = library.prompt(delivery.prompt_id or "")
        assert prompt.gentle, chat_id
        await person.expect(prompt.text)
        assert not (await stored(bot, chat_id)).gentle_next  # once, then as usual
