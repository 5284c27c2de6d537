"""Start-up refusals are one plain line, whatever refused: settings, storage or content."""

from __future__ import annotations

import pytest

import bot.__main__ as entry
from bot.content.library import ContentError
from bot.content.ui import UiTextError
from bot.safety import CrisisPhrasesError


@pytest.mark.parametrize(
    "error",
    [
        UiTextError("ui_pause.toml: pause.start: a <b> is not closed"),
        ContentError("prompts.toml", "a placeholder is not known", "grounding-3"),
        CrisisPhrasesError("signal 'plan_quiet': its example is not caught at check any more"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_broken_content_file_stops_start_up_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], error: Exception
) -> None:
    def broken() -> int:
        raise error

    monkeypatch.setattr(entry, "run_bot", broken)
    assert entry.main([]) == 2
    err = capsys.readouterr().err
    assert err == f"kindling: {error}\n"
