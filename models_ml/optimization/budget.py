"""Budget plan: a marketing budget split across channels under diminishing returns, as a linear program.

Response curves (:func:`fit_response_curves`) are fitted per channel from the tenant's daily rows of
(spend, outcome), where the outcome is what the channel brings (e.g. revenue of orders attributed to
it). Two concave forms:

* ``log``: ``outcome = a + b·log(1 + spend / c)`` (b >= 0, c > 0);
* ``hill``: ``outcome = a + b·spend^k / (spend^k + c^k)`` with 0 < k <= 1 (concave; k > 1 would be
  S-shaped, which a linear program cannot represent).

The fit is a grid over the non-linear parameters with bounded linear least squares for (a, b) at each
grid point (robust, no starting values needed), refined by ``scipy.optimize.curve_fit``.

Allocation: each curve's increment over zero spend is approximated by a concave piecewise-linear
function of daily spend (breakpoints denser near zero, where the curve bends most, and at the channel's
bounds). Concavity means the LP fills a channel's steeper segments first, so no integer variables are
needed. The LP maximizes the outcome value over the horizon subject to the budget and each channel's
minimum and maximum; it is solved with GLOP, whose duals give the shadow prices: the budget's dual is
the marginal return of one more unit of money. At the optimum every channel strictly between its bounds
has the same marginal return (equal-marginal rule, :func:`equal_marginal_allocation`), which the tests
and the benchmark use as the exact reference for the approximation.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy.optimize import curve_fit, lsq_linear

from models_ml.optimization._solvers import LP_SOLVER, SOLVER_LABELS, new_linear_solver, solve_linear
from models_ml.optimization.conflicts import (
    ConstraintGroup,
    unsolved_plan,
)
from models_ml.optimization.credibility import (
    SAFE_STEP_SHARE,
    Credibility,
    InputSupport,
    SafeStep,
    Scenario,
    fit_level,
    within_range,
)
from models_ml.optimization.plan import (
    BindingConstraint,
    OptimizationInputError,
    Plan,
    SolverSettings,
    format_money,
    impact_sentence,
    require_non_negative,
    require_non_negative_fields,
    require_unique_ids,
    solved_plan,
)

ResponseForm = Literal["log", "hill"]

DECISION_SCHEMA: dict[str, type[pl.DataType]] = {
    "channel_id": pl.String,
    "channel_name": pl.String,
    "current_spend": pl.Float64,
    "planned_spend": pl.Float64,
    "change": pl.Float64,
    "daily_spend": pl.Float64,
    "current_outcome_value": pl.Float64,
    "expected_outcome_value": pl.Float64,
    "marginal_return": pl.Float64,
    "beyond_observed_spend": pl.Boolean,
}


@dataclass(frozen=True)
class ResponseCurve:
    """Daily outcome of a channel as a concave function of its daily spend."""

    channel: str
    form: ResponseForm
    #: Outcome with zero spend (a); the allocation uses only the increment above it.
    baseline: float
    #: Size of the effect (b).
    scale: float
    #: Spend at which the effect is half (hill) or at which returns start to flatten (log) (c).
    half_saturation: float
    #: Hill exponent k (1 for the log form).
    shape: float = 1.0
    #: Share of the outcome's variation the curve explains, and the observations (days, or weeks when
    #: fitted on weekly means) it was fitted on: how far the curve can be trusted.
    r_squared: float = math.nan
    n_days: int = 0
    #: Daily spend ever observed on the channel: the curve is measured only between these two.
    max_observed_spend: float = math.inf
    min_observed_spend: float = 0.0

    def __post_init__(self) -> None:
        if self.form not in ("log", "hill"):
            raise OptimizationInputError(f"response curve {self.channel!r}: form must be 'log' or 'hill'")
        if not self.scale >= 0 or not self.half_saturation > 0:
            raise OptimizationInputError(
                f"response curve {self.channel!r}: needs scale >= 0 and half_saturation > 0"
            )
        if self.form == "hill" and not 0 < self.shape <= 1:
            raise OptimizationInputError(f"response curve {self.channel!r}: hill shape must lie in (0, 1]")

    def increment(self, daily_spend: float | np.ndarray) -> Any:
        """Outcome per day above the zero-spend baseline."""
        spend = np.maximum(np.asarray(daily_spend, dtype=float), 0.0)
        if self.form == "log":
            return self.scale * np.log1p(spend / self.half_saturation)
        powered = spend**self.shape
        return self.scale * powered / (powered + self.half_saturation**self.shape)

    def marginal(self, daily_spend: float | np.ndarray) -> Any:
        """Extra outcome per extra unit of daily spend."""
        spend = np.maximum(np.asarray(daily_spend, dtype=float), 1e-12)
        if self.form == "log":
            return self.scale / (self.half_saturation + spend)
        c_k = self.half_saturation**self.shape
        return self.scale * self.shape * c_k * spend ** (self.shape - 1) / (spend**self.shape + c_k) ** 2


def fit_response_curve(
    spend: np.ndarray, outcome: np.ndarray, channel: str, form: ResponseForm = "log"
) -> ResponseCurve:
    """Least-squares fit of one channel's curve to daily (spend, outcome) pairs."""
    spend = np.asarray(spend, dtype=float)
    outcome = np.asarray(outcome, dtype=float)
    where = f"response data of channel {channel!r}"
    if spend.shape != outcome.shape or spend.ndim != 1:
        raise OptimizationInputError(f"{where}: spend and outcome must be equal-length 1-d series")
    if len(spend) < 5:
        raise OptimizationInputError(f"{where}: needs at least 5 days, got {len(spend)}")
    if not (np.isfinite(spend).all() and np.isfinite(outcome).all()):
        raise OptimizationInputError(f"{where}: spend and outcome must be finite")
    if (spend < 0).any():
        raise OptimizationInputError(f"{where}: spend must be >= 0")
    if len(np.unique(spend)) < 3:
        raise OptimizationInputError(
            f"{where}: spend takes fewer than 3 distinct values; no curve can be fitted"
        )
    top = float(spend.max())
    half_saturations = np.geomspace(top * 1e-3, top * 100, 60)
    shapes = np.array([1.0]) if form == "log" else np.linspace(0.3, 1.0, 8)
    best: tuple[float, float, float, float, float] | None = None  # (sse, a, b, c, k)
    for shape in shapes:
        for c in half_saturations:
            feature = _feature(spend, form, c, shape)
            design = np.column_stack([np.ones_like(feature), feature])
            solution = lsq_linear(design, outcome, bounds=([-np.inf, 0.0], [np.inf, np.inf]))
            sse = float(np.sum((design @ solution.x - outcome) ** 2))
            if best is None or sse < best[0]:
                best = (sse, float(solution.x[0]), float(solution.x[1]), float(c), float(shape))
    assert best is not None
    sse, a, b, c, k = best
    # Refine the grid's best by a local least-squares fit of all parameters; keep it only if better.
    try:
        if form == "log":
            params, _ = curve_fit(
                lambda s, a_, b_, c_: a_ + b_ * np.log1p(s / c_),
                spend,
                outcome,
                p0=[a, b, c],
                bounds=([-np.inf, 0.0, top * 1e-4], [np.inf, np.inf, top * 1e3]),
                maxfev=2000,
            )
            refined = (float(params[0]), float(params[1]), float(params[2]), 1.0)
        else:
            params, _ = curve_fit(
                lambda s, a_, b_, c_, k_: a_ + b_ * s**k_ / (s**k_ + c_**k_),
                spend,
                outcome,
                p0=[a, b, c, k],
                bounds=([-np.inf, 0.0, top * 1e-4, 0.05], [np.inf, np.inf, top * 1e3, 1.0]),
                maxfev=4000,
            )
            refined = (float(params[0]), float(params[1]), float(params[2]), float(params[3]))
        refined_sse = float(
            np.sum((refined[0] + refined[1] * _feature(spend, form, refined[2], refined[3]) - outcome) ** 2)
        )
        if refined_sse < sse:
            sse, (a, b, c, k) = refined_sse, refined
    except (RuntimeError, ValueError):
        pass  # the grid optimum stands
    total = float(np.sum((outcome - outcome.mean()) ** 2))
    r_squared = 1 - sse / total if total > 0 else math.nan
    return ResponseCurve(
        channel=channel,
        form=form,
        baseline=a,
        scale=b,
        half_saturation=c,
        shape=k,
        r_squared=r_squared,
        n_days=len(spend),
        max_observed_spend=top,
        min_observed_spend=float(spend.min()),
    )


