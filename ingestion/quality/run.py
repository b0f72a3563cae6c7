"""Validate one tenant's data against a source's suite with great-expectations.

:func:`read_frames` reads the tenant's rows of each resource (only the columns the suite needs) as the
pipeline role; :func:`run_suite` derives the columns the expectations look at (local date, whether a
timestamp's UTC offset is the tenant's timezone's, the currency upper-cased), builds the daily frame of
each daily resource, and validates every expectation. Tests call :func:`run_suite` on frames they change.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from psycopg import sql

from ingestion.quality.suites import TENANT_CURRENCY, DailyVolume, ResourceSuite, SourceSuite
from keel import warehouse

log = logging.getLogger(__name__)

#: Failing rows kept per failed expectation (the data team's sample; counts are always complete).
FAILING_ROWS_KEPT = 20
_OFFSET = re.compile(r"([+-]\d\d):?(\d\d)$|Z$")


@dataclass(frozen=True)
class TenantFacts:
    tenant_id: str
    timezone: str
    currency: str
    country: str | None = None  # ISO 3166 code: its public holidays are known closures


@dataclass
class QualityResult:
    """One expectation's outcome for one tenant."""

    tenant_id: str
    source: str
    asset_key: str
    expectation: str
    expectation_type: str
    column: str | None
    severity: str  # "error" | "warn"
    success: bool
    element_count: int | None
    unexpected_count: int | None
    observed: dict[str, Any] = field(default_factory=dict)
    failing_rows: list[dict[str, Any]] = field(default_factory=list)
    owner_message: str | None = None


def tenant_facts(tenant_id: str) -> TenantFacts:
    with warehouse.connect("keel_transformer") as conn:
        row = conn.execute(
            "select timezone, currency, country from app.tenants where tenant_id = %s", (tenant_id,)
        ).fetchone()
    if row is None:
        raise ValueError(f"tenant {tenant_id} is not in app.tenants")
    return TenantFacts(str(tenant_id), row[0], row[1], row[2])


def _columns(suite: ResourceSuite) -> list[str]:
    wanted = [*suite.key, *suite.numeric, *suite.columns, *(r.column for r in suite.references)]
    wanted += [c for c in (suite.event_at, suite.currency) if c]
    for check in suite.checks:
        column = getattr(check.expectation, "column", None)
        if column and not column.startswith("_"):
            wanted.append(column)
    return list(dict.fromkeys(wanted))


def _read(conn: Any, table: str, columns: list[str], tenant_id: str) -> pd.DataFrame:
    schema, name = table.split(".")
    present = {
        row[0]
        for row in conn.execute(
            "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
            (schema, name),
        ).fetchall()
    }
    if not present:
        return pd.DataFrame(columns=columns)
    chosen = [c for c in columns if c in present]
    query = sql.SQL("select {} from {}.{} where tenant_id::text = %s").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in chosen), sql.Identifier(schema), sql.Identifier(name)
    )
    cursor = conn.execute(query, (str(tenant_id),))
    frame = pd.DataFrame(cursor.fetchall(), columns=chosen)
    for missing in (c for c in columns if c not in present):
        frame[missing] = None
    return frame


def read_frames(source: SourceSuite, tenant_id: str) -> dict[str, pd.DataFrame]:
    """The tenant's rows of every resource of the suite, and of the parents its references name."""
    frames: dict[str, pd.DataFrame] = {}
    parents: dict[str, set[str]] = {}
    for suite in source.resources:
        for ref in suite.references:
            parents.setdefault(ref.parent, set()).add(ref.parent_column)
    with warehouse.connect("keel_transformer") as conn:
        for suite in source.resources:
            frames[suite.resource] = _read(conn, source.table_of(suite), _columns(suite), tenant_id)
        for parent, columns in parents.items():
            if parent not in frames:
                parent_source, resource = parent.split(".")
                frames[parent] = _read(conn, f"raw_{parent_source}.{resource}", sorted(columns), tenant_id)
    return frames


@lru_cache(maxsize=1)
def _datasource() -> Any:
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}  # type: ignore[assignment]
    return context.data_sources.add_pandas("keel_quality")


_batch_definitions: dict[str, Any] = {}


