"""One way to show a date, from the person's locale (babel)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.formatting import show_date


@pytest.mark.parametrize(
    ("day", "locale", "today", "shown"),
    [
        (date(2026, 11, 26), "en", None, "November 26"),
        (date(2026, 11, 26), "en", date(2026, 12, 3), "November 26"),
        (date(2025, 11, 26), "en", date(2026, 1, 2), "November 26, 2025"),
        (date(2026, 11, 26), "de", None, "26. November"),
        (date(2026, 11, 26), "en_GB", None, "26 November"),
    ],
)
def test_show_date(day: date, locale: str, today: date | None, shown: str) -> None:
    assert show_date(day, locale, today=today) == shown
