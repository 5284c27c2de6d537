"""Helpers the privacy stories share: reading the database files' raw bytes."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from bot.__main__ import main
from bot.settings import FIXES

# Every setting the bot reads from the environment (kept out of in-process runs).
SETTING_NAMES = (*FIXES, "PERSISTENCE_INTERVAL")


def database_bytes(db_path: Path) -> bytes:
    """The main file, the write-ahead log and the shared-memory index, as they are on disk."""
    parts = [db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")]
    return b"".join(part.read_bytes() for part in parts if part.exists())


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
