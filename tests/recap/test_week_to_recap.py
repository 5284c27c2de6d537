"""Which week a scheduled recap looks back on, by the day it is sent."""

from __future__ import annotations

from datetime import date

import pytest

from bot.recap import week_to_recap


@pytest.mark.parametrize(
    ("sent_on", "recap_weekday", "looks_at"),
    [
        (date(2026, 11, 29), 6, date(2026, 11, 29)),  # Sunday recaps: the week now ending
        (date(2026, 11, 26), 3, date(2026, 11, 26)),  # Thursday: most of this week happened
        (date(2026, 11, 30), 0, date(2026, 11, 23)),  # Monday recaps: the week just ended
        (date(2026, 12, 2), 2, date(2026, 11, 25)),  # Wednesday: still the week before
        (date(2026, 11, 25), 6, date(2026, 11, 25)),  # sent early on request: this week
    ],
)
def test_early_week_recaps_look_at_the_week_just_ended(
    sent_on: date, recap_weekday: int, looks_at: date
) -> None:
    assert week_to_recap(sent_on, recap_weekday) == looks_at