def _validate(
    name: str, frame: pd.DataFrame, expectation: Any, parameters: dict[str, Any], key: list[str]
) -> Any:
    if name not in _batch_definitions:
        asset = _datasource().add_dataframe_asset(name)
        _batch_definitions[name] = asset.add_batch_definition_whole_dataframe("whole")
    batch = _batch_definitions[name].get_batch(batch_parameters={"dataframe": frame.reset_index(drop=True)})
    result_format: dict[str, Any] = {
        "result_format": "COMPLETE",
        "unexpected_index_column_names": [c for c in key if c in frame.columns],
    }
    return batch.validate(expectation, expectation_parameters=parameters, result_format=result_format)


def _event_times(frame: pd.DataFrame, suite: ResourceSuite, tz: str) -> pd.DataFrame:
    """Adds ``_event_at`` (UTC), ``_local_date`` and, for ISO text, ``_offset_matches_timezone``."""
    frame = frame.copy()
    if not suite.event_at or frame.empty:
        return frame
    raw = frame[suite.event_at]
    if suite.event_form == "epoch":
        at = pd.to_datetime(pd.to_numeric(raw, errors="coerce"), unit="s", utc=True)
    else:
        at = pd.to_datetime(raw, utc=True, errors="coerce", format="mixed")
    frame["_event_at"] = at
    local = at.dt.tz_convert(ZoneInfo(tz))
    # A plain date is already the business's own day; a timestamp becomes one in its timezone.
    frame["_local_date"] = at.dt.date if suite.event_form == "date" else local.dt.date
    if suite.event_form == "iso":
        written = raw.astype("string").str.extract(_OFFSET)
        stated = (written[0].fillna("+00") + written[1].fillna("00")).where(raw.notna())
        in_utc = raw.astype("string").str.endswith("Z").fillna(False)  # stated in UTC: nothing to compare
        frame["_offset_matches_timezone"] = (stated == local.dt.strftime("%z")) | stated.isna() | in_utc
    return frame


def _prepared(frame: pd.DataFrame, suite: ResourceSuite, facts: TenantFacts) -> pd.DataFrame:
    frame = _event_times(frame, suite, facts.timezone)
    for column in suite.numeric:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    if suite.currency and suite.currency in frame.columns:
        frame["_currency"] = frame[suite.currency].astype("string").str.upper()
    return frame


def daily_frame(
    frame: pd.DataFrame, volume: Any, country: str | None = None
) -> tuple[pd.DataFrame, str | None]:
    """Per local day from the first to the last: ``records``, ``usual`` (a weekday the business works, not
    a public holiday of ``country``), ``typical`` (median of the same weekday over the previous weeks, days
    with records), ``none_share`` (the share of those usual weekdays without any record) and
    ``volume_ratio``."""
    if frame.empty or "_local_date" not in frame.columns:
        return pd.DataFrame(), "no records yet"
    days = frame["_local_date"].dropna()
    if days.empty:
        return pd.DataFrame(), "no dated records"
    first, last = min(days), max(days)
    if (last - first).days + 1 < volume.min_history_days:
        return pd.DataFrame(), f"only {(last - first).days + 1} days of history"
    counts = days.value_counts()
    spine = pd.date_range(first, last, freq="D").date
    daily = pd.DataFrame({"day": spine})
    daily["records"] = [int(counts.get(d, 0)) for d in spine]
    daily["weekday"] = [d.weekday() for d in spine]
    share = daily.assign(has=daily["records"] > 0).groupby("weekday")["has"].mean()
    daily["usual"] = daily["weekday"].map(share) >= volume.usual_share
    if country:
        import holidays

        try:
            closed: Any = holidays.country_holidays(country, years=range(first.year, last.year + 1))
        except NotImplementedError:  # a country the holidays package does not know: weekdays only
            closed = {}
        daily.loc[[d in closed for d in spine], "usual"] = False
    typical, none_share = [], []
    for i, row in daily.iterrows():
        earlier = daily[(daily.index < i) & (daily.index >= int(i) - 7 * volume.weeks)]
        weekday = earlier[(earlier["weekday"] == row["weekday"]) & earlier["usual"]]["records"]
        same = weekday[weekday > 0]
        typical.append(float(same.median()) if len(same) >= 3 else float("nan"))
        none_share.append(float((weekday == 0).mean()) if len(weekday) >= 3 else float("nan"))
    daily["typical"] = typical
    daily["none_share"] = none_share
    daily["volume_ratio"] = daily["records"] / daily["typical"]
    daily["day"] = daily["day"].astype(str)
    return daily, None


def _message(check_says: str, suite: ResourceSuite, source: SourceSuite, count: int, total: int) -> str:
    share = f"{100 * count / total:.0f} %" if total else "0 %"
    return check_says.format(count=count, noun=suite.noun, source=source.label, share=share)


