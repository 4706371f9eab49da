"""Named domain errors; the CLI turns each into one line on stderr."""

from __future__ import annotations


class CppccWatchError(Exception):
    """Base class of every error the project raises on purpose."""

    exit_code = 2


class BadInput(CppccWatchError):
    """The user gave input the tool cannot use (a bad file, a bad value)."""


class DatabaseError(CppccWatchError):
    """The database cannot be opened or used (missing directory, read-only, not a database)."""


class SchemaTooNew(DatabaseError):
    """The database was written by a newer release whose schema this one does not know."""