def fit_response_curves(
    daily: pl.DataFrame,
    form: ResponseForm = "log",
    channel_column: str = "channel",
    spend_column: str = "spend",
    outcome_column: str = "outcome",
) -> dict[str, ResponseCurve]:
    """One curve per channel from daily rows ``channel, spend, outcome`` (other columns are ignored)."""
    for column in (channel_column, spend_column, outcome_column):
        if column not in daily.columns:
            raise OptimizationInputError(
                f"response data: missing column {column!r}; columns are {daily.columns}"
            )
    curves = {}
    for (channel,), rows in daily.group_by([channel_column], maintain_order=True):
        curves[str(channel)] = fit_response_curve(
            rows[spend_column].cast(pl.Float64).to_numpy(),
            rows[outcome_column].cast(pl.Float64).to_numpy(),
            str(channel),
            form,
        )
    return curves


def _feature(spend: np.ndarray, form: ResponseForm, c: float, k: float) -> np.ndarray:
    if form == "log":
        return np.log1p(spend / c)
    powered = spend**k
    return powered / (powered + c**k)


@dataclass(frozen=True)
class Channel:
    channel_id: str
    name: str
    curve: ResponseCurve
    #: Current policy: what the channel gets over the horizon today.
    current_spend: float
    min_spend: float = 0.0
    max_spend: float | None = None

    def __post_init__(self) -> None:
        where = f"channel {self.channel_id!r}"
        require_non_negative_fields(self, where, ("current_spend", "min_spend"))
        if self.max_spend is not None:
            require_non_negative(self.max_spend, f"{where}: max_spend (or None)")


