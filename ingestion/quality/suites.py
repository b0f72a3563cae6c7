"""What a quality suite says: the expectations on a resource's rows and on its daily volume.

The expectations themselves are great-expectations objects (``gx.expectations.Expect...``) whose
``severity`` is ``critical`` (an error: the assets downstream do not run) or ``warning`` (reported,
nothing stops). A value a tenant decides (its currency, its customers' ids, its history's usual mean)
is a suite parameter (``{"$PARAMETER": "tenant_currency"}``) that :mod:`ingestion.quality.run` fills.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

#: Parameters the runner fills for every tenant (use them as ``{"$PARAMETER": name}``).
TENANT_CURRENCY = "tenant_currency"


def param(name: str) -> dict[str, str]:
    """A suite parameter the runner fills per tenant and resource."""
    return {"$PARAMETER": name}


@dataclass(frozen=True)
class Check:
    """One expectation and the owner's sentence when it fails.

    ``says`` may use ``{count}`` (failing rows), ``{noun}`` (the resource's noun, e.g. "sales"),
    ``{source}`` (the source's name, e.g. "Shopify") and ``{share}`` (failing share, as "3 %").
    """

    expectation: Any  # a gx.expectations.Expectation (typed loosely: great-expectations loads lazily)
    says: str
    #: Rows it looks at: all of the tenant's ("all") or those of the last ``recent_days`` ("recent").
    rows: Literal["all", "recent"] = "all"


@dataclass(frozen=True)
class Reference:
    """Values of ``column`` must be ids of ``parent`` (``source.resource``, another source allowed)."""

    column: str
    parent: str
    parent_column: str = "id"
    says: str = "{count} {noun} from {source} point at records Keel never received"
    mostly: float = 0.99
    severity: Literal["critical", "warning"] = "warning"


@dataclass(frozen=True)
class DailyVolume:
    """The resource should arrive on every day the business usually works.

    A weekday is usual when the tenant had records on at least ``usual_share`` of those weekdays in its
    history (weekly closures are therefore known, not gaps). A usual day with no record is a gap (an
    error: downstream daily figures would be wrong); a usual day of the last ``recent_days`` whose count
    is outside ``[low, high]`` times the median of the same weekday over the previous ``weeks`` weeks is a
    volume warning. Needs ``min_history_days`` of history, else it only says so.

    A quiet business has days without a sale by chance: usual days with no record count as a gap only
    when such a run of days was unlikely. A day's chance of none is the larger of the Poisson chance at its
    typical count (``exp(-typical)``) and the business's own record (the share of the same weekday over
    the previous ``weeks`` weeks that had none: sales that come in bursts are not Poisson). A run of
    consecutive usual days without records is a gap when its chance (the product over its days) is below
    ``chance_of_none / recent_days``: 1% over the two weeks the recent check looks at, not 1% a day. One
    day missing is then found from a typical count of about 7.3; two days in a row from about 3.6. (At 1% a
    day, one of 224 tenants of a 16x demo, a copy of the micro software business with a typical count of 6
    on Tuesdays, had a Tuesday without a charge by chance, and its blocking error stopped every tenant's
    models.) Days whose typical count is not known yet (the first weeks) are checked as before.
    """

    noun: str = "records"
    usual_share: float = 0.6
    recent_days: int = 14
    weeks: int = 8
    low: float = 0.2
    high: float = 5.0
    min_history_days: int = 28
    chance_of_none: float = 0.01


@dataclass(frozen=True)
class ResourceSuite:
    """Expectations on one table (``schema.table`` is ``raw_<source>.<resource>`` unless ``table``)."""

    resource: str
    noun: str
    key: tuple[str, ...] = ("id",)
    #: The column with the time of the event (ISO 8601 text with offset, or Unix seconds) and its form.
    event_at: str | None = None
    event_form: Literal["iso", "epoch", "date"] = "iso"
    #: Columns read as numbers (raw money is often text); the currency column (compared upper-cased).
    numeric: tuple[str, ...] = ()
    currency: str | None = None
    checks: tuple[Check, ...] = ()
    references: tuple[Reference, ...] = ()
    daily: DailyVolume | None = None
    #: Rows of the last this many days are "recent" (for distribution checks).
    recent_days: int = 28
    table: str | None = None
    #: The Dagster asset the results belong to (default ``dlt_<source>_<resource>``).
    asset_key: str | None = None
    #: Extra columns to read for the checks (beyond key, event, numeric, currency, references).
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceSuite:
    """Every resource suite of one source, with the name an owner knows it by."""

    source: str
    label: str
    resources: tuple[ResourceSuite, ...] = field(default_factory=tuple)

    def table_of(self, suite: ResourceSuite) -> str:
        return suite.table or f"raw_{self.source}.{suite.resource}"

    def asset_of(self, suite: ResourceSuite) -> str:
        return suite.asset_key or f"dlt_{self.source}_{suite.resource}"
