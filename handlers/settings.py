"""/settings: one calm menu where a person changes everything about their nudges.

    /settings ──> summary + menu ──> MENU
    MENU ──(Reflection time)──> TIME ──(button or typed time)──────────────> menu
    MENU ──(Time zone)──> ZONE ──(city, offset or current clock)──────────> menu
    MENU ──(How often)──> FREQUENCY ──(every day / weekdays / 3 a week)───> menu
    MENU ──(Weekly look back)──> RECAP_DAY ──(day)──> RECAP_TIME ──(time)──> menu
    MENU ──(Turn daily prompts on/off, Turn routines check on/off, Turn counts on/off,
            Turn notes from others on/off)──> menu
          (turning prompts on without a time asks for one in TIME first)
    MENU ──(Quiet my nudges)──> QUIET ──(a day .. until I turn them back on, resume)──> menu
    MENU ──(Country for help)──> COUNTRY ──(typed country, a choice, skip, remove)──> menu
    MENU ──(A trusted person)──> TRUSTED_NAME ──(name or keep)──> TRUSTED_CONTACT ──> menu
                                 TRUSTED_NAME ──(remove)──────────────────────────────> menu
    MENU ──(Therapy)──> THERAPY ──(yes / not now / I'd like to / rather not say)──> menu
    MENU ──(Done)──> end.  A question has Back, to the menu unchanged, until the first answer
    of a two-part setting is kept (RECAP_TIME, TRUSTED_CONTACT offer "keep" instead).

One choice at a time: each change is stored at once, confirmed in one line, and the menu comes
back. Buttons live on one message at a time, so nothing on screen offers a choice that no longer
applies. A change that moves when nudges are due also stores freshly computed ``next_prompt_at`` /
``next_recap_at`` in the same write, because the scheduler reads only the database. Quiet is just
``quiet_until`` (the scheduler skips sends until then); "until I turn them back on" is the
far-future ``QUIET_UNTIL_TURNED_BACK_ON``. Someone not set up yet is pointed to /start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.content.ui import UiTexts
from bot.country_lookup import country_by_code, find_countries
from bot.formatting import (
    escape,
    local_now,
    show_date,
    show_time,
    show_weekday,
    zone_label,
)
from bot.locales import sender_locale
from bot.notes_from_others import offering_open
from bot.services import services
from bot.zone_lookup import ZoneMatch, look_up_zone
from handlers.common import help_line
from handlers.entry_text import close_buttons, visible_text
from handlers.flow import END, Flow
from handlers.groups import HandlerGroup
from handlers.place_choice import PLACE_NUMBERS, chosen_place, forget_places, place_question
from scheduler.plan import schedule_fields
from scheduler.timecalc import Frequency, is_valid_zone, parse_local_time
from storage.models import QUIET_UNTIL_TURNED_BACK_ON, THERAPIST_ANSWERS, Person

log = logging.getLogger(__name__)

(
    MENU,
    TIME,
    ZONE,
    FREQUENCY,
    RECAP_DAY,
    RECAP_TIME,
    QUIET,
    COUNTRY,
    TRUSTED_NAME,
    TRUSTED_CONTACT,
    THERAPY,
) = range(11)

PROMPT_TIMES = ("07:00", "08:00", "09:00", "12:30", "18:00", "20:00", "21:30")
RECAP_TIMES = ("09:00", "12:00", "17:00", "18:00", "19:00", "20:00")
QUIET_SPANS = {"day": timedelta(days=1), "3days": timedelta(days=3), "week": timedelta(days=7)}
# Names and contacts are shown back in short lines and offered by /pause; keep them short.
TRUSTED_MAX_CHARS = 100

# Settings whose change moves when the next prompt or recap is due.
TIMING_FIELDS = frozenset(
    {
        "time_zone",
        "prompt_time",
        "prompt_frequency",
        "prompts_enabled",
        "recap_weekday",
        "recap_time",
        "quiet_until",
    }
)

# Callback data: settings:<action>[:<value>]. Every pattern is anchored so forged or foreign data
# never reaches a step; it falls through to the "expired button" reply instead.
CB = "settings"
_HHMM = r"([01]\d|2[0-3]):[0-5]\d"
PATTERN_OPEN = rf"^{CB}:open:(time|zone|freq|recap|quiet|country|trusted|therapy)\Z"
THERAPY_CHOICES = (*THERAPIST_ANSWERS, "unsaid")
PATTERN_THERAPY = rf"^{CB}:therapy:({'|'.join(THERAPY_CHOICES)})\Z"
PATTERN_PROMPTS = rf"^{CB}:prompts:(on|off)\Z"
PATTERN_ROUTINES = rf"^{CB}:routines:(on|off)\Z"
PATTERN_COUNTS = rf"^{CB}:counts:(on|off)\Z"
PATTERN_OTHERS = rf"^{CB}:others:(on|off)\Z"
PATTERN_DONE = rf"^{CB}:done\Z"
PATTERN_BACK = rf"^{CB}:back\Z"
PATTERN_TIME = rf"^{CB}:time:{_HHMM}\Z"
PATTERN_FREQUENCY = rf"^{CB}:freq:({'|'.join(f.value for f in Frequency)})\Z"
PATTERN_RECAP_DAY = rf"^{CB}:recapday:[0-6]\Z"
PATTERN_RECAP_TIME = rf"^{CB}:recaptime:{_HHMM}\Z"
PATTERN_QUIET = rf"^{CB}:quiet:({'|'.join(QUIET_SPANS)}|until|resume)\Z"
PATTERN_COUNTRY = rf"^{CB}:country:([A-Z]{{2}}|skip|remove|retry)\Z"
PATTERN_TRUSTED_NAME = rf"^{CB}:trustedname:(keep|remove)\Z"
PATTERN_TRUSTED_CONTACT = rf"^{CB}:trustedcontact:keep\Z"
PATTERN_PLACE = rf"^{CB}:place:{PLACE_NUMBERS}\Z"

# Not "no": that is Norway's code.
SKIP_WORDS = frozenset({"skip", "none", "nothing"})
# user_data key: the message whose buttons are still live, so the next set can replace them.
KEYBOARD_KEY = "settings_keyboard"


# --- small helpers -------------------------------------------------------------------------


def _chat_id(update: Update) -> int:
    return update.effective_chat.id  # type: ignore[union-attr]


def _button(label: str, action: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=f"{CB}:{action}")


def _keyboard(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(row) for row in rows if row])


def _rows(buttons: list[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def _back_row(ui: UiTexts) -> list[InlineKeyboardButton]:
    return [_button(ui("settings.back_button"), "back")]


def _zone(person: Person) -> ZoneInfo:
    valid = person.time_zone and is_valid_zone(person.time_zone)
    return ZoneInfo(person.time_zone) if valid else ZoneInfo("UTC")  # type: ignore[arg-type]


def show_when(instant: datetime, person: Person, locale: str, ui: UiTexts) -> str:
    """A moment in the person's own zone: 'Thursday, November 26 at 10:00 AM'."""
    local = instant.astimezone(_zone(person))
    return ui(
        "settings.when",
        weekday=show_weekday(local.weekday(), locale),
        date=show_date(local.date(), locale),
        time=show_time(local.time().replace(second=0, microsecond=0), locale),
    )