@dataclass(frozen=True, eq=False)
class BudgetProblem:
    channels: tuple[Channel, ...]
    #: Money to split over the horizon.
    budget: float
    horizon_days: int = 28
    #: Money per unit of outcome (1 when the outcome already is revenue).
    value_per_outcome: float = 1.0
    outcome_name: str = "revenue"
    #: Gross margin of that revenue, if known: a marginal return below 1 / margin does not pay for itself.
    gross_margin: float | None = None
    #: Linear pieces per curve.
    n_segments: int = 40
    currency: str = "$"
    context: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_unique_ids("budget problem", "channel", [channel.channel_id for channel in self.channels])
        require_non_negative(self.budget, "budget problem: budget")
        if self.horizon_days < 1 or self.n_segments < 2:
            raise OptimizationInputError("budget problem: horizon_days must be >= 1 and n_segments >= 2")
        if not self.value_per_outcome > 0:
            raise OptimizationInputError("budget problem: value_per_outcome must be positive")
        if self.gross_margin is not None and not 0 < self.gross_margin <= 1:
            raise OptimizationInputError("budget problem: gross_margin must lie in (0, 1]")

    def outcome_value(self, channel: Channel, spend: float) -> float:
        """Outcome value over the horizon of spending ``spend`` (total) on ``channel``."""
        daily = spend / self.horizon_days
        return float(channel.curve.increment(daily)) * self.horizon_days * self.value_per_outcome


def equal_marginal_allocation(problem: BudgetProblem) -> dict[str, float]:
    """Exact optimum of the concave problem by the equal-marginal rule (no approximation).

    Spend on each channel is where its marginal return equals a common λ, clipped to its bounds; λ is
    found by bisection so that the budget is spent (or every channel sits at its maximum).
    Assumes the problem is feasible (minimums within budget and maximums).
    """
    days = problem.horizon_days
    lows = [channel.min_spend for channel in problem.channels]
    highs = [
        problem.budget if channel.max_spend is None else channel.max_spend for channel in problem.channels
    ]

    def spend_at(channel_index: int, level: float) -> float:
        channel = problem.channels[channel_index]
        low, high = lows[channel_index], highs[channel_index]

        def marginal(total: float) -> float:
            return float(channel.curve.marginal(total / days)) * problem.value_per_outcome

        if marginal(high) >= level:
            return high
        if marginal(low) <= level:
            return low
        a, b = low, high
        for _ in range(100):
            middle = (a + b) / 2
            a, b = (middle, b) if marginal(middle) > level else (a, middle)
        return (a + b) / 2

    if sum(highs) <= problem.budget:
        return {c.channel_id: h for c, h in zip(problem.channels, highs, strict=True)}
    low_level, high_level = 0.0, 1.0
    while sum(spend_at(i, high_level) for i in range(len(highs))) > problem.budget:
        high_level *= 2
    for _ in range(200):
        level = (low_level + high_level) / 2
        if sum(spend_at(i, level) for i in range(len(highs))) > problem.budget:
            low_level = level
        else:
            high_level = level
    return {c.channel_id: spend_at(i, high_level) for i, c in enumerate(problem.channels)}


