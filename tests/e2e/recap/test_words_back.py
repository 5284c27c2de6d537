"""What a recap adds after a hard week: a note the person wrote to themselves, quoted whole;
never after a week that held words read as a crisis, never after an easier week."""

from __future__ import annotations

from datetime import timedelta

from bot.app import KindlingApplication
from sandbox.emulator import BotApiEmulator
from storage.models import CRISIS_TAG, EntryKind
from tests.recap.helpers import MONDAY, add, at_local, full_week

BERLIN = "Europe/Berlin"
GIVEN_BACK = "Words you wrote to yourself on"
NOTE = "You kept going when it was hard. That counts."


async def person_with_a_note(bot: KindlingApplication, chat_id: int) -> None:
    repo = bot.services.repo
    await repo.ensure_person(chat_id, bot.services.clock.now())
    await repo.update_person(chat_id, time_zone=BERLIN, onboarded=True)
    written = at_local(MONDAY - timedelta(days=20), 21, 0, BERLIN)
    assert await repo.add_note(chat_id, NOTE, written) is not None


async def hard_week(bot: KindlingApplication, chat_id: int, *tags: str) -> None:
    for day in range(2):
        when = at_local(MONDAY + timedelta(days=day), 19, 0, BERLIN)
        await add(bot.services.repo, chat_id, EntryKind.SETBACK, when, tags=["sad", *tags])


async def test_a_hard_week_gives_a_note_back(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await person_with_a_note(bot, 2601)
    await hard_week(bot, 2601)
    lu = emulator.person(2601, "Lu")
    await lu.send("/week")
    assert (await lu.next_message()).kind == "photo"
    recap = await lu.expect("Your week")
    assert f"{GIVEN_BACK} November 3:\n{NOTE}" in (recap.text or "")
    [note] = await bot.services.repo.list_notes(2601)
    assert note.given_back_at == bot.services.clock.now().replace(microsecond=0)
    # Once a day at most: asking again the same day brings the recap alone.
    await lu.send("/week")
    await lu.next_message()  # the picture
    again = await lu.expect("Your week")
    assert GIVEN_BACK not in (again.text or "")


async def test_no_note_after_an_easier_week_or_a_crisis(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await person_with_a_note(bot, 2602)
    await full_week(bot.services.repo, 2602, BERLIN)
    mo = emulator.person(2602, "Mo")
    await mo.send("/week")
    await mo.next_message()  # the picture
    recap = await mo.expect("Your week")
    assert GIVEN_BACK not in (recap.text or "")

    await person_with_a_note(bot, 2603)
    await hard_week(bot, 2603, CRISIS_TAG)
    ana = emulator.person(2603, "Ana")
    await ana.send("/week")
    crisis_recap = await ana.expect("Your week")
    assert GIVEN_BACK not in (crisis_recap.text or "")
    [note] = await bot.services.repo.list_notes(2603)
    assert note.given_back_at is None
