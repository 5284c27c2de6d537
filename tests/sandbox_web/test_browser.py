"""The sandbox in a real browser: headless Chromium (Debian's package, driven by Playwright)
opens the web chat, and a visitor walks through onboarding, keeps a /win, presses buttons with
the keyboard, asks for the weekly recap and sees its picture, while the test checks what the
page shows and what the bot stored.

Chromium comes from the system (``apt-get install chromium``; ``.ci/run`` installs it). When it
is missing this test fails and says so: a skipped browser test would hide a broken page.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from sandbox.runner import Sandbox, running_sandbox
from storage.models import EntryKind, NewEntry

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("KINDLING_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1000, "height": 1150}
# A Wednesday, so the week already has a day behind it for the recap's picture.
WEDNESDAY = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
STEP = 10_000  # ms: the longest any one step may take


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}; the browser test needs it. Run .ci/run "
            "(it installs it), or `sudo apt-get install -y chromium`.",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Any]:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.fail(
            "Playwright is missing: `pip install -e '.[test]'` (never `playwright install`: "
            "the test uses the system's Chromium).",
            pytrace=False,
        )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    async with running_sandbox(
        tmp_path / "kindling.db", port=0, clock=ManualClock(WEDNESDAY)
    ) as running:
        yield running


async def test_a_visitor_tries_kindling_in_the_browser(browser: Any, sandbox: Sandbox) -> None:
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
    assert await log.get_attribute("aria-live") == "polite"
    box = page.get_by_label("Message")

    # A person's own words are shown as they typed them, never as markup.
    typed = "<img src=x onerror=alert(1)> & <b>not bold</b>"
    await box.fill(typed)
    await box.press("Enter")
    mine = log.locator(".from-person").last
    await mine.get_by_text("not bold").wait_for()
    assert (await mine.locator(".text").text_content()) == typed
    assert await log.locator("img[src=x], .from-person b").count() == 0
    await log.locator(".from-bot").first.wait_for()

    # The sandbox's own button before /start: a plain answer in the note, no error logged.
    await page.get_by_role("button", name="Send my weekly recap now").click()
    await page.get_by_text("Finish /start first").wait_for()

    # Onboarding: /start, a city, then a time button pressed from the keyboard.
    await box.fill("/start")
    await box.press("Enter")
    await log.get_by_text("where are you").wait_for()
    # <i>Berlin</i> in the bot's HTML arrives as an entity and is drawn as <em>.
    assert await log.locator("em", has_text="Berlin").count() == 1
    await box.fill("Lisbon")
    await box.press("Enter")
    question = log.locator(".from-bot", has_text="When would you like")
    await question.wait_for()
    await question.get_by_role("button", name="8:00 PM").focus()
    await page.keyboard.press("Enter")
    await log.get_by_text("All set").wait_for()
    # The note said what the last press did; /start was something else, so it is gone.
    assert await page.locator("#sandbox-note").text_content() == ""
    # The keyboard was taken off the question: edited in place, not sent again.
    await question.locator(".edited").wait_for()
    assert await question.get_by_role("button").count() == 0
    person = await repo.get_person(1001)
    assert person is not None and person.onboarded and person.prompt_time is not None
    assert (person.time_zone, person.prompt_time.isoformat()) == ("Europe/Lisbon", "20:00:00")

    # The sandbox's own control: today's prompt, sent now by the scheduler.
    await page.get_by_role("button", name="Send my daily prompt now").click()
    prompt = log.locator(".from-bot", has_text="write back here")
    await prompt.get_by_role("button", name="Later").wait_for()
    await page.get_by_text("daily prompt went out").wait_for()

    # /win from the "/" menu, with the keyboard only: "/" opens it, one step down is /win.
    await box.focus()
    await page.keyboard.press("/")
    menu = page.get_by_role("menu", name="Commands")
    await menu.wait_for()
    items = menu.get_by_role("menuitem")
    assert await items.count() == len(sandbox.emulator.commands)
    assert (await items.first.text_content() or "").startswith("/start")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Enter")
    await log.get_by_text("What happened?").wait_for()
    await box.fill("I let my sister finish her story before I answered")
    await box.press("Enter")
    await log.get_by_role("button", name="I listened without fixing").click()
    await log.get_by_text("How connected did it feel").wait_for()
    await log.get_by_role("button", name="4", exact=True).click()
    await log.locator(".from-bot", has_text="kept in your").wait_for()
    wins = await repo.list_entries(1001, kinds=[EntryKind.WIN])
    assert [(w.text, w.tags, w.rating) for w in wins] == [
        ("I let my sister finish her story before I answered", ["listened"], 4)
    ]

    # Yesterday Alex kept another win, so this week has two days in it: enough for a picture.
    await repo.add_entry(
        NewEntry(
            1001,
            EntryKind.WIN,
            WEDNESDAY - timedelta(days=1),
            text="Called my dad",
            tags=["reached_out"],
            rating=3,
        )
    )
    await page.get_by_role("button", name="Send my weekly recap now").click()
    picture = log.locator(".from-bot figure img")
    await picture.wait_for()
    await page.wait_for_function(
        "() => { const img = document.querySelector('.from-bot figure img');"
        " return img && img.complete && img.naturalWidth > 0; }"
    )
    assert await picture.evaluate("img => img.naturalWidth") > 100
    await page.get_by_text("weekly recap went out").wait_for()
    note = page.locator("#sandbox-note")

    # Screenshots (test artifacts): the recap at phone width, the conversation on a desktop.
    ARTIFACTS.mkdir(exist_ok=True)
    await page.evaluate("document.activeElement.blur()")
    await page.mouse.move(0, 0)
    await picture.evaluate("img => img.closest('li').scrollIntoView({block: 'start'})")
    await page.screenshot(path=str(ARTIFACTS / "sandbox.png"))
    await page.set_viewport_size(DESKTOP)
    await prompt.evaluate("li => li.scrollIntoView({block: 'start'})")
    await page.screenshot(path=str(ARTIFACTS / "sandbox-desktop.png"))
    # The note about the recap clears with the next thing the person does.
    assert await note.text_content() == "Your weekly recap went out through the scheduler."
    await box.fill("thank you")
    await box.press("Enter")
    await log.locator(".from-person", has_text="thank you").wait_for()
    await page.wait_for_function("() => document.getElementById('sandbox-note').textContent === ''")

    # Another person in another tab has a chat of their own.
    other = await context.new_page()
    other.set_default_timeout(STEP)
    await other.goto(f"{sandbox.url}/?person=2002&name=Sam")
    await other.wait_for_selector("body[data-connected=true]")
    assert await other.title() == "Kindling sandbox: Sam"
    assert await other.get_by_role("log").locator(".bubble").count() == 0
    assert await other.get_by_label("Chatting as").input_value() == "2002"
    await context.close()
    assert problems == []