def plan_budget(problem: BudgetProblem, settings: SolverSettings | None = None) -> Plan:
    """Outcome-maximizing split of the budget, valued against the current split, with LP shadow prices."""
    settings = settings or SolverSettings()
    started = time.perf_counter()
    groups = _constraint_groups(problem)
    enabled = frozenset(group.key for group in groups)
    model = _BudgetModel(problem, enabled)
    outcome = solve_linear(model.solver, settings, is_mip=False, kind=LP_SOLVER)
    if outcome.has_solution:
        # Second pass: a fine grid around the first solution makes the approximation nearly exact where
        # it matters (the optimum and its duals), at the cost of one more millisecond-scale LP.
        first = outcome.seconds
        model = _BudgetModel(problem, enabled, refine_around=model.spends())
        outcome = solve_linear(model.solver, settings, is_mip=False, kind=LP_SOLVER)
        outcome = dataclasses.replace(outcome, seconds=outcome.seconds + first)
    current_value = sum(problem.outcome_value(c, c.current_spend) for c in problem.channels)
    horizon_words = f"the next {problem.horizon_days} days"
    inputs: dict[str, object] = {
        "channels": len(problem.channels),
        "budget": problem.budget,
        "horizon_days": problem.horizon_days,
        "segments": problem.n_segments,
        **dict(problem.context),
    }
    notes = [
        f"Each channel's {problem.outcome_name} follows its fitted diminishing-returns curve; the plan "
        f"approximates each curve by {problem.n_segments} linear pieces and reports values on the curves "
        "themselves.",
    ]
    for channel in problem.channels:
        if channel.curve.r_squared == channel.curve.r_squared and channel.curve.r_squared < 0.3:
            notes.append(
                f"{channel.name}: the response curve explains only {channel.curve.r_squared:.0%} of the "
                "daily "
                "variation; treat its share with caution."
            )
    if not outcome.has_solution:
        return _unsolved_plan(
            problem, groups, outcome.status, outcome.seconds, settings, started, current_value, notes, inputs
        )

    spends = model.spends()
    plan_value = sum(problem.outcome_value(c, spends[c.channel_id]) for c in problem.channels)
    decisions = _decision_frame(problem, spends)
    for row in decisions.filter(pl.col("beyond_observed_spend")).iter_rows(named=True):
        notes.append(
            f"{row['channel_name']}: {format_money(row['daily_spend'], problem.currency)} a day is more "
            "than it has "
            "ever spent, so its curve is extrapolated there."
        )
    binding = _binding_constraints(problem, model, horizon_words)
    budget_dual = next((b.value_of_relaxing for b in binding if b.key == "budget"), 0.0)
    metrics = {
        "expected_outcome_value": plan_value,
        "current_outcome_value": current_value,
        "planned_spend": float(sum(spends.values())),
        "budget_shadow_price": budget_dual,
        "lp_objective": float(outcome.objective or 0.0),
    }
    credibility = budget_credibility(problem, spends, horizon_words)
    metrics["downside_impact"] = credibility.downside.impact
    explanation = _explanation(
        problem, decisions, plan_value, credibility, budget_dual, binding, horizon_words
    )
    return solved_plan(
        plan_type="budget",
        horizon=problem.horizon_days,
        period="day",
        status=outcome.status,
        decisions=decisions,
        objective_name=f"expected {problem.outcome_name}",
        objective_sense="maximize",
        objective_value=plan_value,
        current_value=current_value,
        binding=binding,
        explanation=explanation,
        notes=notes,
        metrics=metrics,
        solver=SOLVER_LABELS[LP_SOLVER],
        solve_seconds=outcome.seconds,
        started=started,
        optimality_gap=0.0,
        currency=problem.currency,
        inputs=inputs,
        credibility=credibility,
    )


# --------------------------------------------------------------------------------------------
# Credibility: how well the curves support the split
# --------------------------------------------------------------------------------------------


