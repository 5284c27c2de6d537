"""Fixtures: a fresh emulator, a fresh database and the real bot for every test.

Every test that uses a database (through ``database``, ``settings`` or ``bot``) runs twice: on a
SQLite file and on a fresh database of a real PostgreSQL server that the run starts itself
(sandbox/postgres_server.py). ``--backend sqlite`` (or ``postgres``) runs one pass only; a
test marked ``sqlite_only`` is about the SQLite file itself (its bytes, locks or pages).

Each test is also marked with its kind, from where it lives (``KINDS`` below), so that ``-m``
picks the fast ones (README, "Running the tests"): ``unit`` (no bot running), ``e2e`` (the
real bot in this process, through the emulator), ``process`` (starts the bot or another
program as a process of its own) or ``browser`` (drives Chromium).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import KindlingApplication
from bot.clock import ManualClock
from bot.logs import QUIET_LOGGERS
from bot.places import place_index
from bot.settings import Settings
from sandbox.emulator import BotApiEmulator
from sandbox.postgres_server import LocalPostgres
from storage.repository import Repository
from storage.target import Backend, DatabaseTarget
from tests.harness import make_settings, open_repository, running_bot

# Where each kind of test lives, checked in this order; any other test is ``e2e``. A new test
# that starts a process or a browser outside these files is named here too (a file, or a file's
# test).
KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "browser",
        ("tests/sandbox_web/test_browser.py", "tests/sandbox_web/test_first_week.py"),
    ),
    (
        "process",
        (
            "tests/faults/test_crashes.py",
            "tests/faults/test_database.py",
            "tests/faults/test_failover_load.py",
            "tests/faults/test_health.py",
            "tests/faults/test_inbox_crashes.py",
            "tests/faults/test_standby.py",
            "tests/faults/test_start_up.py",
            "tests/faults/test_two_instances.py",
            "tests/faults/test_webhook.py",
            "tests/e2e/test_restart.py",
            "tests/privacy/test_backup.py::test_backup_command_while_the_bot_runs",
            "tests/privacy/test_backup.py::"
            "test_on_postgres_the_backup_command_runs_pg_dump_and_restores_whole",
            "tests/privacy/test_encryption.py::"
            "test_the_wrong_key_is_refused_in_one_line_and_nothing_is_written",
            "tests/privacy/test_encryption.py::test_keygen_prints_a_fresh_usable_key",
            "tests/privacy/test_encryption.py::"
            "test_without_a_key_the_bot_runs_and_says_texts_are_unencrypted",
            "tests/sandbox/test_emulator.py::test_cli_prints_base_url",
            "tests/sandbox_web/test_cli.py",
            "tests/scheduler/test_crash.py::test_killed_between_claim_and_send_never_sends_twice",
            "tests/unit/test_database_url.py::test_an_unreachable_server_is_one_line",
            "tests/unit/test_database_url.py::"
            "test_a_database_or_user_that_does_not_exist_is_one_line",
            "tests/unit/test_settings.py::test_bad_settings_give_one_clear_line",
            "tests/unit/test_settings.py::test_an_unreadable_database_is_one_line_and_left_alone",
        ),
    ),
    ("unit", ("tests/unit/", "tests/recap/", "tests/storage/")),
)


def kind_of(nodeid: str) -> str:
    """``unit``, ``e2e``, ``process`` or ``browser``: the kind of the test with this id."""
    for kind, places in KINDS:
        for place in places:
            if place.endswith("/") and nodeid.startswith(place):
                return kind
            if nodeid == place or nodeid.startswith((f"{place}::", f"{place}[")):
                return kind
    return "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(kind_of(item.nodeid))


# A Wednesday morning in late November, far from any daylight-saving change in either
# hemisphere unless a test moves it there on purpose.
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True, scope="session")
def _place_index_built() -> None:
    """Build the city index once per test run, as the bot's start-up warm-up would."""
    place_index()


@pytest.fixture(autouse=True)
def _quiet_http_logs() -> None:
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as em:
        yield em


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        action="append",
        choices=[str(b) for b in Backend],
        help="run database tests on this backend only (repeatable; default: both)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: about the SQLite file itself; not run on PostgreSQL"
    )
    config.addinivalue_line(
        "markers", "postgres_only: about the PostgreSQL server itself; not run on SQLite"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames:
        return
    chosen = metafunc.config.getoption("backend") or [str(b) for b in Backend]
    for only in Backend:
        if metafunc.definition.get_closest_marker(f"{only}_only"):
            chosen = [b for b in chosen if b == only]
    metafunc.parametrize("backend", [Backend(b) for b in chosen], indirect=True, ids=str)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[LocalPostgres]:
    """One server for the whole run; each test gets its own database on it."""
    with LocalPostgres() as server:
        yield server


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> Backend:
    return Backend(request.param)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """The SQLite file (for tests marked ``sqlite_only``, and the SQLite pass of the rest)."""
    return tmp_path / "kindling.db"


@pytest.fixture
def database(
    backend: Backend, db_path: Path, request: pytest.FixtureRequest
) -> Iterator[DatabaseTarget]:
    if backend is Backend.SQLITE:
        yield DatabaseTarget.sqlite(db_path)
        return
    server: LocalPostgres = request.getfixturevalue("postgres_server")
    name = f"t{uuid.uuid4().hex[:16]}"
    yield DatabaseTarget(Backend.POSTGRES, conninfo=server.create_database(name))
    server.drop_database(name)


@pytest.fixture
def another_database(
    backend: Backend, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[], DatabaseTarget]]:
    """Makes more empty databases on the test's backend (removed afterwards)."""
    made: list[str] = []

    def make() -> DatabaseTarget:
        name = f"t{uuid.uuid4().hex[:16]}"
        if backend is Backend.SQLITE:
            return DatabaseTarget.sqlite(tmp_path / f"{name}.db")
        server: LocalPostgres = request.getfixturevalue("postgres_server")
        made.append(name)
        return DatabaseTarget(Backend.POSTGRES, conninfo=server.create_database(name))

    yield make
    for name in made:
        request.getfixturevalue("postgres_server").drop_database(name)


@pytest.fixture
async def repo(database: DatabaseTarget) -> AsyncIterator[Repository]:
    """The test's database, opened as the bot opens it."""
    async with open_repository(database) as repository:
        yield repository


@pytest.fixture
def settings(emulator: BotApiEmulator, database: DatabaseTarget) -> Settings:
    return make_settings(emulator, database)


@pytest.fixture
async def bot(settings: Settings, clock: ManualClock) -> AsyncIterator[KindlingApplication]:
    async with running_bot(settings, clock) as application:
        yield application
