"""Awkward input everywhere a person can type or tap: text with nothing visible in it, more than
Telegram allows, only emoji, ZWJ sequences, right-to-left text and direction overrides, a NUL
byte, markup characters; commands addressed to the bot by name or with arguments nobody asked
for; stickers, photos, voice, locations and edits in the middle of a conversation; a button
pressed twice, a stale one, one never issued; the same update delivered twice.

Every time the person gets a kind, clear reply (or a deliberate silence), and what is stored is
what they meant, once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.app import KindlingApplication
from bot.clock import ManualClock
from handlers.entry_text import MAX_ENTRY_CHARS
from sandbox.emulator import BotApiEmulator, EmulatedPerson
from scheduler.ticker import tick
from storage.models import EntryKind
from tests.faults.support import BERLIN_EIGHT_PM, prompts_in
from tests.harness import seed_person

# Kept exactly as written (less any control character), and shown back exactly so.
AWKWARD_WORDS = {
    "only emoji": "🌱🌿🌸",
    "ZWJ sequences": "👩‍👩‍👧‍👦 made dinner together, 👨🏽‍💻 stayed off work",
    "right-to-left": "היום הקשבתי בלי לתקן",
    "a direction override": "\u202ebefore I said sorry",
    "markup characters": "*_[]()~`>#+-=|{}.!<& and </b> &amp;",
}
NUL = "I waited\x00 before answering"
# Nothing a person could see: spaces of other widths, a zero-width space, a Hangul filler.
BLANK = "\u3000\u2003 \u200b\u3164"
NOT_TEXT = "I can only read text for this part"


async def win(person: EmulatedPerson, words: str) -> None:
    """/win with the words after the command, the first kind, no rating: each tap is answered
    in the question's own message, which ends with nothing left to tap."""
    await person.send(f"/win {words}")
    question = await person.expect("which")
    await person.press("I paused before reacting")
    await person.expect_edit("connected", question)
    await person.press("Skip")
    done = await person.expect_edit("journal", question)
    assert (done.edits, done.reply_markup) == (2, None)