def budget_credibility(
    problem: BudgetProblem, spends: Mapping[str, float], horizon_words: str
) -> Credibility:
    """Support of each moved channel's curve, the split's downside, and a safe step when support is weak.

    The headline gain is withheld when a channel whose spend the plan changes has a curve that explains
    little or rests on few observations, or when the plan spends more on a channel than it ever has (its
    curve is extrapolated there). The downside reads the curves pessimistically: money added to a
    channel earns only where its curve is supported and measured, money taken away loses what the curve
    says, and even a supported curve is trusted only for the share of the variation it explains. The
    safe step moves a quarter of the way, never beyond the spend ever observed.
    """
    currency = problem.currency
    supports = []
    reasons = []
    for channel in problem.channels:
        support = _channel_support(problem, channel, spends[channel.channel_id])
        supports.append(support)
        if not _moved(problem, channel, spends[channel.channel_id]):
            continue
        if support.level != "supported":
            reasons.append(f"{channel.name}: {support.evidence}")
        if spends[channel.channel_id] > channel.current_spend and support.within_observed_range is False:
            reasons.append(
                f"{channel.name} would get {format_money(support.planned or 0.0, currency)} a day, more than "
                f"the {format_money(support.observed_high or 0.0, currency)} a day it has ever had, so its "
                "return there is a guess"
            )
    current_value = sum(problem.outcome_value(c, c.current_spend) for c in problem.channels)
    plan_value = sum(problem.outcome_value(c, spends[c.channel_id]) for c in problem.channels)
    outcome = problem.outcome_name
    expected = Scenario("expected", plan_value - current_value, "if every response curve holds")
    downside = Scenario(
        "downside",
        downside_impact(problem, spends),
        f"if the channels that get more money bring only the extra {outcome} your data clearly show",
    )
    safe_step = None
    if reasons:
        safe = _safe_spends(problem, spends)
        parts = [
            f"{c.name} {format_money(safe[c.channel_id], currency)} "
            f"(now {format_money(c.current_spend, currency)})"
            for c in problem.channels
            if abs(safe[c.channel_id] - c.current_spend) >= 0.5
        ]
        reserve = sum(spends.values()) - sum(safe.values())
        description = (
            f"test the new split on a share of the budget: over {horizon_words} move a quarter of the way, "
            + (", ".join(parts) if parts else "keeping every channel as it is")
            + (f", and keep {format_money(reserve, currency)} in reserve" if reserve >= 0.5 else "")
            + f"; then compare {outcome} with the weeks before, and go further only if it rose."
        )
        safe_value = sum(problem.outcome_value(c, safe[c.channel_id]) for c in problem.channels)
        safe_step = SafeStep(
            description,
            safe_value - current_value,
            downside_impact(problem, safe),
            values={c.name: safe[c.channel_id] for c in problem.channels},
        )
    return Credibility(
        supports=tuple(supports),
        expected=expected,
        downside=downside,
        reasons=tuple(reasons),
        safe_step=safe_step,
    )


def _channel_support(problem: BudgetProblem, channel: Channel, spend: float) -> InputSupport:
    curve = channel.curve
    fit = curve.r_squared if math.isfinite(curve.r_squared) else None
    level = fit_level(fit, curve.n_days or None)
    planned_daily = spend / problem.horizon_days
    measured = math.isfinite(curve.max_observed_spend)
    outcome = problem.outcome_name
    if fit is None:
        evidence = f"no measure of how well its curve fits its {outcome}"
    else:
        evidence = f"its curve explains {max(fit, 0.0):.0%} of the variation in {outcome}"
    if curve.n_days:
        evidence += f", from {curve.n_days} observations"
    return InputSupport(
        subject=channel.name,
        quantity=f"how {outcome} responds to daily spend",
        level=level,
        evidence=evidence,
        fit=fit,
        observations=curve.n_days or None,
        observed_low=curve.min_observed_spend if measured else None,
        observed_high=curve.max_observed_spend if measured else None,
        planned=planned_daily,
        unit=f"{problem.currency} a day",
        within_observed_range=within_range(planned_daily, curve.max_observed_spend) if measured else None,
    )


def _moved(problem: BudgetProblem, channel: Channel, spend: float) -> bool:
    """The plan changes this channel's spend by more than 1% of the budget (and more than one unit)."""
    return abs(spend - channel.current_spend) > max(1.0, 0.01 * problem.budget)


