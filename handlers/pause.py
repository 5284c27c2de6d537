"""/pause: for hard moments. One calm message, four choices, nothing asked of the person.

    /pause ──> "what would help right now?" (above it, when one is due, words the person once
               wrote to themselves: bot/kept_notes.py) ──> MENU
      Ground with me ──> 5-4-3-2-1, one sense per message (Done, Skip, Stop) ──> GROUNDING
          GROUNDING ──(Done, Skip or a typed reply)──> the next sense ... ──> closing + check-in
          GROUNDING ──(Stop)──> check-in
      Breathe with me ──> one message, edited in time with the breath by a timer ──> BREATHING
          BREATHING ──(the rounds end)──> closing + check-in;  ──(Stop)──> check-in
      Quiet my nudges ──> a day / three days / a week / until /resume ──> QUIET ──> confirmed, done
      I need help now ──> the help lines for the person's country (and their trusted person), done
    check-in "how are you now?" ──(better)──> a kind line, done
                                ──(same)──> a kind line and the two exercises again, done
                                ──(worse)──> help lines, their trusted person, the exercises again

The four choices are also entry points, so a "Ground with me" button on an older message (the
crisis reply, a "worse" check-in) always works, even when no flow is running.

/pause keeps no record of the moment: no entry is written. It only marks the next daily prompt
to be a gentle one (``gentle_next``), and "Quiet my nudges" stores the quiet time the person
chose. The breathing timer is a JobQueue job per phase; it stops quietly when the person taps
Stop, leaves the flow (/cancel, another command, a crisis message), or the message can no longer
be edited, and it never lets an edit failure reach the person.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Job,
    MessageHandler,
)

from bot.content.library import BreathPhase
from bot.content.ui import UiTexts
from bot.formatting import escape, zone_label
from bot.kept_notes import give_back
from bot.locales import sender_locale
from bot.services import Services, services
from handlers.entry_text import (
    ANY_MESSAGE,
    LIVE_BUTTONS_KEY,
    close_keyboards,
    drop_draft,
    from_live_message,
    get_draft,
    refuse_button,
    send_with_buttons,
    start_draft,
)
from handlers.flow import END, Flow
from handlers.groups import HandlerGroup
from handlers.settings import show_when
from scheduler.plan import schedule_fields
from scheduler.timecalc import is_valid_zone
from storage.models import QUIET_UNTIL_TURNED_BACK_ON, Person

log = logging.getLogger(__name__)

# A note given back above the menu is quoted whole, so only one that leaves it room is chosen.
NOTE_MAX_CHARS = 3800
FLOW = "pause"
MENU, GROUNDING, BREATHING, CHECK_IN, QUIET = range(5)

# Callback data: pause:<action>[:<value>], matched by anchored patterns (\Z, not $, so a forged
# trailing newline is refused too).
CB = "pause"
CHOICES = ("ground", "breathe", "quiet", "help")
GROUND_WITH_ME = f"{CB}:go:ground"
BREATHE_WITH_ME = f"{CB}:go:breathe"
STEP_ACTIONS = ("done", "skip", "stop")
BREATH_STOP = f"{CB}:breath:stop"
QUIET_SPANS: dict[str, timedelta | None] = {
    "day": timedelta(days=1),
    "3days": timedelta(days=3),
    "week": timedelta(days=7),
    "resume": None,  # until the person sends /resume
}
CHECK_IN_ANSWERS = ("better", "same", "worse")

PATTERN_CHOICE = rf"^{CB}:go:({'|'.join(CHOICES)})\Z"
PATTERN_STEP = rf"^{CB}:step:[1-9]:({'|'.join(STEP_ACTIONS)})\Z"
PATTERN_BREATH_STOP = rf"^{BREATH_STOP}\Z"
PATTERN_QUIET = rf"^{CB}:quiet:({'|'.join(QUIET_SPANS)})\Z"
PATTERN_CHECK = rf"^{CB}:check:({'|'.join(CHECK_IN_ANSWERS)})\Z"


# --- what the person reads -----------------------------------------------------------------


def _rows(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    """One button per row: in a hard moment a big target beats a compact one."""
    return InlineKeyboardMarkup([[button] for button in buttons])


def menu_keyboard(ui: UiTexts) -> InlineKeyboardMarkup:
    return _rows(
        InlineKeyboardButton(ui("pause.ground_button"), callback_data=GROUND_WITH_ME),
        InlineKeyboardButton(ui("pause.breathe_button"), callback_data=BREATHE_WITH_ME),
        InlineKeyboardButton(ui("pause.quiet_button"), callback_data=f"{CB}:go:quiet"),
        InlineKeyboardButton(ui("pause.help_button"), callback_data=f"{CB}:go:help"),
    )


def exercises_keyboard(ui: UiTexts) -> InlineKeyboardMarkup:
    """The two exercises, offered again after a check-in or with a crisis reply."""
    return _rows(
        InlineKeyboardButton(ui("pause.ground_button"), callback_data=GROUND_WITH_ME),
        InlineKeyboardButton(ui("pause.breathe_button"), callback_data=BREATHE_WITH_ME),
    )


def ground_keyboard(ui: UiTexts) -> InlineKeyboardMarkup:
    """Just "Ground with me": the one gentle next step after a crisis reply."""
    return _rows(InlineKeyboardButton(ui("pause.ground_button"), callback_data=GROUND_WITH_ME))


def step_keyboard(ui: UiTexts, step: int) -> InlineKeyboardMarkup:
    def button(action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            ui(f"pause.{action}_button"), callback_data=f"{CB}:step:{step}:{action}"
        )

    return InlineKeyboardMarkup([[button("done"), button("skip")], [button("stop")]])


def check_in_keyboard(svc: Services) -> InlineKeyboardMarkup:
    return _rows(
        *(
            InlineKeyboardButton(answer.label, callback_data=f"{CB}:check:{answer.id}")
            for answer in svc.library.check_in.answers
        )
    )


def quiet_keyboard(ui: UiTexts) -> InlineKeyboardMarkup:
    labels = {
        "day": "pause.quiet_day_button",
        "3days": "pause.quiet_three_days_button",
        "week": "pause.quiet_week_button",
        "resume": "pause.quiet_until_resume_button",
    }
    return _rows(
        *(
            InlineKeyboardButton(ui(labels[span]), callback_data=f"{CB}:quiet:{span}")
            for span in QUIET_SPANS
        )
    )


def trusted_line(ui: UiTexts, person: Person | None) -> str | None:
    """The person's own trusted contact, if they named one in /settings."""
    if person is None or not person.trusted_name:
        return None
    name = escape(person.trusted_name)
    if person.trusted_contact:
        return ui("pause.trusted_with_contact", name=name, contact=escape(person.trusted_contact))
    return ui("pause.trusted_name_only", name=name)


