"""The scheduler's tick: daily prompts, their one "Later" re-send, and weekly recaps, each sent at
the person's local time, at most once.

The database is the source of truth. ``people.next_prompt_at`` / ``next_recap_at`` (UTC, computed
from the person's IANA zone and local time by ``scheduler.plan``) say what is due, and a "Later"
re-send is ``again_at`` on the prompt's delivery row. There is no job per person in memory: one
JobQueue job calls :func:`tick` every ``settings.tick_seconds``, and a tick works through
whatever is due, oldest first, ``BATCH_SIZE`` people per query, until nothing due is left.

For every due nudge, in this order:

    hold?  quiet (/pause, /settings), prompts off, or more than GRACE late (the bot was down)
           ──> recorded as skipped; the next one is scheduled after the quiet ends, or after now
    claim  the delivery row (unique per person, kind and local date) BEFORE sending
           ──> not ours (sent before a restart, another tick has it, or a crash mid-send):
               nothing is sent
    send   through the rate limiter, retrying network errors (``scheduler.sending``)
    record sent with its message id, or failed with the error type (403: the person blocked
           the bot and becomes inactive), then move ``next_*_at`` strictly past the handled due
           (unless /settings changed it meanwhile: the newer schedule wins)

Concurrent ticks are harmless: an asyncio lock serialises them in one process, and the claim
makes a second copy impossible even across processes sharing the database file.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from telegram import Message
from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.content.library import Prompt
from bot.rate_limits import BULK
from bot.recap import compose_weekly_recap, week_to_recap
from handlers.prompt_buttons import prompt_keyboard
from scheduler.plan import next_prompt_at, next_recap_at
from scheduler.sending import RetryPolicy, send_with_retry
from scheduler.timecalc import is_valid_zone, local_date_of
from storage.models import Delivery, DeliveryKind, DeliveryStatus, Person
from storage.priority import bulk_work, not_bulk_work

if TYPE_CHECKING:
    from bot.app import KindlingApplication

log = logging.getLogger(__name__)

JOB_NAME = "scheduler-tick"

# A nudge found this late (the bot was down) is still sent; later than this it is recorded as
# skipped and the next one scheduled, so coming back never means a flood of stale prompts.
GRACE = timedelta(hours=3)
# People fetched per query; a tick loops until none are due.
BATCH_SIZE = 200
# Nudges handled at once within a batch; the rate limiter sets the actual pace. Each one waits
# for the database (behind any reply's calls: storage/priority.py) as well as for Telegram, so
# about a second of the bulk budget (25 a second) is kept in flight: with 8, a busy machine's
# slower commits held a 2,000-person fan-out to 1.3 times its floor (bench/RESULTS.md).
SEND_CONCURRENCY = 32
# Prompts chosen in this many recent deliveries are not picked again while others remain.
RECENT_PROMPTS = 30
# A quiet spell longer than this (or "until I turn them back on") is re-checked this often.
QUIET_LOOKAHEAD = timedelta(days=30)

# Why a due nudge was skipped (kept in the delivery's error column).
QUIET = "quiet"
PROMPTS_OFF = "prompts_off"
STALE = "stale"
NO_ZONE = "no_zone"
INACTIVE = "inactive"

# A handled nudge another tick or an earlier run had already claimed.
TAKEN = "taken"


@dataclass(frozen=True, slots=True)
class Handled:
    """What became of one due nudge in a tick."""

    kind: DeliveryKind
    chat_id: int
    status: str  # a DeliveryStatus value, or TAKEN
    detail: str | None = None  # why it was skipped, or the error type when it failed


@dataclass(slots=True)
class TickReport:
    """What one tick did: the batches it fetched (chat ids, in order) and each outcome."""

    now: datetime
    batches: list[tuple[DeliveryKind, list[int]]] = field(default_factory=list)
    handled: list[Handled] = field(default_factory=list)

    def count(self, status: str, kind: DeliveryKind | None = None) -> int:
        return sum(1 for h in self.handled if h.status == status and kind in (None, h.kind))


@dataclass(slots=True)
class Ticker:
    """One application's scheduler settings and the lock that keeps its ticks one at a time."""

    batch_size: int = BATCH_SIZE
    concurrency: int = SEND_CONCURRENCY
    grace: timedelta = GRACE
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Seconds to wait for Telegram's answer to a send (None: python-telegram-bot's default).
    read_timeout: float | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


