"""Shopify's data-quality suite (great-expectations; run per tenant by ``ingestion.quality``).

Orders must arrive on every day the shop usually sells, in the business's currency and timezone, with
plausible totals whose recent average stays near the shop's own; customers and products need ids.
"""

import great_expectations as gx

from ingestion.quality.severity import ERROR, WARN
from ingestion.quality.suites import (
    TENANT_CURRENCY,
    Check,
    DailyVolume,
    Reference,
    ResourceSuite,
    SourceSuite,
    param,
)

SUITE = SourceSuite(
    source="shopify",
    label="Shopify",
    resources=(
        ResourceSuite(
            resource="orders",
            noun="sales",
            event_at="created_at",
            numeric=("total_price",),
            currency="currency",
            checks=(
                Check(
                    gx.expectations.ExpectColumnValuesToNotBeNull(column="id", severity=ERROR),
                    "{count} {noun} from {source} arrived without an order number",
                ),
                Check(
                    gx.expectations.ExpectColumnValuesToNotBeNull(column="created_at", severity=ERROR),
                    "{count} {noun} from {source} have no date",
                ),
                Check(
                    gx.expectations.ExpectColumnValuesToBeInSet(
                        column="_currency", value_set=param(TENANT_CURRENCY), severity=ERROR
                    ),
                    "{count} {noun} from {source} are in another currency than the business's",
                ),
                Check(
                    gx.expectations.ExpectColumnValuesToBeInSet(
                        column="_offset_matches_timezone", value_set=[True], mostly=0.99, severity=WARN
                    ),
                    "{count} {noun} from {source} are timed in another time zone than the business's",
                ),
                Check(
                    gx.expectations.ExpectColumnValuesToBeBetween(
                        column="total_price", min_value=0, max_value=100_000, severity=WARN
                    ),
                    "{count} {noun} from {source} have a total below zero or far above any sale",
                ),
                Check(
                    gx.expectations.ExpectColumnMeanToBeBetween(
                        column="total_price",
                        min_value=param("total_price_mean_low"),
                        max_value=param("total_price_mean_high"),
                        severity=WARN,
                    ),
                    "the average sale in {source} over the last four weeks is far from the usual one",
                    rows="recent",
                ),
            ),
            references=(Reference("location_id", "shopify.locations"),),
            daily=DailyVolume(noun="sales"),
        ),
        ResourceSuite(
            resource="customers",
            noun="customers",
            currency="currency",
            checks=(
                Check(
                    gx.expectations.ExpectColumnValuesToNotBeNull(column="id", severity=ERROR),
                    "{count} {noun} from {source} arrived without an id",
                ),
                Check(
                    gx.expectations.ExpectColumnValuesToBeInSet(
                        column="_currency", value_set=param(TENANT_CURRENCY), mostly=0.99, severity=WARN
                    ),
                    "{count} {noun} from {source} are kept in another currency than the business's",
                ),
            ),
        ),
        ResourceSuite(
            resource="products",
            noun="products",
            checks=(
                Check(
                    gx.expectations.ExpectColumnValuesToNotBeNull(column="id", severity=ERROR),
                    "{count} {noun} from {source} arrived without an id",
                ),
            ),
        ),
    ),
)
