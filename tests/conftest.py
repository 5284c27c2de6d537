"""Fixtures: a fresh emulator, a fresh database and the real bot for every test.

Every test that uses a database (through ``database``, ``settings`` or ``bot``) runs twice: on a
SQLite file and on a fresh database of a real PostgreSQL server that the run starts itself
(sandbox/postgres_server.py). ``--backend sqlite`` (or ``postgres``) runs one pass only; a
test marked ``sqlite_only`` is about the SQLite file itself (its bytes, locks or pages).
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