def help_text(
    svc: Services, person: Person | None, lead: str, *, about_others: bool = False
) -> str:
    """``lead``, then every help line for the person's country, the emergency number, and
    their trusted person: one message, no emoji.

    With ``about_others`` (someone is worried about what is happening to another person, or
    to them at home) the country's abuse lines come first, then the crisis lines; a line
    listed in both is shown once."""
    resources = svc.library.help_for(person.country if person else None)
    lines = [*resources.abuse, *resources.lines] if about_others else list(resources.lines)
    parts = [lead]
    shown: set[tuple[str, str]] = set()
    for line in lines:
        if (line.name, line.contact) in shown:
            continue
        shown.add((line.name, line.contact))
        parts.append(
            svc.ui("pause.help_line", name=line.name, contact=line.contact, note=line.note)
        )
    parts.append(svc.ui("pause.help_emergency", emergency=resources.emergency))
    trusted = trusted_line(svc.ui, person)
    if trusted:
        parts.append(trusted)
    return "\n\n".join(parts)


def directory_url(svc: Services, person: Person | None) -> str:
    """A helpline directory page for the person's country (a worldwide one when the country
    is unknown or unlisted), for a "pause.directory_button" link button."""
    return svc.library.help_for(person.country if person else None).directory


# --- small chores --------------------------------------------------------------------------


def _chat_id(update: Update) -> int:
    return update.effective_chat.id  # type: ignore[union-attr]


async def mark_next_prompt_gentle(svc: Services, chat_id: int) -> Person | None:
    """The next daily prompt will be a gentle one. A setting, not a record of the moment; and
    someone who never started Kindling gets no row just for asking for help."""
    person = await svc.repo.get_person(chat_id)
    if person is None:
        return None
    if person.gentle_next:
        return person
    return await svc.repo.update_person(chat_id, gentle_next=True)


