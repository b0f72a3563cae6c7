"""Errors the forecasting library raises for bad input, so callers can tell them from bugs."""

from __future__ import annotations

from keel.errors import InvalidInput


class ForecastInputError(InvalidInput):
    """A frame or setting handed to the forecasting library is malformed; the message names it."""
