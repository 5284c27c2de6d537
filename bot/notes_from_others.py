"""Notes from others on the path: one sentence of what helped, shared without a name.

Opt-in both ways. After a win, a person may offer one short sentence (handlers/offered.py); it
passes the crisis check and the content check (``bot.offer_check``), then waits, pending, until
an operator (``ADMIN_CHAT_IDS``) approves or rejects it with /review. People who turned notes
from others on in /settings may be given an approved one after a setback:

- at most one a day (the reader's own day), never one they were given before, never their own;
- never in the day after a crisis or a check (handlers/tender.py), when only warm, plain words
  are said;
- the one given to the fewest people so far first, so sentences are shared evenly.

Nothing identifies the author to anyone, operators included: storage hands operators and
readers a ``SharedNote``, which holds the words and nothing else. The author sees, takes back
(never shown again), exports and erases their own with /offered, /export and /delete.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.formatting import escape
from bot.kept_notes import person_zone, start_of_day
from storage.models import Person

if TYPE_CHECKING:
    from bot.services import Services


def offering_open(svc: Services) -> bool:
    """Whether anyone can read offered sentences: with no operators, nobody is invited to
    offer one (it would wait for ever)."""
    return bool(svc.settings.admin_chat_ids)


def is_operator(svc: Services, chat_id: int) -> bool:
    return chat_id in svc.settings.admin_chat_ids


def may_receive(person: Person | None, svc: Services) -> bool:
    """Whether a sentence from someone else may come to this person now (see the module)."""
    return (
        person is not None and person.others_notes_enabled and not person.is_tender(svc.clock.now())
    )


async def note_from_others(svc: Services, chat_id: int) -> str | None:
    """The sentence due to this person now, as a message, recorded as given to them; None
    when none is due (not opted in, tender, given one today, or none left for them)."""
    person = await svc.repo.get_person(chat_id)
    if not may_receive(person, svc):
        return None
    now = svc.clock.now()
    note = await svc.repo.take_note_from_others(
        chat_id, start_of_day(now, person_zone(person)), now
    )
    return None if note is None else svc.ui("others.given", text=escape(note.text))
