"""/week and /week last: the picture of the week with its description, then the recap."""

from __future__ import annotations

from datetime import timedelta

from bot.app import KindlingApplication
from sandbox.emulator import BotApiEmulator
from storage.models import EntryKind
from tests.recap.helpers import MONDAY, add, at_local, full_week, png_size

BERLIN = "Europe/Berlin"


async def set_up(bot: KindlingApplication, chat_id: int, zone: str = BERLIN) -> None:
    repo = bot.services.repo
    await repo.ensure_person(chat_id, bot.services.clock.now())
    await repo.update_person(chat_id, time_zone=zone, onboarded=True)


async def test_week_sends_the_picture_then_the_recap(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 2001)
    await full_week(bot.services.repo, 2001, BERLIN)
    alex = emulator.person(2001, "Alex")

    await alex.send("/week")
    photo = await alex.next_message()
    assert photo.kind == "photo"
    assert photo.file_bytes is not None and png_size(photo.file_bytes) == (1080, 1080)
    caption = photo.text or ""
    # Short: the recap right after it tells the story.
    assert caption == (
        "A picture of your week, November 23 to November 29: small wins, reflections, hard "
        "moments, time with people and how connected it felt, day by day."
    )

    recap = await alex.expect("Your week")
    text = recap.text or ""
    assert "November 23 to November 29" in text
    assert "You came here on five days this week." in text
    assert "I listened without fixing: twice" in text
    assert "I paused before reacting: once" in text
    assert "two felt connected and one felt out of sync" in text
    assert "you felt heard" in text and "your replies showed real interest" in text
    assert "you also listened without fixing twice" in text
    assert "You named one hard moment here" in text and "frustrated" in text
    # Looking back on time with someone is a one-to-one; the invitation is one rung up.
    assert "tell one person who respects your limits" in text
    assert await alex.wait_until_quiet() == []


async def test_week_last_shows_the_week_before(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    await set_up(bot, 2002)
    last_monday = MONDAY - timedelta(days=7)
    await full_week(bot.services.repo, 2002, BERLIN, monday=last_monday)
    sam = emulator.person(2002, "Sam")

    await sam.send("/week last")
    photo = await sam.next_message()
    assert photo.kind == "photo" and "November 16 to November 22" in (photo.text or "")
    recap = await sam.expect("November 16 to November 22")
    assert "five days" in (recap.text or "")

    # This week has nothing yet: a short, warm recap, no picture, no numbers.
    await sam.send("/week")
    quiet = await sam.expect("quiet week")
    assert quiet.kind == "text"
    assert not any(ch.isdigit() for ch in (quiet.text or "").split("\n", 1)[1])
    assert await sam.wait_until_quiet() == []


async def test_entries_are_counted_on_the_persons_own_days(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    """Sunday 23:30 in Los Angeles is already Monday in UTC: it stays in last week."""
    zone = "America/Los_Angeles"
    await set_up(bot, 2003, zone)
    repo = bot.services.repo
    sunday_before = MONDAY - timedelta(days=1)
    await add(repo, 2003, EntryKind.WIN, at_local(sunday_before, 23, 30, zone), tags=["grounded"])
    await add(repo, 2003, EntryKind.WIN, at_local(MONDAY, 0, 30, zone), tags=["boundary"])
    await add(
        repo,
        2003,
        EntryKind.WIN,
        at_local(MONDAY + timedelta(days=1), 12, 0, zone),
        tags=["boundary"],
    )
    kim = emulator.person(2003, "Kim")

    await kim.send("/week")
    photo = await kim.next_message()
    assert photo.kind == "photo" and "small wins" in (photo.text or "")
    recap = await kim.expect("Your week")
    assert "I kept a boundary: twice" in (recap.text or "")
    assert "grounded" not in (recap.text or "").lower()


async def test_week_with_words_after_it_and_before_start(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    lee = emulator.person(2004, "Lee")
    await lee.send("/week")
    await lee.expect("/start sets things up")
    await lee.send("/share")
    await lee.expect("/start sets things up")
    assert await bot.services.repo.get_person(2004) is None

    await set_up(bot, 2004)
    await lee.send("/week someday")
    await lee.expect("/week last")
    assert await lee.wait_until_quiet() == []


async def test_the_recap_of_a_first_week_on_one_day_names_the_win(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    """A newcomer keeps a win and a look back on their first day, then asks for /week: the story
    of what they kept and its picture, never "a quiet week", never the days without."""
    await set_up(bot, 2005)
    kai = emulator.person(2005, "Kai")
    await kai.send("/win")
    await kai.expect("What happened?")
    await kai.send("I let my sister finish her sentence")
    question = await kai.expect("fits it best")
    await kai.press("I listened without fixing")
    await kai.expect_edit("How connected", question)
    await kai.press("4")
    await kai.expect_edit("/journal", question)
    await kai.send("/reflect")
    await kai.expect("three quick taps")
    card = await kai.expect("Did you feel heard?")
    for answer, next_question in (("Yes", "interest"), ("Yes", "shutting down"), ("Yes", "add")):
        await kai.press(answer, card)
        await kai.expect_edit(next_question, card)
    await kai.press("Skip", card)
    await kai.expect_edit("real connection", card)
    assert await kai.wait_until_quiet() == []

    await kai.send("/week")
    photo = await kai.next_message()
    assert photo.kind == "photo"
    assert photo.file_bytes is not None and png_size(photo.file_bytes) == (1080, 1080)
    recap = await kai.expect("Your week")
    text = recap.text or ""
    assert "quiet" not in text.lower()
    assert "On Wednesday you took some time here for yourself." in text
    assert "I listened without fixing: once" in text
    assert "You looked back on one moment with people that felt connected." in text
    # One look back, on one day: the same gentle step again, not a group.
    assert "meet one person" in text and "small group" not in text
    assert "days" not in text
    assert await kai.wait_until_quiet() == []
