"""Ads: the resources Keel loads, with their keys, cursors and write dispositions.

Every provider of ads records (the connector, the demo simulator) goes through these contracts.
"""

from __future__ import annotations

from functools import partial

from ingestion.sources.spec import (
    MERGE_MUTABLE,
    ResourceSpec,
    SourceContract,
    tenant_resource,
)

resource = partial(tenant_resource, "ads")

RESOURCES: tuple[ResourceSpec, ...] = (
    resource(
        "campaigns",
        ("id",),
        "updated_time",
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (budget reviews, campaigns ending)",
        (),
        "Ad campaigns per channel.",
    ),
    resource(
        "insights",
        ("account_id", "campaign_id", "date_start"),
        "date_start",
        "date",
        "merge",
        "merge: one row per campaign and day; platforms restate recent days, merging keeps one row",
        (),
        "Daily campaign delivery: spend, impressions, clicks, platform-attributed conversions.",
    ),
)

#: What every record must satisfy before it loads (checked by field name; ingestion.contracts).
CONTRACT = SourceContract(
    numeric=frozenset({"spend", "impressions", "clicks", "conversions", "conversion_value", "daily_budget"}),
    non_negative=frozenset(
        {"spend", "impressions", "clicks", "conversions", "conversion_value", "daily_budget"}
    ),
    currency=frozenset({"currency", "account_currency"}),
)
