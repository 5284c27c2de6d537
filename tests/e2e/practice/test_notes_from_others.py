"""Notes from others on the path, opt-in both ways: after a win, one short sentence of what
helped is offered; it passes the crisis check and the content check, waits for an operator's
/review, and only then may come, without a name, to someone who turned notes from others on,
after their setback: at most one a day, never their own, never twice. The author can take it
back (/offered); /export and /delete cover it. Nobody else ever learns who wrote it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.app import KindlingApplication
from bot.clock import ManualClock
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator, EmulatedPerson, SentMessage
from storage.models import EntryKind, OfferStatus
from storage.target import DatabaseTarget
from tests.e2e.practice.support import EXPIRED, press_and_check_answered
from tests.harness import make_settings, running_bot, set_up

OPERATOR = 7100
OFFER = "Offer what helped to others"
FROM_OTHERS = "Someone else on this path wrote:"
HELPED = "Taking one slow breath before I answered gave me room to listen."
ALSO_HELPED = "Saying out loud that I needed a minute made the rest easier."


@pytest.fixture
def settings(emulator: BotApiEmulator, database: DatabaseTarget) -> Settings:
    return make_settings(emulator, database, admin_chat_ids=frozenset({OPERATOR}))


async def win(person: EmulatedPerson, clock: ManualClock) -> SentMessage:
    """A whole /win; the message with its closing words."""
    clock.advance(timedelta(minutes=2))
    await person.send("/win I waited a breath before answering my brother")
    kinds = await person.expect("fits it best")
    await press_and_check_answered(person, "I paused before reacting", kinds)
    await person.expect_edit("How connected", kinds)
    await press_and_check_answered(person, "Skip", kinds)
    return await person.expect_edit("/journal", kinds)


async def offer(person: EmulatedPerson, clock: ManualClock, sentence: str) -> SentMessage:
    """A win, then its sentence offered; the reply to the sentence."""
    closing = await win(person, clock)
    assert closing.button_texts() == [OFFER]
    await press_and_check_answered(person, OFFER, closing)
    await person.expect("one short sentence about what helped you")
    await person.send(sentence)
    return await person.next_message()


async def setback(person: EmulatedPerson, clock: ManualClock) -> list[SentMessage]:
    """A whole /setback; whatever came after its closing words."""
    clock.advance(timedelta(minutes=2))
    await person.send("/setback I snapped at my sister")
    await person.expect("How did it leave you feeling?")
    await person.press("Sad")
    for _ in range(3):  # the self-compassion break
        await person.next_message()
    asked = await person.expect("what would you say to them?")
    await person.press("Skip", asked)
    await person.expect_edit("try next time", asked)
    await press_and_check_answered(person, "Skip", asked)
    await person.expect_edit("/journal", asked)
    # Quiet for longer than Telegram's one message a second to a chat after a burst, which
    # the bot keeps: a sentence due after the closing words may be held back that long.
    return await person.wait_until_quiet(quiet=1.5)


def from_others(after: list[SentMessage]) -> list[str]:
    """The sentences from others among ``after``, as quoted."""
    return [
        (m.text or "").split(FROM_OTHERS, 1)[1].strip()
        for m in after
        if FROM_OTHERS in (m.text or "")
    ]


async def turn_on(person: EmulatedPerson) -> None:
    """Notes from others turned on, through /settings."""
    await person.send("/settings")
    menu = await person.expect("settings")
    await person.press("Turn notes from others on", menu)
    await person.expect("Notes from others are on")
    await person.send("/cancel")
    await person.wait_until_quiet()


async def review(operator: EmulatedPerson, choice: str, expected: str) -> SentMessage:
    """/review, the oldest waiting sentence checked, then ``choice`` pressed on it."""
    await operator.send("/review")
    shown = await operator.expect(expected)
    assert shown.button_texts() == ["Approve", "Reject"]
    await press_and_check_answered(operator, choice, shown)
    return shown


async def test_a_sentence_reaches_someone_else_only_after_an_operator_approves_it(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    ana, ben = emulator.person(7101, "Ana"), emulator.person(7102, "Ben")
    operator = emulator.person(OPERATOR, "Olu")
    for chat_id in (7101, 7102):
        await set_up(bot, chat_id)

    # Off by default: Ben's setback brings nothing from anyone until he turns it on.
    assert (await repo.get_person(7102)).others_notes_enabled is False  # type: ignore[union-attr]
    await turn_on(ben)

    reply = await offer(ana, clock, HELPED)
    assert "A person will read it before anyone sees it" in (reply.text or "")
    [kept] = await repo.list_offered_notes(7101)
    assert (kept.text, kept.status) == (HELPED, OfferStatus.PENDING)

    # Pending: invisible to others.
    assert from_others(await setback(ben, clock)) == []

    # The operator sees the sentence alone: nothing about who wrote it, nor when.
    await operator.send("/review")
    shown = await operator.expect(HELPED)
    assert "1 waiting" in (shown.text or "")
    for clue in ("Ana", "7101", "Nov", "25"):
        assert clue not in (shown.text or ""), clue
    await press_and_check_answered(operator, "Approve", shown)
    await operator.expect_edit("Nothing is waiting", shown)
    assert [n.status for n in await repo.list_offered_notes(7101)] == [OfferStatus.APPROVED]

    # Approved: Ben's next setback (the same day: he was given none today) brings it, quoted.
    after = await setback(ben, clock)
    assert from_others(after) == [HELPED]
    [message] = [m for m in after if FROM_OTHERS in (m.text or "")]
    assert f"<blockquote>{HELPED}</blockquote>" in (message.raw_text or "")
    assert "Ana" not in (message.text or "")

    # At most one a day, and never the same one twice.
    await offer(ana, clock, ALSO_HELPED)
    await review(operator, "Approve", ALSO_HELPED)
    assert from_others(await setback(ben, clock)) == []
    clock.advance(timedelta(days=1))
    after = await setback(ben, clock)
    assert from_others(after) == [ALSO_HELPED]
    clock.advance(timedelta(days=1))
    assert from_others(await setback(ben, clock)) == []

    # The author, opted in too, is never given her own.
    await turn_on(ana)
    assert from_others(await setback(ana, clock)) == []


async def test_a_rejected_sentence_is_never_shown_and_the_author_sees_it_was_not_passed_on(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    ana, ben = emulator.person(7201, "Ana"), emulator.person(7202, "Ben")
    operator = emulator.person(OPERATOR, "Olu")
    for chat_id in (7201, 7202):
        await set_up(bot, chat_id)
    await turn_on(ben)
    await offer(ana, clock, HELPED)
    shown = await review(operator, "Reject", HELPED)
    await operator.expect_edit("Nothing is waiting", shown)

    assert from_others(await setback(ben, clock)) == []
    await ana.send("/offered")
    listed = await ana.expect("What you've offered to others")
    assert "not passed on" in (listed.text or "") and HELPED in (listed.text or "")
    assert listed.button_texts() == []  # nothing left to take back


async def test_the_author_takes_a_sentence_back_and_nobody_is_shown_it_again(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    ana, ben = emulator.person(7301, "Ana"), emulator.person(7302, "Ben")
    operator = emulator.person(OPERATOR, "Olu")
    for chat_id in (7301, 7302):
        await set_up(bot, chat_id)
    await turn_on(ben)

    # A pending one, taken back, leaves the review queue.
    await offer(ana, clock, ALSO_HELPED)
    await ana.send("/offered")
    listed = await ana.expect("waiting for a person to read it")
    await press_and_check_answered(ana, "Take back 1", listed)
    await ana.expect_edit("Take this back?", listed)
    await press_and_check_answered(ana, "Yes, take it back", listed)
    await ana.expect_edit("taken back", listed)
    await operator.send("/review")
    await operator.expect("Nothing is waiting")

    # An approved one, taken back, is never given again.
    await offer(ana, clock, HELPED)
    await review(operator, "Approve", HELPED)
    await ana.send("/offered")
    listed = await ana.expect("shared with others")
    assert listed.button_texts() == ["Take back 1"]  # the newest; the other is taken back
    await press_and_check_answered(ana, "Take back 1", listed)
    await ana.expect_edit("Take this back?", listed)
    await press_and_check_answered(ana, "Yes, take it back", listed)
    await ana.expect_edit("taken back", listed)
    assert {n.status for n in await repo.list_offered_notes(7301)} == {OfferStatus.WITHDRAWN}
    assert from_others(await setback(ben, clock)) == []


@pytest.mark.parametrize(
    ("sentence", "named"),
    [
        ("Talking it through with Sarah helped me calm down.", "names of people or places"),
        ("I counted to 10 before I said anything.", "numbers"),
        ("This guide helped me: https://example.org/calm", "links or web addresses"),
        ("Following @calm_daily every morning helped.", "@usernames"),
        ("Calling the line on +44 7700 900123 helped me.", "phone numbers"),
        ("Writing to someone@example.com helped me.", "email addresses"),
    ],
)
async def test_a_sentence_that_could_point_to_someone_is_refused_kindly(
    emulator: BotApiEmulator,
    bot: KindlingApplication,
    clock: ManualClock,
    sentence: str,
    named: str,
) -> None:
    repo = bot.services.repo
    ana = emulator.person(7401, "Ana")
    await set_up(bot, 7401)
    refused = await offer(ana, clock, sentence)
    assert "could you write it again without" in (refused.text or "")
    assert named in (refused.text or "")
    assert refused.button_texts() == ["Leave it"]
    assert await repo.list_offered_notes(7401) == []

    # Tried again without it: offered.
    await ana.send(HELPED)
    await ana.expect("A person will read it before anyone sees it")
    assert [n.text for n in await repo.list_offered_notes(7401)] == [HELPED]


async def test_too_long_asks_for_shorter_and_leave_it_keeps_nothing(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    ana = emulator.person(7501, "Ana")
    await set_up(bot, 7501)
    longer = await offer(ana, clock, "Breathing slowly helped. " * 9)
    assert "up to 200 characters" in (longer.text or "")
    await press_and_check_answered(ana, "Leave it", longer)
    await ana.expect("Nothing was kept")
    assert await ana.wait_until_quiet() == []
    assert await repo.list_offered_notes(7501) == []
    # The flow is over: what Ana writes now is not taken as a sentence.
    await ana.send(HELPED)
    await ana.wait_until_quiet()
    assert await repo.list_offered_notes(7501) == []


async def test_a_crisis_sentence_gets_the_crisis_answer_and_is_never_queued(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    ana = emulator.person(7601, "Ana")
    operator = emulator.person(OPERATOR, "Olu")
    await set_up(bot, 7601)
    reply = await offer(ana, clock, "I want to kill myself")
    assert "Are you safe right now?" in (reply.text or "")
    await ana.wait_until_quiet()
    assert await repo.list_offered_notes(7601) == []
    assert await repo.count_pending_notes() == 0
    await operator.send("/review")
    await operator.expect("Nothing is waiting")

    # For the rest of her day, the earlier win's button waits, and a new win has none.
    query_id = await ana.press(OFFER)
    await ana.wait_for(lambda: ana.callback_answered(query_id))
    assert "leave this for today" in ana.answered_callbacks[-1]["text"]
    assert await ana.wait_until_quiet() == []
    closing = await win(ana, clock)
    assert closing.button_texts() == []


async def test_a_sentence_the_safety_question_held_is_never_queued(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    ana = emulator.person(7651, "Ana")
    await set_up(bot, 7651)
    asked = await offer(ana, clock, "I can't do this anymore")
    assert "Are you safe right now?" in (asked.text or "")
    await press_and_check_answered(ana, "I'm safe right now", asked)
    await ana.expect("carry on")
    # Sent on to where it was going, the sentence is thanked for and let go.
    await ana.expect("I won't pass anything on today")
    assert await ana.wait_until_quiet() == []
    assert await repo.list_offered_notes(7651) == []


async def test_no_sentence_from_others_in_the_day_after_a_crisis(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    ana, ben = emulator.person(7661, "Ana"), emulator.person(7662, "Ben")
    operator = emulator.person(OPERATOR, "Olu")
    for chat_id in (7661, 7662):
        await set_up(bot, chat_id)
    await turn_on(ben)
    await offer(ana, clock, HELPED)
    await review(operator, "Approve", HELPED)

    await ben.send("I want to kill myself")
    await ben.expect("Are you safe right now?")
    await ben.wait_until_quiet()
    clock.advance(timedelta(minutes=5))
    await ben.send("/setback I shouted again")
    feelings = await ben.expect("How did it leave you feeling?")
    await press_and_check_answered(ben, "Sad", feelings)
    await ben.expect_edit("/journal", feelings)  # kept plainly, nothing more asked
    assert from_others(await ben.wait_until_quiet(quiet=1.5)) == []

    # His next day, after a setback, it comes.
    clock.advance(timedelta(days=1))
    assert from_others(await setback(ben, clock)) == [HELPED]


async def test_review_is_for_operators_only(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    ana, eve = emulator.person(7701, "Ana"), emulator.person(7702, "Eve")
    operator = emulator.person(OPERATOR, "Olu")
    await set_up(bot, 7701)
    await offer(ana, clock, HELPED)

    await eve.send("/review")
    answer = await eve.expect()
    assert answer.text == "I don't know that command. /help lists the ones I do."
    assert answer.button_texts() == []
    assert await eve.wait_until_quiet() == []

    # A forged approval from someone who is not an operator changes nothing.
    await operator.send("/review")
    await operator.expect(HELPED)
    [note] = await repo.list_offered_notes(7701)
    query_id = await eve.press_data(f"review:ok:{note.id}", answer)
    await eve.wait_for(lambda: eve.callback_answered(query_id))
    assert EXPIRED in eve.answered_callbacks[-1]["text"]
    assert [n.status for n in await repo.list_offered_notes(7701)] == [OfferStatus.PENDING]


async def test_export_and_delete_cover_offered_sentences(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    ana, ben = emulator.person(7801, "Ana"), emulator.person(7802, "Ben")
    operator = emulator.person(OPERATOR, "Olu")
    for chat_id in (7801, 7802):
        await set_up(bot, chat_id)
    await turn_on(ben)
    await offer(ana, clock, HELPED)
    await review(operator, "Approve", HELPED)
    assert from_others(await setback(ben, clock)) == [HELPED]

    await ana.send("/export")
    await ana.expect("copy")
    document = await ana.next_message()
    data = json.loads(document.file_bytes or b"")
    [offered] = data["offered_to_others"]
    assert (offered["text"], offered["status"]) == (HELPED, "approved")
    assert "chat_id" not in offered
    await ana.wait_until_quiet()

    await ben.send("/export")
    await ben.expect("copy")
    data = json.loads((await ben.next_message()).file_bytes or b"")
    [received] = data["notes_from_others"]
    assert received["text"] == HELPED and set(received) == {"given_at", "text"}
    assert data["person"]["others_notes_enabled"] is True
    await ben.wait_until_quiet()

    await ana.send("/delete")
    ask = await ana.expect("erase everything you've kept")
    await ana.press("Yes, erase everything", ask)
    await ana.wait_for(lambda: ask.edits == 1)
    await ana.press("Erase for good", ask)
    await ana.wait_for(lambda: ask.edits == 2)
    assert await repo.list_offered_notes(7801) == []
    assert await repo.list_notes_received(7802) == []  # gone from every reader too


async def test_with_no_operators_nobody_is_invited_to_offer(
    emulator: BotApiEmulator, database: DatabaseTarget, clock: ManualClock
) -> None:
    async with running_bot(make_settings(emulator, database), clock) as bot:
        ana = emulator.person(7901, "Ana")
        await set_up(bot, 7901)
        closing = await win(ana, clock)
        assert closing.button_texts() == []
        await ana.send("/settings")
        menu = await ana.expect("settings")
        assert not any("notes from others" in b for b in menu.button_texts())


async def test_offering_in_the_middle_of_something_else_loses_no_words(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    ana = emulator.person(7951, "Ana")
    await set_up(bot, 7951)
    closing = await win(ana, clock)

    # Half-way through a setback, the button under the earlier win: the setback's words are
    # set aside with the button that keeps them, as when a command ends a flow.
    await ana.send("/setback I shouted at the kettle")
    await ana.expect("How did it leave you feeling?")
    await press_and_check_answered(ana, OFFER, closing)
    aside = await ana.expect("We left /setback before the end")
    await ana.expect("one short sentence about what helped you")
    await press_and_check_answered(ana, "Keep what I wrote", aside)
    await ana.expect_edit("Kept", aside)
    assert [e.text for e in await repo.list_entries(7951, kinds=[EntryKind.SETBACK])] == [
        "I shouted at the kettle"
    ]

    # /offered in the middle of offering ends the offer quietly and answers.
    await ana.send("/offered")
    await ana.expect("You haven't offered anything to others")
    await ana.send(HELPED)
    await ana.wait_until_quiet()
    assert await repo.list_offered_notes(7951) == []

    # The win can still be offered, once.
    await press_and_check_answered(ana, OFFER, closing)
    await ana.expect("one short sentence about what helped you")
    await ana.send(HELPED)
    await ana.expect("A person will read it before anyone sees it")
    await ana.wait_for(lambda: closing.button_texts() == [])  # the button has done its work
    query_id = await ana.press_data(
        f"offer:start:{(await repo.list_offered_notes(7951))[0].from_entry}", closing
    )
    await ana.wait_for(lambda: ana.callback_answered(query_id))
    assert "offered words for this win already" in ana.answered_callbacks[-1]["text"]
    assert len(await repo.list_offered_notes(7951)) == 1
