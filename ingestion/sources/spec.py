"""What a loader needs to know about one resource of a source, whoever provides its records.

A connector (an API), the demo simulator and an uploaded file are providers of records; the resource
contract (primary key, cursor, write disposition and why, nested lists) belongs to the source, so
that every provider's records load, merge and stage the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CursorType = Literal["iso8601", "unix_seconds", "date"]
Disposition = Literal["merge", "append"]

MERGE_MUTABLE = "merge: the object changes after it is created, so a later run must update the stored row"
MERGE_IMMUTABLE = "merge: immutable in practice, but merging on the key keeps reloads idempotent"
APPEND_EVENTS = "append: immutable events; the cursor alone skips what was loaded"


@dataclass(frozen=True)
class ResourceSpec:
    """How to load one resource of a source."""

    source: str
    name: str
    primary_key: tuple[str, ...]
    cursor_field: str  # dotted path into the record
    cursor_type: CursorType
    write_disposition: Disposition
    why: str
    nested_lists: tuple[str, ...]  # list fields a loader will unnest into child tables
    description: str

    @property
    def qualified_name(self) -> str:
        return f"{self.source}.{self.name}"


def tenant_resource(
    source: str,
    name: str,
    primary_key: tuple[str, ...],
    cursor: str,
    cursor_type: CursorType,
    disposition: Disposition,
    why: str,
    nested: tuple[str, ...],
    description: str,
) -> ResourceSpec:
    """A resource of a tenant's source: its rows are keyed by ``tenant_id`` first."""
    return ResourceSpec(
        source, name, ("tenant_id", *primary_key), cursor, cursor_type, disposition, why, nested, description
    )


@dataclass(frozen=True)
class SourceContract:
    """What every record of a source must satisfy, checked by field name anywhere in the record
    (ingestion.contracts.problems): numbers, signs, currency codes."""

    numeric: frozenset[str]
    non_negative: frozenset[str]
    currency: frozenset[str]
    currency_parents: frozenset[str] = frozenset()  # objects whose "value" is a currency code
    integers_only: bool = False  # Stripe: amounts are integers in the currency's minor unit
    missing_markers: frozenset[str] = frozenset()  # strings that mean "no value" in a numeric field
    #: resources whose money fields carry a sign (money leaving is negative): non_negative is not checked
    signed_resources: frozenset[str] = frozenset()
