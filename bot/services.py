"""The long-lived things handlers and jobs need, owned by the Application."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from telegram.ext import CallbackContext

from bot.clock import Clock
from bot.content.library import Library
from bot.content.ui import UiTexts
from bot.settings import Settings
from storage.repository import Repository

if TYPE_CHECKING:
    from bot.app import KindlingApplication
    from handlers.flood import FloodWindow


@dataclass(slots=True)
class Services:
    settings: Settings
    repo: Repository
    clock: Clock
    ui: UiTexts
    library: Library
    rng: random.Random = field(default_factory=random.Random)
    # Group chats already told that Kindling works only in private (kept in memory only, so
    # nothing about a group is ever stored).
    groups_told: set[int] = field(default_factory=set)
    # Recent arrivals per private chat, for the flood guard (handlers/flood.py); memory only.
    flood_windows: dict[int, FloodWindow] = field(default_factory=dict)


def services(context: CallbackContext) -> Services:  # type: ignore[type-arg]
    return cast("KindlingApplication", context.application).services
