"""The weekly recap: what a person's week held, in words and in a picture.

``compose_weekly_recap`` is what the scheduler and ``/week`` call: it reads the week's entries and
routines checks (by the person's own local dates), and returns the message, the picture (PNG)
and the picture's description. The work is split so that each part is testable on its own:

- ``story``: pure, entries to facts to text;
- ``chart``: pure, facts to a PNG and its caption;
- ``share``: pure, several weeks of facts to the /share PDF;
- ``phrases``: the words, from ``bot/content/recap.toml``.
- ``labels``: what each entry is, as a person reads it (also used by /journal).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.locales import locale_of
from bot.recap.additions import recap_additions
from bot.recap.chart import chart_caption, render_week_chart
from bot.recap.phrases import recap_phrases
from bot.recap.story import WeekFacts, recap_text, week_facts
from scheduler.timecalc import is_valid_zone, utc_range_of_local_days, week_bounds
from storage.models import Person

if TYPE_CHECKING:
    from bot.services import Services

# More than anyone writes in a week; the bound keeps one odd account from slowing the recap.
MAX_ENTRIES_PER_WEEK = 10_000


@dataclass(frozen=True, slots=True)
class Recap:
    text: str
    chart_png: bytes | None = None
    chart_caption: str | None = None


def person_zone(person: Person) -> ZoneInfo:
    """The person's zone; UTC until they have told us where they are."""
    if person.time_zone and is_valid_zone(person.time_zone):
        return ZoneInfo(person.time_zone)
    return ZoneInfo("UTC")


async def load_week_facts(services: Services, person: Person, day_in_week: date) -> WeekFacts:
    """The facts of the local week (Monday to Sunday) that contains ``day_in_week``."""
    zone = person_zone(person)
    monday, sunday = week_bounds(day_in_week)
    since, until = utc_range_of_local_days(monday, sunday, zone)
    entries = await services.repo.list_entries(
        person.chat_id, since=since, until=until, limit=MAX_ENTRIES_PER_WEEK, newest_first=False
    )
    routines = await services.repo.list_routine_checks(person.chat_id, monday, sunday)
    return week_facts(entries, routines, zone, monday, services.library)


async def compose_weekly_recap(services: Services, person: Person, day_in_week: date) -> Recap:
    """The recap of the local week (Monday to Sunday) that contains ``day_in_week``, its dates
    in the person's locale.

    A quiet week (nothing kept) gets a short, warm message and no picture: an empty chart would
    read as a tally of what did not happen. So does a week whose every entry read as a crisis:
    what was written is acknowledged, and help is right there.
    """
    facts = await load_week_facts(services, person, day_in_week)
    if person.is_tender(services.clock.now()) and not facts.crisis_moments:
        # In the day after a crisis or a check (nothing may have been kept from it): the same
        # quiet acknowledgement and help line as a week that held one, no reframe, no next step.
        facts = replace(facts, crisis_moments=1)
    phrases = recap_phrases()
    locale = locale_of(person)
    text = recap_text(
        facts, services.library, phrases, services.rng, locale=locale, country=person.country
    )
    text = "\n\n".join([text, *await recap_additions(services, person, facts)])
    if facts.is_quiet or facts.only_crisis:
        return Recap(text)
    return Recap(
        text,
        render_week_chart(facts, phrases, locale=locale),
        chart_caption(facts, phrases, locale=locale),
    )


def local_today(person: Person, now: datetime) -> date:
    return now.astimezone(person_zone(person)).date()


def previous_week(day: date) -> date:
    """A day in the week before the one containing ``day``."""
    return day - timedelta(days=7)


def week_to_recap(sent_on: date, recap_weekday: int) -> date:
    """A day in the week a scheduled recap sent on ``sent_on`` should look back on.

    Someone whose recap day is late in the week (Thursday to Sunday) gets the week that is
    ending; someone who chose an early day (Monday to Wednesday) gets the week just ended,
    since the new one has barely begun.
    """
    return sent_on if recap_weekday >= 3 else previous_week(sent_on)
