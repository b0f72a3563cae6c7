"""A second root-cause method: DoWhy's graphical causal model attribution of a metric's change.

The exact split of :mod:`models_ml.evidence.root_cause` answers "fewer orders or smaller baskets?" by
arithmetic. This one answers "which upstream driver's change moved it?" with a causal graph: a
structural causal model over the panel's metrics (for example marketing spend and labour hours drive
orders; orders and average order value drive revenue) is fitted on the earlier and on the later period,
and DoWhy's ``gcm.distribution_change`` splits the change in the target's mean between the nodes whose
distribution or mechanism changed, with Shapley values (Budhathoki et al., AISTATS 2021). The
contributions add up to the change in the target's mean as the fitted models reproduce it; the edges
store both that total and the observed change. Intervals come from ``gcm.confidence_intervals`` over
bootstrap resamples of the days.

Contributions are expressed relative to the target's mean in the earlier period (0.05 = the target's
mean moved 5% because of this node), the scale every interval of the engine is graded on. The graph
is an assumption the edges state; an attribution is graded at most moderate because it rests on that
graph and on models fitted to a month of days each.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from models_ml.evidence.dowhy_flow import quiet_numerics
from models_ml.evidence.errors import EvidenceInputError
from models_ml.evidence.grading import Grade, GradeInput, grade_evidence
from models_ml.evidence.panel import validate_panel
from models_ml.evidence.records import EvidenceEdge, interval_label, to_json
from models_ml.evidence.root_cause import Period
from models_ml.evidence.settings import EvidenceSettings

METHOD = "dowhy_gcm_distribution_change"
_MIN_DAYS = 14


@dataclass(frozen=True)
class NodeContribution:
    """One node's share of the change in the target's mean, relative to the earlier mean.

    An inconclusive share (its interval too wide to read) carries the reason and no number.
    """

    node: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    grade: Grade
    note: str | None


@dataclass(frozen=True)
class GcmAttribution:
    """The target's mean change between two periods, attributed to the nodes of a causal graph."""

    target: str
    parents: dict[str, tuple[str, ...]]
    before_period: Period
    after_period: Period
    before_mean: float
    after_mean: float
    modelled_change: float
    contributions: tuple[NodeContribution, ...]
    settings: dict[str, Any]

    @property
    def observed_change(self) -> float:
        return self.after_mean / self.before_mean - 1.0 if self.before_mean else math.nan

    def to_edges(self, tenant_id: str) -> list[EvidenceEdge]:
        graph = "; ".join(f"{', '.join(ps)} -> {child}" for child, ps in self.parents.items())
        before, after = self.before_period, self.after_period
        span = f"{before[0]}..{before[1]} to {after[0]}..{after[1]}"
        level = interval_label(self.settings["alpha"])
        edges = []
        for rank, part in enumerate(self.contributions, start=1):
            # The target's own node carries what its parents do not explain.
            cause = part.node if part.node != self.target else f"other causes of {self.target}"
            if part.estimate is None or part.ci_low is None or part.ci_high is None:
                explanation = (
                    f"Cannot tell how much {cause.replace('_', ' ')} moved {self.target}: {part.note}."
                )
            else:
                explanation = (
                    f"A change in {cause.replace('_', ' ')} moved mean daily {self.target} by "
                    f"{part.estimate:+.1%} ({level} {part.ci_low:+.1%} to {part.ci_high:+.1%}) of the "
                    f"{self.observed_change:+.1%} change from the earlier to the later period, rank "
                    f"{rank}, graded {part.grade}" + (f" ({part.note})." if part.note else ".")
                )
            edges.append(
                EvidenceEdge(
                    tenant_id=tenant_id,
                    cause=cause,
                    effect=self.target,
                    method=METHOD,
                    estimand=(
                        f"contribution of {cause} to the change in mean daily {self.target} from {span}, "
                        f"relative to the earlier mean"
                    ),
                    estimate=part.estimate,
                    ci_low=part.ci_low,
                    ci_high=part.ci_high,
                    p_value=None,
                    refutations=to_json([]),
                    grade=part.grade,
                    assumptions=(
                        f"The causal graph {graph} holds, with no hidden common cause of its nodes; each "
                        "node's mechanism, fitted on each period's days, describes that period; a node "
                        "whose parents explain its change gets no credit for it."
                    ),
                    reason=part.note if part.grade == "inconclusive" else None,
                    explanation=explanation,
                    settings=to_json(
                        {
                            **self.settings,
                            "rank": rank,
                            "graph": {child: list(ps) for child, ps in self.parents.items()},
                            "before_mean": self.before_mean,
                            "after_mean": self.after_mean,
                            "observed_relative_change": self.observed_change,
                            "modelled_relative_change": self.modelled_change,
                        }
                    ),
                    is_primary=False,
                )
            )
        return edges