def _supported_spend_cap(problem: BudgetProblem, channel: Channel) -> float:
    """The most the channel's curve can vouch for over the horizon: today's spend, or the most ever seen."""
    if not math.isfinite(channel.curve.max_observed_spend):
        return math.inf
    return max(channel.current_spend, channel.curve.max_observed_spend * problem.horizon_days)


def downside_impact(problem: BudgetProblem, spends: Mapping[str, float]) -> float:
    """Gain of ``spends`` against the current split, reading the curves pessimistically (see above)."""
    total = 0.0
    for channel in problem.channels:
        spend, current = spends[channel.channel_id], channel.current_spend
        now = problem.outcome_value(channel, current)
        if spend <= current:
            total += problem.outcome_value(channel, spend) - now
        else:
            support = _channel_support(problem, channel, spend)
            if support.level == "supported" and support.fit is not None:
                # Only the share of the gain the curve explains, and only up to the spend ever seen.
                capped = min(spend, _supported_spend_cap(problem, channel))
                total += support.fit * (problem.outcome_value(channel, capped) - now)
    return total


def _safe_spends(problem: BudgetProblem, spends: Mapping[str, float]) -> dict[str, float]:
    """A quarter of the way from today's split to the plan, never above the spend ever observed."""
    safe = {}
    for channel in problem.channels:
        current = channel.current_spend
        step = current + SAFE_STEP_SHARE * (spends[channel.channel_id] - current)
        if step > current:
            step = min(step, _supported_spend_cap(problem, channel))
        safe[channel.channel_id] = max(step, channel.min_spend)
    return safe


class _BudgetModel:
    """The piecewise-linear LP over daily spends; groups outside ``enabled`` are dropped."""

    def __init__(
        self,
        problem: BudgetProblem,
        enabled: frozenset[str],
        with_objective: bool = True,
        refine_around: Mapping[str, float] | None = None,
    ) -> None:
        solver = new_linear_solver(LP_SOLVER)
        self.solver = solver
        self.problem = problem
        days = problem.horizon_days
        infinity = solver.infinity()
        objective = solver.Objective()
        self.pieces: dict[str, list[Any]] = {}
        self.constraints: dict[str, Any] = {}
        budget = solver.Constraint(-infinity, problem.budget, "budget") if "budget" in enabled else None
        if budget is not None:
            self.constraints["budget"] = budget
        for channel in problem.channels:
            cid = channel.channel_id
            top = max(problem.budget, channel.min_spend, channel.max_spend or 0.0) / days
            breakpoints = _breakpoints(top, problem.n_segments, channel, days)
            if refine_around is not None:
                breakpoints = _refined(breakpoints, refine_around[cid] / days, problem.n_segments)
            values = channel.curve.increment(breakpoints) * problem.value_per_outcome
            pieces = []
            for index in range(len(breakpoints) - 1):
                width = float(breakpoints[index + 1] - breakpoints[index])
                piece = solver.NumVar(0, width, f"{cid}_{index}")
                slope = float(values[index + 1] - values[index]) / width
                objective.SetCoefficient(piece, days * slope)
                if budget is not None:
                    budget.SetCoefficient(piece, days)
                pieces.append(piece)
            self.pieces[cid] = pieces
            if channel.min_spend > 0 and f"min:{cid}" in enabled:
                row = solver.Constraint(channel.min_spend, infinity, f"min_{cid}")
                for piece in pieces:
                    row.SetCoefficient(piece, days)
                self.constraints[f"min:{cid}"] = row
            if channel.max_spend is not None and f"max:{cid}" in enabled:
                row = solver.Constraint(-infinity, channel.max_spend, f"max_{cid}")
                for piece in pieces:
                    row.SetCoefficient(piece, days)
                self.constraints[f"max:{cid}"] = row
        if with_objective:
            objective.SetMaximization()

    def spends(self) -> dict[str, float]:
        days = self.problem.horizon_days
        return {
            cid: days * sum(piece.solution_value() for piece in pieces) for cid, pieces in self.pieces.items()
        }