async def take_keyboard_off(update: Update) -> bool:
    """Answer the press and take the buttons off the pressed message.

    False when they were already gone: a second tap of the same button, to be ignored.
    """
    query = update.callback_query
    assert query is not None
    await query.answer()
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as exc:
        if "not modified" in exc.message.lower():
            return False
        log.info("pause buttons not closed: %s", type(exc).__name__)
    return True


async def edit_or_send(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    message_id: int | None,
    text: str,
    markup: InlineKeyboardMarkup | None,
) -> int:
    """Change a message in place, or send a new one when it cannot be changed any more."""
    if message_id is not None:
        try:
            await context.bot.edit_message_text(text, chat_id, message_id, reply_markup=markup)
            return message_id
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return message_id
            log.info("pause message not edited: %s", type(exc).__name__)
    sent = await context.bot.send_message(chat_id, text, reply_markup=markup)
    return sent.message_id


async def ask_check_in(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    lead: str,
    *,
    message_id: int | None = None,
) -> int:
    """Ask how the person is now, under ``lead`` (a closing or stopping line)."""
    svc = services(context)
    draft = get_draft(context, FLOW) or start_draft(context, FLOW)
    text = f"{lead}\n\n{svc.library.check_in.question}"
    shown = await edit_or_send(context, chat_id, message_id, text, check_in_keyboard(svc))
    draft[LIVE_BUTTONS_KEY] = [shown]
    return CHECK_IN


# --- breathing: one message, edited on a timer ---------------------------------------------


@dataclass
class BreathingRun:
    """One person's breathing exercise in progress (memory only: a restart simply ends it)."""

    chat_id: int
    user_id: int
    message_id: int
    intro: str
    phases: tuple[BreathPhase, ...]
    rounds: int
    step: int = 0  # which phase of which round is showing: round = step // len(phases)
    job: Job[Any] | None = None
    finished: bool = False
    # Held while the message is being edited, so Stop never lands in the middle of an edit
    # and is never overwritten by a late one.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def total_steps(self) -> int:
        return len(self.phases) * self.rounds

    @property
    def phase(self) -> BreathPhase:
        return self.phases[self.step % len(self.phases)]

    def text(self, ui: UiTexts) -> str:
        phase = self.phase
        shown = ui(
            "pause.breath_phase",
            label=phase.label,
            seconds=phase.seconds,
            round=self.step // len(self.phases) + 1,
            rounds=self.rounds,
        )
        return f"{self.intro}\n\n{shown}"


