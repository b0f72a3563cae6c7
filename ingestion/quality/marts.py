"""The key marts' data-quality suite: the daily business metrics every forecast and the console read.

The figures must be in the business's currency and the recent average revenue near the usual one; the
dbt tests already guard keys, relations and that the metrics add up to their marts.
"""

import great_expectations as gx

from ingestion.quality.severity import ERROR, WARN
from ingestion.quality.suites import TENANT_CURRENCY, Check, ResourceSuite, SourceSuite, param

SUITE = SourceSuite(
    source="marts",
    label="your daily figures",
    resources=(
        ResourceSuite(
            resource="business_metrics_daily",
            noun="days of figures",
            table="metrics.business_metrics_daily",
            asset_key="business_metrics_daily",
            key=("metric_date",),
            event_at="metric_date",
            event_form="date",
            numeric=("revenue_net", "orders"),
            currency="currency",
            checks=(
                Check(
                    gx.expectations.ExpectColumnValuesToBeInSet(
                        column="_currency", value_set=param(TENANT_CURRENCY), severity=ERROR
                    ),
                    "{count} {noun} are in another currency than the business's",
                ),
                Check(
                    gx.expectations.ExpectColumnValuesToBeBetween(
                        column="orders", min_value=0, severity=ERROR
                    ),
                    "{count} {noun} show fewer than no sales",
                ),
                Check(
                    gx.expectations.ExpectColumnMeanToBeBetween(
                        column="revenue_net",
                        min_value=param("revenue_net_mean_low"),
                        max_value=param("revenue_net_mean_high"),
                        severity=WARN,
                    ),
                    "the average day's revenue over the last four weeks is far from the usual one",
                    rows="recent",
                ),
            ),
        ),
    ),
)
