"""The shift tool's data-quality suite (great-expectations; run per tenant by ``ingestion.quality``).

Timecards must arrive for every day the business usually works, belong to known employees and clock in
before they clock out.
"""

import great_expectations as gx

from ingestion.quality.severity import ERROR, WARN
from ingestion.quality.suites import Check, DailyVolume, Reference, ResourceSuite, SourceSuite

SUITE = SourceSuite(
    source="shifts",
    label="the shift tool",
    resources=(
        ResourceSuite(
            resource="timecards",
            noun="timecards",
            event_at="clock_in",
            columns=("clock_out",),
            checks=(
                Check(
                    gx.expectations.ExpectColumnValuesToNotBeNull(column="clock_in", severity=ERROR),
                    "{count} {noun} from {source} have no clock-in time",
                ),
                Check(
                    gx.expectations.ExpectColumnValuesToBeInSet(
                        column="_offset_matches_timezone", value_set=[True], mostly=0.99, severity=WARN
                    ),
                    "{count} {noun} from {source} are timed in another time zone than the business's",
                ),
            ),
            references=(
                Reference(
                    "user_id",
                    "shifts.employees",
                    says="{count} {noun} from {source} belong to nobody on the staff list",
                ),
            ),
            daily=DailyVolume(noun="timecards"),
        ),
    ),
)
