"""Ads: the resources Keel loads, with their keys, cursors and write dispositions.

Every provider of ads records (the connector, the demo simulator) goes through these contracts.
"""

from __future__ import annotations

from functools import partial

from ingestion.sources.spec import (
    MERGE_MUTABLE,
    ResourceSpec,
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