def _quiet_indefinitely(person: Person) -> bool:
    return person.quiet_until is not None and person.quiet_until >= QUIET_UNTIL_TURNED_BACK_ON


async def _person(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Person | None:
    """The person, if they are set up; otherwise point them to /start and return None."""
    person = await services(context).repo.get_person(_chat_id(update))
    if person is None or not person.onboarded:
        await _say(update, context, services(context).ui("settings.not_onboarded"))
        return None
    return person


async def _save(context: ContextTypes.DEFAULT_TYPE, person: Person, **changes: Any) -> Person:
    """Store the changes; when they move a due time, store the recomputed due times with them."""
    svc = services(context)
    if TIMING_FIELDS & changes.keys():
        changes |= schedule_fields(replace(person, **changes), svc.clock.now())
    return await svc.repo.update_person(person.chat_id, **changes)


async def _say(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Send one message. Buttons live on one message at a time: offering new ones clears the
    previous set, so the chat never holds choices that no longer apply."""
    chat_id = _chat_id(update)
    user_data: dict[str, Any] = context.user_data  # type: ignore[assignment]
    if markup is not None and (previous := user_data.pop(KEYBOARD_KEY, None)) is not None:
        await close_buttons(context, chat_id, previous)
    sent = await context.bot.send_message(chat_id, text, reply_markup=markup)
    if markup is not None:
        user_data[KEYBOARD_KEY] = sent.message_id


async def _take_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """Answer the press and clear that message's buttons, so an old choice can't be made twice."""
    query = update.callback_query
    assert query is not None and query.data is not None and query.message is not None
    await query.answer()
    user_data: dict[str, Any] = context.user_data  # type: ignore[assignment]
    if user_data.get(KEYBOARD_KEY) == query.message.message_id:
        del user_data[KEYBOARD_KEY]
    await close_buttons(context, _chat_id(update), query.message.message_id)
    return query.data


async def _refuse_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A well-formed button whose value isn't valid (forged or out of date): change nothing."""
    await update.callback_query.answer(services(context).ui("common.expired_button_toast"))  # type: ignore[union-attr]


def _value(data: str) -> str:
    """What follows ``settings:<action>:`` (a value may itself hold a colon, as in 20:00)."""
    return data.split(":", 2)[2]


# --- the menu ------------------------------------------------------------------------------


def summary_lines(person: Person, locale: str, ui: UiTexts, now: datetime) -> list[str]:
    """One short line per setting, in the person's locale and zone."""
    lines: list[str] = []
    if person.prompts_enabled and person.prompt_time:
        lines.append(
            ui(
                "settings.line_prompt_on",
                time=show_time(person.prompt_time, locale),
                frequency=ui(f"settings.frequency.{Frequency(person.prompt_frequency).value}"),
            )
        )
    else:
        lines.append(ui("settings.line_prompt_off"))
    if person.time_zone and is_valid_zone(person.time_zone):
        lines.append(
            ui(
                "settings.line_zone",
                zone=escape(zone_label(person.time_zone)),
                local_time=show_time(local_now(person.time_zone, now), locale),
            )
        )
    elif person.time_zone:  # a name tzdata has since dropped: ask again
        lines.append(ui("reliability.settings_zone_lost"))
    else:
        lines.append(ui("settings.line_zone_unset"))
    lines.append(
        ui(
            "settings.line_recap",
            day=show_weekday(person.recap_weekday, locale),
            time=show_time(person.recap_time, locale),
        )
    )
    if _quiet_indefinitely(person):
        lines.append(ui("settings.line_quiet_indefinitely"))
    elif person.quiet_until is not None and person.is_quiet(now):
        when = show_when(person.quiet_until, person, locale, ui)
        lines.append(ui("settings.line_quiet_until", when=when))
    else:
        lines.append(ui("settings.line_nudges_on"))
    country = country_by_code(person.country) if person.country else None
    if country is not None:
        lines.append(ui("settings.line_country", country=escape(country.name)))
    elif person.country:  # a code the city list knows but ISO 3166 doesn't (XK, Kosovo)
        lines.append(ui("settings.line_country", country=escape(person.country)))
    else:
        lines.append(ui("settings.line_country_unset"))
    if person.trusted_name and person.trusted_contact:
        lines.append(
            ui(
                "settings.line_trusted_with_contact",
                name=escape(person.trusted_name),
                contact=escape(person.trusted_contact),
            )
        )
    elif person.trusted_name:
        lines.append(ui("settings.line_trusted", name=escape(person.trusted_name)))
    else:
        lines.append(ui("settings.line_trusted_unset"))
    lines.append(
        ui("settings.line_routines_on" if person.routines_enabled else "settings.line_routines_off")
    )
    return lines


def menu_keyboard(
    person: Person, ui: UiTexts, now: datetime, *, others_offered: bool = False
) -> InlineKeyboardMarkup:
    """The menu's buttons. ``others_offered``: operators read offered sentences, so notes from
    others can be turned on (someone who has them on can always turn them off)."""
    prompts = (
        _button(ui("settings.prompts_off_button"), "prompts:off")
        if person.prompts_enabled and person.prompt_time
        else _button(ui("settings.prompts_on_button"), "prompts:on")
    )
    quiet_label = (
        "settings.quiet_change_button" if person.is_quiet(now) else "settings.quiet_button"
    )
    routines = (
        _button(ui("settings.routines_off_button"), "routines:off")
        if person.routines_enabled
        else _button(ui("settings.routines_on_button"), "routines:on")
    )
    counts = (
        _button(ui("counts.settings_off_button"), "counts:off")
        if person.counts_enabled
        else _button(ui("counts.settings_on_button"), "counts:on")
    )
    sharing = [counts]
    if person.others_notes_enabled:
        sharing.append(_button(ui("others.settings_off_button"), "others:off"))
    elif others_offered:
        sharing.append(_button(ui("others.settings_on_button"), "others:on"))
    return _keyboard(
        [
            [
                _button(ui("settings.time_button"), "open:time"),
                _button(ui("settings.zone_button"), "open:zone"),
            ],
            [
                _button(ui("settings.frequency_button"), "open:freq"),
                _button(ui("settings.recap_button"), "open:recap"),
            ],
            [prompts],
            [_button(ui(quiet_label), "open:quiet")],
            [
                _button(ui("settings.country_button"), "open:country"),
                _button(ui("settings.trusted_button"), "open:trusted"),
            ],
            [routines, _button(ui("therapy.settings_button"), "open:therapy")],
            sharing,
            [_button(ui("settings.done_button"), "done")],
        ]
    )


async def show_menu(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    person: Person,
    confirmation: str = "",
    *,
    summary: bool = True,
) -> int:
    """The menu again: after a change, its one-line confirmation; otherwise the full summary
    (or, coming back from a question, just the menu)."""
    svc = services(context)
    now = svc.clock.now()
    if confirmation:
        text = f"{confirmation}\n\n{svc.ui('settings.anything_else')}"
    elif not summary:
        text = svc.ui("settings.back_to_menu")
    else:
        lines = summary_lines(person, sender_locale(update), svc.ui, now)
        text = svc.ui("settings.menu", lines="\n".join(lines))
    keyboard = menu_keyboard(person, svc.ui, now, others_offered=offering_open(svc))
    await _say(update, context, text, keyboard)
    return MENU


# --- entry, menu choices and leaving -------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Show the current settings and the menu (or point someone new to /start)."""
    context.user_data.pop("draft", None)  # type: ignore[union-attr]
    person = await _person(update, context)
    if person is None:
        return END
    return await show_menu(update, context, person)


async def open_choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A menu button: ask the one question that setting needs."""
    choice = _value(await _take_button(update, context))
    person = await _person(update, context)
    if person is None:
        return END
    asks = {
        "time": ask_time,
        "zone": ask_zone,
        "freq": ask_frequency,
        "recap": ask_recap_day,
        "quiet": ask_quiet,
        "country": ask_country,
        "trusted": ask_trusted_name,
        "therapy": ask_therapy,
    }
    return await asks[choice](update, context, person)


async def back(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Back to the menu, nothing changed."""
    await _take_button(update, context)
    context.user_data.pop("draft", None)  # type: ignore[union-attr]
    person = await _person(update, context)
    if person is None:
        return END
    return await show_menu(update, context, person, summary=False)


async def done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Close the menu."""
    await _take_button(update, context)
    await _say(update, context, services(context).ui("settings.done"))
    return END


async def buttons_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """Typing (or a sticker) where only buttons are offered: say so kindly, stay put."""
    await _say(update, context, services(context).ui("settings.buttons_only"))
    return None


def _re_ask(key: str) -> Any:
    async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A sticker, photo or voice note where words were asked for: ask again, kindly."""
        await _say(update, context, services(context).ui(key))

    return not_text


# --- daily reflection time and prompts on/off ----------------------------------------------


def _time_keyboard(
    action: str,
    times: Sequence[str],
    locale: str,
    ui: UiTexts,
    extra: Sequence[InlineKeyboardButton] = (),
    back: bool = True,
) -> InlineKeyboardMarkup:
    buttons = [_button(show_time(time.fromisoformat(t), locale), f"{action}:{t}") for t in times]
    return _keyboard([*_rows(buttons, 4), list(extra), _back_row(ui) if back else []])


async def ask_time(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Person) -> int:
    """Ask for the daily reflection time."""
    ui, locale = services(context).ui, sender_locale(update)
    if person.prompt_time:
        text = ui("settings.reflection.ask_time", current=show_time(person.prompt_time, locale))
    else:
        text = ui("settings.reflection.ask_time_unset")
    await _say(update, context, text, _time_keyboard("time", PROMPT_TIMES, locale, ui))
    return TIME


async def save_time(update: Update, context: ContextTypes.DEFAULT_TYPE, at: time) -> int:
    """Store a new reflection time (turning prompts on if that is what led here)."""
    ui, locale = services(context).ui, sender_locale(update)
    draft = context.user_data.pop("draft", None) or {}  # type: ignore[union-attr]
    person = await _person(update, context)
    if person is None:
        return END
    enable = bool(draft.get("enable_prompts")) or person.prompts_enabled
    person = await _save(context, person, prompt_time=at, prompts_enabled=enable)
    if not person.prompts_enabled:
        line = ui("settings.reflection.time_saved_prompts_off", time=show_time(at, locale))
    else:
        zone = zone_label(person.time_zone) if person.time_zone else "UTC"
        line = ui("settings.reflection.time_saved", time=show_time(at, locale), zone=escape(zone))
    return await show_menu(update, context, person, line)


async def time_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A reflection time picked from the buttons."""
    return await save_time(
        update, context, time.fromisoformat(_value(await _take_button(update, context)))
    )


async def typed_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """A reflection time typed in words, such as 7:30 or 7.30pm."""
    at = parse_local_time(update.effective_message.text or "")  # type: ignore[union-attr]
    if at is None:
        await _say(update, context, services(context).ui("onboarding.time_not_understood"))
        return None
    return await save_time(update, context, at)


async def prompts_toggle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Daily prompts on or off (on without a time yet asks for one first)."""
    turn_on = _value(await _take_button(update, context)) == "on"
    ui = services(context).ui
    person = await _person(update, context)
    if person is None:
        return END
    if turn_on and person.prompt_time is None:
        context.user_data["draft"] = {"enable_prompts": True}  # type: ignore[index]
        keyboard = _time_keyboard("time", PROMPT_TIMES, sender_locale(update), ui)
        await _say(update, context, ui("settings.reflection.prompts_on_ask_time"), keyboard)
        return TIME
    person = await _save(context, person, prompts_enabled=turn_on)
    if not turn_on:
        line = ui("settings.reflection.prompts_off_saved")
    elif person.is_quiet(services(context).clock.now()):
        line = ui("settings.reflection.prompts_on_saved_while_quiet")
    elif person.next_prompt_at is not None:
        when = show_when(person.next_prompt_at, person, sender_locale(update), ui)
        line = ui("settings.reflection.prompts_on_saved", when=when)
    else:
        line = ui("settings.reflection.prompts_on_saved_plain")
    return await show_menu(update, context, person, line)


# --- time zone -----------------------------------------------------------------------------


async def ask_zone(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Person) -> int:
    """Ask where the person is now."""
    ui = services(context).ui
    valid = person.time_zone and is_valid_zone(person.time_zone)
    zone = escape(zone_label(person.time_zone)) if valid else "UTC"  # type: ignore[arg-type]
    await _say(update, context, ui("settings.zone.ask", zone=zone), _keyboard([_back_row(ui)]))
    return ZONE


async def typed_zone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """A city, region, offset or current clock time, understood as onboarding does."""
    svc = services(context)
    now = svc.clock.now()
    text = update.effective_message.text or ""  # type: ignore[union-attr]
    found = await asyncio.to_thread(look_up_zone, text, now)  # the index may still be building
    if found.match is ZoneMatch.AMBIGUOUS:
        await _say(
            update, context, svc.ui("onboarding.zone_ambiguous", country=escape(found.label))
        )
        return None
    if found.match is ZoneMatch.CHOICES:
        question, keyboard = place_question(
            context, found.choices, CB, svc.ui, sender_locale(update), now
        )
        await _say(update, context, question, keyboard)
        return None
    if found.zone is None:
        await _say(update, context, svc.ui("onboarding.zone_not_found"))
        return None
    place = (found.label or found.zone) if found.match is ZoneMatch.PLACE else None
    return await save_zone(update, context, found.zone, found.country, place)


async def place_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """One of several places of the same name, tapped."""
    query = update.callback_query
    assert query is not None and query.data is not None
    chosen = chosen_place(context, query.data)
    if chosen is None:
        await _refuse_button(update, context)
        return None
    await _take_button(update, context)
    return await save_zone(update, context, chosen.zone, chosen.country, chosen.label)


async def save_zone(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    zone: str,
    country: str | None,
    place: str | None,
) -> int:
    """Store the zone (and the country a named place tells us); back to the menu."""
    svc = services(context)
    forget_places(context)
    person = await _person(update, context)
    if person is None:
        return END
    changes: dict[str, Any] = {"time_zone": zone}
    if country:  # a named city tells us the country; an offset or clock does not
        changes["country"] = country
    person = await _save(context, person, **changes)
    local_time = show_time(local_now(zone, svc.clock.now()), sender_locale(update))
    if place is not None:
        line = svc.ui("settings.zone.saved_place", place=escape(place), local_time=local_time)
    else:
        line = svc.ui(
            "settings.zone.saved_clock", zone=escape(zone_label(zone)), local_time=local_time
        )
    return await show_menu(update, context, person, line)


# --- how often -----------------------------------------------------------------------------


async def ask_frequency(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Person) -> int:
    """Ask how often reflections come."""
    ui = services(context).ui
    current = ui(f"settings.frequency.{Frequency(person.prompt_frequency).value}")
    buttons = [
        [_button(ui(f"settings.frequency.{f.value}_button"), f"freq:{f.value}")] for f in Frequency
    ]
    keyboard = _keyboard([*buttons, _back_row(ui)])
    await _say(update, context, ui("settings.reflection.ask_frequency", current=current), keyboard)
    return FREQUENCY


async def frequency_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Every day, weekdays or three times a week."""
    frequency = Frequency(_value(await _take_button(update, context)))
    ui = services(context).ui
    person = await _person(update, context)
    if person is None:
        return END
    person = await _save(context, person, prompt_frequency=frequency.value)
    line = ui(
        "settings.reflection.frequency_saved", frequency=ui(f"settings.frequency.{frequency.value}")
    )
    return await show_menu(update, context, person, line)


# --- weekly look back ----------------------------------------------------------------------


async def ask_recap_day(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Person) -> int:
    """Ask which day the weekly look back comes."""
    ui, locale = services(context).ui, sender_locale(update)
    days = [_button(show_weekday(day, locale), f"recapday:{day}") for day in range(7)]
    text = ui(
        "settings.recap.ask_day",
        day=show_weekday(person.recap_weekday, locale),
        time=show_time(person.recap_time, locale),
    )
    await _say(update, context, text, _keyboard([days[:4], days[4:], _back_row(ui)]))
    return RECAP_DAY


async def recap_day_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A day for the look back; then ask for its time."""
    day = int(_value(await _take_button(update, context)))
    ui, locale = services(context).ui, sender_locale(update)
    person = await _person(update, context)
    if person is None:
        return END
    person = await _save(context, person, recap_weekday=day)
    keep = _button(
        ui("settings.recap.keep_time_button", time=show_time(person.recap_time, locale)),
        f"recaptime:{person.recap_time.strftime('%H:%M')}",
    )
    # No Back here: the day is already kept, and "Keep <time>" is the way to leave it at that.
    keyboard = _time_keyboard("recaptime", RECAP_TIMES, locale, ui, extra=[keep], back=False)
    await _say(
        update, context, ui("settings.recap.ask_time", day=show_weekday(day, locale)), keyboard
    )
    return RECAP_TIME


async def save_recap_time(update: Update, context: ContextTypes.DEFAULT_TYPE, at: time) -> int:
    """Store the look back's time and confirm day and time together."""
    ui, locale = services(context).ui, sender_locale(update)
    person = await _person(update, context)
    if person is None:
        return END
    person = await _save(context, person, recap_time=at)
    line = ui(
        "settings.recap.saved",
        day=show_weekday(person.recap_weekday, locale),
        time=show_time(at, locale),
    )
    return await show_menu(update, context, person, line)


async def recap_time_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A look back time picked from the buttons."""
    at = time.fromisoformat(_value(await _take_button(update, context)))
    return await save_recap_time(update, context, at)


async def typed_recap_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """A look back time typed in words."""
    at = parse_local_time(update.effective_message.text or "")  # type: ignore[union-attr]
    if at is None:
        await _say(update, context, services(context).ui("onboarding.time_not_understood"))
        return None
    return await save_recap_time(update, context, at)


# --- quiet and resume ----------------------------------------------------------------------


async def ask_quiet(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Person) -> int:
    """Offer a break from nudges (and resuming, when they are quiet)."""
    svc = services(context)
    ui, now = svc.ui, svc.clock.now()
    if _quiet_indefinitely(person):
        text = ui("settings.quiet.ask_while_quiet_indefinitely")
    elif person.quiet_until is not None and person.is_quiet(now):
        when = show_when(person.quiet_until, person, sender_locale(update), ui)
        text = ui("settings.quiet.ask_while_quiet", when=when)
    else:
        text = ui("settings.quiet.ask")
    rows = [
        [_button(ui("settings.quiet.day_button"), "quiet:day")],
        [_button(ui("settings.quiet.three_days_button"), "quiet:3days")],
        [_button(ui("settings.quiet.week_button"), "quiet:week")],
        [_button(ui("settings.quiet.until_button"), "quiet:until")],
    ]
    if person.is_quiet(now):
        rows.insert(0, [_button(ui("settings.quiet.resume_button"), "quiet:resume")])
    await _say(update, context, text, _keyboard([*rows, _back_row(ui)]))
    return QUIET


async def quiet_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Quiet for a while, until turned back on, or resume now."""
    choice = _value(await _take_button(update, context))
    svc = services(context)
    ui, now, locale = svc.ui, svc.clock.now(), sender_locale(update)
    person = await _person(update, context)
    if person is None:
        return END
    if choice == "resume":
        if not person.is_quiet(now):
            return await show_menu(update, context, person, ui("settings.quiet.already_on"))
        person = await _save(context, person, quiet_until=None)
        if person.next_prompt_at is not None:
            when = show_when(person.next_prompt_at, person, locale, ui)
            line = ui("settings.quiet.resumed", when=when)
        else:
            line = ui("settings.quiet.resumed_no_prompt")
        return await show_menu(update, context, person, line)
    if choice == "until":
        person = await _save(context, person, quiet_until=QUIET_UNTIL_TURNED_BACK_ON)
        return await show_menu(update, context, person, ui("settings.quiet.saved_indefinitely"))
    until = now + QUIET_SPANS[choice]
    person = await _save(context, person, quiet_until=until)
    line = ui("settings.quiet.saved", when=show_when(until, person, locale, ui))
    return await show_menu(update, context, person, line)


# --- country for help lines ----------------------------------------------------------------


async def ask_country(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Person) -> int:
    """Ask which country's help lines to show."""
    ui = services(context).ui
    current = country_by_code(person.country) if person.country else None
    extra = [_button(ui("settings.country.skip_button"), "country:skip")]
    if current is not None:
        extra.append(_button(ui("settings.country.remove_button"), "country:remove"))
        text = ui("settings.country.ask_current", country=escape(current.name))
    else:
        text = ui("settings.country.ask")
    await _say(update, context, text, _keyboard([extra, _back_row(ui)]))
    return COUNTRY


async def save_country(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> int:
    """Store the country and show the help line that now applies."""
    ui = services(context).ui
    country = country_by_code(code)
    assert country is not None
    person = await _person(update, context)
    if person is None:
        return END
    person = await _save(context, person, country=country.code)
    line = ui(
        "settings.country.saved",
        country=escape(country.name),
        help_line=help_line(context, country.code),
    )
    return await show_menu(update, context, person, line)


async def typed_country(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """A country's name or code; several matches are offered as a choice."""
    ui = services(context).ui
    text = (update.effective_message.text or "").strip()  # type: ignore[union-attr]
    if text.casefold() in SKIP_WORDS:
        return await skip_country(update, context)
    found = find_countries(text)
    if not found:
        keyboard = _keyboard([[_button(ui("settings.country.skip_button"), "country:skip")]])
        await _say(update, context, ui("settings.country.not_found"), keyboard)
        return None
    if len(found) == 1:
        return await save_country(update, context, found[0].code)
    choices = [[_button(c.name, f"country:{c.code}")] for c in found]
    choices.append([_button(ui("settings.country.none_of_these_button"), "country:retry")])
    await _say(update, context, ui("settings.country.choices"), _keyboard(choices))
    return None


async def skip_country(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Leave the country as it was."""
    person = await _person(update, context)
    if person is None:
        return END
    return await show_menu(
        update, context, person, services(context).ui("settings.country.unchanged")
    )


async def country_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """A country chosen from the offered matches, skip, remove, or none of these."""
    query = update.callback_query
    assert query is not None and query.data is not None
    choice = _value(query.data)
    if len(choice) == 2 and country_by_code(choice) is None:
        await _refuse_button(update, context)
        return None
    await _take_button(update, context)
    ui = services(context).ui
    if choice == "skip":
        return await skip_country(update, context)
    if choice == "retry":
        keyboard = _keyboard([[_button(ui("settings.country.skip_button"), "country:skip")]])
        await _say(update, context, ui("settings.country.ask_again"), keyboard)
        return None
    if choice == "remove":
        person = await _person(update, context)
        if person is None:
            return END
        person = await _save(context, person, country=None)
        line = ui("settings.country.removed", help_line=help_line(context, None))
        return await show_menu(update, context, person, line)
    return await save_country(update, context, choice)


# --- a trusted person ----------------------------------------------------------------------


async def _short_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """The typed answer with spaces tidied; None (after asking again) when it can't be kept."""
    raw = update.effective_message.text or ""  # type: ignore[union-attr]
    text = " ".join(visible_text(raw).split())  # no control characters, nothing invisible only
    ui = services(context).ui
    if not text:
        await _say(update, context, ui("settings.trusted.text_only"))
        return None
    if len(text) > TRUSTED_MAX_CHARS:
        await _say(update, context, ui("settings.trusted.too_long", limit=TRUSTED_MAX_CHARS))
        return None
    return text


async def ask_trusted_name(
    update: Update, context: ContextTypes.DEFAULT_TYPE, person: Person
) -> int:
    """Ask for a trusted person's name (or keep or remove the one kept)."""
    ui = services(context).ui
    if person.trusted_name:
        text = ui("settings.trusted.ask_name_current", name=escape(person.trusted_name))
        extra = [
            _button(ui("settings.trusted.keep_button"), "trustedname:keep"),
            _button(ui("settings.trusted.remove_button"), "trustedname:remove"),
        ]
    else:
        text = ui("settings.trusted.ask_name")
        extra = []
    await _say(update, context, text, _keyboard([extra, _back_row(ui)]))
    return TRUSTED_NAME


async def ask_trusted_contact(
    update: Update, context: ContextTypes.DEFAULT_TYPE, person: Person
) -> int:
    """Ask how to reach them (optional)."""
    ui = services(context).ui
    name = escape(person.trusted_name or "")
    if person.trusted_contact:
        text = ui(
            "settings.trusted.ask_contact_current",
            name=name,
            contact=escape(person.trusted_contact),
        )
        label = ui("settings.trusted.keep_button")
    else:
        text = ui("settings.trusted.ask_contact", name=name)
        label = ui("settings.trusted.skip_button")
    await _say(update, context, text, _keyboard([[_button(label, "trustedcontact:keep")]]))
    return TRUSTED_CONTACT


async def typed_trusted_name(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """A name (or what the person calls them), stored at once; then how to reach them."""
    name = await _short_answer(update, context)
    if name is None:
        return None
    person = await _person(update, context)
    if person is None:
        return END
    person = await _save(context, person, trusted_name=name)
    return await ask_trusted_contact(update, context, person)


async def trusted_name_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Keep the name as it is (then the contact), or remove the trusted person altogether."""
    choice = _value(await _take_button(update, context))
    person = await _person(update, context)
    if person is None:
        return END
    if choice == "remove":
        person = await _save(context, person, trusted_name=None, trusted_contact=None)
        return await show_menu(
            update, context, person, services(context).ui("settings.trusted.removed")
        )
    if not person.trusted_name:  # "keep" from an old message after the name was removed
        return await ask_trusted_name(update, context, person)
    return await ask_trusted_contact(update, context, person)


async def confirm_trusted(
    update: Update, context: ContextTypes.DEFAULT_TYPE, person: Person
) -> int:
    ui = services(context).ui
    name = escape(person.trusted_name or "")
    if person.trusted_contact:
        line = ui("settings.trusted.saved", name=name, contact=escape(person.trusted_contact))
    else:
        line = ui("settings.trusted.saved_no_contact", name=name)
    return await show_menu(update, context, person, line)


async def typed_trusted_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """How to reach them, stored; back to the menu."""
    contact = await _short_answer(update, context)
    if contact is None:
        return None
    person = await _person(update, context)
    if person is None:
        return END
    person = await _save(context, person, trusted_contact=contact)
    return await confirm_trusted(update, context, person)


async def trusted_contact_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Keep (or skip) the contact; back to the menu."""
    await _take_button(update, context)
    person = await _person(update, context)
    if person is None:
        return END
    return await confirm_trusted(update, context, person)


# --- routines check ------------------------------------------------------------------------


async def _toggle(
    update: Update, context: ContextTypes.DEFAULT_TYPE, field: str, saved: str
) -> int:
    """An on/off setting from its button: saved, then the menu with ``saved.on_saved`` or
    ``saved.off_saved`` said above it."""
    turn_on = _value(await _take_button(update, context)) == "on"
    person = await _person(update, context)
    if person is None:
        return END
    person = await _save(context, person, **{field: turn_on})
    key = f"{saved}.on_saved" if turn_on else f"{saved}.off_saved"
    return await show_menu(update, context, person, services(context).ui(key))


async def routines_toggle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The one-tap routines check after the daily prompt, on or off."""
    return await _toggle(update, context, "routines_enabled", "settings.routines")


async def counts_toggle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """How many others practised the same thing this week: mentioned, or never."""
    return await _toggle(update, context, "counts_enabled", "counts")


async def others_toggle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A sentence someone else on the path offered, now and then after a setback: or never."""
    return await _toggle(update, context, "others_notes_enabled", "others")


# --- therapy (optional) --------------------------------------------------------------------


async def ask_therapy(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Person) -> int:
    """Whether the person sees a therapist: yes, not now, I'd like to, or rather not say."""
    ui = services(context).ui
    choices = [_button(ui(f"therapy.{c}_button"), f"therapy:{c}") for c in THERAPY_CHOICES]
    keyboard = _keyboard([choices[:3], [choices[3]], _back_row(ui)])
    await _say(update, context, ui("therapy.ask"), keyboard)
    return THERAPY


async def therapy_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Keep the answer ("rather not say" forgets any earlier one) and say what it changes."""
    choice = _value(await _take_button(update, context))
    person = await _person(update, context)
    if person is None:
        return END
    person = await _save(context, person, therapist=choice if choice in THERAPIST_ANSWERS else None)
    return await show_menu(update, context, person, services(context).ui(f"therapy.saved_{choice}"))


# --- the flow ------------------------------------------------------------------------------


def register(application: Application) -> None:  # type: ignore[type-arg]
    text = filters.TEXT & ~filters.COMMAND & ~filters.UpdateType.EDITED
    other = ~filters.TEXT & ~filters.COMMAND & ~filters.UpdateType.EDITED
    anything = ~filters.COMMAND & ~filters.UpdateType.EDITED
    back_button = CallbackQueryHandler(back, pattern=PATTERN_BACK)

    def words(step: Any, not_text_key: str) -> list[Any]:
        return [MessageHandler(text, step), MessageHandler(other, _re_ask(not_text_key))]

    flow = Flow(
        name="settings",
        entry_points=[CommandHandler("settings", start)],
        states={
            MENU: [
                CallbackQueryHandler(open_choice, pattern=PATTERN_OPEN),
                CallbackQueryHandler(prompts_toggle, pattern=PATTERN_PROMPTS),
                CallbackQueryHandler(routines_toggle, pattern=PATTERN_ROUTINES),
                CallbackQueryHandler(counts_toggle, pattern=PATTERN_COUNTS),
                CallbackQueryHandler(others_toggle, pattern=PATTERN_OTHERS),
                CallbackQueryHandler(done, pattern=PATTERN_DONE),
                MessageHandler(anything, buttons_only),
            ],
            TIME: [
                CallbackQueryHandler(time_button, pattern=PATTERN_TIME),
                back_button,
                *words(typed_time, "settings.reflection.time_text_only"),
            ],
            ZONE: [
                CallbackQueryHandler(place_button, pattern=PATTERN_PLACE),
                back_button,
                *words(typed_zone, "onboarding.zone_text_only"),
            ],
            FREQUENCY: [
                CallbackQueryHandler(frequency_button, pattern=PATTERN_FREQUENCY),
                back_button,
                MessageHandler(anything, buttons_only),
            ],
            RECAP_DAY: [
                CallbackQueryHandler(recap_day_button, pattern=PATTERN_RECAP_DAY),
                back_button,
                MessageHandler(anything, buttons_only),
            ],
            RECAP_TIME: [
                CallbackQueryHandler(recap_time_button, pattern=PATTERN_RECAP_TIME),
                *words(typed_recap_time, "settings.reflection.time_text_only"),
            ],
            QUIET: [
                CallbackQueryHandler(quiet_button, pattern=PATTERN_QUIET),
                back_button,
                MessageHandler(anything, buttons_only),
            ],
            COUNTRY: [
                CallbackQueryHandler(country_button, pattern=PATTERN_COUNTRY),
                back_button,
                *words(typed_country, "settings.country.text_only"),
            ],
            TRUSTED_NAME: [
                CallbackQueryHandler(trusted_name_button, pattern=PATTERN_TRUSTED_NAME),
                back_button,
                *words(typed_trusted_name, "settings.trusted.text_only"),
            ],
            TRUSTED_CONTACT: [
                CallbackQueryHandler(trusted_contact_button, pattern=PATTERN_TRUSTED_CONTACT),
                *words(typed_trusted_contact, "settings.trusted.text_only"),
            ],
            THERAPY: [
                CallbackQueryHandler(therapy_button, pattern=PATTERN_THERAPY),
                back_button,
                MessageHandler(anything, buttons_only),
            ],
        },
    )
    application.add_handler(flow, group=HandlerGroup.SETTINGS)
