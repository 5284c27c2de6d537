"""Command line: ``python -m bot`` (or ``kindling``) runs the bot.

Problems an operator can fix (a missing setting, an unreadable database) end in one plain line
on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from telegram import Update

from bot.app import build_application
from bot.logs import configure_logging
from bot.settings import SettingsError, load_settings
from storage.errors import StorageError

log = logging.getLogger("bot")


def run_bot() -> int:
    settings = load_settings()
    configure_logging(settings.log_level)
    application = build_application(settings)
    log.info("starting database=%s", settings.database_path)
    application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kindling", description=__doc__.splitlines()[0])
    parser.add_subparsers(dest="command", metavar="COMMAND")
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            return run_bot()
    except (SettingsError, StorageError) as error:
        print(f"kindling: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
