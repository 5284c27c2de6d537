"""Counts, never comparisons: after a win or a setback, how many people here practised the
same thing this week, from everyone's entries, said only from 20 people up (at 19, nothing),
never in the day after a crisis, and never to someone who turned counts off in /settings.
People are seeded through the repository."""

from __future__ import annotations

from datetime import timedelta

from bot.app import KindlingApplication
from bot.clock import ManualClock
from sandbox.emulator import BotApiEmulator, EmulatedPerson
from storage.models import CRISIS_TAG, EntryKind, NewEntry
from tests.e2e.practice.support import press_and_check_answered
from tests.harness import set_up

WIN_COUNT = "You're not the only one: this week {} people here kept a small win like this."
SETBACK_COUNT = "You're not the only one: {} people here had a hard moment this week."


async def others_kept(
    bot: KindlingApplication, first_id: int, people: int, kind: EntryKind, tags: list[str]
) -> None:
    """``people`` others, each with one entry of ``kind`` earlier this week."""
    repo, now = bot.services.repo, bot.services.clock.now()
    for chat_id in range(first_id, first_id + people):
        await repo.ensure_person(chat_id, now - timedelta(days=3))
        await repo.add_entry(NewEntry(chat_id, kind, now - timedelta(days=2), tags=tags))


async def win(person: EmulatedPerson, clock: ManualClock) -> str:
    """A whole /win of the kind "I paused before reacting"; the closing words."""
    clock.advance(timedelta(minutes=2))
    await person.send("/win I waited a breath before answering my brother")
    kinds = await person.expect("fits it best")
    await press_and_check_answered(person, "I paused before reacting", kinds)
    await person.expect_edit("How connected", kinds)
    await press_and_check_answered(person, "Skip", kinds)
    return (await person.expect_edit("/journal", kinds)).text or ""


async def test_a_count_of_wins_appears_at_20_people_and_not_at_19(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await set_up(bot, 3601)
    # 18 others paused before reacting this week; one more only listened; one paused, in words
    # that read as a crisis, and one paused two weeks ago: none of those three count.
    await others_kept(bot, 50_000, 18, EntryKind.WIN, ["paused"])
    await others_kept(bot, 50_100, 1, EntryKind.WIN, ["listened"])
    await others_kept(bot, 50_200, 1, EntryKind.WIN, ["paused", CRISIS_TAG])
    await bot.services.repo.ensure_person(50_300, clock.now() - timedelta(days=20))
    await bot.services.repo.add_entry(
        NewEntry(50_300, EntryKind.WIN, clock.now() - timedelta(days=14), tags=["paused"])
    )
    ivy = emulator.person(3601, "Ivy")
    closing = await win(ivy, clock)  # with Ivy, 19 people
    assert "people here" not in closing

    await others_kept(bot, 50_400, 1, EntryKind.WIN, ["paused"])
    closing = await win(ivy, clock)  # Ivy once, whatever her number of wins: 20 people
    assert WIN_COUNT.format(20) in closing

    # Turned off in /settings: never again.
    await ivy.send("/settings")
    menu = await ivy.expect("settings")
    await ivy.press("Turn counts off", menu)
    await ivy.expect("Counts are off")
    await ivy.send("/cancel")
    await ivy.wait_until_quiet()
    assert "people here" not in await win(ivy, clock)


async def test_a_count_of_hard_moments_never_after_a_crisis(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await set_up(bot, 3602)
    await others_kept(bot, 60_000, 19, EntryKind.SETBACK, ["sad"])
    jon = emulator.person(3602, "Jon")
    await jon.send("/setback I hung up on my mum")
    await jon.expect("feeling")
    await jon.press("Sad")
    for _ in range(3):  # the self-compassion break
        await jon.next_message()
    friend = await jon.expect("what would you say to them?")
    await jon.press("Skip", friend)
    ideas = await jon.expect_edit("try next time", friend)
    await press_and_check_answered(jon, "Skip", ideas)
    done = await jon.expect_edit("/journal", ideas)
    assert SETBACK_COUNT.format(20) in (done.text or "")

    # After a crisis message, the day stays warm and plain: no count, in the crisis reply
    # or in what follows it.
    clock.advance(timedelta(minutes=5))
    await jon.send("I want to kill myself")
    crisis = await jon.expect("Are you safe right now?")
    assert "people here" not in (crisis.text or "")
    await jon.wait_until_quiet()
    clock.advance(timedelta(minutes=5))
    await jon.send("/setback I shouted again")
    await jon.expect("feeling")
    feelings = jon.messages[-1]
    await press_and_check_answered(jon, "Sad", feelings)
    plain = await jon.expect_edit("/journal", feelings)
    assert "people here" not in (plain.text or "")
    assert await jon.wait_until_quiet() == []
