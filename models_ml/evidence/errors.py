"""Errors the evidence library raises for bad input.

Every check names the input and what is wrong with it, so a failing Dagster run or test says
which column, intervention or setting to fix rather than failing deep inside a library call.
"""

from __future__ import annotations


class EvidenceInputError(ValueError):
    """An input to the evidence library is malformed (missing column, bad dates, wrong types)."""