def _gap_message(missing: list[str], suite: ResourceSuite, source: SourceSuite, last: date) -> str:
    first = date.fromisoformat(min(missing))
    since = first.strftime("%A") if (last - first).days < 7 else f"{first.day} {first.strftime('%B %Y')}"
    days = "1 day" if len(missing) == 1 else f"{len(missing)} days"
    verb = "is" if len(missing) == 1 else "are"
    noun = suite.daily.noun if suite.daily else suite.noun
    return f"{days} of {noun} {verb} missing from {source.label} since {since}"


def _outcome(
    raw: Any, tenant_id: str, source: SourceSuite, suite: ResourceSuite, name: str, says: str | None
) -> QualityResult:
    config = raw.expectation_config
    result = raw.result or {}
    severity = (
        "error" if str(getattr(config, "severity", "critical")).lower().endswith("critical") else "warn"
    )
    unexpected = result.get("unexpected_count")
    total = result.get("element_count")
    failing = [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in (result.get("unexpected_index_list") or [])[:FAILING_ROWS_KEPT]
    ]
    observed = {
        k: result[k] for k in ("observed_value", "unexpected_percent", "missing_count") if k in result
    }
    if isinstance(observed.get("observed_value"), float | int):
        observed["observed_value"] = float(observed["observed_value"])
    message = None
    if not raw.success and says:
        message = _message(says, suite, source, int(unexpected or 0), int(total or 0))
    return QualityResult(
        tenant_id=str(tenant_id),
        source=source.source,
        asset_key=source.asset_of(suite),
        expectation=name,
        expectation_type=config.type,
        column=config.kwargs.get("column"),
        severity=severity,
        success=bool(raw.success),
        element_count=int(total) if total is not None else None,
        unexpected_count=int(unexpected) if unexpected is not None else None,
        observed={k: v for k, v in observed.items() if v is None or isinstance(v, str | int | float)},
        failing_rows=failing,
        owner_message=message,
    )


def run_suite(
    source: SourceSuite, tenant_id: str, frames: dict[str, pd.DataFrame], facts: TenantFacts
) -> list[QualityResult]:
    """Validate every expectation of ``source`` on the tenant's ``frames``; returns one result each."""
    import great_expectations as gx

    from ingestion.quality.severity import ERROR, WARN

    results: list[QualityResult] = []
    parameters_base: dict[str, Any] = {TENANT_CURRENCY: [facts.currency.upper()]}
    for suite in source.resources:
        frame = _prepared(frames.get(suite.resource, pd.DataFrame()), suite, facts)
        if frame.empty:
            continue
        name = f"{facts.tenant_id}:{source.source}.{suite.resource}"
        recent = frame
        if "_local_date" in frame.columns and frame["_local_date"].notna().any():
            cutoff = max(frame["_local_date"].dropna()) - timedelta(days=suite.recent_days)
            recent = frame[frame["_local_date"] > cutoff]
            history = frame[frame["_local_date"] <= cutoff]
        else:
            history = frame.iloc[0:0]
        parameters = dict(parameters_base)
        for column in suite.numeric:
            if column in history.columns and history[column].notna().sum() >= 30:
                mean = float(history[column].mean())
                parameters[f"{column}_mean_low"] = mean * 0.5 if mean >= 0 else mean * 2
                parameters[f"{column}_mean_high"] = mean * 2 if mean >= 0 else mean * 0.5
        key = list(suite.key)
        for check in suite.checks:
            needed = [p for p in _parameter_names(check.expectation) if p not in parameters]
            if needed:  # not enough history for the tenant-specific bound: nothing to compare yet
                continue
            rows = recent if check.rows == "recent" else frame
            if rows.empty:
                continue
            raw = _validate(f"{name}:{check.rows}", rows, check.expectation, parameters, key)
            results.append(
                _outcome(raw, facts.tenant_id, source, suite, _label(check.expectation), check.says)
            )
        for ref in suite.references:
            parent = frames.get(ref.parent)
            if parent is None or ref.column not in frame.columns:
                continue
            ids = sorted({str(v) for v in parent[ref.parent_column].dropna()})
            child = frame[frame[ref.column].notna()].assign(
                **{ref.column: lambda f, c=ref.column: f[c].astype(str)}
            )
            if child.empty:
                continue
            expectation = gx.expectations.ExpectColumnValuesToBeInSet(
                column=ref.column,
                value_set=ids,
                mostly=ref.mostly,
                severity=ERROR if ref.severity == "critical" else WARN,
            )
            raw = _validate(f"{name}:ref", child, expectation, parameters, key)
            results.append(
                _outcome(raw, facts.tenant_id, source, suite, f"{ref.column} in {ref.parent}", ref.says)
            )
        if suite.daily is not None:
            results.extend(_daily_results(source, suite, frame, facts, name))
    return results


