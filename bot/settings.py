"""Operator settings, read from the environment and an optional ``.env`` file.

A missing or malformed value stops start-up with one line that names the variable and how to fix
it; the token is a ``SecretStr`` so it never appears in a repr, a log line or an error.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    "HEALTH_HOST": "set it to the address to serve /healthz and /metrics on, such as 127.0.0.1",
    "HEALTH_PORT": "set it to a port such as 8090, or 0 to serve no health endpoint",
    "WEBHOOK_URL": (
        "set it to the public https:// address Telegram should send updates to, or leave it "
        "empty to poll"
    ),
    "WEBHOOK_SECRET": (
        "set it to 1 to 256 letters, digits, _ or - (such as the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`): it is required "
        "with WEBHOOK_URL"
    ),
    "WEBHOOK_LISTEN_HOST": "set it to the address the webhook listener binds, such as 0.0.0.0",
    "WEBHOOK_LISTEN_PORT": "set it to the port the webhook listener binds, such as 8443",
    "WEBHOOK_MAX_CONNECTIONS": "set it to a number from 1 to 100, such as 40",
    "ADMIN_CHAT_IDS": (
        "set it to the operators' Telegram chat ids, separated by commas (such as "
        "12345678,87654321), or leave it empty"
    ),
}

_WEBHOOK_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


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
    # /healthz and /metrics (bot/health.py), in every process, active or standing by. Loopback
    # by default: what the page shows is for the operator. Port 0 serves none.
    health_host: str = "127.0.0.1"
    health_port: int = Field(default=8090, ge=0, le=65535)
    # Webhook mode (bot/webhook.py) when WEBHOOK_URL is set; polling when it is empty.
    webhook_url: str | None = None
    # What Telegram sends back in X-Telegram-Bot-Api-Secret-Token: a request without it is
    # refused, so only Telegram can put updates into the inbox. Required with WEBHOOK_URL.
    webhook_secret: SecretStr | None = None
    webhook_listen_host: str = "127.0.0.1"
    webhook_listen_port: int = Field(default=8443, ge=1, le=65535)
    # How many connections Telegram may open at once to deliver updates (its default is 40).
    webhook_max_connections: int = Field(default=40, ge=1, le=100)
    # The operators who read sentences offered to others before anyone sees them (/review).
    # Comma-separated chat ids; empty: nobody reviews, so nobody is invited to offer one.
    admin_chat_ids: Annotated[frozenset[int], NoDecode] = frozenset()

    @field_validator("admin_chat_ids", mode="before")
    @classmethod
    def _chat_ids(cls, value: object) -> object:
        if isinstance(value, int):
            return frozenset({value})
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(re.fullmatch(r"-?[0-9]{1,20}", part) for part in parts):
                raise ValueError("not a list of chat ids")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _webhook_url_shape(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            if not re.match(r"^https?://[^\s/]+(/\S*)?$", value):
                raise ValueError("not an http(s) URL")
        return value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _webhook_secret_shape(cls, value: object) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            if not _WEBHOOK_SECRET_SHAPE.match(value):
                # Telegram's own rule for secret_token; the value itself is never echoed.
                raise ValueError("not 1 to 256 of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_needs_a_secret(self) -> Settings:
        if self.webhook_url is not None and self.webhook_secret is None:
            raise PydanticCustomError("missing", "WEBHOOK_SECRET is required with WEBHOOK_URL")
        return self

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
    if not first.get("loc") and "WEBHOOK_SECRET" in str(first.get("msg", "")):
        field = "WEBHOOK_SECRET"  # the one check across two settings
    problem = "is missing" if first.get("type") == "missing" else "is not valid"
    fix = FIXES.get(field, "check its value")
    return f"{field} {problem}: {fix}."


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None
