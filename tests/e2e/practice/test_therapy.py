"""A bridge to therapy: entries marked "to talk about in therapy" at the end of /setback and
/reflect, or in /journal, open the /share PDF under "Things I'd like to talk about" (the PDF's
text read back); the person's words go in only when they chose to include them."""

from __future__ import annotations

from datetime import timedelta

from bot.app import KindlingApplication
from bot.clock import ManualClock
from sandbox.emulator import BotApiEmulator, EmulatedPerson
from tests.e2e.practice.support import entries, forge, press_and_check_answered
from tests.harness import set_up
from tests.recap.helpers import pdf_text

MARK = "To talk about in therapy"
HEADING = "Things I'd like to talk about"


async def share(person: EmulatedPerson, clock: ManualClock, words: str) -> str:
    clock.advance(timedelta(minutes=1))  # at a person's pace, not a flood's
    await person.send("/share")
    await person.expect("How many weeks")
    await person.press("1 week")
    await person.expect("your own words")
    await person.press(words)
    document = await person.expect("look back")
    assert document.file_bytes is not None
    return pdf_text(document.file_bytes)


async def test_marked_entries_open_the_share_pdf(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    await set_up(bot, 3501)
    kit = emulator.person(3501, "Kit")
    # A setback, marked at its end.
    await kit.send("/setback I froze when my dad raised his voice")
    await kit.expect("feeling")
    await kit.press("Anxious or on edge")
    for _ in range(3):  # the self-compassion break
        await kit.next_message()
    friend = await kit.expect("what would you say to them?")
    await kit.press("Skip", friend)
    ideas = await kit.expect_edit("try next time", friend)
    await press_and_check_answered(kit, "Skip", ideas)
    await kit.expect_edit("/journal", ideas)
    tap = await press_and_check_answered(kit, MARK, ideas)
    answer = next(a for a in kit.answered_callbacks if a["callback_query_id"] == tap)
    assert "/share" in str(answer["text"])
    await kit.wait_for(lambda: ideas.reply_markup is None, what="mark button gone")

    # A look back at time with someone, marked at its end.
    clock.advance(timedelta(minutes=1))
    await kit.send("/reflect")
    await kit.expect("A look back at time with someone")
    card = await kit.expect("Did you feel heard?")
    for asked, answer_label in enumerate(("Partly", "Not really", "Partly"), start=1):
        await press_and_check_answered(kit, answer_label, card)
        await kit.wait_for(lambda n=asked: card.edits == n, what="answer in place")
    await kit.wait_until_quiet()
    await kit.send("We argued about the holidays again.")
    done = await kit.expect("out of step")
    assert done.button_texts() == [MARK]
    await press_and_check_answered(kit, MARK, done)

    # A win left unmarked, then marked and unmarked again in /journal.
    clock.advance(timedelta(minutes=1))
    await kit.send("/win I asked my sister how she was, and listened")
    kinds = await kit.expect("fits it best")
    await kit.press(kinds.button_texts()[0], kinds)
    await kit.expect_edit("How connected", kinds)
    await kit.press("Skip", kinds)
    await kit.expect_edit("/journal", kinds)
    await kit.wait_until_quiet()
    await kit.send("/journal")
    page = await kit.expect("Your journal")
    assert (page.text or "").count(MARK) == 2  # the setback and the reflection
    await press_and_check_answered(kit, "Therapy 1", page)  # the win, newest
    await kit.wait_for(lambda: (page.text or "").count(MARK) == 3, what="win marked")
    await press_and_check_answered(kit, "Therapy 1", page)
    await kit.wait_for(lambda: (page.text or "").count(MARK) == 2, what="win unmarked")

    marked = [e.text for e in await entries(bot.services.repo, 3501) if e.for_therapy]
    assert marked == [
        "We argued about the holidays again.",
        "I froze when my dad raised his voice",
    ]
    # Nobody else's entry can be marked with a forged button.
    other = emulator.person(3502, "Lee")
    await set_up(bot, 3502)
    await other.send("/help")
    help_message = await other.expect("What I can do")
    win = next(e for e in await entries(bot.services.repo, 3501) if not e.for_therapy)
    await forge(other, f"therapy:mark:{win.id}", help_message)
    assert not (await bot.services.repo.get_entry(3501, win.id)).for_therapy  # type: ignore[union-attr]

    text = await share(kit, clock, "Yes, include them")
    assert text.index(HEADING) < text.index("Week of")  # it opens the summary
    opening = text[text.index(HEADING) : text.index("Week of")]
    assert "November 25 - Hard moment\nI froze when my dad raised his voice" in opening
    assert "November 25 - Time with someone\nWe argued about the holidays again." in opening
    assert "listened" not in opening

    private = await share(kit, clock, "No, leave them out")
    opening = private[private.index(HEADING) : private.index("Week of")]
    assert "November 25 - Hard moment" in opening and "froze" not in private
