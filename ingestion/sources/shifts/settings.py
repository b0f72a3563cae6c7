"""Shifts: the resources Keel loads, with their keys, cursors and write dispositions.

Every provider of shifts records (the connector, the demo simulator) goes through these contracts.
"""

from __future__ import annotations

from functools import partial

from ingestion.sources.spec import (
    MERGE_MUTABLE,
    ResourceSpec,
    SourceContract,
    tenant_resource,
)

resource = partial(tenant_resource, "shifts")

RESOURCES: tuple[ResourceSpec, ...] = (
    resource(
        "employees",
        ("id",),
        "updated_at",
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (raises, leaving)",
        ("job.roles",),
        "Staff with role and current wage.",
    ),
    resource(
        "timecards",
        ("id",),
        "updated_at",
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (approval, corrected clock-outs)",
        ("timebreaks",),
        "Worked shifts: clock in/out, breaks, paid hours, wage rate and cost.",
    ),
)

#: What every record must satisfy before it loads (checked by field name; ingestion.contracts).
CONTRACT = SourceContract(
    numeric=frozenset(
        {
            "wage_rate",
            "paid_hours",
            "unpaid_hours",
            "hours",
            "duration",
            "regular_hours",
            "overtime_hours",
            "wages",
            "cost",
        }
    ),
    non_negative=frozenset(
        {
            "wage_rate",
            "paid_hours",
            "unpaid_hours",
            "hours",
            "duration",
            "regular_hours",
            "overtime_hours",
            "wages",
            "cost",
        }
    ),
    currency=frozenset({"currency"}),
)
