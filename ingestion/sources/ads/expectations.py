"""The ad platforms' data-quality suite (great-expectations; run per tenant by ``ingestion.quality``).

Daily ad figures must be in the business's currency, not negative, and for campaigns Keel knows.
"""

import great_expectations as gx

from ingestion.quality.severity import ERROR, WARN
from ingestion.quality.suites import TENANT_CURRENCY, Check, Reference, ResourceSuite, SourceSuite, param

SUITE = SourceSuite(
    source="ads",
    label="your ad accounts",
    resources=(
        ResourceSuite(
            resource="insights",
            noun="days of ad figures",
            key=("campaign_id", "date_start"),
            event_at="date_start",
            event_form="date",
            numeric=("spend", "clicks", "impressions"),
            currency="account_currency",
            checks=(
                Check(
                    gx.expectations.ExpectColumnValuesToBeInSet(
                        column="_currency", value_set=param(TENANT_CURRENCY), severity=ERROR
                    ),
                    "{count} {noun} from {source} are in another currency than the business's",
                ),
                Check(
                    gx.expectations.ExpectColumnValuesToBeBetween(
                        column="spend", min_value=0, max_value=100_000, severity=WARN
                    ),
                    "{count} {noun} from {source} show a spend below zero or far above any day's",
                ),
                Check(
                    gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
                        column_A="impressions",
                        column_B="clicks",
                        or_equal=True,
                        mostly=0.99,
                        severity=WARN,
                    ),
                    "{count} {noun} from {source} show more clicks than views",
                ),
            ),
            references=(Reference("campaign_id", "ads.campaigns"),),
        ),
    ),
)
