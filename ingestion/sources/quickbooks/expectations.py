"""QuickBooks' data-quality suite (great-expectations; run per tenant by ``ingestion.quality``).

Bills and purchases need an id and a date and must not carry negative totals.
"""

import great_expectations as gx

from ingestion.quality.severity import ERROR, WARN
from ingestion.quality.suites import Check, ResourceSuite, SourceSuite

SUITE = SourceSuite(
    source="quickbooks",
    label="QuickBooks",
    resources=tuple(
        ResourceSuite(
            resource=resource,
            noun=noun,
            event_at="txn_date",
            event_form="date",
            numeric=("total_amt",),
            checks=(
                Check(
                    gx.expectations.ExpectColumnValuesToNotBeNull(column="txn_date", severity=ERROR),
                    "{count} {noun} from {source} have no date",
                ),
                Check(
                    gx.expectations.ExpectColumnValuesToBeBetween(
                        column="total_amt", min_value=0, max_value=10_000_000, severity=WARN
                    ),
                    "{count} {noun} from {source} have a total below zero or far above any other",
                ),
            ),
        )
        for resource, noun in (("bills", "bills"), ("purchases", "purchases"))
    ),
)
