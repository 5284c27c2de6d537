"""Fixtures for the /settings tests."""

from __future__ import annotations

import pytest

from bot.places import place_index


@pytest.fixture(scope="session", autouse=True)
def _place_index_built() -> None:
    """Build the city index once, up front: it takes seconds on a busy machine, which would
    otherwise count against the first reply a test waits for."""
    place_index()