@dataclass
class BreathingTimers:
    """The breathing runs in progress, one per chat, created once in ``register``."""

    flow: Flow | None = None
    runs: dict[int, BreathingRun] = field(default_factory=dict)

    def job_name(self, chat_id: int) -> str:
        return f"{FLOW}-breathing-{chat_id}"

    async def stop(self, chat_id: int) -> BreathingRun | None:
        """End the chat's run, if any: no further edit will be made after this returns."""
        run = self.runs.pop(chat_id, None)
        if run is None:
            return None
        async with run.lock:
            run.finished = True
            if run.job is not None:
                run.job.schedule_removal()
        return run

    def _seconds(self, svc: Services, phase: BreathPhase) -> float:
        return svc.settings.breathing_phase_seconds or float(phase.seconds)

    def _schedule(self, context: ContextTypes.DEFAULT_TYPE, run: BreathingRun) -> None:
        assert context.job_queue is not None
        run.job = context.job_queue.run_once(
            self.tick,
            when=self._seconds(services(context), run.phase),
            data=run,
            name=self.job_name(run.chat_id),
            chat_id=run.chat_id,
            user_id=run.user_id,
        )

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Show the first side of the box and start the timer."""
        svc = services(context)
        chat_id = _chat_id(update)
        user_id = update.effective_user.id  # type: ignore[union-attr]
        await self.stop(chat_id)
        breathing = svc.library.breathing
        run = BreathingRun(
            chat_id=chat_id,
            user_id=user_id,
            message_id=0,
            intro=breathing.intro,
            phases=breathing.phases,
            rounds=breathing.rounds,
        )
        stop = InlineKeyboardMarkup(
            [[InlineKeyboardButton(svc.ui("pause.stop_button"), callback_data=BREATH_STOP)]]
        )
        draft = start_draft(context, FLOW)
        sent = await context.bot.send_message(chat_id, run.text(svc.ui), reply_markup=stop)
        run.message_id = sent.message_id
        draft[LIVE_BUTTONS_KEY] = [sent.message_id]
        self.runs[chat_id] = run
        self._schedule(context, run)
        return BREATHING

    def _still_breathing(self, run: BreathingRun) -> bool:
        """The person is still in this exercise (not cancelled, elsewhere, or in crisis)."""
        if run.finished or self.runs.get(run.chat_id) is not run:
            return False
        state = self.flow.active_state(run.chat_id, run.user_id) if self.flow else BREATHING
        return state == BREATHING

    async def tick(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """One phase has passed: show the next one, or close with "how are you now?"."""
        assert context.job is not None
        run: BreathingRun = context.job.data  # type: ignore[assignment]
        svc = services(context)
        async with run.lock:
            if not self._still_breathing(run):
                if not run.finished:
                    await self._left(context, run)
                return
            run.step += 1
            if run.step >= run.total_steps:
                self.runs.pop(run.chat_id, None)
                run.finished = True
                await self._close(context, run)
                return
            stop = InlineKeyboardMarkup(
                [[InlineKeyboardButton(svc.ui("pause.stop_button"), callback_data=BREATH_STOP)]]
            )
            try:
                await context.bot.edit_message_text(
                    run.text(svc.ui), run.chat_id, run.message_id, reply_markup=stop
                )
            except BadRequest as exc:
                if "not modified" not in exc.message.lower():
                    # Deleted, too old, or otherwise beyond editing: end quietly.
                    log.info("breathing stopped: message not editable (%s)", type(exc).__name__)
                    self.runs.pop(run.chat_id, None)
                    run.finished = True
                    return
            except Forbidden:
                log.info("breathing stopped: the person blocked the bot")
                self.runs.pop(run.chat_id, None)
                run.finished = True
                return
            except TelegramError as exc:
                # A slow or failed network call: skip this edit and keep the rhythm.
                log.info("breathing edit skipped: %s", type(exc).__name__)
            self._schedule(context, run)

    async def _close(self, context: ContextTypes.DEFAULT_TYPE, run: BreathingRun) -> None:
        """The rounds are done: the closing line and the check-in, in the same message."""
        svc = services(context)
        text = f"{svc.library.breathing.closing}\n\n{svc.library.check_in.question}"
        try:
            shown = await edit_or_send(
                context, run.chat_id, run.message_id, text, check_in_keyboard(svc)
            )
        except TelegramError as exc:
            log.info("breathing closing not shown: %s", type(exc).__name__)
            return
        # The job carries the person's user id, so their draft is at hand (and persisted).
        draft = get_draft(context, FLOW)
        if draft is not None:
            draft[LIVE_BUTTONS_KEY] = [shown]

    async def _left(self, context: ContextTypes.DEFAULT_TYPE, run: BreathingRun) -> None:
        """The person left mid-exercise: take the Stop button away and say nothing more."""
        self.runs.pop(run.chat_id, None)
        run.finished = True
        try:
            await context.bot.edit_message_reply_markup(
                run.chat_id, run.message_id, reply_markup=None
            )
        except TelegramError as exc:
            log.info("breathing buttons not closed: %s", type(exc).__name__)

    async def stop_pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Stop: end the timer and ask how the person is now, in the same message."""
        query = update.callback_query
        assert query is not None and query.message is not None
        draft = get_draft(context, FLOW)
        if draft is None or not from_live_message(draft, query):
            await refuse_button(query, context)
            return BREATHING
        await query.answer()
        await self.stop(_chat_id(update))
        return await ask_check_in(
            context,
            _chat_id(update),
            services(context).ui("pause.breathing_stopped"),
            message_id=query.message.message_id,
        )


# --- the steps -----------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """One calm message with the four choices; the next prompt will be a gentle one."""
    svc = services(context)
    draft = start_draft(context, FLOW)
    await mark_next_prompt_gentle(svc, _chat_id(update))
    menu = svc.ui("pause.menu")
    # Words the person once wrote to themselves, above the choices, when one is due.
    note = await give_back(svc, _chat_id(update), max_length=NOTE_MAX_CHARS)
    text = menu if note is None else f"{note}\n\n{menu}"
    await send_with_buttons(context, _chat_id(update), draft, text, menu_keyboard(svc.ui))
    return MENU


