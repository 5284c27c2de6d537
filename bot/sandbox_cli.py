"""``python -m bot sandbox`` (or ``kindling sandbox``): try Kindling in a browser.

Starts, in one process and one event loop, the Bot API emulator on a free loopback port, the real
bot against it (a made-up token; no Telegram account and no network needed), and the web chat
at http://127.0.0.1:8080. Ctrl-C or SIGTERM stops all three cleanly. Without ``--db`` the
database is a fresh temporary file that goes away on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import os
import signal
import sys
import tempfile
from pathlib import Path

from bot.logs import configure_logging
from bot.settings import FIXES, SettingsError

DEFAULT_PORT = 8080
# Without LOG_LEVEL the console shows only the address and real problems.
DEFAULT_LOG_LEVEL = "WARNING"


def add_parser(subcommands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``sandbox`` and its options on the ``kindling`` command line."""
    parser = subcommands.add_parser(
        "sandbox",
        help="try Kindling in a browser: no Telegram account or token needed",
        description=(
            "Try Kindling in a browser: the real bot against a local Telegram emulator, with a "
            "web chat at http://127.0.0.1:8080. No Telegram account, token or network needed."
        ),
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"web chat port on 127.0.0.1 (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="SQLite file to use and keep (default: a fresh temporary one, removed on exit)",
    )


def _log_level() -> str:
    """LOG_LEVEL from the environment if set; otherwise the sandbox stays quiet."""
    for name, value in os.environ.items():
        if name.upper() == "LOG_LEVEL" and value.strip():
            return value.strip().upper()
    return DEFAULT_LOG_LEVEL


async def serve(port: int, database: Path, *, kept: bool) -> None:
    """Run the sandbox until SIGINT or SIGTERM."""
    # Imported here so `python -m bot` (production) never loads the emulator and web chat.
    from sandbox.runner import running_sandbox

    level = _log_level()
    try:
        configure_logging(level)
    except ValueError:
        raise SettingsError(f"LOG_LEVEL is not valid: {FIXES['LOG_LEVEL']}.") from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
            loop.add_signal_handler(signum, stop.set)
    async with running_sandbox(database, port=port, log_level=level) as sandbox:
        where = f"{database}" if kept else "a fresh temporary one, removed when you stop"
        print(f"Kindling sandbox: open {sandbox.url} in your browser.", flush=True)
        print(f"Database: {where}. Ctrl-C stops it.", flush=True)
        await stop.wait()
    print("Kindling sandbox stopped.", flush=True)


def run(args: argparse.Namespace) -> int:
    """The ``sandbox`` subcommand; returns the exit status."""
    try:
        if args.db is not None:
            asyncio.run(serve(args.port, args.db, kept=True))
        else:
            with tempfile.TemporaryDirectory(prefix="kindling-sandbox-") as folder:
                asyncio.run(serve(args.port, Path(folder) / "kindling.db", kept=False))
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        print(
            f"kindling: port {args.port} is already in use; try another, "
            f"such as `kindling sandbox --port {args.port + 1}`.",
            file=sys.stderr,
        )
        return 2
    return 0
