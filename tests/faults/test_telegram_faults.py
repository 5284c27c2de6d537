"""When Telegram misbehaves: 429 storms, a person who blocked the bot in the middle of a
broadcast, an answer lost after Telegram took the message, and Telegram unreachable for a while.

Whatever happens, each person gets each nudge at most once, nobody is skipped because somebody
else failed, and the bot recovers by itself.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest

from bot.app import KindlingApplication
from bot.clock import ManualClock
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator
from scheduler.sending import RetryPolicy
from scheduler.ticker import tick, ticker_for
from storage.models import DeliveryStatus
from storage.target import DatabaseTarget
from tests.faults.support import (
    BERLIN_EIGHT_PM,
    poll_from_an_older_server,
    prompts_in,
    send_attempts,
    wait_until,
)
from tests.harness import (
    logging_as_the_bot_sets_it_up,
    make_settings,
    open_repository,
    running_bot,
    seed_person,
)


def refused_then_accepted(
    emulator: BotApiEmulator, chat_id: int, methods: tuple[str, ...] = ("sendMessage",)
) -> list[tuple[float, float]]:
    """For each 429 a chat's send (or other call of ``methods``) got: when it came, and when
    the next try for that chat came."""
    times = [
        (arrived, status)
        for arrived, method, chat, status in emulator.timeline
        if method in methods and chat == chat_id
    ]
    return [
        (refused_at, times[n + 1][0])
        for n, (refused_at, status) in enumerate(times[:-1])
        if status == 429
    ]


async def test_a_429_storm_is_waited_out_and_everyone_gets_one_prompt(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    chats = list(range(6101, 6131))
    for chat in chats:
        emulator.person(chat)
        await seed_person(repo, chat, clock.now())
    # Six sends in a row are refused with "retry after 1 second".
    emulator.faults.fail_next(None, status=429, retry_after=1, times=6)

    clock.set(BERLIN_EIGHT_PM)
    report = await tick(bot)

    assert emulator.stats["429"] == 6
    assert report.count(DeliveryStatus.SENT) == len(chats)
    for chat in chats:
        [prompt] = prompts_in(emulator.sent(chat))
        [row] = await repo.list_deliveries(chat)
        assert (row.status, row.message_id) == (DeliveryStatus.SENT, prompt.message_id)
    # Each refused send was tried again only after the second Telegram asked for.
    retried = [pair for chat in chats for pair in refused_then_accepted(emulator, chat)]
    assert len(retried) == 6
    assert all(again - refused >= 1.0 for refused, again in retried)


async def test_telegrams_own_flood_control_is_waited_out_without_loss_or_copies(
    clock: ManualClock, database: DatabaseTarget
) -> None:
    """An emulator stricter than the bot's limiter (10 messages a second overall instead of 30):
    Telegram answers 429 with its own retry_after, and every prompt still arrives exactly once."""
    async with BotApiEmulator(global_rate=10.0) as emulator:
        async with running_bot(make_settings(emulator, database), clock) as bot:
            chats = list(range(6201, 6231))
            for chat in chats:
                emulator.person(chat)
                await seed_person(bot.services.repo, chat, clock.now())
            clock.set(BERLIN_EIGHT_PM)
            report = await tick(bot)
            rows = {chat: await bot.services.repo.list_deliveries(chat) for chat in chats}
        assert emulator.stats["429"] > 0
        assert report.count(DeliveryStatus.SENT) == len(chats), report.handled
        per_chat = Counter(m.chat_id for m in prompts_in(emulator.sent()))
        assert per_chat == Counter(chats)
        assert all([r.status for r in rows[chat]] == [DeliveryStatus.SENT] for chat in chats)


async def test_a_429_per_chat_during_a_conversation_is_waited_out(
    clock: ManualClock, database: DatabaseTarget
) -> None:
    """Telegram allows a chat only one message a second (edits count too); a quick /win (the
    question, then each tap answered by editing it) runs into it, and nothing is lost or
    doubled."""
    async with BotApiEmulator(per_chat_burst=1, per_chat_rate=1.0) as emulator:
        async with running_bot(make_settings(emulator, database), clock) as bot:
            noa = emulator.person(6301, "Noa")
            await noa.send("/win I asked how her day went and listened")
            question = await noa.expect("which", timeout=10)
            await noa.press("I listened without fixing")
            await noa.expect_edit("connected", question, timeout=10)
            await noa.press("4")
            await noa.expect_edit("journal", question, timeout=10)
            assert await noa.wait_until_quiet(timeout=10) == []
            entries = await bot.services.repo.list_entries(6301)
        assert emulator.stats["429"] >= 1
        assert [(e.text, e.rating) for e in entries] == [
            ("I asked how her day went and listened", 4)
        ]
        # One message, edited once per tap; each step in it once.
        assert [m.message_id for m in emulator.sent(6301)] == [question.message_id]
        assert question.edits == 2 and question.reply_markup is None
        steps = ("Which of these", "How connected", "journal")
        assert {step: (question.text or "").count(step) for step in steps} == dict.fromkeys(
            steps, 1
        )
        retried = refused_then_accepted(emulator, 6301, ("sendMessage", "editMessageText"))
        assert len(retried) == emulator.stats["429"]
        for refused, again in retried:
            assert again - refused >= 1.0


async def test_a_429_storm_longer_than_the_limiters_retries_still_delivers(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    ticker_for(bot).retry = RetryPolicy(sleep=_no_wait)
    emulator.person(6401)
    await seed_person(bot.services.repo, 6401, clock.now())
    emulator.faults.fail_next("sendMessage", status=429, retry_after=1, times=4)
    clock.set(BERLIN_EIGHT_PM)
    await tick(bot)
    assert len(prompts_in(emulator.sent(6401))) == 1
    [row] = await bot.services.repo.list_deliveries(6401)
    assert row.status is DeliveryStatus.SENT


async def _no_wait(seconds: float) -> None:
    """The scheduler's own backoff, skipped (the rate limiter's waits are real)."""


async def test_blocked_in_the_middle_of_a_broadcast(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    repo = bot.services.repo
    chats = list(range(6501, 6521))
    for chat in chats:
        emulator.person(chat)
        await seed_person(repo, chat, clock.now())
    blocked = emulator.person(6510, "Rui")
    blocked.block()

    clock.set(BERLIN_EIGHT_PM)
    report = await tick(bot)
    assert report.count(DeliveryStatus.SENT) == 19
    assert report.count(DeliveryStatus.FAILED) == 1
    for chat in chats:
        expected = 0 if chat == 6510 else 1
        assert len(prompts_in(emulator.sent(chat))) == expected
    [row] = await repo.list_deliveries(6510)
    assert (row.status, row.error) == (DeliveryStatus.FAILED, "Forbidden")
    rui = await repo.get_person(6510)
    assert rui is not None and not rui.active

    # The next evening everyone else gets theirs and Rui is not even tried.
    tries = send_attempts(emulator, 6510)
    clock.advance(timedelta(days=1))
    report = await tick(bot)
    assert report.count(DeliveryStatus.SENT) == 19
    assert send_attempts(emulator, 6510) == tries

    # Rui unblocks and says /start: welcomed back, nudges on again from now, no backlog.
    blocked.unblock()
    await blocked.send("/start")
    back = await blocked.expect("Welcome back")
    assert "8:00 PM" in back.text
    rui = await repo.get_person(6510)
    assert rui is not None and rui.active
    assert rui.next_prompt_at == BERLIN_EIGHT_PM + timedelta(days=2)
    clock.advance(timedelta(days=1))
    await tick(bot)
    assert len(prompts_in(emulator.sent(6510))) == 1


async def test_an_answer_lost_after_telegram_took_the_message_is_never_sent_again(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    ticker = ticker_for(bot)
    ticker.retry = RetryPolicy(sleep=_no_wait)
    ticker.read_timeout = 0.3
    for chat in (6601, 6602, 6603):
        emulator.person(chat)
        await seed_person(bot.services.repo, chat, clock.now())
    # The first send is taken by Telegram; its answer arrives far too late.
    emulator.faults.delay_next("sendMessage", 3.0, then_accept=True)
    clock.set(BERLIN_EIGHT_PM)
    report = await tick(bot)
    assert report.count(DeliveryStatus.SENT) == 2
    assert report.count(DeliveryStatus.FAILED) == 1
    for later in (timedelta(minutes=1), timedelta(hours=1)):
        clock.set(BERLIN_EIGHT_PM + later)
        await tick(bot)
    for chat in (6601, 6602, 6603):
        assert len(prompts_in(emulator.sent(chat))) == 1
        assert send_attempts(emulator, chat) == 1


async def test_telegram_unreachable_for_a_while_then_back(
    emulator: BotApiEmulator, bot: KindlingApplication, clock: ManualClock
) -> None:
    """Connections refused: polling backs off instead of spinning, the nudge being sent is
    retried and arrives once, and a message sent meanwhile is answered once Telegram is back."""
    for chat in (6701, 6702):
        emulator.person(chat)
        await seed_person(bot.services.repo, chat, clock.now())
    await emulator.wait_for_poller()
    emulator.faults.refuse_connections(True)

    # The scheduler's backoff: Telegram comes back once a send has waited twice (1 s, then
    # 2 s). The two sends may run side by side, so their waits can interleave.
    waits: list[float] = []

    async def wait_then_recover(seconds: float) -> None:
        waits.append(seconds)
        if seconds >= 2.0:
            emulator.faults.refuse_connections(False)

    ticker_for(bot).retry = RetryPolicy(sleep=wait_then_recover)
    lea = emulator.person(6701, "Lea")
    dropped_before = emulator.stats["dropped"]
    await asyncio.sleep(2.0)  # real time: how the updater behaves while nothing gets through
    polls_while_down = emulator.stats["dropped"] - dropped_before
    assert 1 <= polls_while_down <= 4  # backing off (1 s, 1.5 s ...), not spinning

    await lea.send("/help")  # queued at Telegram while the bot cannot reach it
    clock.set(BERLIN_EIGHT_PM)
    report = await tick(bot)
    assert sorted(set(waits)) == [1.0, 2.0]
    assert report.count(DeliveryStatus.SENT) == 2
    for chat in (6701, 6702):
        assert len(prompts_in(emulator.sent(chat))) == 1
        [row] = await bot.services.repo.list_deliveries(chat)
        assert row.status is DeliveryStatus.SENT

    # Polling finds its way back by itself and answers what waited, once.
    def helped() -> list[str]:
        return [m.text or "" for m in emulator.sent(6701) if "/journal" in (m.text or "")]

    await lea.wait_for(lambda: len(helped()) == 1, timeout=10, what="the /help reply")
    await lea.wait_until_quiet()
    assert len(helped()) == 1
    assert len(emulator.sent(6701)) == 2  # the prompt and the help, nothing twice


async def test_a_press_too_old_to_answer_still_does_its_work(
    clock: ManualClock, database: DatabaseTarget
) -> None:
    """Telegram takes an answer to a press only for a short while; a press that waited (the bot
    was down) or came a second time can no longer be answered, and the step still does its work:
    no apology, the entry kept once."""
    async with BotApiEmulator(callback_answer_timeout=-1.0) as emulator:  # every answer too late
        async with running_bot(make_settings(emulator, database), clock) as bot:
            ada = emulator.person(6801, "Ada")
            await ada.send("/win I asked before hugging her")
            question = await ada.expect("which")
            await ada.press("I held back judgment")
            await ada.expect_edit("connected", question)
            await ada.press("5")
            done = await ada.expect_edit("journal", question)
            assert await ada.wait_until_quiet() == []
            assert (done.edits, done.reply_markup) == (2, None)
            [entry] = await bot.services.repo.list_entries(6801)
        assert (entry.text, entry.rating) == ("I asked before hugging her", 5)
        assert ada.answered_callbacks == []
        assert emulator.stats["400"] == 2  # both answers refused, neither step failed


WORDS = "Okapi-words-7731"


@pytest.mark.parametrize("level", ["DEBUG", "INFO", "WARNING", "ERROR"])
async def test_an_update_the_library_cannot_read_is_skipped_and_the_rest_answered(
    level: str,
    emulator: BotApiEmulator,
    settings: Settings,
    clock: ManualClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ana, ben = emulator.person(6501, "Ana"), emulator.person(6502, "Ben")
    async with open_repository(settings) as repo:
        for person in (ana, ben):
            await seed_person(repo, person.chat_id, clock.now())
    # Queued before the bot polls, so they all come in its first getUpdates answer: the poll
    # between two people's messages, and one more after it.
    await ana.send(f"/win {WORDS} I let her finish")
    poll = await emulator.deliver_raw(poll_from_an_older_server(ana, WORDS))
    await ben.send(f"{WORDS} is how I feel")
    await ana.send("/help")
    with logging_as_the_bot_sets_it_up(level, secrets=[emulator.token]):
        async with running_bot(settings, clock):
            await ana.expect("which")
            await ben.expect("I'm here")
            await ana.expect("hasn't been kept")  # /help left the /win with its words
            await ana.expect("/journal")
            # Nothing was fetched twice: the poll was confirmed with the rest.
            await ben.send("/help")
            await ben.expect("/journal")
            # (Confirmed by the poll after it, which may follow the reply by a moment.)
            await wait_until(lambda: emulator.pending_updates == [], what="all confirmed")
    logged = capsys.readouterr().err
    assert WORDS not in logged
    assert "Traceback" not in logged and "CRITICAL" not in logged
    skipped = f"update skipped unreadable update_id={poll['update_id']} type=message"
    assert logged.count(skipped) == (0 if level == "ERROR" else 1), logged
    polls = [params for method, params in emulator.calls if method == "getUpdates"]
    assert {tuple(params["allowed_updates"]) for params in polls} == {
        ("message", "edited_message", "callback_query")
    }
