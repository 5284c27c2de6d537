"""The scheduler tick's due query (``repo.due_people``, one batch), timed on either backend, with
the plan the database chose for the exact statement the repository ran and, for comparison, the
same statement on the driver alone (no commit), with its index and made to read the whole table.

SQLite hands the statement over through a trace callback. psycopg has none, so on PostgreSQL the
repository's ``_fetchall`` is wrapped for the one call that captures it; the plan is then
``EXPLAIN (ANALYZE, BUFFERS)`` with the same parameters, in a transaction rolled back.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from bench.population import create_population
from scheduler.ticker import BATCH_SIZE
from storage.backends import make_repository
from storage.models import DeliveryKind
from storage.postgres import PostgresRepository
from storage.sqlite import SqliteRepository
from storage.target import Backend, DatabaseTarget

QUERY_REPEATS = 200
# Planner switches that leave PostgreSQL nothing but a sequential scan.
NO_INDEX = ("enable_indexscan", "enable_bitmapscan", "enable_indexonlyscan")


@dataclass(slots=True)
class DueQuery:
    timings: list[float]
    statement: str
    params: tuple[Any, ...]
    plan: list[str]


def millis(samples: Sequence[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"median {statistics.median(ordered) * 1000:6.2f} ms, p95 {p95 * 1000:6.2f} ms"


async def measure(target: DatabaseTarget, people: int, due: int) -> DueQuery:
    now = datetime.now(UTC)
    await create_population(target, people, due, now)
    if target.backend is Backend.POSTGRES:
        # What autovacuum does within a minute of a load this size; without statistics the
        # planner would be guessing, which no running server does for long.
        _postgres(target, "ANALYZE")
    repo = make_repository(target)
    await repo.open()
    try:
        statement, params = await _captured(repo, now)
        found = await repo.due_people(DeliveryKind.PROMPT, now, BATCH_SIZE)
        assert len(found) == due, (len(found), due)
        timings = []
        for _ in range(QUERY_REPEATS):
            start = time.perf_counter()
            await repo.due_people(DeliveryKind.PROMPT, now, BATCH_SIZE)
            timings.append(time.perf_counter() - start)
    finally:
        await repo.close()
    return DueQuery(timings, statement, params, plan(target, statement, params))


async def _captured(repo: Any, now: datetime) -> tuple[str, tuple[Any, ...]]:
    """The statement (and its parameters) ``due_people`` sends to the database."""
    if isinstance(repo, SqliteRepository):
        statements: list[str] = []
        await repo.db.set_trace_callback(statements.append)
        await repo.due_people(DeliveryKind.PROMPT, now, BATCH_SIZE)
        await repo.db.set_trace_callback(None)  # type: ignore[arg-type]
        return next(s for s in reversed(statements) if "FROM people" in s), ()
    assert isinstance(repo, PostgresRepository)
    calls: list[tuple[str, tuple[Any, ...]]] = []
    fetchall = repo._fetchall

    async def recording(sql: str, params: Sequence[Any] = ()) -> list[Any]:
        calls.append((sql, tuple(params)))
        return await fetchall(sql, params)

    repo._fetchall = recording  # type: ignore[method-assign]
    try:
        await repo.due_people(DeliveryKind.PROMPT, now, BATCH_SIZE)
    finally:
        del repo._fetchall  # the class's method again
    return next(call for call in reversed(calls) if "FROM people" in call[0])


def plan(target: DatabaseTarget, statement: str, params: tuple[Any, ...]) -> list[str]:
    if target.backend is Backend.SQLITE:
        assert target.path is not None
        db = sqlite3.connect(target.path)
        try:
            return [str(row[-1]) for row in db.execute(f"EXPLAIN QUERY PLAN {statement}")]
        finally:
            db.close()
    assert target.conninfo is not None
    with psycopg.connect(target.conninfo) as conn:
        rows = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}".encode(), params).fetchall()
        conn.rollback()  # EXPLAIN ANALYZE ran the FOR UPDATE: its row locks go with it
    return [str(row[0]).strip() for row in rows]


def generic_plan(target: DatabaseTarget, statement: str, params: tuple[Any, ...]) -> list[str]:
    """PostgreSQL only: the plan for any parameters (``$1``, ``$2``), which the server may keep
    for a statement psycopg has prepared (after five runs); it must use the index as well."""
    assert target.conninfo is not None
    numbered = statement
    for n in range(1, len(params) + 1):
        numbered = numbered.replace("%s", f"${n}", 1)
    arguments = sql.SQL(", ").join(sql.Literal(value) for value in params)
    with psycopg.connect(target.conninfo) as conn:
        conn.execute(f"PREPARE due_probe AS {numbered}".encode())
        conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        rows = conn.execute(sql.SQL("EXPLAIN EXECUTE due_probe({})").format(arguments)).fetchall()
        conn.rollback()
    return [str(row[0]).strip() for row in rows]


def driver_timings(
    target: DatabaseTarget, statement: str, params: tuple[Any, ...], *, index: bool = True
) -> list[float]:
    """The same statement on the driver alone, each run rolled back rather than committed: the
    query's own cost, without the repository's transaction (on PostgreSQL a commit that must
    reach the disk, since FOR UPDATE writes its row locks). ``index=False`` makes it read every
    row, for comparison."""
    samples = []
    if target.backend is Backend.SQLITE:
        assert target.path is not None
        if not index:
            statement = statement.replace("FROM people", "FROM people NOT INDEXED", 1)
        db = sqlite3.connect(target.path)
        try:
            for _ in range(QUERY_REPEATS // 4):
                start = time.perf_counter()
                db.execute(statement).fetchall()
                samples.append(time.perf_counter() - start)
        finally:
            db.close()
        return samples
    assert target.conninfo is not None
    with psycopg.connect(target.conninfo) as conn:
        for _ in range(QUERY_REPEATS // 4):
            for setting in () if index else NO_INDEX:
                conn.execute(f"SET LOCAL {setting} = off".encode())
            start = time.perf_counter()
            conn.execute(statement.encode(), params).fetchall()
            samples.append(time.perf_counter() - start)
            conn.rollback()
    return samples


def _postgres(target: DatabaseTarget, sql: str) -> None:
    assert target.conninfo is not None
    with psycopg.connect(target.conninfo, autocommit=True) as conn:
        conn.execute(sql.encode())
