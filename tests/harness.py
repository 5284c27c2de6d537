"""Running the real Kindling Application in-process, the way ``run_polling`` does, against the
project's Bot API emulator over HTTP (the same ``running_bot`` the sandbox uses)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.settings import Settings
from sandbox.emulator import BotApiEmulator
from sandbox.runner import running_bot, sandbox_settings

__all__ = ["make_settings", "running_bot"]


def make_settings(emulator: BotApiEmulator, database: Path, **overrides: Any) -> Settings:
    """Settings against the emulator, saving half-finished conversations every 0.1 s so
    restart tests need not wait long."""
    return sandbox_settings(emulator, database, **{"persistence_interval": 0.1, **overrides})
