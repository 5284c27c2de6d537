"""Command line: ``python -m bot`` (or ``kindling``) runs the bot.

Problems an operator can fix (a missing setting, an unreadable database, a token or an address
the Bot API refuses, a Bot API that cannot be reached, another instance already polling with the
same token) end in one plain line on stderr and exit status 2, never a traceback and never the
token. Anything unforeseen that still escapes is printed with its secrets blanked out.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot import cli_admin, sandbox_cli
from bot.content.library import ContentError
from bot.content.ui import UiTextError
from bot.logs import configure_logging, redact_uncaught_exceptions
from bot.roles import EXIT_ANOTHER_INSTANCE, run_process
from bot.safety import CrisisPhrasesError
from bot.settings import SettingsError, load_settings
from storage.errors import StorageError

log = logging.getLogger("bot")

ANOTHER_INSTANCE = (
    "kindling: another Kindling is already running with this bot token (Telegram answered "
    "409 Conflict); stop that one first, or give this one its own token."
)


def run_bot() -> int:
    settings = load_settings()
    secrets = [
        settings.telegram_bot_token.get_secret_value(),
        settings.encryption_key.get_secret_value() if settings.encryption_key else "",
    ]
    configure_logging(settings.log_level, secrets=secrets)
    redact_uncaught_exceptions(secrets)
    # A wrong or missing key is refused before anything is built, logged or written.
    cli_admin.check_database_key(settings)
    log.info(
        "starting database=%s texts=%s",
        settings.database.shown,
        cli_admin.texts_at_rest(settings),
    )
    # Stands by while another process on the same database is active (bot/roles.py); the
    # refusals start-up can meet are one line already (SettingsError).
    status = asyncio.run(run_process(settings))
    if status == EXIT_ANOTHER_INSTANCE:
        print(ANOTHER_INSTANCE, file=sys.stderr)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kindling", description=__doc__.splitlines()[0])
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sandbox_cli.add_parser(subcommands)
    cli_admin.add_parsers(subcommands)
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            return run_bot()
        if args.command == "sandbox":
            return sandbox_cli.run(args)
        if args.command in cli_admin.COMMANDS:
            return cli_admin.run(args)
    except (SettingsError, StorageError, ContentError, UiTextError, CrisisPhrasesError) as error:
        # A broken setting, database or content file (the message names the file and the
        # entry): one plain line for whoever runs Kindling, never a traceback.
        print(f"kindling: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
