"""After a crisis or an "are you safe?" check: no cheer until the person's next local day.

``mark_tender`` is called by the crisis check. Until the start of the person's next local day
(``Person.tender_until``) every closing line that would celebrate, say something "went well" or
reframe is swapped for warm, neutral words: /win's celebration, /setback's self-compassion
break, /reflect's closing line, and the acknowledgement of a daily prompt's answer. The next
daily prompt is a gentle one (``gentle_next``).

The day ends at the person's own midnight, not UTC's: "tomorrow" is what they live in. Someone
with no time zone yet gets a full day (``UNZONED_TENDER``) instead, so the quiet never ends
sooner than it would for anyone else.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.services import Services
from scheduler.timecalc import is_valid_zone, local_date_of, local_instant

# With no zone known, the person's next midnight could be a moment or a whole day away; a whole
# day covers every zone's "rest of today".
UNZONED_TENDER = timedelta(hours=24)


def tender_until(now: datetime, zone_name: str | None) -> datetime:
    """When tenderness that starts at ``now`` ends: the start of the next local day in
    ``zone_name``, or ``UNZONED_TENDER`` after ``now`` when there is no usable zone."""
    if zone_name is None or not is_valid_zone(zone_name):
        return now + UNZONED_TENDER
    zone = ZoneInfo(zone_name)
    tomorrow = local_date_of(now, zone) + timedelta(days=1)
    # local_instant copes with a midnight skipped by a clock change (the day starts at the
    # first instant that exists) and with whole days a zone skipped.
    return local_instant(tomorrow, time(0, 0), zone)


async def mark_tender(svc: Services, chat_id: int) -> None:
    """Keep replies warm and neutral until the person's next local day, and make their next
    daily prompt a gentle one. Someone with no row gets none just for this."""
    person = await svc.repo.get_person(chat_id)
    if person is None:
        return
    until = tender_until(svc.clock.now(), person.time_zone)
    # A second crisis later the same day never shortens the first one's quiet.
    if person.tender_until is not None and person.tender_until > until:
        until = person.tender_until
    await svc.repo.update_person(chat_id, tender_until=until, gentle_next=True)


async def is_tender(svc: Services, chat_id: int) -> bool:
    """Whether replies to this person right now are to stay warm and neutral."""
    person = await svc.repo.get_person(chat_id)
    return person is not None and person.is_tender(svc.clock.now())
