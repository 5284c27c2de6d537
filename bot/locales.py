"""The locale a person reads dates and times in, in one place.

It comes from the language their Telegram is set to (``language_code``). A reply reads it from
the update it answers; everything sent without one (the scheduler's recaps, their pictures, the
/share PDF, notes given back) reads it from the person's record, where
``handlers/person_locale.py`` keeps it up to date whenever they write or tap. Both go through
``bot.formatting.locale_for``, so the two always agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.formatting import DEFAULT_LOCALE, locale_for

if TYPE_CHECKING:
    from telegram import Update

    from storage.models import Person


def locale_of(person: Person | None) -> str:
    """The locale kept for this person; the default one until it is known."""
    return person.locale if person is not None and person.locale else DEFAULT_LOCALE


def sender_locale(update: Update) -> str:
    """The locale of whoever sent this update, from their Telegram language."""
    user = update.effective_user
    return locale_for(user.language_code if user is not None else None)
