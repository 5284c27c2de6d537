"""Kindling processes whose log lines a test can wait for while they run (``python -m bot`` at
LOG_LEVEL INFO, its stderr read as it comes), for the standby and webhook tests."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.emulator import BotApiEmulator
from storage.target import DatabaseTarget
from tests.harness import start_bot_process


def free_port() -> int:
    """A loopback port nothing listens on now (for the health and webhook listeners)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Kindling:
    """One ``python -m bot`` process and every line it has written to stderr so far."""

    process: asyncio.subprocess.Process
    name: str
    lines: list[str] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task[None] | None = None

    def start_reading(self) -> None:
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))
            self._changed.set()
        self._changed.set()

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def said(self, fragment: str) -> list[str]:
        return [line for line in self.lines if fragment in line]

    async def wait_for_line(self, fragment: str, timeout: float = 30.0) -> str:
        """The first line holding ``fragment``, once the process has written it."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    found = self.said(fragment)
                    if found:
                        return found[0]
                    if self.process.returncode is not None and self._reader_done():
                        raise AssertionError(
                            f"{self.name} exited ({self.process.returncode}) without "
                            f"{fragment!r}:\n{self.text}"
                        )
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(
                f"{self.name} did not write {fragment!r} within {timeout}s:\n{self.text}"
            ) from None

    def _reader_done(self) -> bool:
        return self._reader is None or self._reader.done()

    def roles(self) -> list[str]:
        """The role lines, as ``role=... how=...`` (without time, pid and logger)."""
        return [
            " ".join(word for word in line.split() if word.startswith(("role=", "how=")))
            for line in self.lines
            if " role=" in line
        ]

    async def kill(self) -> None:
        """SIGKILL: no clean-up, no flush, like a power cut for this process."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> int:
        """SIGTERM and wait (SIGKILL after 20 s); the exit status."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(20):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._reader is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await self._reader
        assert self.process.returncode is not None
        return self.process.returncode


async def start_kindling(
    emulator: BotApiEmulator, database: Path | DatabaseTarget, name: str, **env: str
) -> Kindling:
    process = await start_bot_process(emulator, database, **{"LOG_LEVEL": "INFO", **env})
    kindling = Kindling(process, name)
    kindling.start_reading()
    return kindling
