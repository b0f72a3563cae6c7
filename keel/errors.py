"""Errors that Keel reports to a person: each says what failed and what to do about it.

The CLI prints a :class:`KeelError` as one line (no traceback unless ``--debug``); the core and the
layers above it raise the most specific subclass so callers can handle, for example, a bad tenant id
differently from a warehouse that is down. The libraries (``ingestion``, ``models_ml``, ``coach``)
define their own exceptions instead of subclassing these.
"""

from __future__ import annotations


class KeelError(Exception):
    """A failure with a message fit for the person running Keel."""

    def __init__(self, what: str, todo: str | None = None) -> None:
        self.what = what
        self.todo = todo
        super().__init__(f"{what} — {todo}" if todo else what)


class WarehouseUnavailable(KeelError):
    """The PostgreSQL server cannot be reached or started."""


class InvalidInput(KeelError, ValueError):
    """An input value (tenant id, email, connector config, ...) is malformed."""


class AuthenticationFailed(KeelError):
    """Email and password do not match a user."""


class SignInLocked(AuthenticationFailed):
    """Too many failed sign-ins for this account or from this address: locked for a while."""

    def __init__(self, what: str, todo: str, retry_after_seconds: int) -> None:
        super().__init__(what, todo)
        self.retry_after_seconds = retry_after_seconds