def _refined(breakpoints: np.ndarray, daily_spend: float, n_points: int) -> np.ndarray:
    """Breakpoints plus a fine grid over the two segments either side of a first solution."""
    index = int(np.searchsorted(breakpoints, daily_spend))
    low = breakpoints[max(0, index - 2)]
    high = breakpoints[min(len(breakpoints) - 1, index + 2)]
    points = np.unique(np.concatenate([breakpoints, np.linspace(low, high, n_points)]))
    return points[np.concatenate([[True], np.diff(points) > 1e-12])]


def _breakpoints(top: float, n_segments: int, channel: Channel, days: int) -> np.ndarray:
    """Daily-spend breakpoints: quadratic spacing (dense near zero) plus the channel's own bounds."""
    grid = top * (np.arange(n_segments + 1) / n_segments) ** 2
    extra = [channel.min_spend / days]
    if channel.max_spend is not None:
        extra.append(channel.max_spend / days)
    points = np.unique(np.concatenate([grid, [value for value in extra if 0 < value < top]]))
    return points[np.concatenate([[True], np.diff(points) > 1e-12])]


def _constraint_groups(problem: BudgetProblem) -> list[ConstraintGroup]:
    currency = problem.currency
    groups = [ConstraintGroup("budget", f"the budget of {format_money(problem.budget, currency)}")]
    for channel in problem.channels:
        if channel.min_spend > 0:
            groups.append(
                ConstraintGroup(
                    f"min:{channel.channel_id}",
                    f"the minimum of {format_money(channel.min_spend, currency)} on {channel.name}",
                )
            )
        if channel.max_spend is not None:
            groups.append(
                ConstraintGroup(
                    f"max:{channel.channel_id}",
                    f"the maximum of {format_money(channel.max_spend, currency)} on {channel.name}",
                )
            )
    return groups


def allocation_violations(
    problem: BudgetProblem, spends: Mapping[str, float], tolerance: float = 0.01
) -> list[str]:
    """Every rule of ``problem`` that ``spends`` (total per channel) break (empty: the split is valid)."""
    problems = []
    for channel in problem.channels:
        spend = spends.get(channel.channel_id)
        if spend is None:
            problems.append(f"{channel.name} has no planned spend")
            continue
        if spend < -tolerance:
            problems.append(f"{channel.name}: negative spend {spend:.2f}")
        if spend < channel.min_spend - tolerance:
            problems.append(f"{channel.name}: {spend:.2f} is below its minimum {channel.min_spend:.2f}")
        if channel.max_spend is not None and spend > channel.max_spend + tolerance:
            problems.append(f"{channel.name}: {spend:.2f} is above its maximum {channel.max_spend:.2f}")
    total = sum(spends.values())
    if total > problem.budget + tolerance:
        problems.append(f"total spend {total:.2f} exceeds the budget {problem.budget:.2f}")
    return problems


def _unsolved_plan(
    problem: BudgetProblem,
    groups: list[ConstraintGroup],
    status: Any,
    seconds: float,
    settings: SolverSettings,
    started: float,
    current_value: float,
    notes: list[str],
    inputs: Mapping[str, object],
) -> Plan:
    def is_feasible(enabled: frozenset[str]) -> bool | None:
        candidate = _BudgetModel(problem, enabled, with_objective=False)
        result = solve_linear(candidate.solver, settings, is_mip=False, kind=LP_SOLVER)
        return None if result.status == "no_solution" else result.has_solution

    return unsolved_plan(
        status=status,
        groups=groups,
        is_feasible=is_feasible,
        settings=settings,
        what="budget split",
        plan_type="budget",
        horizon=problem.horizon_days,
        period="day",
        decision_schema=DECISION_SCHEMA,
        objective_name=f"expected {problem.outcome_name}",
        objective_sense="maximize",
        current_value=current_value,
        current_metric="current_outcome_value",
        notes=notes,
        solver=SOLVER_LABELS[LP_SOLVER],
        solve_seconds=seconds,
        started=started,
        currency=problem.currency,
        inputs=inputs,
    )


