"""The ML assets' checks, on what each run stored: forecasts, evidence edges and plans read back.

Each builder takes the rows the run wrote (read back from its ``ml.*`` table) and returns the
``AssetCheckResult`` its asset yields in the same step; tests call them directly with tampered rows.
"""

from typing import Any

import dagster as dg
import polars as pl

from models_ml.evidence import check_evidence
from models_ml.evidence.recorded import RecordedIntervention
from models_ml.forecasting import ForecastRun, check_forecasts
from models_ml.optimization import Plan, check_plan_constraints
from models_ml.optimization.serialization import plan_from_row, problem_from_dict
from orchestration.defs.ml.keys import ML_EVIDENCE_EDGES, ML_FORECAST_ACCURACY, ML_FORECASTS, ML_PLANS

#: Share of cross-validated series that must score no worse than seasonal naive on held-out windows.
MIN_SHARE_NO_WORSE_THAN_NAIVE = 0.5
SOLVED_STATUSES = frozenset({"optimal", "feasible"})
#: Every status a plan row may carry: the planners' four, and the two the asset adds.
KNOWN_STATUSES = frozenset({"optimal", "feasible", "infeasible", "no_solution", "not_applicable", "error"})


def stored_plan(row: dict[str, Any]) -> Plan:
    """The :class:`Plan` a stored row holds (for a planner status; not for not_applicable/error rows)."""
    return plan_from_row(row)


def forecasts_sound_result(stored: pl.DataFrame, expected_rows: int) -> dg.AssetCheckResult:
    problems = check_forecasts(stored)
    if stored.height != expected_rows:
        problems.append(f"{stored.height} rows stored where the run produced {expected_rows}")
    return dg.AssetCheckResult(
        asset_key=ML_FORECASTS,
        check_name="forecasts_complete_and_ordered",
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"rows_checked": stored.height, "problems": dg.MetadataValue.json(problems)},
        description="; ".join(problems) or None,
    )


def no_worse_than_naive_result(run: ForecastRun) -> dg.AssetCheckResult:
    """Held-out share of series whose chosen forecast scores no worse than SeasonalNaive, over classes."""
    scored = {name: check for name, check in run.checks.items() if check.n_series > 0}
    n_series = sum(check.n_series for check in scored.values())
    metadata: dict[str, Any] = {
        f"{name}_{field}": float(getattr(check, field))
        for name, check in scored.items()
        for field in ("mase", "baseline_mase", "share_no_worse_than_baseline", "coverage_80", "coverage_95")
    }
    if n_series == 0:
        return dg.AssetCheckResult(
            asset_key=ML_FORECAST_ACCURACY,
            check_name="no_worse_than_seasonal_naive",
            passed=True,
            severity=dg.AssetCheckSeverity.WARN,
            description="no series was long enough to cross-validate, so there is nothing to compare",
            metadata={"cross_validated_series": 0},
        )
    share = sum(c.share_no_worse_than_baseline * c.n_series for c in scored.values()) / n_series
    return dg.AssetCheckResult(
        asset_key=ML_FORECAST_ACCURACY,
        check_name="no_worse_than_seasonal_naive",
        passed=share >= MIN_SHARE_NO_WORSE_THAN_NAIVE,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "cross_validated_series": n_series,
            "share_no_worse_than_seasonal_naive": share,
            "required_share": MIN_SHARE_NO_WORSE_THAN_NAIVE,
            **metadata,
        },
    )


def edges_sound_result(stored: list[dict[str, Any]], expected_rows: int) -> dg.AssetCheckResult:
    problems = check_evidence(stored)
    if len(stored) != expected_rows:
        problems.append(f"{len(stored)} edges stored where the run produced {expected_rows}")
    return dg.AssetCheckResult(
        asset_key=ML_EVIDENCE_EDGES,
        check_name="evidence_rows_sound",
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"rows_checked": len(stored), "problems": dg.MetadataValue.json(problems[:100])},
        description="; ".join(problems[:5]) or None,
    )