async def test_awkward_words_are_kept_and_shown_as_written(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    for n, (case, words) in enumerate(AWKWARD_WORDS.items()):
        person = emulator.person(10_101 + n, "Sol")
        await seed_person(repo, person.chat_id, clock.now())
        await win(person, words)
        [entry] = await repo.list_entries(person.chat_id)
        assert entry.text == words, case
        # /journal shows them back; the emulator parses the HTML as Telegram would, so an
        # unescaped "<" or "&" would have failed the send.
        await person.send("/journal")
        page = await person.expect("journal")
        assert words in page.text, case
        if "\u202e" in words:  # the override is closed again right after the person's words
            assert words + "\u202c" in page.text

        # The same words as the name of a trusted person, in /settings.
        await person.send("/settings")
        await person.wait_until_quiet()
        await person.press("A trusted person")
        await person.wait_until_quiet()
        await person.send(words)
        asked = await person.expect("How could you reach them")
        assert words in asked.text, case
        stored = await repo.get_person(person.chat_id)
        assert stored is not None and stored.trusted_name == words, case
        await person.send("/cancel")
        await person.wait_until_quiet()

    # A NUL byte carries nothing a person means: kept without it.
    nia = emulator.person(10_150, "Nia")
    await seed_person(repo, 10_150, clock.now())
    await win(nia, NUL)
    [entry] = await repo.list_entries(10_150)
    assert entry.text == "I waited before answering"


async def test_nothing_visible_is_asked_again_kindly(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    tam = emulator.person(10_201, "Tam")
    await tam.send("/start")
    await tam.expect("Kindling")
    await tam.expect("where are you")
    await tam.send(BLANK)
    await tam.expect("A few words work best here")
    await tam.send("Berlin")
    await tam.expect("Berlin")
    await tam.expect("daily reflection")
    await tam.send("20:00")
    await tam.expect("All set")

    await tam.send(f"/win {BLANK}")
    await tam.expect("What happened?")  # nothing after the command: the question instead
    await tam.send(BLANK)
    await tam.expect(NOT_TEXT)
    await tam.send("\x00")
    await tam.expect(NOT_TEXT)
    await tam.send("/cancel")
    await tam.expect("stopped")

    # The daily prompt is open for an answer: a blank one is not kept as the answer.
    clock.set(BERLIN_EIGHT_PM)
    await tick(bot)
    await tam.expect("write back")
    await tam.send(BLANK)
    await tam.expect("a few typed words work best")
    await tam.send("/settings")
    await tam.wait_until_quiet()
    await tam.press("A trusted person")
    await tam.wait_until_quiet()
    await tam.send(BLANK)
    await tam.expect("A few typed words work here")
    assert await repo.list_entries(10_201) == []
    person = await repo.get_person(10_201)
    assert person is not None and person.trusted_name is None


async def test_more_than_telegram_allows(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    long_words = ("I listened to the whole story without planning my answer. " * 80)[:4200]
    assert len(long_words) > 4096
    max_ = emulator.person(10_301, "Max")
    await seed_person(repo, 10_301, clock.now())
    await max_.send("/win")
    await max_.expect("What happened?")
    await max_.send(long_words)
    await max_.expect(f"saved the first {MAX_ENTRY_CHARS} characters")
    question = await max_.expect("which")
    await max_.press("I listened without fixing")
    await max_.expect_edit("connected", question)
    await max_.press("5")
    await max_.expect_edit("journal", question)
    [entry] = await repo.list_entries(10_301)
    assert entry.text == long_words[:MAX_ENTRY_CHARS].rstrip()

    # The whole entry fits in one message where it is shown whole (the delete question).
    await max_.send("/journal")
    page = await max_.expect("journal")
    assert len(page.text) < 4096
    await max_.press("Delete 1")
    await max_.wait_until_quiet()
    # The delete question holds as much as one message can; "Read 1" shows it whole.
    asked = max_.last.text or ""
    assert entry.text[:3500] in asked and asked.endswith("…")

    await max_.send("/settings")
    await max_.wait_until_quiet()
    await max_.press("A trusted person")
    await max_.wait_until_quiet()
    await max_.send(long_words)
    await max_.expect("a little long")
    person = await repo.get_person(10_301)
    assert person is not None and person.trusted_name is None


async def test_commands_by_name_with_extra_words_or_unknown(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    ash = emulator.person(10_401, "Ash")
    await seed_person(repo, 10_401, clock.now())

    await ash.send("/win@KindlingTestBot I let my sister finish her sentence")
    await ash.expect("which")
    await ash.send("/cancel@KindlingTestBot")
    await ash.expect("stopped")
    await ash.send("/help@KindlingTestBot")
    await ash.expect("/journal")
    await ash.send("/help@SomeOtherBot")  # meant for another bot: not ours to answer
    await ash.send("/journal please, the newest")
    await ash.expect("nothing")  # no entries yet, arguments ignored
    await ash.send("/week of the 3rd")
    await ash.expect("/week last")
    await ash.send("/settings now")
    await ash.expect("Your settings")
    await ash.send("/cancel")
    await ash.wait_until_quiet()
    await ash.send("/frobnicate the widget")
    await ash.expect("I don't know that command")
    await ash.send("/start over please")
    await ash.expect("Welcome back")
    assert await ash.wait_until_quiet() == []
    assert await repo.list_entries(10_401) == []
    person = await repo.get_person(10_401)
    assert person is not None and person.time_zone == "Europe/Berlin"  # nothing reset


async def test_stickers_photos_voice_locations_and_edits_mid_conversation(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    bo = emulator.person(10_501, "Bo")
    await seed_person(repo, 10_501, clock.now())
    said = await bo.send("I'm here")
    await bo.expect("/win")  # outside a flow: the gentle pointer

    await bo.send("/win")
    await bo.expect("What happened?")
    for arrive in (bo.send_sticker, bo.send_photo, bo.send_voice, bo.send_location):
        await arrive()
        await bo.expect(NOT_TEXT)
    # Editing an earlier message is not an answer: a deliberate silence, nothing kept.
    await bo.edit(said, "I'm here, and I held my tongue")
    assert await bo.wait_until_quiet() == []
    await bo.send("I held my tongue when he was late")
    question = await bo.expect("which")
    await bo.send_photo()
    after_photo = await bo.expect("Tapping one of these")
    await bo.send_location()
    after_location = await bo.expect("Tapping one of these")
    await bo.press("I held back judgment")  # on the newest offer
    await bo.expect_edit("connected", after_location)
    # The same buttons on the earlier offers have nothing left to do.
    await bo.wait_for(lambda: question.reply_markup is None and after_photo.reply_markup is None)
    await bo.send_voice()
    numbers_again = await bo.expect("tap a number")
    await bo.press("3")
    await bo.expect_edit("journal", numbers_again)
    await bo.wait_for(lambda: after_location.reply_markup is None)
    assert await bo.wait_until_quiet() == []  # the tap was answered in place
    [entry] = await repo.list_entries(10_501)
    assert (entry.text, entry.tags, entry.rating) == (
        "I held my tongue when he was late",
        ["no_judgment"],
        3,
    )

    # While today's prompt waits for an answer, a photo gets a word on typed answers.
    clock.set(BERLIN_EIGHT_PM)
    await tick(bot)
    await bo.expect("write back")
    await bo.send_sticker()
    await bo.expect("a few typed words work best")
    await bo.send("He smiled when I asked")
    await bo.expect()
    kinds = [e.kind for e in await repo.list_entries(10_501)]
    assert kinds == [EntryKind.REFLECTION, EntryKind.WIN]


async def test_buttons_pressed_twice_stale_or_never_issued(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    gil = emulator.person(10_601, "Gil")
    await seed_person(repo, 10_601, clock.now())
    await gil.send("/win I asked what she needed")
    kinds = await gil.expect("which")
    data = kinds.buttons()[1][0][1]
    assert data is not None
    await gil.press("I listened without fixing")
    await gil.expect_edit("connected", kinds)
    # A second tap on the same button, racing the message being turned into the next question.
    second = await gil.press_data(data, kinds)
    assert await gil.wait_until_quiet() == []
    assert "expired" in next(
        a.get("text", "") for a in gil.answered_callbacks if a["callback_query_id"] == second
    )
    assert kinds.edits == 1  # the refused tap changed nothing on screen
    await gil.press("2")
    await gil.expect_edit("journal", kinds)
    await gil.press_data("win:rate:2", kinds)  # after the flow ended
    assert await gil.wait_until_quiet() == []
    assert kinds.edits == 2  # saved once, said once
    assert [e.rating for e in await repo.list_entries(10_601)] == [2]

    # Last week's prompt, and data nobody ever issued, on a message of ours.
    clock.set(BERLIN_EIGHT_PM)
    await tick(bot)
    prompt = await gil.expect("write back")
    clock.advance(timedelta(days=7))
    await tick(bot)
    await gil.expect("write back")  # this week's
    await gil.press("Skip today", message=prompt)  # a week late: still just a kind line
    [line] = await gil.wait_until_quiet()
    assert "Sorry" not in (line.text or "")
    for forged in (
        "win:rate:9",
        "win:kind:not_a_kind",
        "prompt:later:2026-02-30",
        "prompt:skip:1999-01-01",
        "journal:del:999999:0",
        "onb:time:25:00",
        "\u202e" + "x" * 40,
        "",
    ):
        query = await gil.press_data(forged, prompt)
        assert await gil.wait_until_quiet() == [], forged
        assert gil.callback_answered(query), forged
    assert [e.rating for e in await repo.list_entries(10_601)] == [2]
    # Nothing was scheduled to come back, and only the two prompts were ever sent.
    assert all(d.again_at is None for d in await repo.list_deliveries(10_601))
    assert len(prompts_in(emulator.sent(10_601))) == 2
    assert not [m for m in gil.messages if "Sorry, something went wrong" in (m.text or "")]


async def test_the_same_update_delivered_twice(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    joy = emulator.person(10_701, "Joy")
    await seed_person(repo, 10_701, clock.now())
    await joy.send("/win I said thank you and meant it")
    await joy.expect("which")
    await emulator.deliver_again()  # the command twice: the same question, nothing kept yet
    question = await joy.expect("which")
    await joy.press("I was kind to myself")
    await joy.expect_edit("connected", question)
    await emulator.deliver_again()  # the same tap twice: already past that question
    await joy.wait_until_quiet()
    assert question.edits == 1
    await joy.press("4")
    await joy.expect_edit("journal", question)
    await emulator.deliver_again()  # the saving tap twice: saved once, no second line
    assert await joy.wait_until_quiet() == []
    assert question.edits == 2
    assert [e.text for e in await repo.list_entries(10_701)] == ["I said thank you and meant it"]

    # An answer to the daily prompt, twice: kept once.
    clock.set(BERLIN_EIGHT_PM)
    await tick(bot)
    await joy.expect("write back")
    assert len(prompts_in(emulator.sent(10_701))) == 1
    await joy.send("I noticed my shoulders drop")
    await joy.expect()
    await emulator.deliver_again()
    await joy.wait_until_quiet()
    reflections = await repo.list_entries(10_701, kinds=[EntryKind.REFLECTION])
    assert [e.text for e in reflections] == ["I noticed my shoulders drop"]
    assert not [m for m in joy.messages if "Sorry, something went wrong" in (m.text or "")]


async def test_a_press_on_an_inline_message_and_a_message_without_a_sender(
    emulator: BotApiEmulator,
    bot: KindlingApplication,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Neither happens in a private chat with Kindling (it sends nothing in inline mode, and a
    private message always has a sender), but anyone can send them: the press is answered, the
    message is left alone, and nothing breaks."""
    kai = emulator.person(10_801, "Kai")
    await seed_person(bot.services.repo, 10_801, clock.now())
    with caplog.at_level(logging.WARNING):
        for data in ("jr:page:0", "jr:del:1:0", "win:rate:2", "prompt:skip:2026-11-25", "x:y"):
            query = await kai.press_inline(data)
            await kai.wait_for(lambda query=query: kai.callback_answered(query))
        for text in ("/journal", "/win I waited for my turn", "/help", "I waited for my turn"):
            await kai.send_without_sender(text)
        # Updates are handled in order: once this is answered, those before it were handled.
        await kai.send("/journal")
        page = await kai.expect("Nothing is kept here yet")
    assert kai.messages == [page]
    assert {answer.get("text") for answer in kai.answered_callbacks} == {
        bot.services.ui("common.expired_button_toast")
    }
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


# 4,000 UTF-16 units, the way Telegram counts: one message may hold it (4,096), and Kindling
# keeps a whole message.
EMOJI = "🌱" * 2000


async def test_two_thousand_emoji_wherever_words_are_kept_and_shown_back(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    uma = emulator.person(10_901, "Uma")
    await seed_person(repo, 10_901, clock.now())

    # /setback, every answer typed as 2,000 emoji: each kept whole, nobody told of a cut.
    await uma.send("/setback")
    await uma.expect("what happened")
    await uma.send(EMOJI)
    await uma.expect("How did it leave you feeling?")
    await uma.press("Sad")
    for _ in range(3):  # a self-compassion break, in three short messages
        await uma.next_message()
    await uma.expect("what would you say to them?")
    await uma.send(EMOJI)
    await uma.expect("one small thing to try next time")
    await uma.send(EMOJI)
    # Shown back as much as one message holds, with the closing words; what is kept is whole.
    echo = await uma.expect("Something you might try next time")
    shown = echo.text or ""
    assert "🌱" * 1900 in shown and "🌱…" in shown and "/journal" in shown
    [setback] = await repo.list_entries(10_901)
    assert (setback.text, setback.extra) == (EMOJI, {"friend": EMOJI, "next_time": EMOJI})

    # With its date and kind it still fits one message: its delete question shows it whole.
    await uma.send("/journal")
    page = await uma.expect("Your journal")
    assert "🌱" in (page.text or "")
    await uma.press("Delete 1")
    question = await uma.expect_edit("Delete this entry?", page)
    shown = question.text or ""
    assert "Sad" in shown and shown.endswith(EMOJI)
    assert [e.text for e in await repo.list_entries(10_901)] == [EMOJI]
    await uma.press("Yes, delete it")
    await uma.wait_for(lambda: page.edits == 2)
    assert await repo.list_entries(10_901) == []
