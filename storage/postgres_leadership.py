"""The active role's lock on PostgreSQL: a session advisory lock held on a connection of its own
(see storage/leadership.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg

from storage.leadership import Leadership

log = logging.getLogger(__name__)

# One lock per database: "kindling" in ASCII, a bigint no other program is likely to pick.
ADVISORY_LOCK_KEY = 0x6B696E646C696E67
# A check of the lock connection that takes longer than this counts as the lock lost: a server
# that cannot answer may already have let go of it.
CHECK_TIMEOUT_SECONDS = 2.0
CONNECT_TIMEOUT_SECONDS = 5


class AdvisoryLeadership(Leadership):
    """PostgreSQL: a session advisory lock on one dedicated connection."""

    def __init__(self, conninfo: str, key: int = ADVISORY_LOCK_KEY) -> None:
        self.conninfo = conninfo
        self.key = key
        self._conn: psycopg.AsyncConnection | None = None
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    async def _connection(self) -> psycopg.AsyncConnection:
        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(
                self.conninfo,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
                # Kept idle for hours: keepalives let the server notice a holder that vanished
                # with the network, and this side notice a server that did.
                keepalives=1,
                keepalives_idle=10,
                keepalives_interval=5,
                keepalives_count=3,
                application_name="kindling-leadership",
            )
        return self._conn

    async def try_acquire(self) -> bool:
        if self._held:
            return True
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS + CONNECT_TIMEOUT_SECONDS):
                conn = await self._connection()
                row = await (
                    await conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,))
                ).fetchone()
        except (psycopg.Error, OSError, TimeoutError) as error:
            # The standby keeps trying; one line per failure would flood the log while the
            # server is down, so the caller counts them.
            log.debug("leadership attempt failed type=%s", type(error).__name__)
            await self._drop_connection()
            return False
        self._held = bool(row and row[0])
        return self._held

    async def still_held(self) -> bool:
        if not self._held or self._conn is None:
            return False
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                # The lock lives as long as this session: a session that answers still has it
                # (nothing here ever unlocks it but ``release``).
                await self._conn.execute("SELECT 1")
        except (psycopg.Error, OSError, TimeoutError) as error:
            log.debug("leadership check failed type=%s", type(error).__name__)
            self._held = False
            await self._drop_connection()
            return False
        return True

    async def release(self) -> None:
        self._held = False
        # Ending the session lets go of the lock; no unlock statement that could hang.
        await self._drop_connection()

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            with contextlib.suppress(psycopg.Error, OSError):
                await conn.close()
