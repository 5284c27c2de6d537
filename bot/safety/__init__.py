"""Recognising messages that may mean someone is in danger (pure: no Telegram, no storage)."""

from bot.safety.crisis import (
    CrisisDetector,
    CrisisMatch,
    CrisisPhrasesError,
    load_crisis_detector,
    normalise,
)

__all__ = [
    "CrisisDetector",
    "CrisisMatch",
    "CrisisPhrasesError",
    "load_crisis_detector",
    "normalise",
]
