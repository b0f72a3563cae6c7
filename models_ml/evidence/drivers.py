"""Drivers between metric series: Granger causality and PC structure discovery.

Both work on the tenant's metric panel after the calendar and the recorded interventions are
taken out: each series is logged (when positive), regressed on weekday, yearly season, trend and
the 0/1 indicators of the interventions, and differenced if the residual still has a unit root
(ADF test). What remains is day-to-day movement that neither the calendar nor a known change
explains; drivers are looked for there, so a shared season or a promotion that lifts two series
at once is not mistaken for one series driving the other.

- **Granger causality** for every ordered pair of metrics: the lag order is chosen by an
  information criterion on the pair's VAR (``settings.granger_ic``, up to ``granger_max_lag``);
  an F test asks whether the cause's lags improve the prediction of the effect beyond the
  effect's own lags; the p-values of all pairs are corrected together (Benjamini-Hochberg or
  Holm, ``settings.multiple_testing``). The size reported is the sum of the cause's lag
  coefficients with its interval. Granger causality is predictive, so its grade is at most
  moderate.
- **PC** (causal-learn) on the series and their lagged copies, with time order as background
  knowledge: a variable at a later time cannot cause one at an earlier time (tiers), so edges
  from the past into the present are oriented by time. Fisher-z tests at ``settings.pc_alpha``.
  PC finds edges, not sizes, and is graded weak.

Every result records its method and settings, and both are stored with the edges.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import statsmodels.api as sm

from models_ml.evidence.dowhy_flow import quiet_numerics
from models_ml.evidence.errors import EvidenceInputError
from models_ml.evidence.grading import GradeInput, grade_evidence
from models_ml.evidence.panel import (
    Intervention,
    calendar_controls,
    metric_names,
    treated_mask,
    validate_panel,
)
from models_ml.evidence.records import EvidenceEdge, to_json
from models_ml.evidence.settings import EvidenceSettings

_MIN_DISTINCT = 20  # series with fewer distinct values are indicators or steps, not metrics


def driver_metrics(panel: pl.DataFrame) -> list[str]:
    """Numeric columns with at least 20 distinct values: metrics, not 0/1 indicators or steps."""
    return [c for c in metric_names(panel) if panel[c].drop_nulls().n_unique() >= _MIN_DISTINCT]


@dataclass(frozen=True)
class PreparedSeries:
    """Calendar-adjusted, stationary series aligned on the same days, and what was done to each."""

    values: dict[str, np.ndarray]
    transforms: dict[str, str]


def prepare_series(
    panel: pl.DataFrame,
    metrics: Sequence[str],
    settings: EvidenceSettings,
    interventions: Sequence[Intervention] = (),
) -> PreparedSeries:
    """Log (if positive), remove calendar and interventions, difference if still non-stationary (ADF)."""
    from statsmodels.tsa.stattools import adfuller

    frame = panel.drop_nulls(subset=list(metrics)).sort("ds")
    if frame.height < 4 * settings.granger_max_lag + 30:
        raise EvidenceInputError(
            f"panel has {frame.height} complete days for {list(metrics)}; "
            f"at least {4 * settings.granger_max_lag + 30} are needed"
        )
    days = frame["ds"].to_list()
    span_days = (days[-1] - days[0]).days
    controls = calendar_controls(
        frame["ds"], yearly_harmonics=settings.yearly_harmonics, include_yearly=span_days >= 730
    ).to_numpy()
    masks = [treated_mask(frame, i).astype(float) for i in interventions]
    masks = [m for m in masks if 0.0 < m.mean() < 1.0]
    design = np.column_stack([np.ones(frame.height), controls, *masks])
    values: dict[str, np.ndarray] = {}
    transforms: dict[str, str] = {}
    differenced = False
    for metric in metrics:
        raw = frame[metric].cast(pl.Float64).to_numpy()
        logged = bool(np.all(raw > 0))
        series = np.log(raw) if logged else raw
        residual = series - design @ np.linalg.lstsq(design, series, rcond=None)[0]
        steps = ["log" if logged else "level", "calendar and interventions removed"]
        with quiet_numerics(settings):
            unit_root_p = float(adfuller(residual, maxlag=settings.granger_max_lag, autolag="AIC")[1])
        if unit_root_p > 0.05:
            residual = np.diff(residual, prepend=residual[0])
            steps.append("differenced")
            differenced = True
        values[metric] = residual
        transforms[metric] = ", ".join(steps)
    if differenced:
        # Differencing drops the first day's information; drop it for every series alike.
        values = {k: v[1:] for k, v in values.items()}
    # An exact identity (log revenue = log orders + log aov) makes one series a function of the
    # others, and conditional independence tests break down around it. The composite (the one
    # with the largest variance, revenue here) is dropped: the root-cause decomposition covers it.
    for metric in sorted(values, key=lambda m: -float(np.var(values[m]))):
        rest = [values[m] for m in values if m != metric]
        if not rest:
            break
        others = np.column_stack([np.ones(values[metric].size), *rest])
        fitted = others @ np.linalg.lstsq(others, values[metric], rcond=None)[0]
        unexplained = float(np.var(values[metric] - fitted)) / max(float(np.var(values[metric])), 1e-300)
        if unexplained < 1e-4:
            del values[metric]
            transforms[metric] = "dropped: an exact function of the other metrics"
    return PreparedSeries(values, transforms)


# --------------------------------------------------------------------------------------------
# Granger causality


@dataclass(frozen=True)
class GrangerTest:
    """One ordered pair: does the past of ``cause`` help predict ``effect``?"""

    cause: str
    effect: str
    lag: int
    f_statistic: float
    p_value: float
    p_adjusted: float
    coefficient_sum: float
    ci_low: float
    ci_high: float
    significant: bool


@dataclass(frozen=True)
class GrangerResult:
    tests: tuple[GrangerTest, ...]
    transforms: dict[str, str]
    settings: dict[str, Any]

    def significant(self) -> list[GrangerTest]:
        return sorted((t for t in self.tests if t.significant), key=lambda t: t.p_adjusted)

    def to_edges(self, tenant_id: str) -> list[EvidenceEdge]:
        """Significant pairs only: a non-significant pair is no evidence of a driver."""
        edges = []
        for test in self.significant():
            decision = grade_evidence(
                GradeInput(test.coefficient_sum, test.ci_low, test.ci_high, identification="predictive"),
                max_relative_ci_width=math.inf,
            )
            edges.append(
                EvidenceEdge(
                    tenant_id=tenant_id,
                    cause=test.cause,
                    effect=test.effect,
                    method="granger_causality",
                    estimand=(
                        f"sum of the {test.lag} lag coefficients of "
                        f"{test.cause} in a model of {test.effect}, "
                        "both calendar-adjusted (log scale where positive)"
                    ),
                    estimate=test.coefficient_sum,
                    ci_low=test.ci_low,
                    ci_high=test.ci_high,
                    p_value=test.p_adjusted,
                    refutations=to_json([]),
                    grade=decision.grade,
                    assumptions=(
                        "Granger causality is predictive: past values "
                        "of the cause improve the forecast of the "
                        "effect beyond its own past. It suggests a driver; an unobserved common driver with "
                        "different delays can produce it too."
                    ),
                    reason=decision.reason if decision.grade == "inconclusive" else None,
                    explanation=(
                        f"Movements in {test.cause} precede movements "
                        f"in {test.effect} by up to {test.lag} days "
                        f"(adjusted p = {test.p_adjusted:.3g}), graded {decision.grade}."
                    ),
                    settings=to_json(
                        {
                            **self.settings,
                            "lag": test.lag,
                            "f_statistic": test.f_statistic,
                            "p_value_raw": test.p_value,
                            "transforms": {
                                test.cause: self.transforms[test.cause],
                                test.effect: self.transforms[test.effect],
                            },
                        }
                    ),
                    is_primary=False,
                )
            )
        return edges


def _lagged(series: np.ndarray, lag: int) -> np.ndarray:
    """Columns series[t-1], ..., series[t-lag] for t = lag .. n-1."""
    return np.column_stack([series[lag - k : series.size - k] for k in range(1, lag + 1)])


def granger_drivers(
    panel: pl.DataFrame,
    *,
    metrics: Sequence[str] | None = None,
    interventions: Sequence[Intervention] = (),
    settings: EvidenceSettings | None = None,
) -> GrangerResult:
    """Granger tests for every ordered pair of ``metrics`` (default :func:`driver_metrics`)."""
    from statsmodels.stats.multitest import multipletests
    from statsmodels.tsa.api import VAR

    settings = settings or EvidenceSettings()
    panel = validate_panel(panel)
    chosen = list(metrics) if metrics is not None else driver_metrics(panel)
    panel = validate_panel(panel, required=chosen)
    if len(chosen) < 2:
        raise EvidenceInputError(f"Granger tests need at least two metrics, got {chosen}")
    prepared = prepare_series(panel, chosen, settings, interventions)
    usable = list(prepared.values)
    rows: list[dict[str, Any]] = []
    with quiet_numerics(settings):
        for cause, effect in itertools.permutations(usable, 2):
            pair = np.column_stack([prepared.values[effect], prepared.values[cause]])
            order = (
                VAR(pair).select_order(maxlags=settings.granger_max_lag).selected_orders[settings.granger_ic]
            )
            lag = max(1, int(order))
            target = pair[lag:, 0]
            own, other = _lagged(pair[:, 0], lag), _lagged(pair[:, 1], lag)
            design = np.column_stack([np.ones(target.size), own, other])
            fit = sm.OLS(target, design).fit()
            restriction = np.zeros((lag, design.shape[1]))
            restriction[:, 1 + lag :] = np.eye(lag)
            f_test = fit.f_test(restriction)
            combination = np.zeros(design.shape[1])
            combination[1 + lag :] = 1.0
            t_test = fit.t_test(combination)
            low, high = (float(v) for v in np.ravel(t_test.conf_int(alpha=settings.alpha)))
            rows.append(
                {
                    "cause": cause,
                    "effect": effect,
                    "lag": lag,
                    "f": float(np.ravel(f_test.fvalue)[0]),
                    "p": float(f_test.pvalue),
                    "sum": float(np.ravel(t_test.effect)[0]),
                    "low": low,
                    "high": high,
                }
            )
    rejected, adjusted, _, _ = multipletests(
        [row["p"] for row in rows], alpha=settings.alpha, method=settings.multiple_testing
    )
    tests = tuple(
        GrangerTest(
            cause=row["cause"],
            effect=row["effect"],
            lag=row["lag"],
            f_statistic=row["f"],
            p_value=row["p"],
            p_adjusted=float(p_adj),
            coefficient_sum=row["sum"],
            ci_low=row["low"],
            ci_high=row["high"],
            significant=bool(reject),
        )
        for row, p_adj, reject in zip(rows, adjusted, rejected, strict=True)
    )
    return GrangerResult(
        tests=tests,
        transforms=prepared.transforms,
        settings={
            "method": "granger_causality",
            "lag_selection": settings.granger_ic,
            "max_lag": settings.granger_max_lag,
            "correction": settings.multiple_testing,
            "alpha": settings.alpha,
            "pairs_tested": len(tests),
        },
    )


# --------------------------------------------------------------------------------------------
# PC with time order


@dataclass(frozen=True)
class DiscoveredEdge:
    """An edge PC found into the present: ``cause`` at ``lag`` days before ``effect``.

    ``orientation`` is "directed" (cause → effect), "undirected" (a link whose direction the data
    and time order cannot settle; only between same-day variables) or "bidirected" (a sign of a
    hidden common cause).
    """

    cause: str
    effect: str
    lag: int
    orientation: str


@dataclass(frozen=True)
class StructureResult:
    edges: tuple[DiscoveredEdge, ...]
    transforms: dict[str, str]
    settings: dict[str, Any]

    def to_edges(self, tenant_id: str) -> list[EvidenceEdge]:
        results = []
        for edge in self.edges:
            decision = grade_evidence(
                GradeInput(None, None, None, identification="structure"), max_relative_ci_width=math.inf
            )
            when = "the same day" if edge.lag == 0 else f"{edge.lag} day{'s' if edge.lag > 1 else ''} later"
            link = (
                "→" if edge.orientation == "directed" else ("—" if edge.orientation == "undirected" else "↔")
            )
            results.append(
                EvidenceEdge(
                    tenant_id=tenant_id,
                    cause=edge.cause,
                    effect=edge.effect,
                    method="causal_learn_pc",
                    estimand=f"{edge.orientation} edge {edge.cause}[t-{edge.lag}] {link} {edge.effect}[t]",
                    estimate=None,
                    ci_low=None,
                    ci_high=None,
                    p_value=None,
                    refutations=to_json([]),
                    grade=decision.grade,
                    assumptions=(
                        "PC assumes no hidden common causes of the "
                        "series, that independences in the data reflect "
                        "the causal structure (faithfulness), linear "
                        "Gaussian relations (Fisher-z tests), and that "
                        "nothing later causes anything earlier."
                    ),
                    reason=None,
                    explanation=(
                        f"Structure discovery links {edge.cause} to {edge.effect} {when} "
                        f"({edge.orientation}), graded {decision.grade}."
                    ),
                    settings=to_json({**self.settings, "lag": edge.lag, "orientation": edge.orientation}),
                    is_primary=False,
                )
            )
        return results


def discover_structure(
    panel: pl.DataFrame,
    *,
    metrics: Sequence[str] | None = None,
    interventions: Sequence[Intervention] = (),
    settings: EvidenceSettings | None = None,
) -> StructureResult:
    """PC on the calendar-adjusted metrics and their lags 1..``pc_max_lag``, time order as tiers."""
    from causallearn.graph.GraphNode import GraphNode
    from causallearn.search.ConstraintBased.PC import pc
    from causallearn.utils.cit import fisherz
    from causallearn.utils.PCUtils.BackgroundKnowledge import BackgroundKnowledge

    settings = settings or EvidenceSettings()
    panel = validate_panel(panel)
    chosen = list(metrics) if metrics is not None else driver_metrics(panel)
    panel = validate_panel(panel, required=chosen)
    if len(chosen) < 2:
        raise EvidenceInputError(f"structure discovery needs at least two metrics, got {chosen}")
    prepared = prepare_series(panel, chosen, settings, interventions)
    chosen = list(prepared.values)
    max_lag = settings.pc_max_lag
    names: list[str] = []
    columns: list[np.ndarray] = []
    n = next(iter(prepared.values.values())).size
    for lag in range(max_lag, -1, -1):
        for metric in chosen:
            names.append(f"{metric}[t-{lag}]")
            columns.append(prepared.values[metric][max_lag - lag : n - lag])
    data = np.column_stack(columns)
    knowledge = BackgroundKnowledge()
    for index, name in enumerate(names):
        lag = max_lag - index // len(chosen)
        # Tier 0 holds the oldest copies; nothing in a later tier may cause an earlier one.
        knowledge.add_node_to_tier(GraphNode(name), max_lag - lag)
    with quiet_numerics(settings):
        graph = pc(
            data,
            alpha=settings.pc_alpha,
            indep_test=fisherz,
            stable=True,
            background_knowledge=knowledge,
            node_names=names,
            show_progress=False,
        )
    matrix = graph.G.graph
    present = {i for i, name in enumerate(names) if name.endswith("[t-0]")}
    found: list[DiscoveredEdge] = []
    for i, j in itertools.permutations(range(len(names)), 2):
        if j not in present:
            continue
        cause_metric, cause_lag = names[i].split("[t-")[0], int(names[i].split("[t-")[1].rstrip("]"))
        effect_metric = names[j].split("[t-")[0]
        if cause_metric == effect_metric:
            continue  # a series' own past is persistence, not a driver
        if matrix[i, j] == -1 and matrix[j, i] == 1:
            found.append(DiscoveredEdge(cause_metric, effect_metric, cause_lag, "directed"))
        elif i in present and i < j and matrix[i, j] == -1 and matrix[j, i] == -1:
            found.append(DiscoveredEdge(cause_metric, effect_metric, 0, "undirected"))
        elif i in present and i < j and matrix[i, j] == 1 and matrix[j, i] == 1:
            found.append(DiscoveredEdge(cause_metric, effect_metric, 0, "bidirected"))
    return StructureResult(
        edges=tuple(found),
        transforms=prepared.transforms,
        settings={
            "method": "causal_learn_pc",
            "indep_test": "fisherz",
            "alpha": settings.pc_alpha,
            "stable": True,
            "max_lag": max_lag,
            "background_knowledge": "tiers by time: later copies cannot cause earlier ones",
            "n_rows": int(data.shape[0]),
            "nodes": names,
        },
    )
