"""Loads the short interface texts (``ui.toml`` and one ``ui_<feature>.toml`` per feature),
looked up by dotted key such as ``onboarding.welcome``. Every text is checked as it loads
(``bot.content.ui_checks``): a broken one stops start-up with a message naming its file and key."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.content.ui_checks import ui_text_problem

CONTENT_DIR = Path(__file__).parent


class UiTextError(Exception):
    """A ui.toml problem, named precisely for whoever edits the file."""


def _flatten(file: str, prefix: str, table: dict[str, Any], into: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(file, name, value, into)
        elif not isinstance(value, str) or not value.strip():
            raise UiTextError(f"{file}: {name} should be a non-empty text")
        elif name in into:
            raise UiTextError(f"{file}: {name} is also defined in another ui file")
        else:
            text = value.strip()
            problem = ui_text_problem(name, text)
            if problem:
                raise UiTextError(f"{file}: {name}: {problem}")
            into[name] = text


@dataclass(frozen=True, slots=True)
class UiTexts:
    texts: dict[str, str]

    def __call__(self, key: str, **values: object) -> str:
        try:
            template = self.texts[key]
        except KeyError:
            raise UiTextError(f"no ui text {key!r}") from None
        return template.format(**values) if values else template


def load_ui(directory: Path = CONTENT_DIR) -> UiTexts:
    texts: dict[str, str] = {}
    for path in sorted(directory.glob("ui*.toml")):
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise UiTextError(f"{path.name}: {exc}") from exc
        _flatten(path.name, "", data, texts)
    return UiTexts(texts)
