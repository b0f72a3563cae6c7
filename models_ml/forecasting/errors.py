"""Errors the forecasting library raises for bad input, so callers can tell them from bugs.

The library defines its own exception rather than borrowing the core's: ``models_ml`` sits below the
entry points that decide how an error reaches a person (docs/architecture.md).
"""

from __future__ import annotations


class ForecastInputError(ValueError):
    """A frame or setting handed to the forecasting library is malformed; the message names it.

    ``what`` says which input is wrong and how; ``todo``, when given, what to pass instead.
    """

    def __init__(self, what: str, todo: str | None = None) -> None:
        self.what = what
        self.todo = todo
        super().__init__(f"{what} — {todo}" if todo else what)