_tickers: WeakKeyDictionary[Any, Ticker] = WeakKeyDictionary()

# One due nudge: whose, which (its kind, or for a re-send its local date), and when it fell due.
_Key = tuple[int, str, datetime | None]


def ticker_for(application: KindlingApplication) -> Ticker:
    """The application's ticker, made on first use (tests adjust its fields)."""
    ticker = _tickers.get(application)
    if ticker is None:
        ticker = _tickers[application] = Ticker()
    return ticker


async def tick(application: KindlingApplication) -> TickReport:
    """Send everything due at ``services.clock.now()``; safe to call at any time, concurrently."""
    ticker = ticker_for(application)
    # Bulk work at the database too: a reply's calls go first (storage/priority.py).
    async with ticker.lock:
        with bulk_work():
            run = _Run(application, ticker, application.services.clock.now())
            await run.drain(DeliveryKind.PROMPT)
            await run.drain(DeliveryKind.PROMPT_AGAIN)
            await run.drain(DeliveryKind.RECAP)
        report = run.report
    if report.handled:
        log.info(
            "tick due=%d sent=%d skipped=%d failed=%d taken=%d",
            len(report.handled),
            report.count(DeliveryStatus.SENT),
            report.count(DeliveryStatus.SKIPPED),
            report.count(DeliveryStatus.FAILED),
            report.count(TAKEN),
        )
    return report


@dataclass(slots=True)
class _Due:
    """One due nudge being handled: whose, when it fell due, where its schedule goes next."""

    kind: DeliveryKind
    chat_id: int
    at: datetime
    following: datetime | None = None
    advanced: bool = False  # the schedule has already moved on (together with the claim)
    changes: dict[str, Any] = field(default_factory=dict)  # other person fields to store


def _zone(person: Person) -> ZoneInfo | None:
    if not person.time_zone or not is_valid_zone(person.time_zone):
        return None
    return ZoneInfo(person.time_zone)


