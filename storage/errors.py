"""Errors storage raises for conditions an operator must act on."""


class StorageError(Exception):
    """A database problem worth one clear line to the operator, not a traceback."""


class SchemaTooNewError(StorageError):
    """The file was written by a newer Kindling; opening it could damage it."""


class DatabaseUnreadableError(StorageError):
    """The file is not a SQLite database we can read (corrupt, or something else)."""


class DatabaseGoneError(StorageError):
    """The database file was removed or replaced under the running bot: nothing written from
    now on could be kept."""
