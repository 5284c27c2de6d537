"""What Kindling sends on its own (the daily prompt and its "Later", the weekly recap and its
picture, the /share PDF) shows dates and times in each person's own format, the one /settings
shows them, taken from the language their Telegram is set to and kept up to date when it
changes."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.app import KindlingApplication
from bot.clock import ManualClock
from sandbox.emulator import BotApiEmulator, EmulatedPerson
from scheduler.ticker import tick
from storage.models import EntryKind, NewEntry
from tests.recap.helpers import pdf_text
from tests.scheduler.support import onboard, sent_after

# 20:00 in London on the conftest's Wednesday 25 November 2026 (UTC+0 in November), and the
# Sunday 18:00 the first weekly recap comes at.
LONDON_EIGHT_PM = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
LONDON_SUNDAY_SIX_PM = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)


async def onboard_speaking(
    emulator: BotApiEmulator, chat_id: int, name: str, language_code: str
) -> EmulatedPerson:
    """A person whose Telegram is set to ``language_code`` sets Kindling up for 20:00, London."""
    emulator.person(chat_id, name, language_code=language_code)
    return await onboard(emulator, chat_id, "London", "20:00", name=name)


async def keep_a_win(bot: KindlingApplication, chat_id: int) -> None:
    await bot.services.repo.add_entry(
        NewEntry(
            chat_id=chat_id,
            kind=EntryKind.WIN,
            created_at=datetime(2026, 11, 26, 9, 30, tzinfo=UTC),
            text="Listened to my sister",
            tags=["listened"],
        )
    )


async def settings_summary(person: EmulatedPerson) -> str:
    await person.send("/settings")
    menu = await person.expect("Daily reflection")
    await person.press("Done")
    await person.expect("All saved")
    return menu.text or ""


async def test_prompt_recap_and_share_in_each_persons_own_format(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    us = await onboard_speaking(emulator, 7101, "Avery", "en-US")
    gb = await onboard_speaking(emulator, 7102, "Harriet", "en-GB")
    # What /settings shows each of them: the same times, each in their own format.
    assert "Daily reflection: 8:00 PM" in await settings_summary(us)
    assert "Weekly look back: Sundays at 6:00 PM" in await settings_summary(us)
    gb_summary = await settings_summary(gb)
    assert "Daily reflection: 20:00" in gb_summary
    assert "Weekly look back: Sundays at 18:00" in gb_summary
    assert [
        (await bot.services.repo.get_person(chat)).locale  # type: ignore[union-attr]
        for chat in (7101, 7102)
    ] == ["en_US", "en_GB"]

    # The daily prompt, sent by the scheduler, and the time its "Later" brings it back at.
    clock.set(LONDON_EIGHT_PM)
    await tick(bot)
    await us.expect("write back here")
    await gb.expect("write back here")
    await us.press("Later")
    await us.expect("bring it back around 10:00 PM")
    await gb.press("Later")
    await gb.expect("bring it back around 22:00")

    # The weekly recap and its picture: the week's dates as each of them writes dates.
    for chat in (7101, 7102):
        await keep_a_win(bot, chat)
    seen = {chat: len(emulator.sent(chat)) for chat in (7101, 7102)}
    clock.set(LONDON_SUNDAY_SIX_PM)
    await tick(bot)
    us_photo, us_recap = sent_after(emulator, 7101, seen[7101])
    gb_photo, gb_recap = sent_after(emulator, 7102, seen[7102])
    assert (us_photo.kind, gb_photo.kind) == ("photo", "photo")
    assert "Your week, November 23 to November 29" in (us_recap.text or "")
    assert "Your week, 23 November to 29 November" in (gb_recap.text or "")
    assert "November 23 to November 29" in (us_photo.text or "")
    assert "23 November to 29 November" in (gb_photo.text or "")
    assert us_photo.file_bytes != gb_photo.file_bytes  # the dates drawn on the picture differ

    # The /share PDF: dates, and the time each entry was kept.
    for person, week, kept in (
        (us, "Week of November 23 to November 29", "November 26 at 9:30 AM"),
        (gb, "Week of 23 November to 29 November", "26 November at 09:30"),
    ):
        await person.wait_until_quiet()
        await person.send("/share")
        await person.press("1 week", await person.expect("How many weeks"))
        await person.press("Yes, include them", await person.expect("your own words"))
        document = await person.next_message()
        assert document.file_bytes is not None
        text = pdf_text(document.file_bytes)
        assert week in text and kept in text


async def test_a_changed_telegram_language_is_picked_up(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    kept_calls = 0
    keep_locale = repo.keep_locale

    async def counted(chat_id: int, locale: str | None) -> bool:
        nonlocal kept_calls
        kept_calls += 1
        return await keep_locale(chat_id, locale)

    repo.keep_locale = counted  # type: ignore[method-assign]
    mia = await onboard_speaking(emulator, 7103, "Mia", "en-US")
    assert (await repo.get_person(7103)).locale == "en_US"  # type: ignore[union-attr]
    # Once kept, the next messages and taps cost no database call at all.
    calls_after_onboarding = kept_calls
    await settings_summary(mia)
    assert kept_calls == calls_after_onboarding

    # Mia switches her Telegram to German: her next message carries it to her record.
    mia.language_code = "de"
    await mia.send("/help")
    await mia.expect()
    assert (await repo.get_person(7103)).locale == "de"  # type: ignore[union-attr]
    assert kept_calls == calls_after_onboarding + 1
    assert "Daily reflection: 20:00" in await settings_summary(mia)

    # Her first recap (the week's prompts passed while the clock jumped, unsent) is in German
    # dates.
    await keep_a_win(bot, 7103)
    seen = len(emulator.sent(7103))
    clock.set(LONDON_SUNDAY_SIX_PM)
    await tick(bot)
    photo, recap = sent_after(emulator, 7103, seen)
    assert "Your week, 23. November to 29. November" in (recap.text or "")
    assert "23. November to 29. November" in (photo.text or "")


async def test_after_delete_the_new_record_keeps_the_locale_again(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    noor = await onboard_speaking(emulator, 7104, "Noor", "en-GB")
    await noor.send("/delete")
    ask = await noor.expect("erase everything you've kept")
    await noor.press("Yes, erase everything")
    await noor.wait_for(lambda: ask.edits == 1)
    await noor.press("Erase for good")
    await noor.wait_for(lambda: ask.edits == 2)
    assert await bot.services.repo.get_person(7104) is None

    # Started afresh: the new record is not taken to know her locale already.
    await onboard(emulator, 7104, "London", "20:00", name="Noor")
    assert (await bot.services.repo.get_person(7104)).locale == "en_GB"  # type: ignore[union-attr]
    assert "Daily reflection: 20:00" in await settings_summary(noor)