def interventions_covered_result(
    stored: list[dict[str, Any]],
    recorded: dict[str, list[tuple[str, RecordedIntervention]]],
    failed: dict[str, str],
) -> dg.AssetCheckResult:
    """Every recorded intervention of the tenants run has a primary row (inconclusive with reason is fine)."""
    primary = {(r["tenant_id"], r["cause"]) for r in stored if r["is_primary"]}
    missing = [
        f"{tenant}: {item.name}"
        for tenant, items in recorded.items()
        for _, item in items
        if (tenant, item.name) not in primary
    ]
    problems = [f"tenant {tenant} failed: {error}" for tenant, error in failed.items()]
    if missing:
        problems.append(f"{len(missing)} intervention(s) without evidence: {missing[:20]}")
    graded: dict[str, int] = {}
    for row in stored:
        if row["is_primary"] and row["intervention_id"]:
            graded[row["grade"]] = graded.get(row["grade"], 0) + 1
    return dg.AssetCheckResult(
        asset_key=ML_EVIDENCE_EDGES,
        check_name="every_intervention_has_evidence",
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "interventions": sum(len(items) for items in recorded.values()),
            "missing": dg.MetadataValue.json(missing[:100]),
            "failed_tenants": dg.MetadataValue.json(failed),
            "primary_grades": dg.MetadataValue.json(graded),
        },
        description="; ".join(problems) or None,
    )


def constraints_result(stored: list[dict[str, Any]]) -> dg.AssetCheckResult:
    """Every stored plan satisfies its own problem's constraints (re-derived from the stored rows)."""
    problems: list[str] = []
    checked = 0
    for row in stored:
        if row["status"] in ("not_applicable", "error"):
            continue
        where = f"{row['tenant_id']} {row['plan_type']}"
        if row["problem"] is None:
            problems.append(f"{where}: no stored problem to check against")
            continue
        try:
            violations = check_plan_constraints(stored_plan(row), problem_from_dict(row["problem"]))
        except Exception as exc:  # a malformed row is a failed check, not a crash
            violations = [f"could not be checked: {type(exc).__name__}: {exc}"]
        checked += 1
        problems.extend(f"{where}: {v}" for v in violations[:5])
    return dg.AssetCheckResult(
        asset_key=ML_PLANS,
        check_name="plans_satisfy_their_constraints",
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"plans_checked": checked, "violations": dg.MetadataValue.json(problems[:50])},
        description="; ".join(problems[:5]) or None,
    )


def statuses_result(stored: list[dict[str, Any]], expected_rows: int) -> dg.AssetCheckResult:
    """Statuses are known; solved plans carry decisions; the others carry none and say why."""
    problems: list[str] = []
    for row in stored:
        where = f"{row['tenant_id']} {row['plan_type']}"
        status = row["status"]
        if status not in KNOWN_STATUSES:
            problems.append(f"{where}: unknown status {status!r}")
        elif status in SOLVED_STATUSES and not row["decisions"]:
            problems.append(f"{where}: a {status} plan without decisions")
        elif status not in SOLVED_STATUSES and row["decisions"]:
            problems.append(f"{where}: a {status} plan with decisions")
        if status in ("not_applicable", "error", "infeasible") and not str(row["explanation"]).strip():
            problems.append(f"{where}: {status} without a reason")
    if len(stored) != expected_rows:
        problems.append(f"{len(stored)} rows stored where the run produced {expected_rows}")
    counts: dict[str, int] = {}
    for row in stored:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return dg.AssetCheckResult(
        asset_key=ML_PLANS,
        check_name="plan_statuses_known",
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "statuses": dg.MetadataValue.json(counts),
            "problems": dg.MetadataValue.json(problems[:50]),
        },
        description="; ".join(problems[:5]) or None,
    )
