"""/share: notes to oneself go into the PDF only when the person says so; the PDF's text is
read back, not only checked to exist."""

from __future__ import annotations

from bot.app import KindlingApplication
from sandbox.emulator import BotApiEmulator, EmulatedPerson
from tests.recap.helpers import MONDAY, at_local, full_week, pdf_text

BERLIN = "Europe/Berlin"
NOTE = "Be as patient with yourself as you are with Sam."


async def set_up(bot: KindlingApplication, chat_id: int) -> None:
    repo = bot.services.repo
    await repo.ensure_person(chat_id, bot.services.clock.now())
    await repo.update_person(chat_id, time_zone=BERLIN, onboarded=True)
    await full_week(repo, chat_id, BERLIN)


async def share_one_week(person: EmulatedPerson, words: str) -> str:
    """Ask for a one-week summary, answer the own-words question, and read the PDF's text."""
    await person.send("/share")
    await person.expect("How many weeks")
    await person.press("1 week")
    await person.expect("your own words")
    await person.press(words)
    document = await person.expect("look back")
    assert document.kind == "document" and document.file_bytes is not None
    return pdf_text(document.file_bytes)


async def test_notes_to_oneself_only_when_the_person_says_so(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 3101)
    await bot.services.repo.add_note(3101, NOTE, at_local(MONDAY, 22, 0, BERLIN))
    eli = emulator.person(3101, "Eli")

    left_out = await share_one_week(eli, "No, leave them out")
    assert "Notes to myself" not in left_out and NOTE not in left_out

    included = await share_one_week(eli, "Yes, include them")
    assert "Notes to myself" in included
    assert f"Written on November 23\n{NOTE}" in included