async def choose(
    update: Update, context: ContextTypes.DEFAULT_TYPE, timers: BreathingTimers
) -> int | None:
    """One of the four choices, from the menu or from any message that offers it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not await take_keyboard_off(update):
        return None  # the same button twice: the first tap already started it
    svc = services(context)
    chat_id = _chat_id(update)
    await timers.stop(chat_id)
    await mark_next_prompt_gentle(svc, chat_id)
    choice = query.data.rsplit(":", 1)[-1]
    if choice == "ground":
        return await start_grounding(update, context)
    if choice == "breathe":
        return await timers.start(update, context)
    if choice == "quiet":
        draft = start_draft(context, FLOW)
        await send_with_buttons(
            context, chat_id, draft, svc.ui("pause.quiet_ask"), quiet_keyboard(svc.ui)
        )
        return QUIET
    return await help_now(update, context)


async def help_now(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Every help line for the person's country, their trusted person, in one message."""
    svc = services(context)
    chat_id = _chat_id(update)
    person = await svc.repo.get_person(chat_id)
    drop_draft(context)
    await context.bot.send_message(
        chat_id,
        help_text(svc, person, svc.ui("pause.help_intro")),
        disable_web_page_preview=True,
    )
    return END


async def start_grounding(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The first sense, after one line of introduction."""
    svc = services(context)
    draft = start_draft(context, FLOW, step=1)
    grounding = svc.library.grounding
    text = f"{grounding.intro}\n\n{grounding.steps[0]}"
    await send_with_buttons(context, _chat_id(update), draft, text, step_keyboard(svc.ui, 1))
    return GROUNDING


async def next_sense(
    update: Update, context: ContextTypes.DEFAULT_TYPE, draft: dict[str, Any]
) -> int:
    """Move on one sense; after the last, the closing line and "how are you now?"."""
    svc = services(context)
    grounding = svc.library.grounding
    step = int(draft.get("step", 1)) + 1
    if step > len(grounding.steps):
        return await ask_check_in(context, _chat_id(update), grounding.closing)
    draft["step"] = step
    await send_with_buttons(
        context, _chat_id(update), draft, grounding.steps[step - 1], step_keyboard(svc.ui, step)
    )
    return GROUNDING


async def grounding_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Done or Skip moves to the next sense; Stop ends early, which is fine."""
    query = update.callback_query
    assert query is not None and query.data is not None
    draft = get_draft(context, FLOW)
    _, _, step, action = query.data.split(":")
    if draft is None or int(step) != draft.get("step") or not from_live_message(draft, query):
        await refuse_button(query, context)
        return GROUNDING
    await take_keyboard_off(update)
    draft.pop(LIVE_BUTTONS_KEY, None)
    if action == "stop":
        return await ask_check_in(
            context, _chat_id(update), services(context).ui("pause.grounding_stopped")
        )
    return await next_sense(update, context, draft)


async def grounding_words(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A typed reply ("a lamp, the window") counts as Done: the next sense follows."""
    draft = get_draft(context, FLOW)
    if draft is None or "step" not in draft:
        return await lost_track(update, context)
    await close_keyboards(context, _chat_id(update), draft)
    return await next_sense(update, context, draft)


async def check_in_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """How the person is now: a kind line; on "worse", help and their trusted person."""
    query = update.callback_query
    assert query is not None and query.data is not None
    svc = services(context)
    draft = get_draft(context, FLOW)
    if draft is None or not from_live_message(draft, query):
        await refuse_button(query, context)
        return CHECK_IN
    await take_keyboard_off(update)
    drop_draft(context)
    answer = svc.library.check_in.answer(query.data.rsplit(":", 1)[-1])
    chat_id = _chat_id(update)
    if answer.id == "better":
        await context.bot.send_message(chat_id, answer.reply)
    elif answer.id == "same":
        text = f"{answer.reply}\n\n{svc.ui('pause.try_another')}"
        await context.bot.send_message(chat_id, text, reply_markup=exercises_keyboard(svc.ui))
    else:
        person = await svc.repo.get_person(chat_id)
        text = f"{help_text(svc, person, answer.reply)}\n\n{svc.ui('pause.try_another')}"
        await context.bot.send_message(
            chat_id, text, reply_markup=exercises_keyboard(svc.ui), disable_web_page_preview=True
        )
    return END


async def quiet_choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Quiet nudges for the chosen time and say, in the person's time, when they come back."""
    query = update.callback_query
    assert query is not None and query.data is not None
    svc = services(context)
    draft = get_draft(context, FLOW)
    if draft is None or not from_live_message(draft, query):
        await refuse_button(query, context)
        return QUIET
    await take_keyboard_off(update)
    drop_draft(context)
    chat_id = _chat_id(update)
    now = svc.clock.now()
    span = QUIET_SPANS[query.data.rsplit(":", 1)[-1]]
    until = QUIET_UNTIL_TURNED_BACK_ON if span is None else now + span
    person = await svc.repo.ensure_person(chat_id, now)
    if person.quiet_until is not None and person.quiet_until > until:
        # A longer quiet is already set (from /settings or an earlier /pause): shortening it
        # without a word would bring nudges back sooner than the person asked.
        kept = _longer_quiet_kept(svc, person, sender_locale(update))
        await context.bot.send_message(chat_id, kept)
        return END
    # Stored with freshly computed due times, as every change to quiet is (see /settings).
    person = await svc.repo.update_person(
        chat_id, quiet_until=until, **schedule_fields(replace(person, quiet_until=until), now)
    )
    if span is None:
        text = svc.ui("pause.quiet_saved_until_resume")
    else:
        text = svc.ui(
            "pause.quiet_saved",
            when=show_when(until, person, sender_locale(update), svc.ui),
            zone=zone_label(_zone_name(person)),
        )
    await context.bot.send_message(chat_id, text)
    return END


def _longer_quiet_kept(svc: Services, person: Person, locale: str) -> str:
    if person.quiet_until is not None and person.quiet_until >= QUIET_UNTIL_TURNED_BACK_ON:
        return svc.ui("pause.quiet_longer_kept_until_resume")
    assert person.quiet_until is not None
    return svc.ui(
        "pause.quiet_longer_kept",
        when=show_when(person.quiet_until, person, locale, svc.ui),
        zone=zone_label(_zone_name(person)),
    )


async def buttons_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Words or a sticker where a tap was asked for: a gentle word, and the buttons stay."""
    await update.effective_message.reply_text(services(context).ui("pause.buttons_only"))  # type: ignore[union-attr]


async def lost_track(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The draft is gone (it should not be): say so plainly and offer the way back."""
    await context.bot.send_message(_chat_id(update), services(context).ui("pause.lost_track"))
    return END


def _zone_name(person: Person) -> str:
    return person.time_zone if person.time_zone and is_valid_zone(person.time_zone) else "UTC"


def register(application: Application) -> None:  # type: ignore[type-arg]
    timers = BreathingTimers()
    flow = Flow(
        name=FLOW,
        entry_points=[
            CommandHandler("pause", start),
            CallbackQueryHandler(partial(choose, timers=timers), pattern=PATTERN_CHOICE),
        ],
        states={
            MENU: [MessageHandler(ANY_MESSAGE, buttons_only)],
            GROUNDING: [
                CallbackQueryHandler(grounding_button, pattern=PATTERN_STEP),
                MessageHandler(ANY_MESSAGE, grounding_words),
            ],
            BREATHING: [
                CallbackQueryHandler(timers.stop_pressed, pattern=PATTERN_BREATH_STOP),
                CallbackQueryHandler(check_in_answer, pattern=PATTERN_CHECK),
                MessageHandler(ANY_MESSAGE, buttons_only),
            ],
            CHECK_IN: [
                CallbackQueryHandler(check_in_answer, pattern=PATTERN_CHECK),
                MessageHandler(ANY_MESSAGE, buttons_only),
            ],
            QUIET: [
                CallbackQueryHandler(quiet_choice, pattern=PATTERN_QUIET),
                MessageHandler(ANY_MESSAGE, buttons_only),
            ],
        },
    )
    timers.flow = flow
    application.add_handler(flow, group=HandlerGroup.PAUSE)