def attribute_change_gcm(
    panel: pl.DataFrame,
    before: Period,
    after: Period,
    *,
    target: str,
    parents: Mapping[str, Sequence[str]],
    settings: EvidenceSettings | None = None,
) -> GcmAttribution:
    """Attribute the change in ``target``'s daily mean from ``before`` to ``after`` to a graph's nodes.

    ``parents`` maps each child metric to its direct causes (panel columns); the target must be one of
    the children. Days with a missing value in any node are left out; each period needs at least two
    weeks of complete days.
    """
    settings = settings or EvidenceSettings()
    nodes = sorted({*parents, *(p for ps in parents.values() for p in ps)})
    if target not in parents:
        raise EvidenceInputError(f"gcm attribution: the target {target!r} must have parents in the graph")
    panel = validate_panel(panel, name="panel", required=nodes)
    periods = []
    for period, name in ((before, "before"), (after, "after")):
        rows = (
            panel.filter((pl.col("ds") >= period[0]) & (pl.col("ds") <= period[1]))
            .select(nodes)
            .drop_nulls()
            .drop_nans()
        )
        if rows.height < _MIN_DAYS:
            raise EvidenceInputError(
                f"gcm attribution: the {name} period {period} has {rows.height} complete days "
                f"(at least {_MIN_DAYS} needed)"
            )
        periods.append(rows.cast(pl.Float64).to_pandas())
    old, new = periods
    before_mean = float(old[target].mean())
    if before_mean == 0:
        raise EvidenceInputError(f"gcm attribution: {target} averages zero in the before period")

    import networkx as nx
    from dowhy import gcm

    gcm.config.disable_progress_bars()
    # One process: the engine already runs one tenant per worker, and joblib workers started from a
    # spawned worker stalled on a two-core machine.
    gcm.config.set_default_n_jobs(1)
    graph = nx.DiGraph([(p, child) for child, ps in parents.items() for p in ps])
    model = gcm.ProbabilisticCausalModel(graph)

    def mean_change(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.mean(b) - np.mean(a)) / before_mean

    def estimate(old_days: pd.DataFrame, new_days: pd.DataFrame) -> dict[Any, float]:
        gcm.auto.assign_causal_mechanisms(model, pd.concat([old_days, new_days]))
        result = gcm.distribution_change(
            model,
            old_days,
            new_days,
            target,
            num_samples=settings.gcm_num_samples,
            difference_estimation_func=mean_change,
            # Every mechanism may have changed: a month of days is too few for the change tests to find
            # a real move, and a node wrongly held fixed would leave part of the change unattributed.
            mechanism_change_test_significance_level=1.0,
        )
        return dict(result)

    with quiet_numerics(settings):
        point = estimate(old, new)
        rng = np.random.default_rng(settings.random_seed)

        def resample() -> dict[Any, float]:
            return estimate(
                old.sample(len(old), replace=True, random_state=rng.integers(2**31)),
                new.sample(len(new), replace=True, random_state=rng.integers(2**31)),
            )

        _, intervals = gcm.confidence_intervals(
            resample,
            confidence_level=settings.confidence_level,
            num_bootstrap_resamples=settings.gcm_bootstrap_resamples,
        )
    contributions = []
    too_uncertain = []
    for node, value in point.items():
        low, high = (float(v) for v in np.asarray(intervals[node]).ravel()[:2])
        low, high = min(low, value), max(high, value)
        decision = grade_evidence(
            GradeInput(
                float(value),
                low,
                high,
                identification="design",
                cap="moderate",
                cap_reason="an attribution rests on the assumed graph and a month of days per period",
            ),
            max_relative_ci_width=settings.max_relative_ci_width,
        )
        if decision.grade == "inconclusive":
            too_uncertain.append(str(node))  # no number without an interval worth reading
            contributions.append(
                NodeContribution(str(node), None, None, None, "inconclusive", decision.reason)
            )
            continue
        contributions.append(
            NodeContribution(str(node), float(value), low, high, decision.grade, decision.reason)
        )
    contributions.sort(key=lambda part: -abs(part.estimate) if part.estimate is not None else 0.0)
    return GcmAttribution(
        target=target,
        parents={child: tuple(ps) for child, ps in parents.items()},
        before_period=before,
        after_period=after,
        before_mean=before_mean,
        after_mean=float(new[target].mean()),
        modelled_change=float(sum(point.values())),
        contributions=tuple(contributions),
        settings={
            "alpha": settings.alpha,
            "num_samples": settings.gcm_num_samples,
            "bootstrap_resamples": settings.gcm_bootstrap_resamples,
            "before_days": len(old),
            "after_days": len(new),
            "nodes_too_uncertain": too_uncertain,
        },
    )
