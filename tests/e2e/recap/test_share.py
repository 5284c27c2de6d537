"""/share: pick the weeks, choose whether your own words go in, receive a PDF."""

from __future__ import annotations

from datetime import timedelta

from bot.app import KindlingApplication
from sandbox.emulator import BotApiEmulator
from storage.models import EntryKind
from tests.recap.helpers import MONDAY, add, at_local, full_week, pdf_text

BERLIN = "Europe/Berlin"


async def set_up(bot: KindlingApplication, chat_id: int) -> None:
    repo = bot.services.repo
    await repo.ensure_person(chat_id, bot.services.clock.now())
    await repo.update_person(chat_id, time_zone=BERLIN, onboarded=True)


async def test_share_two_weeks_with_own_words(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 3001)
    repo = bot.services.repo
    await full_week(repo, 3001, BERLIN)
    last_week = MONDAY - timedelta(days=7)
    await add(
        repo,
        3001,
        EntryKind.WIN,
        at_local(last_week, 10, 0, BERLIN),
        tags=["reached_out"],
        text="Texted Jo “just because” 💛",
    )
    await add(
        repo,
        3001,
        EntryKind.REFLECTION,
        at_local(last_week + timedelta(days=2), 21, 0, BERLIN),
        text="Łukasz made me laugh",
    )
    # Three weeks ago is outside a two-week summary.
    await add(
        repo,
        3001,
        EntryKind.WIN,
        at_local(MONDAY - timedelta(days=14), 10, 0, BERLIN),
        tags=["paused"],
        text="Too long ago to be included",
    )
    ada = emulator.person(3001, "Ada")

    await ada.send("/share")
    ask = await ada.expect("How many weeks")
    assert ask.button_texts() == ["1 week", "2 weeks", "4 weeks"]
    await ada.send("two please")
    await ada.expect("buttons above")
    await ada.press("2 weeks")
    words = await ada.expect("your own words")
    assert ask.buttons() == []  # the used keyboard is closed
    await ada.press("Yes, include them", words)

    document = await ada.next_message()
    assert document.kind == "document"
    assert document.file_name == "kindling-look-back.pdf"
    assert document.mime_type == "application/pdf"
    assert "two weeks" in (document.text or "")
    assert document.file_bytes is not None and document.file_bytes.startswith(b"%PDF")
    text = pdf_text(document.file_bytes)
    assert "A short summary of two weeks, November 16 to November 29" in text
    # Oldest week first, each with its numbers and its picture.
    assert text.index("Week of November 16 to November 22") < text.index(
        "Week of November 23 to November 29"
    )
    assert "Small wins: 3" in text and "I listened without fixing: 2" in text
    assert "Hard moments: 1" in text and "Feelings named: frustrated" in text
    assert "Time with people: 2 felt connected, 1 felt out of sync" in text
    assert "I reached out to someone: 1" in text  # from the week before
    assert document.file_bytes.count(b"/Subtype /Image") == 2  # one picture a week
    # Their own words as they wrote them (the emoji, which no font here draws, left out).
    assert "In your own words" in text
    assert "Texted Jo “just because”" in text and "💛" not in text
    assert "Łukasz made me laugh" in text
    assert "Snapped at my brother" in text
    assert "Too long ago" not in text
    assert await ada.wait_until_quiet() == []


async def test_share_without_own_words(emulator: BotApiEmulator, bot: KindlingApplication) -> None:
    await set_up(bot, 3002)
    await full_week(bot.services.repo, 3002, BERLIN)
    ben = emulator.person(3002, "Ben")

    await ben.send("/share")
    await ben.expect("How many weeks")
    await ben.press("1 week")
    await ben.expect("your own words")
    await ben.press("No, leave them out")
    document = await ben.next_message()
    assert document.file_bytes is not None
    text = pdf_text(document.file_bytes)
    assert "Week of November 23 to November 29" in text and "Small wins: 3" in text
    assert "November 16" not in text
    assert "In your own words" not in text
    assert "Snapped at my brother" not in text and "Mia" not in text


async def test_share_with_nothing_kept_and_cancel(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 3003)
    cy = emulator.person(3003, "Cy")
    await cy.send("/share")
    await cy.expect("How many weeks")
    await cy.press("4 weeks")
    await cy.expect("your own words")
    await cy.press("Yes, include them")
    await cy.expect("nothing kept in those weeks")
    assert [m.kind for m in cy.messages] == ["text", "text", "text"]

    await cy.send("/share")
    await cy.wait_until_quiet()
    await cy.send("/cancel")
    await cy.expect("stopped there")
    # A button from the finished flow no longer does anything but say so.
    stale = [m for m in cy.messages if "1 week" in m.button_texts()][-1]
    await cy.press("1 week", stale)
    await cy.wait_until_quiet()
    assert cy.answered_callbacks[-1].get("text", "").startswith("That button")


async def test_week_from_inside_share_ends_share(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 3004)
    await full_week(bot.services.repo, 3004, BERLIN)
    dee = emulator.person(3004, "Dee")
    await dee.send("/share")
    await dee.expect("How many weeks")
    await dee.send("/week")
    photo = await dee.next_message()
    assert photo.kind == "photo"
    await dee.expect("Your week")
    await dee.send("hello")  # share is over: not "tap a button" any more
    reply = await dee.expect()
    assert "buttons above" not in (reply.text or "")


async def test_share_starts_at_the_persons_first_week(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    """Someone who started this week asks for four weeks: the PDF holds their week, not three
    "quiet weeks" from before they came."""
    await set_up(bot, 3005)
    repo = bot.services.repo
    await add(
        repo,
        3005,
        EntryKind.WIN,
        at_local(MONDAY + timedelta(days=2), 8, 0, BERLIN),
        tags=["paused"],
        text="Waited before answering",
    )
    eve = emulator.person(3005, "Eve")
    await eve.send("/share")
    await eve.expect("How many weeks")
    await eve.press("4 weeks")
    await eve.expect("your own words")
    await eve.press("Yes, include them")
    document = await eve.next_message()
    assert document.kind == "document" and document.file_bytes is not None
    text = pdf_text(document.file_bytes)
    assert "A short summary of one week, November 23 to November 29" in text
    assert "Week of November 23 to November 29" in text
    assert "November 16" not in text and "November 2 " not in text and "November 9" not in text
    assert "A quiet week." not in text
    assert "I paused before reacting: 1" in text and "Waited before answering" in text
    assert "Time with people" not in text and " 0 " not in text