def _quiet_by_chance(usual: pd.DataFrame, volume: DailyVolume) -> pd.Series:
    """Which usual days without records are quiet by chance rather than missing (see DailyVolume).

    A day's chance of none is the larger of the Poisson chance at its typical count and the share of the
    same weekday without records in the business's own recent record. A run of consecutive usual days
    without records is missing when the chance of the whole run (the product) is below
    ``chance_of_none / recent_days``: the recent window looks at that many days, and a tenant's alarm should
    be rare over the window, not over each day. A run with a day whose typical count is not known yet is
    checked (missing)."""
    zero = usual["records"] == 0
    run = (zero != zero.shift()).cumsum()
    chance = np.maximum(np.exp(-usual["typical"]), usual["none_share"].fillna(0.0))
    unknown = (chance.isna() & zero).groupby(run).transform("any")
    joint = np.exp(np.log(chance.where(zero & chance.notna(), 1.0)).groupby(run).transform("sum"))
    return zero & ~unknown & (joint >= volume.chance_of_none / volume.recent_days)


def _daily_results(
    source: SourceSuite, suite: ResourceSuite, frame: pd.DataFrame, facts: TenantFacts, name: str
) -> list[QualityResult]:
    import great_expectations as gx

    from ingestion.quality.severity import ERROR, WARN

    assert suite.daily is not None
    daily, why_not = daily_frame(frame, suite.daily, facts.country)
    if why_not is not None:
        log.info("no daily checks of %s for %s: %s", suite.resource, facts.tenant_id, why_not)
        return []
    usual = daily[daily["usual"]]
    by_chance = _quiet_by_chance(usual, suite.daily)
    gaps_checked = usual[~by_chance]
    last = date.fromisoformat(daily["day"].iloc[-1])
    since = (last - timedelta(days=suite.daily.recent_days)).isoformat()
    results = []
    # A missing day of the last weeks is an error (today's figures would be wrong); an older one, already
    # in the history the figures were built from, is reported as a warning.
    for window, rows, severity in (
        ("recent", gaps_checked[gaps_checked["day"] > since], ERROR),
        ("history", gaps_checked[gaps_checked["day"] <= since], WARN),
    ):
        if rows.empty:
            continue
        gap = gx.expectations.ExpectColumnValuesToBeBetween(column="records", min_value=1, severity=severity)
        raw = _validate(f"{name}:daily:{window}", rows, gap, {}, ["day"])
        outcome = _outcome(raw, facts.tenant_id, source, suite, f"no missing business day ({window})", None)
        if not outcome.success:
            missing = [str(r["day"]) for r in (raw.result.get("unexpected_index_list") or [])]
            outcome.owner_message = _gap_message(missing, suite, source, last)
        results.append(outcome)
    recent = usual[
        (usual["records"] > 0)
        & usual["typical"].notna()
        & (pd.to_datetime(usual["day"]).dt.date > last - timedelta(days=suite.daily.recent_days))
    ]
    if not recent.empty:
        volume = gx.expectations.ExpectColumnValuesToBeBetween(
            column="volume_ratio", min_value=suite.daily.low, max_value=suite.daily.high, severity=WARN
        )
        raw = _validate(f"{name}:volume", recent, volume, {}, ["day"])
        noun = suite.daily.noun
        results.append(
            _outcome(
                raw,
                facts.tenant_id,
                source,
                suite,
                "daily volume within the usual range",
                f"{{count}} recent days had unusually many or few {noun} in {{source}}",
            )
        )
    return results


def _parameter_names(expectation: Any) -> list[str]:
    names = []
    for value in dict(expectation.configuration.kwargs).values():
        if isinstance(value, dict) and "$PARAMETER" in value:
            names.append(value["$PARAMETER"])
    return names


def _label(expectation: Any) -> str:
    kwargs = expectation.configuration.kwargs
    column = kwargs.get("column")
    return f"{expectation.expectation_type}({column})" if column else expectation.expectation_type
