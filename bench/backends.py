"""The databases a benchmark runs Kindling on: SQLite files, or PostgreSQL databases.

``--backend sqlite|postgres|both`` (``both`` by default) chooses. The PostgreSQL server is a
throwaway one (sandbox/postgres_server.py, Debian's ``postgresql-15``), started once per
benchmark with ``durable=True``: fsync and synchronous_commit on, as an operator runs it, since
the figures are about commits reaching the disk as much as about queries. Every measurement gets
a fresh database, like a fresh SQLite file, so none pays for another's rows.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import psycopg

from sandbox.postgres_server import LocalPostgres, PostgresUnavailable
from storage.target import Backend, DatabaseTarget, parse_database_url

CHOICES = ("both", "sqlite", "postgres")
NAMES = {Backend.SQLITE: "SQLite", Backend.POSTGRES: "PostgreSQL"}


def add_backend_option(parser: argparse.ArgumentParser, default: str = "both") -> None:
    parser.add_argument(
        "--backend",
        choices=CHOICES,
        default=default,
        help=f"the database Kindling runs on ({default} unless given); both measures SQLite and "
        "PostgreSQL side by side in one run",
    )


def chosen(option: str) -> list[Backend]:
    if option == "both":
        return [Backend.SQLITE, Backend.POSTGRES]
    return [Backend(option)]


class Databases:
    """Fresh databases on the chosen backends: files in ``folder``, databases on one server."""

    def __init__(self, folder: Path, backends: Sequence[Backend]) -> None:
        self.folder = folder
        self.backends = list(backends)
        self.server: LocalPostgres | None = None

    def __enter__(self) -> Databases:
        if Backend.POSTGRES in self.backends:
            try:
                self.server = LocalPostgres(durable=True).start()
            except PostgresUnavailable as exc:
                raise SystemExit(f"{exc}; or measure SQLite alone: --backend sqlite") from None
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.server is not None:
            self.server.stop()

    def fresh(self, backend: Backend, name: str) -> DatabaseTarget:
        if backend is Backend.SQLITE:
            return DatabaseTarget.sqlite(self.folder / f"{name}.db")
        assert self.server is not None
        return parse_database_url(self.server.create_database(name))

    def describe(self) -> str:
        """What the figures were measured on, for the line under the machine's."""
        shown = []
        for backend in self.backends:
            if backend is Backend.SQLITE:
                shown.append("SQLite (WAL, synchronous = FULL)")
            else:
                assert self.server is not None
                with psycopg.connect(self.server.url(), autocommit=True) as conn:
                    row = conn.execute("SHOW server_version").fetchone()
                version = row[0] if row else "?"
                shown.append(
                    f"PostgreSQL {version} on a Unix socket (fsync on, synchronous_commit on, "
                    "other settings at their defaults)"
                )
        return "; ".join(shown)


def bot_env(target: DatabaseTarget) -> dict[str, str]:
    """The environment of a Kindling child process on ``target``. Both variables are removed
    first: one left over from the caller's shell would send the child elsewhere."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_PATH", "DATABASE_URL"}}
    if target.backend is Backend.SQLITE:
        env["DATABASE_PATH"] = str(target.path)
    else:
        assert target.conninfo is not None
        env["DATABASE_URL"] = target.conninfo
    return env


def size_mb(target: DatabaseTarget) -> float:
    """The file's size, or the PostgreSQL database's (tables, indexes and TOAST)."""
    if target.backend is Backend.SQLITE:
        assert target.path is not None
        return target.path.stat().st_size / 1e6
    assert target.conninfo is not None
    with psycopg.connect(target.conninfo, autocommit=True) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    assert row is not None
    return int(row[0]) / 1e6


def count_wins(target: DatabaseTarget) -> int:
    """Wins stored, counted in the database itself rather than through the bot."""
    return count_rows(target, "SELECT count(*) FROM entries WHERE kind = 'win'")


def count_rows(target: DatabaseTarget, query: str) -> int:
    """A ``SELECT count(*)`` run in the database itself rather than through the bot."""
    if target.backend is Backend.SQLITE:
        assert target.path is not None
        db = sqlite3.connect(target.path)
        try:
            (stored,) = db.execute(query).fetchone()
        finally:
            db.close()
        return int(stored)
    assert target.conninfo is not None
    with psycopg.connect(target.conninfo, autocommit=True) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0])
