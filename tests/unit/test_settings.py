"""Bad settings stop start-up with one clear line: the variable, the fix, no traceback, no token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
SECRET = "987654:TOP-SECRET-token-value"


def run_bot(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "variable", "fix"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is missing", "BotFather"),
        ({"TELEGRAM_BOT_TOKEN": "not a token"}, "TELEGRAM_BOT_TOKEN is not valid", "123456:"),
        (
            {"TELEGRAM_BOT_TOKEN": SECRET, "TELEGRAM_API_BASE_URL": "ftp://nowhere"},
            "TELEGRAM_API_BASE_URL is not valid",
            "https://",
        ),
        ({"TELEGRAM_BOT_TOKEN": SECRET, "LOG_LEVEL": "chatty"}, "LOG_LEVEL is not valid", "DEBUG"),
        (
            {"TELEGRAM_BOT_TOKEN": SECRET, "TELEGRAM_RATE_LIMIT": "-3"},
            "TELEGRAM_RATE_LIMIT is not valid",
            "per second",
        ),
    ],
)
def test_bad_settings_give_one_clear_line(
    env: dict[str, str], variable: str, fix: str, tmp_path: Path
) -> None:
    result = run_bot(env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0] and fix in lines[0]
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert not (tmp_path / "kindling.db").exists()


def test_an_unreadable_database_is_one_line_and_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "kindling.db"
    db.write_bytes(b"definitely not sqlite" * 50)
    result = run_bot(
        {
            "TELEGRAM_BOT_TOKEN": SECRET,
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
            "DATABASE_PATH": str(db),
            "LOG_LEVEL": "WARNING",
        },
        tmp_path,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "not a Kindling database" in result.stderr
    assert db.read_bytes() == b"definitely not sqlite" * 50
    assert SECRET not in result.stderr


def test_settings_read_a_dotenv_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "DATABASE_PATH", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={SECRET}\nDATABASE_PATH=elsewhere.db\nLOG_LEVEL=debug\n"
    )
    settings = load_settings()
    assert settings.telegram_bot_token.get_secret_value() == SECRET
    assert SECRET not in repr(settings)
    assert settings.database_path == Path("elsewhere.db")
    assert settings.log_level == "DEBUG"
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"


def test_missing_token_raises_a_settings_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN is missing"):
        load_settings()


@pytest.mark.parametrize(
    ("written", "operators"),
    [("", frozenset()), ("12345678", {12345678}), (" 12345678, 87654321 ,", {12345678, 87654321})],
)
def test_operators_are_a_comma_separated_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written: str, operators: set[int]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", SECRET)
    monkeypatch.setenv("ADMIN_CHAT_IDS", written)
    monkeypatch.chdir(tmp_path)
    assert load_settings().admin_chat_ids == operators


def test_an_operator_that_is_not_a_chat_id_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", SECRET)
    monkeypatch.setenv("ADMIN_CHAT_IDS", "12345678,@olu")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value).startswith("ADMIN_CHAT_IDS is not valid: set it to the operators'")
    assert "@olu" not in str(raised.value)
