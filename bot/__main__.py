"""Command line: ``python -m bot`` (or ``kindling``) runs the bot.

Problems an operator can fix (a missing setting, an unreadable database, another instance
already polling with the same token) end in one plain line on stderr and exit status 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bot import cli_admin, sandbox_cli
from bot.app import POLL_INTERVAL_SECONDS, build_application
from bot.bot_api import ALLOWED_UPDATES
from bot.logs import configure_logging
from bot.settings import SettingsError, load_settings
from storage.errors import StorageError

log = logging.getLogger("bot")

ANOTHER_INSTANCE = (
    "kindling: another Kindling is already running with this bot token (Telegram answered "
    "409 Conflict); stop that one first, or give this one its own token."
)


def run_bot() -> int:
    settings = load_settings()
    configure_logging(
        settings.log_level,
        secrets=[
            settings.telegram_bot_token.get_secret_value(),
            settings.encryption_key.get_secret_value() if settings.encryption_key else "",
        ],
    )
    # A wrong or missing key is refused before anything is built, logged or written.
    cli_admin.check_database_key(settings)
    application = build_application(settings)
    log.info(
        "starting database=%s texts=%s",
        settings.database_path,
        cli_admin.texts_at_rest(settings),
    )
    application.run_polling(allowed_updates=ALLOWED_UPDATES, poll_interval=POLL_INTERVAL_SECONDS)
    if application.another_instance_running:
        print(ANOTHER_INSTANCE, file=sys.stderr)
        return 2
    return 0


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
    except (SettingsError, StorageError) as error:
        print(f"kindling: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
