"""A newcomer's first week, replayed in a real browser at phone width (390 px).

Everything on one Wednesday, as a first week often is: onboarding with a place Kindling cannot
find (then the bot's own example typed back), a shared place name and a time in words; a setback
left half-way, then kept with one tap; a whole Telegram message kept as a small win; the first
/week, /share and /pause; then /delete. The test checks that none of the person's words are
lost, that every example the bot gives works, that links and commands are drawn where Telegram
would draw them, and that the picture and the PDF hold what the person kept.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

from pypdf import PdfReader

from bot.clock import ManualClock
from bot.content.library import utf16_length
from sandbox.runner import Sandbox
from storage.models import EntryKind
from tests.sandbox_web.test_browser import ARTIFACTS, PHONE, STEP, browser, chromium, sandbox

__all__ = ["browser", "chromium", "sandbox"]  # the fixtures, shared with the first browser test

SETBACK = "My heart went </3 when he raised his voice, and I froze"
LINE = "I told my sister how I felt 🌱 and we stayed with it. "


def whole_message() -> str:
    """The longest message Telegram lets a person send: 4,096 units as it counts them."""
    words = LINE * (4096 // utf16_length(LINE))
    words += "x" * (4096 - utf16_length(words))
    assert utf16_length(words) == 4096
    return words


async def test_a_newcomers_first_week_at_phone_width(browser: Any, sandbox: Sandbox) -> None:
    context = await browser.new_context(viewport=PHONE, device_scale_factor=2)
    page = await context.new_page()
    page.set_default_timeout(STEP)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda line: problems.append(f"console: {line.text}") if line.type == "error" else None,
    )
    repo = sandbox.application.services.repo
    await page.goto(sandbox.url)
    await page.wait_for_selector("body[data-connected=true]")
    log = page.get_by_role("log")
    box = page.get_by_label("Message")

    clock = sandbox.application.services.clock
    assert isinstance(clock, ManualClock)

    async def say(text: str) -> None:
        # A person takes a little while to read and type: without it, this many messages in
        # one instant would meet the flood limit, which no one typing by hand reaches.
        clock.advance(timedelta(seconds=30))
        await box.fill(text)
        await box.press("Enter")
        await log.locator(".from-person").last.wait_for()

    def bot_says(words: str) -> Any:
        return log.locator(".from-bot", has_text=words).last

    async def held(message: Any) -> Any:
        """The same message however it is edited later (its words change, its id does not)."""
        await message.wait_for()
        return log.locator(f'li[data-id="{await message.get_attribute("data-id")}"]')

    # Onboarding: a place Kindling can't find, so it gives examples; the one it offers for
    # "what time is it for you" works when typed back.
    await say("/start")
    await bot_says("where are you").wait_for()
    await say("Nowhereville Qqq")
    not_found = bot_says("couldn't find that place")
    await not_found.wait_for()
    example = await not_found.locator("em").last.text_content()
    assert example == "14:30"
    await say(example)
    await bot_says("When would you like").wait_for()
    assert await bot_says("couldn't find").count() == 1  # the example was understood
    await say("quarter to eight")
    await bot_says("All set").wait_for()
    assert "7:45 AM" in (await bot_says("All set").text_content() or "")

    # A name shared by places in different zones: Kindling asks which one.
    await say("/settings")
    await bot_says("Your settings").get_by_role("button", name="Time zone").click()
    await bot_says("Where are you now?").wait_for()
    await say("Springfield")
    which = bot_says("more than one Springfield")
    await which.get_by_role("button", name="Springfield, Missouri").click()
    await bot_says("Springfield, Missouri, United States").wait_for()
    person = await repo.get_person(1001)
    assert person is not None and person.time_zone == "America/Chicago"
    assert person.prompt_time is not None and person.prompt_time.isoformat() == "07:45:00"

    # A setback left half-way: the words are offered back with one tap, and kept.
    await say("/setback")
    await bot_says("what happened").wait_for()
    await say(SETBACK)
    await bot_says("closest").get_by_role("button", name="Overwhelmed").click()
    await say("/cancel")
    offer = await held(bot_says("hasn't been kept"))
    await offer.get_by_role("button", name="Keep what I wrote").click()
    await offer.get_by_text("/journal").wait_for()

    # A whole Telegram message, kept as a small win, every character of it.
    words = whole_message()
    await say("/win")
    await bot_says("What happened?").wait_for()
    await say(words)
    kinds = await held(bot_says("fits it best"))
    await kinds.get_by_role("button", name="Something else").click()
    await kinds.get_by_text("How connected").wait_for()
    await kinds.get_by_role("button", name="Skip").click()
    await kinds.get_by_text("/journal").wait_for()
    kept = await repo.list_entries(1001)
    assert [(e.kind, e.text) for e in kept] == [
        (EntryKind.WIN, words.strip()),
        (EntryKind.SETBACK, SETBACK),
    ]

    # The journal shows both; the long one opens whole; "</3" is words, not a command.
    await say("/journal")
    journal = await held(bot_says("Your journal"))
    assert SETBACK in (await journal.text_content() or "")
    assert await journal.locator(".command-link").count() == 0
    assert await log.locator(".command-link", has_text="/journal").count() > 0
    await journal.get_by_role("button", name="Read 1").click()
    await journal.get_by_text("Part 1 of 2").wait_for()

    # The first /week: the story of what was kept and its picture, never "a quiet week".
    await say("/week")
    picture = log.locator(".from-bot figure img").last
    await picture.wait_for()
    await page.wait_for_function(
        "() => [...document.querySelectorAll('.from-bot figure img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    recap = log.locator(".from-bot", has_text=re.compile("Your week, November 23")).last
    await recap.wait_for()
    story = await recap.text_content() or ""
    assert "quiet" not in story.lower()
    assert "On Wednesday you took some time here for yourself." in story
    assert "• Something else: once" in story
    assert "You named one hard moment here, and looked at it honestly." in story
    shown_width = await picture.evaluate("img => img.getBoundingClientRect().width")
    assert 250 <= shown_width <= 390
    ARTIFACTS.mkdir(exist_ok=True)
    await picture.evaluate("img => img.closest('li').scrollIntoView({block: 'start'})")
    await page.screenshot(path=str(ARTIFACTS / "first-week-recap.png"))

    # /share: a PDF that starts with this week and holds the person's words as written.
    await say("/share")
    await bot_says("How many weeks").get_by_role("button", name="4 weeks").click()
    await bot_says("your own words").get_by_role("button", name="Yes, include them").click()
    document = log.locator(".from-bot a.document").last
    await document.wait_for()
    response = await page.request.get(sandbox.url + (await document.get_attribute("href") or ""))
    assert response.ok
    pdf = PdfReader(io.BytesIO(await response.body()))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "A short summary of one week, November 23 to November 29" in text
    assert "A quiet week" not in text
    assert SETBACK in text
    assert "I told my sister how I felt and we stayed with it." in " ".join(text.split())

    # /pause: the help lines for Springfield, Missouri, their web addresses drawn as links.
    await say("/pause")
    await bot_says("What would help").get_by_role("button", name="I need help now").click()
    help_lines = bot_says("988")
    await help_lines.wait_for()
    link = help_lines.locator("a[href='https://988lifeline.org']")
    assert await link.count() == 1 and await link.text_content() == "988lifeline.org"

    # Nothing on the page is wider than the phone.
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # /delete: everything erased, and the chat's own history explained.
    await say("/delete")
    ask = await held(bot_says("erase everything you've kept"))
    await ask.get_by_role("button", name="Yes, erase everything").click()
    await ask.get_by_role("button", name="Erase for good").click()
    await ask.get_by_text("Everything I kept is erased").wait_for()
    assert "Clear history" in (await ask.text_content() or "")
    assert await repo.get_person(1001) is None and await repo.count_entries(1001) == 0

    await context.close()
    assert problems == []
