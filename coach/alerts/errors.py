"""The alerts library's own errors (the libraries do not raise the core's ``keel.errors``)."""

from __future__ import annotations


class AlertError(Exception):
    """Something about alerts that a person must fix: what is wrong, and what to do."""

    def __init__(self, what: str, todo: str | None = None) -> None:
        super().__init__(what if todo is None else f"{what} ({todo})")
        self.what = what
        self.todo = todo


class InvalidChannel(AlertError, ValueError):
    """A channel URL or setting that cannot be used."""
