"""Recognising messages that may mean someone is in danger (pure: no Telegram, no storage)."""

from bot.safety.crisis import (
    Assessment,
    CrisisDetector,
    CrisisMatch,
    Level,
    load_crisis_detector,
)
from bot.safety.normalise import normalise
from bot.safety.phrase_language import CrisisPhrasesError

__all__ = [
    "Assessment",
    "CrisisDetector",
    "CrisisMatch",
    "CrisisPhrasesError",
    "Level",
    "load_crisis_detector",
    "normalise",
]
