"""Helpers the privacy stories share: reading what the database holds, as raw as each backend
allows (a SQLite file's bytes; every row of every table of a PostgreSQL database)."""

from __future__ import annotations

import asyncio
import io
import os
import sqlite3
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bot.__main__ import main
from bot.settings import FIXES
from storage.target import Backend, DatabaseTarget

# Every setting the bot reads from the environment (kept out of in-process runs).
SETTING_NAMES = tuple(FIXES)


def database_bytes(db_path: Path) -> bytes:
    """The main file, the write-ahead log and the shared-memory index, as they are on disk."""
    parts = [db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")]
    return b"".join(part.read_bytes() for part in parts if part.exists())


def stored_bytes(target: DatabaseTarget) -> bytes:
    """Everything the database holds. SQLite: its files' bytes, free pages included.
    PostgreSQL: every row of every table as the server returns it (its own files cannot be
    read page by page from here; README's privacy section says what that means for erasure)."""
    if target.backend is Backend.SQLITE:
        assert target.path is not None
        return database_bytes(target.path)
    with _pg(target) as conn:
        parts = [
            str(conn.execute(f"SELECT string_agg(t::text, ' ') FROM {table} t".encode()).fetchone())
            for table in _pg_tables(conn)
        ]
    return " ".join(parts).encode()


def rows_about(target: DatabaseTarget, chat_id: int) -> dict[str, int]:
    """Rows keyed by this chat (``chat_id`` or ``key`` columns) in every table, including
    tables added after the tests were written; only non-zero counts."""
    found: dict[str, int] = {}
    if target.backend is Backend.SQLITE:
        with sqlite3.connect(target.path or "") as db:
            names = db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            for (table,) in list(names):
                columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                for column in sorted({"chat_id", "key"} & columns):
                    sql = f"SELECT count(*) FROM {table} WHERE {column} = ?"
                    count = db.execute(sql, (chat_id,)).fetchone()[0]
                    if count:
                        found[f"{table}.{column}"] = count
        return found
    with _pg(target) as conn:
        for table in _pg_tables(conn):
            columns = conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = %s",
                (table,),
            ).fetchall()
            for column in sorted({"chat_id", "key"} & {row[0] for row in columns}):
                sql = f"SELECT count(*) FROM {table} WHERE {column}::text = %s"
                count = conn.execute(sql.encode(), (str(chat_id),)).fetchone()[0]  # type: ignore[index]
                if count:
                    found[f"{table}.{column}"] = count
    return found


def raw_query(target: DatabaseTarget, sql: str) -> list[tuple[object, ...]]:
    """One statement run past Kindling, as an operator's own tool would (rows, if it has any)."""
    if target.backend is Backend.SQLITE:
        with sqlite3.connect(target.path or "") as db:
            return db.execute(sql).fetchall()
    with _pg(target) as conn:
        cursor = conn.execute(sql.encode())
        return cursor.fetchall() if cursor.description else []


def _pg(target: DatabaseTarget) -> psycopg.Connection:
    assert target.conninfo is not None
    return psycopg.connect(target.conninfo, autocommit=True)


def _pg_tables(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    ).fetchall()
    return [row[0] for row in rows]


ROOT = Path(__file__).resolve().parents[2]


def run_kindling(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS`` in a fresh process, with only the given settings (no .env)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@dataclass(frozen=True, slots=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


async def kindling_here(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None
) -> Ran:
    """``python -m bot ARGS`` as ``run_kindling`` runs it, but in this process (faster): in a
    thread, since the command runs its own event loop, with only the given settings."""

    def run() -> Ran:
        saved_env, saved_cwd = dict(os.environ), Path.cwd()
        out, err = io.StringIO(), io.StringIO()
        saved_stdin = sys.stdin
        try:
            for name in SETTING_NAMES:
                os.environ.pop(name, None)
            os.environ.update(env or {})
            os.chdir(cwd)  # away from any .env file
            sys.stdin = io.StringIO(stdin or "")
            with redirect_stdout(out), redirect_stderr(err):
                code = main(list(args))
        finally:
            sys.stdin = saved_stdin
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
        return Ran(code, out.getvalue(), err.getvalue())

    return await asyncio.to_thread(run)
