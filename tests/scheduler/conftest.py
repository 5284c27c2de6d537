"""The place index behind onboarding takes seconds to build on first use; building it once per
session, before any bot runs, keeps that out of the emulator's reply timeouts."""

from __future__ import annotations

import pytest

from bot.places import place_index


@pytest.fixture(scope="session", autouse=True)
def _place_index_built() -> None:
    place_index()
