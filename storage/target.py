"""Where Kindling's data lives: one ``DATABASE_URL`` names the backend and its place.

``sqlite:///kindling.db`` (a relative path) or ``sqlite:////srv/kindling/kindling.db`` (an
absolute one) is the embedded default; ``postgresql://user:password@host:5432/kindling`` is a
PostgreSQL server. The password never leaves this module except towards the driver:
``DatabaseTarget.shown`` is what logs and error lines use.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit


class Backend(StrEnum):
    SQLITE = "sqlite"
    POSTGRES = "postgres"


class DatabaseUrlError(ValueError):
    """The URL cannot name a database; the message never repeats the URL (it may hold a
    password)."""


_POSTGRES_SCHEMES = frozenset({"postgresql", "postgres"})


@dataclass(frozen=True, slots=True)
class DatabaseTarget:
    backend: Backend
    # SQLite: the file. PostgreSQL: None.
    path: Path | None = None
    # PostgreSQL: the URL as given (with its password), for the driver only.
    conninfo: str | None = None

    @property
    def shown(self) -> str:
        """The target as an operator may read it in a log line: never a password."""
        if self.backend is Backend.SQLITE:
            return str(self.path)
        assert self.conninfo is not None
        return redact_url(self.conninfo)

    @classmethod
    def sqlite(cls, path: Path | str) -> DatabaseTarget:
        return cls(Backend.SQLITE, path=Path(path))


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (and query options dropped, since libpq
    accepts ``password=`` there too)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unreadable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        credentials, _, host = netloc.rpartition("@")
        user = credentials.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in credentials else f"{user}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def parse_database_url(url: str) -> DatabaseTarget:
    """Read ``DATABASE_URL``; raise :class:`DatabaseUrlError` naming what is wrong."""
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise DatabaseUrlError("it has no scheme (sqlite:/// or postgresql://)")
    scheme = scheme.lower()
    if scheme == "sqlite":
        # sqlite:///relative.db and sqlite:////absolute.db, as SQLAlchemy writes them.
        if not rest.startswith("/"):
            raise DatabaseUrlError("a SQLite URL has three slashes, as in sqlite:///kindling.db")
        path = unquote(rest[1:])
        if not path or path.endswith("/"):
            raise DatabaseUrlError("a SQLite URL names a file, as in sqlite:///kindling.db")
        return DatabaseTarget.sqlite(path)
    if scheme in _POSTGRES_SCHEMES:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            raise DatabaseUrlError("its host or port cannot be read") from None
        if not parts.path.strip("/") and not parts.hostname:
            raise DatabaseUrlError("it names no host and no database")
        return DatabaseTarget(Backend.POSTGRES, conninfo=url)
    raise DatabaseUrlError(f"'{scheme}' is not a database Kindling knows (sqlite or postgresql)")
