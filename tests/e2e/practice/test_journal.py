"""/journal: a person's own entries, newest first, five a page, deletable after a question."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import KindlingApplication
from bot.content.library import utf16_length
from handlers.journal import PREVIEW_CHARS
from sandbox.emulator import BotApiEmulator, EmulatedPerson, SentMessage
from storage.models import CRISIS_TAG, EntryKind, NewEntry
from storage.repository import Repository
from tests.e2e.practice.support import EXPIRED, entries, forge, press_and_check_answered

# 23:30 UTC is already the next day in Berlin: the journal shows the person's own date.
NEWEST = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)


async def keep(
    repo: Repository,
    chat_id: int,
    kind: EntryKind,
    text: str | None,
    at: datetime,
    tags: list[str] | None = None,
) -> int:
    entry = await repo.add_entry(
        NewEntry(chat_id=chat_id, kind=kind, created_at=at, text=text, tags=tags or [])
    )
    return entry.id


async def person_in_berlin(repo: Repository, chat_id: int) -> None:
    await repo.ensure_person(chat_id, NEWEST - timedelta(days=30))
    await repo.update_person(chat_id, time_zone="Europe/Berlin", onboarded=True)


async def twelve_entries(repo: Repository, chat_id: int) -> list[int]:
    """Entries "entry 0" (newest) to "entry 11", one a day, of every kind."""
    kinds = [
        (EntryKind.WIN, ["listened"]),
        (EntryKind.SETBACK, ["sad"]),
        (EntryKind.REFLECTION, []),
        (EntryKind.SOCIAL, ["heard:yes", "interest:yes", "steady:yes", "connected"]),
    ]
    ids = []
    for i in range(12):
        kind, tags = kinds[i % 4]
        ids.append(await keep(repo, chat_id, kind, f"entry {i}", NEWEST - timedelta(days=i), tags))
    return ids


async def wait_for_text(person: EmulatedPerson, message: SentMessage, contains: str) -> None:
    await person.wait_for(lambda: contains in (message.text or ""), what=f"page with {contains!r}")


async def test_pages_newest_first_in_the_persons_own_dates(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    repo = bot.services.repo
    await person_in_berlin(repo, 5001)
    await twelve_entries(repo, 5001)
    gil = emulator.person(5001, "Gil")
    await gil.send("/journal")
    page = await gil.expect("Your journal")
    assert "1 to 5 of 12" in page.text
    assert "1. November 25 · Small win: I listened without fixing\nentry 0" in page.text
    assert "2. November 24 · Hard moment: Sad\nentry 1" in page.text
    assert "3. November 23 · Reflection\nentry 2" in page.text
    assert (
        "4. November 22 · Time with someone\n"
        "Felt heard: Yes · Showed interest: Yes · Stayed steady: Yes\nentry 3"
    ) in page.text
    assert "5. November 21 · Small win" in page.text and "entry 5" not in page.text
    assert page.button_texts() == [f"Delete {n}" for n in range(1, 6)] + [
        f"Therapy {n}" for n in range(1, 6)
    ] + ["Older ›"]

    await press_and_check_answered(gil, "Older ›", page)
    await wait_for_text(gil, page, "6 to 10 of 12")
    # Numbered on from the page before, as the title says: never 1 to 5 again.
    assert "6. November 20 · Hard moment: Sad\nentry 5" in page.text
    assert "10. November 16 · Hard moment: Sad\nentry 9" in page.text
    assert "1. " not in page.text and "5. " not in page.text
    assert "entry 4" not in page.text and "entry 10" not in page.text
    assert page.button_texts() == [f"Delete {n}" for n in range(6, 11)] + ["‹ Newer", "Older ›"]

    await press_and_check_answered(gil, "Older ›", page)
    await wait_for_text(gil, page, "11 to 12 of 12")
    assert "11. November 15 · Reflection\nentry 10" in page.text
    assert "12. November 14 · Time with someone" in page.text and "entry 11" in page.text
    assert page.button_texts() == ["Delete 11", "Delete 12", "Therapy 11", "Therapy 12", "‹ Newer"]

    await press_and_check_answered(gil, "‹ Newer", page)
    await wait_for_text(gil, page, "6 to 10 of 12")
    assert await gil.wait_until_quiet() == []  # pages change in place: no new messages


async def test_words_are_shown_as_written_and_long_ones_shortened(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    repo = bot.services.repo
    await person_in_berlin(repo, 5002)
    long_text = "word " * 400
    await keep(repo, 5002, EntryKind.REFLECTION, long_text.strip(), NEWEST - timedelta(hours=1))
    await keep(repo, 5002, EntryKind.SOCIAL, None, NEWEST - timedelta(minutes=30), ["connected"])
    await keep(repo, 5002, EntryKind.WIN, "<b>not bold</b> & <3", NEWEST, ["made_up_kind"])
    hal = emulator.person(5002, "Hal")
    await hal.send("/journal")
    page = await hal.expect("Your journal")
    assert "1. November 25 · Small win\n<b>not bold</b> & <3" in page.text
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; &lt;3" in (page.raw_text or "")
    assert "2. November 25 · Time with someone" in page.text
    shortened = long_text[:PREVIEW_CHARS].rstrip() + "…"
    assert shortened in page.text and len(page.text) < 1000

    # The delete question shows the entry whole.
    await press_and_check_answered(hal, "Delete 3", page)
    await wait_for_text(hal, page, "Delete this entry?")
    assert long_text.strip() in page.text


async def test_a_reply_to_a_daily_question_shows_the_question(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    repo = bot.services.repo
    await person_in_berlin(repo, 5008)
    question = bot.services.library.prompt("ground_sounds").text
    await repo.add_entry(
        NewEntry(
            chat_id=5008,
            kind=EntryKind.REFLECTION,
            created_at=NEWEST,
            text="A blackbird, and the fridge.",
            prompt_id="ground_sounds",
        )
    )
    # A question since taken out of the library: the words still show, on their own.
    await repo.add_entry(
        NewEntry(
            chat_id=5008,
            kind=EntryKind.REFLECTION,
            created_at=NEWEST - timedelta(days=1),
            text="an older answer",
            prompt_id="retired_question",
        )
    )
    uma = emulator.person(5008, "Uma")
    await uma.send("/journal")
    page = await uma.expect("Your journal")
    assert f"1. November 25 · Reflection\n{question}\nA blackbird, and the fridge." in page.text
    assert f"<i>{question}</i>" in (page.raw_text or "")
    assert "2. November 24 · Reflection\nan older answer" in page.text


async def test_delete_after_a_question_and_only_once(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    repo = bot.services.repo
    await person_in_berlin(repo, 5003)
    ids = await twelve_entries(repo, 5003)
    ivy = emulator.person(5003, "Ivy")
    await ivy.send("/journal")
    page = await ivy.expect("Your journal")

    await press_and_check_answered(ivy, "Delete 2", page)
    await wait_for_text(ivy, page, "Delete this entry?")
    assert "November 24 · Hard moment: Sad\nentry 1" in page.text
    assert page.button_texts() == ["Yes, delete it", "Keep it"]
    await press_and_check_answered(ivy, "Keep it", page)
    await wait_for_text(ivy, page, "1 to 5 of 12")
    assert len(await entries(repo, 5003)) == 12

    await press_and_check_answered(ivy, "Delete 2", page)
    await wait_for_text(ivy, page, "Delete this entry?")
    yes_data = f"jr:yes:{ids[1]}:0"
    await press_and_check_answered(ivy, "Yes, delete it", page)
    await wait_for_text(ivy, page, "1 to 5 of 11")
    assert ivy.answered_callbacks[-1].get("text") == "Deleted."
    assert "entry 1\n" not in page.text and "entry 5" in page.text
    assert await repo.get_entry(5003, ids[1]) is None
    assert len(await entries(repo, 5003)) == 11

    # Yes again (a double tap that arrives late) finds nothing and changes nothing.
    answer = await forge(ivy, yes_data, page)
    assert "isn't here" in str(answer["text"])
    assert len(await entries(repo, 5003)) == 11
    assert await ivy.wait_until_quiet() == []


async def test_words_that_read_as_a_crisis_are_a_hard_moment_never_a_win(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    """The crisis check keeps them with the kind of the flow they were typed in (here /win)."""
    repo = bot.services.repo
    await person_in_berlin(repo, 5007)
    await keep(
        repo, 5007, EntryKind.WIN, "a real small win", NEWEST - timedelta(days=1), ["paused"]
    )
    await keep(repo, 5007, EntryKind.WIN, "I can't go on like this", NEWEST, [CRISIS_TAG])
    await keep(
        repo,
        5007,
        EntryKind.WIN,
        "typed after a pick",
        NEWEST - timedelta(minutes=10),
        ["listened", CRISIS_TAG],
    )
    lou = emulator.person(5007, "Lou")
    await lou.send("/journal")
    page = await lou.expect("Your journal")
    assert "1. November 25 · Hard moment\nI can't go on like this" in page.text
    assert "2. November 25 · Hard moment\ntyped after a pick" in page.text
    assert "3. November 24 · Small win: I paused before reacting" in page.text
    assert page.text.count("Small win") == 1

    await press_and_check_answered(lou, "Delete 1", page)
    await wait_for_text(lou, page, "Delete this entry?")
    assert "November 25 · Hard moment\nI can't go on like this" in page.text
    assert "Small win" not in page.text
    await press_and_check_answered(lou, "Keep it", page)
    await wait_for_text(lou, page, "1 to 3 of 3")
    assert await lou.wait_until_quiet() == []


async def test_entries_are_visible_to_their_author_only(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    repo = bot.services.repo
    await person_in_berlin(repo, 5004)
    await person_in_berlin(repo, 5005)
    mine = await keep(repo, 5004, EntryKind.WIN, "my own win", NEWEST, ["paused"])
    theirs = await keep(repo, 5005, EntryKind.SETBACK, "their private words", NEWEST, ["sad"])
    jay = emulator.person(5004, "Jay")
    await jay.send("/journal")
    page = await jay.expect("Your journal")
    assert "my own win" in page.text and "their private words" not in page.text
    edits = page.edits

    for forged in (f"jr:del:{theirs}:0", f"jr:yes:{theirs}:0"):
        answer = await forge(jay, forged, page)
        assert "isn't here" in str(answer["text"])
    assert "their private words" not in page.text and page.edits == edits
    assert await repo.get_entry(5005, theirs) is not None
    assert await repo.get_entry(5004, mine) is not None

    for malformed in (
        "jr:del:abc:0",
        "jr:yes:1",
        "jr:page:-1",
        "jr:page:1 ",
        "jr:drop:1:0",
        "jr:page:1\n",
    ):
        assert EXPIRED in str((await forge(jay, malformed, page))["text"])
    # A page number past the end shows the last page there is.
    await forge(jay, "jr:page:999", page)
    assert "my own win" in page.text
    assert await jay.wait_until_quiet() == []


async def test_an_empty_journal_and_a_journal_mid_flow(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    kit = emulator.person(5006, "Kit")
    await kit.send("/journal")
    empty = await kit.expect("Nothing is kept here yet")
    assert empty.button_texts() == []

    await kit.send("/setback")
    await kit.expect("what happened")
    await kit.send("/journal")  # another command mid-flow: the journal shows, the flow ends
    await kit.expect("Nothing is kept here yet")
    await kit.send("not an answer to anything")
    await kit.expect("/win")  # the gentle pointer, not a setback question
    assert await entries(bot.services.repo, 5006) == []


async def test_a_whole_telegram_message_is_kept_and_read_whole(
    emulator: BotApiEmulator, bot: KindlingApplication
) -> None:
    """The longest message Telegram lets a person send (4,096 units, as it counts them) is
    kept whole, and /journal shows it whole, in parts that each fit one message."""
    repo = bot.services.repo
    await person_in_berlin(repo, 5010)
    line = "I told my sister how I felt 🌱 and we stayed with it. "
    words = line * (4096 // utf16_length(line))
    words += "x" * (4096 - utf16_length(words))
    assert utf16_length(words) == 4096 and "🌱" in words
    ida = emulator.person(5010, "Ida")
    await ida.send("/win")
    await ida.expect("What happened?")
    await ida.send(words)
    question = await ida.expect("fits it best")  # nothing was cut, so nothing to be told
    await ida.press("Something else")
    await ida.expect_edit("How connected", question)
    await ida.press("Skip")
    await ida.expect_edit("/journal", question)
    [win] = await entries(repo, 5010)
    assert win.text == words.strip()

    await ida.send("/journal")
    page = await ida.expect("Your journal")
    assert words.strip() not in page.text  # a page shows the start only
    await press_and_check_answered(ida, "Read 1", page)
    await wait_for_text(ida, page, "Part 1 of 2")
    first = page.text
    assert page.button_texts() == ["Read on ›", "Back to the journal"]
    await press_and_check_answered(ida, "Read on ›", page)
    await wait_for_text(ida, page, "Part 2 of 2")
    second = page.text
    assert page.button_texts() == ["‹ Back a part", "Back to the journal"]
    shown = [text.split("\n", 1)[1].rsplit("\n\n", 1)[0] for text in (first, second)]
    assert " ".join(shown) == words.strip()  # every word, in order, across the parts

    await press_and_check_answered(ida, "Back to the journal", page)
    await wait_for_text(ida, page, "Your journal")
