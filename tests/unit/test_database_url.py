"""DATABASE_URL chooses the backend; a bad URL, an unreachable server or a wrong database stop
start-up with one line naming the setting, never the password."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings
from sandbox.postgres_server import LocalPostgres
from storage.target import Backend, DatabaseTarget, DatabaseUrlError, parse_database_url
from tests.unit.test_settings import SECRET, run_bot

PASSWORD = "Hunter2-very-secret"


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("sqlite:///kindling.db", DatabaseTarget.sqlite("kindling.db")),
        ("sqlite:////srv/kindling/k.db", DatabaseTarget.sqlite("/srv/kindling/k.db")),
        ("SQLite:///data/my%20notes.db", DatabaseTarget.sqlite("data/my notes.db")),
        (
            f"postgresql://kindling:{PASSWORD}@db.internal:5432/kindling",
            DatabaseTarget(
                Backend.POSTGRES,
                conninfo=f"postgresql://kindling:{PASSWORD}@db.internal:5432/kindling",
            ),
        ),
        (
            "postgres://kindling@/kindling?host=/var/run/postgresql",
            DatabaseTarget(
                Backend.POSTGRES, conninfo="postgres://kindling@/kindling?host=/var/run/postgresql"
            ),
        ),
    ],
)
def test_urls_name_a_backend_and_a_place(url: str, target: DatabaseTarget) -> None:
    assert parse_database_url(url) == target
    assert PASSWORD not in parse_database_url(url).shown


@pytest.mark.parametrize(
    "url",
    [
        "kindling.db",
        "sqlite://kindling.db",
        "sqlite:///",
        f"mysql://root:{PASSWORD}@localhost/kindling",
        f"postgresql://kindling:{PASSWORD}@db:port/kindling",
        "postgresql://",
    ],
)
def test_urls_that_name_no_database_are_refused_without_repeating_them(url: str) -> None:
    with pytest.raises(DatabaseUrlError) as caught:
        parse_database_url(url)
    assert PASSWORD not in str(caught.value)
    with pytest.raises(SettingsError) as refused:
        load_settings(telegram_bot_token=SECRET, database_url=url, _env_file=None)
    line = str(refused.value)
    assert line.startswith("DATABASE_URL is not valid") and "postgresql://" in line
    assert PASSWORD not in line


def test_without_a_url_the_file_at_database_path_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = load_settings(telegram_bot_token=SECRET, database_path="here.db", _env_file=None)
    assert settings.database == DatabaseTarget.sqlite(Path("here.db"))
    blank = load_settings(telegram_bot_token=SECRET, database_url=" ", _env_file=None)
    assert blank.database == DatabaseTarget.sqlite(Path("kindling.db"))
    url = f"postgresql://k:{PASSWORD}@h/k"
    chosen = load_settings(telegram_bot_token=SECRET, database_url=url, _env_file=None)
    assert chosen.database.backend is Backend.POSTGRES
    assert PASSWORD not in repr(chosen) and PASSWORD not in chosen.database.shown


def one_line_refusal(env: dict[str, str], tmp_path: Path) -> str:
    result = run_bot(
        {
            "TELEGRAM_BOT_TOKEN": SECRET,
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
            "LOG_LEVEL": "INFO",
            **env,
        },
        tmp_path,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert PASSWORD not in result.stderr + result.stdout and SECRET not in result.stderr
    assert not (tmp_path / "kindling.db").exists()
    return lines[0]


def test_an_unreachable_server_is_one_line(tmp_path: Path) -> None:
    url = f"postgresql://kindling:{PASSWORD}@127.0.0.1:9/kindling?connect_timeout=3"
    line = one_line_refusal({"DATABASE_URL": url}, tmp_path)
    assert "DATABASE_URL" in line and "127.0.0.1:9" in line and "kindling:***@" in line


def test_a_database_or_user_that_does_not_exist_is_one_line(
    tmp_path: Path, postgres_server: LocalPostgres
) -> None:
    socket = str(postgres_server.socket_dir)
    for url in (
        f"postgresql://postgres:{PASSWORD}@/no_such_database?host={socket}",
        f"postgresql://nobody:{PASSWORD}@/postgres?host={socket}",
    ):
        line = one_line_refusal({"DATABASE_URL": url}, tmp_path)
        assert "DATABASE_URL" in line and "does not exist" in line
