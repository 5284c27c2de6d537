"""Loads ``ui.toml``: the short interface texts, looked up by dotted key."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

UI_FILE = Path(__file__).with_name("ui.toml")


class UiTextError(Exception):
    """A ui.toml problem, named precisely for whoever edits the file."""


def _flatten(prefix: str, table: dict[str, Any], into: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(name, value, into)
        elif isinstance(value, str):
            into[name] = value.strip()
        else:
            raise UiTextError(f"{UI_FILE.name}: {name} should be text")


@dataclass(frozen=True, slots=True)
class UiTexts:
    texts: dict[str, str]

    def __call__(self, key: str, **values: object) -> str:
        try:
            template = self.texts[key]
        except KeyError:
            raise UiTextError(f"{UI_FILE.name} has no text {key!r}") from None
        return template.format(**values) if values else template


def load_ui(path: Path = UI_FILE) -> UiTexts:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UiTextError(f"{path.name}: {exc}") from exc
    texts: dict[str, str] = {}
    _flatten("", data, texts)
    return UiTexts(texts)
