"""A throwaway PostgreSQL server for tests and benchmarks, from Debian's ``postgresql-15``.

``initdb`` and ``pg_ctl`` make and start a cluster in a temporary folder, listening only on a
Unix socket inside it (no TCP port, so nothing else on the machine can reach it and nothing
clashes with another run). PostgreSQL refuses to run as root, so when the tests run as root the
server runs as the ``postgres`` user through ``runuser``. Nothing is downloaded: a machine
without the binaries gets one line saying which package to install (scripts/ensure-postgres
installs it).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg

SEARCH_PATHS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin")
SERVER_USER = "postgres"


class PostgresUnavailable(RuntimeError):
    """The binaries are missing, or the server would not start."""


def find_binaries() -> Path:
    for folder in (os.environ.get("KINDLING_PG_BIN", ""), *SEARCH_PATHS):
        if folder and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    raise PostgresUnavailable(
        "PostgreSQL 15 is not installed: run scripts/ensure-postgres (or `apt-get install "
        "postgresql-15`), or set KINDLING_PG_BIN to the folder holding initdb and pg_ctl"
    )


@dataclass
class LocalPostgres:
    """One server; ``url(name)`` connects to one database on it."""

    # Durability settings off by default: a test server's data is thrown away. A benchmark
    # passes durable=True to measure what an operator runs.
    durable: bool = False
    root: Path = field(init=False)
    _as_root: bool = field(init=False, default=False)
    _binaries: Path = field(init=False)

    def _run(self, args: Sequence[str]) -> None:
        command = list(args)
        if self._as_root:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            problem = " ".join((result.stderr or result.stdout).split())[-400:]
            raise PostgresUnavailable(f"{Path(args[0]).name} failed: {problem}")

    def start(self) -> LocalPostgres:
        binaries = self._binaries = find_binaries()
        self._as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="kindling-pg-"))
        if self._as_root:
            account = pwd.getpwnam(SERVER_USER)
            os.chown(self.root, account.pw_uid, account.pw_gid)
        data = self.root / "data"
        self._run(
            [
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                SERVER_USER,
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        )
        options = [f"-k {self.root}", "-c listen_addresses=''", "-c max_connections=200"]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._run(
            [
                str(binaries / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(self.root / "server.log"),
                "-o",
                " ".join(options),
                "-w",
                "start",
            ]
        )
        return self

    def stop(self) -> None:
        try:
            self._run(
                [
                    str(self._binaries / "pg_ctl"),
                    "-D",
                    str(self.root / "data"),
                    "-m",
                    "fast",
                    "stop",
                ]
            )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    @property
    def socket_dir(self) -> Path:
        return self.root

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SERVER_USER}@/{database}?host={quote(str(self.root), safe='')}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"'.encode())
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
