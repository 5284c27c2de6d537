"""When something breaks inside a handler the person gets a short, kind apology, and the log
says what broke without what they wrote."""

from __future__ import annotations

import logging

import pytest

from bot.app import KindlingApplication
from sandbox.emulator import BotApiEmulator


async def test_an_unexpected_error_gets_an_apology_not_silence(
    emulator: BotApiEmulator,
    bot: KindlingApplication,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken_disk(*args: object, **kwargs: object) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(bot.services.repo, "get_person", broken_disk)
    rosa = emulator.person(3001, "Rosa")
    with caplog.at_level(logging.ERROR):
        await rosa.send("/help my private words")
        apology = await rosa.expect("Sorry, something went wrong")
    assert "safe" in apology.text
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("error type=OSError" in r.getMessage() for r in errors)
    assert all("my private words" not in r.getMessage() for r in caplog.records)