class _Run:
    """One tick's work, at one instant ``now``."""

    def __init__(self, application: KindlingApplication, ticker: Ticker, now: datetime) -> None:
        self.services = application.services
        self.repo = application.services.repo
        self.bot = application.bot
        self.ticker = ticker
        self.now = now
        self.report = TickReport(now)
        self._slots = asyncio.Semaphore(ticker.concurrency)

    # -- the loop ----------------------------------------------------------------------------
    async def drain(self, kind: DeliveryKind) -> None:
        """Handle every nudge of ``kind`` due now, a bounded batch at a time, oldest first."""
        seen: set[_Key] = set()
        while True:
            items: list[tuple[_Key, Callable[[], Awaitable[Handled]]]]
            if kind is DeliveryKind.PROMPT_AGAIN:
                rows = await self.repo.due_prompt_agains(self.now, self.ticker.batch_size)
                items = [((r.chat_id, r.local_date, r.again_at), self._again_job(r)) for r in rows]
            else:
                people = await self.repo.due_people(kind, self.now, self.ticker.batch_size)
                items = [
                    ((p.chat_id, kind, _due(p, kind)), self._person_job(kind, p)) for p in people
                ]
            # Everything handled moves past its due instant, so a key seen twice would mean no
            # progress: stop rather than spin (the next tick tries again).
            fresh = [(key, job) for key, job in items if key not in seen]
            if not fresh:
                return
            seen.update(key for key, _ in fresh)
            self.report.batches.append((kind, [key[0] for key, _ in fresh]))
            await asyncio.gather(*(self._guarded(kind, key[0], job) for key, job in fresh))

    def _person_job(self, kind: DeliveryKind, person: Person) -> Callable[[], Awaitable[Handled]]:
        if kind is DeliveryKind.RECAP:
            return lambda: self._recap(person)
        return lambda: self._prompt(person)

    def _again_job(self, row: Delivery) -> Callable[[], Awaitable[Handled]]:
        return lambda: self._prompt_again(row)

    async def _guarded(
        self, kind: DeliveryKind, chat_id: int, job: Callable[[], Awaitable[Handled]]
    ) -> None:
        """Run one nudge; a failure is logged and never stops the rest of the batch."""
        async with self._slots:
            try:
                handled = await job()
            except Exception as error:
                log.error(
                    "delivery kind=%s status=error type=%s",
                    kind,
                    type(error).__name__,
                    exc_info=error,
                )
                handled = Handled(kind, chat_id, "error", type(error).__name__)
        self.report.handled.append(handled)

    # -- deciding ----------------------------------------------------------------------------
    def _hold_reason(self, person: Person, due: _Due) -> str | None:
        """Why this due nudge is not to be sent now, if it is not."""
        if person.is_quiet(self.now):
            return QUIET
        if due.kind is not DeliveryKind.RECAP and not person.prompts_enabled:
            return PROMPTS_OFF
        if self.now - due.at > self.ticker.grace:
            return STALE
        return None

    def _resume_after(self, person: Person, due: datetime) -> datetime:
        """The instant after which the next nudge is scheduled.

        Strictly after the one handled, and never more than GRACE before now: after a long
        downtime the stale ones are passed over in one step instead of one by one. While quiet,
        after the quiet ends, so no backlog waits when it does.
        """
        after = max(due, self.now - self.ticker.grace)
        if person.is_quiet(self.now) and person.quiet_until is not None:
            after = max(after, min(person.quiet_until, self.now + QUIET_LOOKAHEAD))
        return after

    # -- the three kinds ---------------------------------------------------------------------
    async def _prompt(self, person: Person) -> Handled:
        assert person.next_prompt_at is not None
        due = _Due(DeliveryKind.PROMPT, person.chat_id, person.next_prompt_at)
        try:
            zone = _zone(person)
            if zone is None:  # nothing can be scheduled without a zone; /start sets one
                await self._tell_zone_lost(person)
                return self._outcome(due, DeliveryStatus.SKIPPED, NO_ZONE)
            local_date = local_date_of(due.at, zone).isoformat()
            due.following = next_prompt_at(person, self._resume_after(person, due.at))
            reason = self._hold_reason(person, due)
            if reason is not None:
                return await self._skip(due, local_date, reason)
            recent = await self.repo.recent_prompt_ids(person.chat_id, RECENT_PROMPTS)
            prompt = self.services.library.pick_prompt(
                self.services.rng, gentle=person.gentle_next, exclude=frozenset(recent)
            )
            if not await self._claim(due, local_date, prompt.id):
                return self._outcome(due, TAKEN)
            text = self.services.ui("scheduler.prompt", prompt=prompt.text)
            markup = prompt_keyboard(self.services.ui, local_date)
            handled = await self._deliver(
                due, local_date, lambda: self._send_text(person.chat_id, text, markup)
            )
            if handled.status == DeliveryStatus.SENT and person.gentle_next:
                due.changes["gentle_next"] = False
            return handled
        finally:
            await self._move_on(due)

    async def _prompt_again(self, row: Delivery) -> Handled:
        assert row.again_at is not None
        due = _Due(DeliveryKind.PROMPT_AGAIN, row.chat_id, row.again_at)
        try:
            person = await self.repo.get_person(row.chat_id)
            if person is None or not person.active:
                return self._outcome(due, DeliveryStatus.SKIPPED, INACTIVE)
            reason = self._hold_reason(person, due)
            if reason is not None:
                return await self._skip(due, row.local_date, reason)
            prompt = self._prompt_or_new(row.prompt_id)
            if person.is_tender(self.now) and not prompt.gentle:
                # A crisis or a check since "Later" was tapped: a gentle prompt instead.
                prompt = self.services.library.pick_prompt(self.services.rng, gentle=True)
            if not await self._claim(due, row.local_date, prompt.id):
                return self._outcome(due, TAKEN)
            text = self.services.ui("scheduler.prompt_again", prompt=prompt.text)
            markup = prompt_keyboard(self.services.ui, row.local_date)
            return await self._deliver(
                due, row.local_date, lambda: self._send_text(row.chat_id, text, markup)
            )
        finally:
            await self.repo.clear_prompt_again(row.chat_id, row.local_date)
            await self._move_on(due)

    async def _recap(self, person: Person) -> Handled:
        assert person.next_recap_at is not None
        due = _Due(DeliveryKind.RECAP, person.chat_id, person.next_recap_at)
        try:
            zone = _zone(person)
            if zone is None:
                if not person.prompts_enabled:  # otherwise the skipped prompt said it
                    await self._tell_zone_lost(person)
                return self._outcome(due, DeliveryStatus.SKIPPED, NO_ZONE)
            local_day = local_date_of(due.at, zone)
            due.following = next_recap_at(person, self._resume_after(person, due.at))
            reason = self._hold_reason(person, due)
            if reason is not None:
                return await self._skip(due, local_day.isoformat(), reason)
            if not await self._claim(due, local_day.isoformat()):
                return self._outcome(due, TAKEN)
            return await self._deliver(
                due, local_day.isoformat(), lambda: self._send_recap(person, local_day)
            )
        finally:
            await self._move_on(due)

    def _prompt_or_new(self, prompt_id: str | None) -> Prompt:
        """The prompt sent first, or (if the content no longer has it) a fresh one."""
        library = self.services.library
        if prompt_id is not None:
            try:
                return library.prompt(prompt_id)
            except KeyError:
                pass
        return library.pick_prompt(self.services.rng)

    # -- claiming, sending and recording -----------------------------------------------------
    async def _claim(self, due: _Due, local_date: str, prompt_id: str | None = None) -> bool:
        """Claim the delivery before anything is sent; a prompt or recap moves its schedule on
        in the same transaction. False when it was claimed before (then nothing is sent)."""
        if due.kind is DeliveryKind.PROMPT_AGAIN:
            return await self.repo.claim_delivery(
                due.chat_id, due.kind, local_date, self.now, prompt_id
            )
        claimed = await self.repo.claim_and_advance(
            due.chat_id,
            due.kind,
            local_date,
            self.now,
            handled=due.at,
            following=due.following,
            prompt_id=prompt_id,
        )
        due.advanced = True
        return claimed

    async def _tell_zone_lost(self, person: Person) -> None:
        """Say once, in place of the nudge, that nudges rest until the zone is set again.

        Once: the skipped nudge is not scheduled again (there is no zone to schedule it in), so
        this person is not due again until /settings or /start sets a zone. A person who never
        had a zone is not told that one was lost."""
        if not person.time_zone:
            return
        try:
            await self._send_text(person.chat_id, self.services.ui("reliability.zone_lost"))
        except TelegramError as error:
            # Blocked, or Telegram down past the retries: the skip is recorded all the same.
            log.info("zone_lost not sent type=%s", type(error).__name__)

    async def _move_on(self, due: _Due) -> None:
        """Whatever happened, move past the handled due (nobody is stuck as "due"), and store
        what else changed."""
        if due.kind is not DeliveryKind.PROMPT_AGAIN and not due.advanced:
            await self.repo.advance_due(due.chat_id, due.kind, due.at, due.following)
        if due.changes:
            await self.repo.update_person(due.chat_id, **due.changes)

    async def _send_text(self, chat_id: int, text: str, markup: Any = None) -> Message:
        return await send_with_retry(
            lambda: self.bot.send_message(
                chat_id,
                text,
                reply_markup=markup,
                read_timeout=self.ticker.read_timeout,
                rate_limit_args=BULK,
            ),
            self.ticker.retry,
        )

    async def _send_recap(self, person: Person, local_day: date) -> Message:
        week = week_to_recap(local_day, person.recap_weekday)
        recap = await compose_weekly_recap(self.services, person, week)
        if recap.chart_png:
            chart = recap.chart_png
            # Each message is retried on its own, so a failed text never repeats the chart.
            await send_with_retry(
                lambda: self.bot.send_photo(
                    person.chat_id,
                    chart,
                    caption=recap.chart_caption,
                    read_timeout=self.ticker.read_timeout,
                    rate_limit_args=BULK,
                ),
                self.ticker.retry,
            )
        return await self._send_text(person.chat_id, recap.text)

    async def _deliver(
        self, due: _Due, local_date: str, send: Callable[[], Awaitable[Message]]
    ) -> Handled:
        """Send a claimed nudge and record how it went.

        A claimed delivery that never gets here (the process died between claim and send) stays
        "claimed" and is never sent again: we cannot know whether Telegram already had it, and a
        missed nudge costs a fragile person far less than the same nudge twice. At most once is
        the promise.
        """
        with self.services.sends_in_flight.sending(due.chat_id):
            return await self._send_and_record(due, local_date, send)

    async def _send_and_record(
        self, due: _Due, local_date: str, send: Callable[[], Awaitable[Message]]
    ) -> Handled:
        try:
            message = await send()
        except Exception as error:
            if isinstance(error, Forbidden):
                # Blocked (or the account is gone): no more nudges until /start reactivates.
                due.changes["active"] = False
            await self.repo.finish_delivery(
                due.chat_id,
                due.kind,
                local_date,
                DeliveryStatus.FAILED,
                self.services.clock.now(),
                error=type(error).__name__,
            )
            return self._outcome(due, DeliveryStatus.FAILED, type(error).__name__)
        # Not behind the rest of the fan-out: the person may answer the moment the message
        # arrives, and the answer is read against this record (handlers/prompt_reply.py).
        with not_bulk_work():
            await self.repo.finish_delivery(
                due.chat_id,
                due.kind,
                local_date,
                DeliveryStatus.SENT,
                self.services.clock.now(),
                message_id=message.message_id,
            )
        return self._outcome(due, DeliveryStatus.SENT)

    async def _skip(self, due: _Due, local_date: str, reason: str) -> Handled:
        """Record a due nudge as skipped (claimed, so it can never be sent later either)."""
        if not await self._claim(due, local_date):
            return self._outcome(due, TAKEN)
        await self.repo.finish_delivery(
            due.chat_id, due.kind, local_date, DeliveryStatus.SKIPPED, self.now, error=reason
        )
        return self._outcome(due, DeliveryStatus.SKIPPED, reason)

    def _outcome(self, due: _Due, status: str, detail: str | None = None) -> Handled:
        # One line per outcome: kind, status, why, and how late. Never a chat id, a name or text.
        log.info(
            "delivery kind=%s status=%s detail=%s late_s=%d",
            due.kind,
            status,
            detail or "-",
            max(0, int((self.now - due.at).total_seconds())),
        )
        return Handled(due.kind, due.chat_id, status, detail)


def _due(person: Person, kind: DeliveryKind) -> datetime | None:
    return person.next_recap_at if kind is DeliveryKind.RECAP else person.next_prompt_at


async def _tick_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The JobQueue's entry: one tick, unless the previous one is still sending."""
    application: KindlingApplication = context.application  # type: ignore[assignment]
    if ticker_for(application).lock.locked():
        return
    await tick(application)


def register(application: KindlingApplication) -> None:
    """Start the one repeating job that sends whatever is due."""
    job_queue = application.job_queue
    if job_queue is None:
        raise RuntimeError("the scheduler needs python-telegram-bot[job-queue]")
    interval = application.services.settings.tick_seconds
    job_queue.run_repeating(
        _tick_job,
        interval=interval,
        # One interval after start-up (30 s by default): what came due while the bot was down
        # goes out soon, and a test that moves the clock gets a tick only when it asks for one.
        first=interval,
        name=JOB_NAME,
        # A second instance may start while a long tick still sends; it sees the lock and
        # returns at once, instead of APScheduler warning that a run was skipped.
        job_kwargs={"max_instances": 2, "coalesce": True},
    )