def _binding_constraints(
    problem: BudgetProblem, model: _BudgetModel, horizon_words: str
) -> list[BindingConstraint]:
    """Shadow prices from the LP duals, per unit of money (relaxing a bound by 1)."""
    currency = problem.currency
    names = {channel.channel_id: channel.name for channel in problem.channels}
    outcome = problem.outcome_name
    binding = []
    for key, constraint in model.constraints.items():
        # Relaxing a binding bound can only help, so the dual's magnitude is the value per unit.
        value = abs(float(constraint.dual_value()))
        if value < 1e-9:
            continue
        kind, _, channel_id = key.partition(":")
        if kind == "budget":
            description = f"the budget of {format_money(problem.budget, currency)}"
            sentence = (
                f"The budget binds: one more {currency}1 would bring about "
                f"{format_money(value, currency)} more "
                f"{outcome} (its shadow price, the marginal return)."
            )
            if problem.gross_margin is not None:
                verdict = (
                    "pays for itself" if value * problem.gross_margin > 1 else "would not pay for itself"
                )
                sentence += f" At a {problem.gross_margin:.0%} margin, more budget {verdict}."
        elif kind == "min":
            channel = next(c for c in problem.channels if c.channel_id == channel_id)
            description = f"the minimum of {format_money(channel.min_spend, currency)} on {names[channel_id]}"
            sentence = (
                f"The minimum on {names[channel_id]} binds: each {currency}1 less required there would "
                "add about "
                f"{format_money(value, currency)} of {outcome} elsewhere."
            )
        else:
            channel = next(c for c in problem.channels if c.channel_id == channel_id)
            description = (
                f"the maximum of {format_money(channel.max_spend or 0.0, currency)} on {names[channel_id]}"
            )
            sentence = (
                f"The cap on {names[channel_id]} binds: raising it by {currency}1 would add about "
                f"{format_money(value, currency)} of {outcome}."
            )
        binding.append(
            BindingConstraint(
                key=key,
                description=description,
                relax_by=1.0,
                relax_unit=currency,
                value_of_relaxing=value,
                method="lp_dual",
                sentence=sentence,
            )
        )
    return binding


def _decision_frame(problem: BudgetProblem, spends: Mapping[str, float]) -> pl.DataFrame:
    days = problem.horizon_days
    rows = []
    for channel in problem.channels:
        spend = spends[channel.channel_id]
        rows.append(
            {
                "channel_id": channel.channel_id,
                "channel_name": channel.name,
                "current_spend": channel.current_spend,
                "planned_spend": spend,
                "change": spend - channel.current_spend,
                "daily_spend": spend / days,
                "current_outcome_value": problem.outcome_value(channel, channel.current_spend),
                "expected_outcome_value": problem.outcome_value(channel, spend),
                "marginal_return": float(channel.curve.marginal(spend / days)) * problem.value_per_outcome,
                "beyond_observed_spend": spend / days > channel.curve.max_observed_spend * 1.05,
            }
        )
    return pl.DataFrame(rows, schema=DECISION_SCHEMA)


def _explanation(
    problem: BudgetProblem,
    decisions: pl.DataFrame,
    plan_value: float,
    credibility: Credibility,
    budget_dual: float,
    binding: list[BindingConstraint],
    horizon_words: str,
) -> str:
    currency = problem.currency
    parts = []
    for row in decisions.sort("planned_spend", descending=True).iter_rows(named=True):
        parts.append(
            f"{row['channel_name']} {format_money(row['planned_spend'], currency)} "
            f"(now {format_money(row['current_spend'], currency)})"
        )
    sentences = [
        f"Split {format_money(float(decisions['planned_spend'].sum()), currency)} over {horizon_words}: "
        + ", ".join(parts)
        + f". Expected {problem.outcome_name} from these channels: {format_money(plan_value, currency)}."
    ]
    if credibility.headline_supported:
        impact_text = impact_sentence(
            credibility.expected.impact, problem.outcome_name, "your current split", horizon_words, currency
        )
        if impact_text:
            sentences.append(impact_text)
        if abs(credibility.expected.impact) >= 0.5:
            sentences.append(
                f"{credibility.downside.description[0].upper()}{credibility.downside.description[1:]}, "
                f"the change is {format_money(credibility.downside.impact, currency)} instead."
            )
    else:
        sentences.append(credibility.headline(currency, horizon_words))
    interior = decisions.filter(pl.col("planned_spend") > 1.0)
    if interior.height > 1 and budget_dual > 0:
        sentences.append(
            "Money goes where the next dollar earns most; at this split the channels not held by a "
            "minimum or a "
            f"cap earn about the same on their last dollar ({format_money(budget_dual, currency)})."
        )
    sentences.extend(constraint.sentence for constraint in binding)
    return " ".join(sentences)
