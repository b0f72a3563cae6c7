"""Stripe's data-quality suite (great-expectations; run per tenant by ``ingestion.quality``).

Charges must arrive on every day the business usually gets paid, in its currency, for known customers,
with amounts (minor units) that are not negative and whose recent average stays near the usual one.
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
    source="stripe",
    label="Stripe",
    resources=(
        ResourceSuite(
            resource="charges",
            noun="payments",
            event_at="created",
            event_form="epoch",
            numeric=("amount",),
            currency="currency",
            checks=(
                Check(
                    gx.expectations.ExpectColumnValuesToNotBeNull(column="id", severity=ERROR),
                    "{count} {noun} from {source} arrived without an id",
                ),
                Check(
                    gx.expectations.ExpectColumnValuesToBeInSet(
                        column="_currency", value_set=param(TENANT_CURRENCY), severity=ERROR
                    ),
                    "{count} {noun} from {source} are in another currency than the business's",
                ),
                Check(
                    gx.expectations.ExpectColumnValuesToBeBetween(
                        column="amount", min_value=0, max_value=10_000_000, severity=WARN
                    ),
                    "{count} {noun} from {source} have an amount below zero or far above any payment",
                ),
                Check(
                    gx.expectations.ExpectColumnMeanToBeBetween(
                        column="amount",
                        min_value=param("amount_mean_low"),
                        max_value=param("amount_mean_high"),
                        severity=WARN,
                    ),
                    "the average payment in {source} over the last four weeks is far from the usual one",
                    rows="recent",
                ),
            ),
            references=(Reference("customer", "stripe.customers"),),
            daily=DailyVolume(noun="payments"),
        ),
        ResourceSuite(
            resource="invoices",
            noun="invoices",
            event_at="created",
            event_form="epoch",
            currency="currency",
            checks=(
                Check(
                    gx.expectations.ExpectColumnValuesToBeInSet(
                        column="_currency", value_set=param(TENANT_CURRENCY), severity=ERROR
                    ),
                    "{count} {noun} from {source} are in another currency than the business's",
                ),
            ),
            references=(Reference("customer", "stripe.customers"),),
        ),
    ),
)
