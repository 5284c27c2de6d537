"""What a recap adds after a hard week: a note the person wrote to themselves, quoted whole,
and, as the person said in /settings, one gentle line about therapy (at most once a week);
never after a week that held words read as a crisis, never after an easier week."""

from __future__ import annotations

from datetime import timedelta

from bot.app import KindlingApplication
from bot.clock import ManualClock
from sandbox.emulator import BotApiEmulator, EmulatedPerson
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


async def test_the_recap_and_its_note_are_dated_as_the_person_writes_dates(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await person_with_a_note(bot, 2610)
    await hard_week(bot, 2610)
    kit = emulator.person(2610, "Kit", language_code="en-GB")
    await kit.send("/week")
    picture = await kit.next_message()
    assert "23 November to 29 November" in (picture.text or "")
    recap = await kit.expect("Your week, 23 November to 29 November")
    assert f"{GIVEN_BACK} 3 November:\n{NOTE}" in (recap.text or "")


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


async def tell_settings(person: EmulatedPerson, answer: str) -> None:
    """Answer the optional therapy question in /settings."""
    await person.send("/settings")
    menu = await person.expect("settings")
    await person.press("Therapy", menu)
    ask = await person.expect("Do you see a therapist or counsellor")
    assert ask.button_texts() == ["Yes", "Not now", "I'd like to", "I'd rather not say", "Back"]
    await person.press(answer, ask)
    await person.expect("Thank you" if answer != "I'd rather not say" else "Of course")
    await person.send("/cancel")
    await person.wait_until_quiet()


async def week_text(person: EmulatedPerson) -> str:
    await person.send("/week")
    assert (await person.next_message()).kind == "photo"
    return (await person.expect("Your week")).text or ""


async def test_after_a_hard_week_the_therapy_line_once_a_week_as_the_person_said(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    for chat_id in (2611, 2612, 2613, 2614):
        await repo.ensure_person(chat_id, clock.now())
        await repo.update_person(chat_id, time_zone=BERLIN, onboarded=True, country="DE")
        await hard_week(bot, chat_id)

    would_like = emulator.person(2611, "Wyn")
    await tell_settings(would_like, "I'd like to")
    assert (await repo.get_person(2611)).therapist == "would_like"  # type: ignore[union-attr]
    text = await week_text(would_like)
    assert "how people usually find someone" not in text  # (that is the settings reply)
    assert "looking through a directory of therapists" in text
    assert "https://www.116117.de" in text
    # Never more than once a week: the next day's recap is quiet about it.
    clock.advance(timedelta(days=1))
    assert "directory of therapists" not in await week_text(would_like)

    in_therapy = emulator.person(2612, "Yas")
    await tell_settings(in_therapy, "Yes")
    assert "your next session could be a good place" in await week_text(in_therapy)

    not_now = emulator.person(2613, "Nat")
    await tell_settings(not_now, "Not now")
    text = await week_text(not_now)
    assert "session" not in text and "therapist" not in text

    # A week that held words read as a crisis has its own help: no therapy line there.
    crisis = emulator.person(2614, "Cy")
    await tell_settings(crisis, "Yes")
    await hard_week(bot, 2614, CRISIS_TAG)
    text = await week_text(crisis)
    assert "session" not in text
    assert (await repo.get_person(2614)).therapy_said_at is None  # type: ignore[union-attr]


async def test_the_recap_counts_people_with_a_hard_moment_from_20_up(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    repo = bot.services.repo
    await repo.ensure_person(2621, bot.services.clock.now())
    await repo.update_person(2621, time_zone=BERLIN, onboarded=True)
    await hard_week(bot, 2621)
    for chat_id in range(70_000, 70_018):  # with the person, 19
        await repo.ensure_person(chat_id, bot.services.clock.now())
        await add(repo, chat_id, EntryKind.SETBACK, at_local(MONDAY, 12, 0, BERLIN), tags=["sad"])
    ru = emulator.person(2621, "Ru")
    assert "people here" not in await week_text(ru)
    await repo.ensure_person(70_018, bot.services.clock.now())
    await add(repo, 70_018, EntryKind.SETBACK, at_local(MONDAY, 12, 0, BERLIN), tags=["sad"])
    text = await week_text(ru)
    assert "You weren't alone in it: 20 people here had a hard moment this week too." in text
