"""Operator settings, read from the environment and an optional ``.env`` file.

A missing or malformed value stops start-up with one line that names the variable and how to fix
it; the token is a ``SecretStr`` so it never appears in a repr, a log line or an error.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.target import DatabaseTarget, DatabaseUrlError, parse_database_url

_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")

# What to tell the operator for each setting that fails validation.
FIXES: dict[str, str] = {
    "TELEGRAM_BOT_TOKEN": "set it to the token BotFather gave you, shaped like 123456:ABC-def",
    "TELEGRAM_API_BASE_URL": "set it to a URL such as https://api.telegram.org/bot",
    "DATABASE_PATH": "set it to a file path such as kindling.db",
    "DATABASE_URL": (
        "set it to sqlite:///kindling.db (a file) or "
        "postgresql://user:password@host:5432/kindling (a PostgreSQL server)"
    ),
    "LOG_LEVEL": "set it to one of DEBUG, INFO, WARNING, ERROR",
    "TELEGRAM_RATE_LIMIT": "set it to a number of scheduled messages per second, such as 25",
    "TICK_SECONDS": "set it to a number of seconds between 1 and 60, such as 30",
    "ENCRYPTION_KEY": "run `python -m bot keygen` and paste the key it prints",
    "BREATHING_PHASE_SECONDS": "leave it unset, or set a number of seconds up to 10, such as 4",
}


class DatabaseSettings(BaseSettings):
    """Where people's data lives and its key: what the bot and the operator commands share."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_path: Path = Path("kindling.db")
    # Chooses the backend; unset means the SQLite file at DATABASE_PATH (storage/target.py).
    # Secret: a PostgreSQL URL may carry a password.
    database_url: SecretStr | None = None
    encryption_key: SecretStr | None = None

    @field_validator("database_url", mode="before")
    @classmethod
    def _url_names_a_database(cls, value: object) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                parse_database_url(value)
            except DatabaseUrlError:
                # pydantic would echo the value (a password, perhaps): the fix is said instead.
                raise ValueError("not a database URL") from None
        return value

    @field_validator("encryption_key", mode="before")
    @classmethod
    def _blank_key_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @property
    def database(self) -> DatabaseTarget:
        """The database to open: DATABASE_URL when set, else the file at DATABASE_PATH."""
        if self.database_url is not None:
            return parse_database_url(self.database_url.get_secret_value())
        return DatabaseTarget.sqlite(self.database_path)


class Settings(DatabaseSettings):
    telegram_bot_token: SecretStr
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # Scheduled sends a second (prompts, recaps: the bulk budget, bot/rate_limits.py). Telegram's
    # guidance for bulk notifications is about 30; 25 leaves headroom for replies, which this
    # limit never holds back (they are bound only by each chat's own limit).
    telegram_rate_limit: float = Field(default=25.0, gt=0, le=1000)
    tick_seconds: float = Field(default=30.0, gt=0, le=60)
    # How long each side of /pause's breathing box lasts, overriding the seconds written in
    # grounding.toml; unset means those. Tests and demos shorten it.
    breathing_phase_seconds: float | None = Field(default=None, gt=0, le=10)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not _TOKEN_SHAPE.match(value.get_secret_value().strip()):
            raise ValueError("malformed token")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("telegram_api_base_url")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        value = value.strip()
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("not an http(s) URL")
        return value


class SettingsError(Exception):
    """One operator-facing line about a bad setting (never containing its value)."""


def describe_validation_error(error: ValidationError) -> str:
    """Turn pydantic's report into one line naming the variable and the fix, without values."""
    first = error.errors()[0]
    field = str(first["loc"][0]).upper() if first.get("loc") else "a setting"
    problem = "is missing" if first.get("type") == "missing" else "is not valid"
    fix = FIXES.get(field, "check its value")
    return f"{field} {problem}: {fix}."


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None
