"""The result every Keel optimization returns: a :class:`Plan` an owner can read and a table can store.

Inventory, staffing, pricing and budget plans share one shape so the Dagster asset that stores them
(``ml.plans``) and the console page that shows them need no per-plan code: the decisions as a polars
DataFrame, the objective, the expected impact in money against the policy the owner runs today, the
constraints that hold the plan back with what relaxing each would be worth, the solver's status and
time, and an explanation in plain words. An infeasible problem still yields a ``Plan``: marked
infeasible, with no decisions, naming the constraints that cannot hold together.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

if TYPE_CHECKING:
    from models_ml.optimization.credibility import Credibility

PlanType = Literal["inventory", "staffing", "pricing", "budget"]

#: ``optimal``: proven best within the relative gap; ``feasible``: a valid plan, not proven best (time
#: limit); ``infeasible``: the constraints cannot all hold; ``no_solution``: the time limit passed before
#: any plan was found (the problem may or may not be feasible).
PlanStatus = Literal["optimal", "feasible", "infeasible", "no_solution"]

#: How the value of relaxing a binding constraint was obtained: the LP dual (shadow price) or a
#: second solve with the bound moved (integer models have no meaningful duals).
ValuationMethod = Literal["lp_dual", "re_solve"]


#: Key of the credibility record inside a stored plan's ``inputs``.
CREDIBILITY_KEY = "credibility"


class OptimizationInputError(ValueError):
    """An input to the optimization library is malformed: it names the input and what is wrong.

    Conflicting but well-formed constraints are not an error: they give an infeasible :class:`Plan`.
    """


@dataclass(frozen=True)
class SolverSettings:
    """Knobs shared by every planner; the defaults keep one demo tenant's four plans within seconds."""

    #: Wall-clock limit of each solve (the main solve, and each re-solve or diagnosis solve).
    time_limit_seconds: float = 10.0
    #: Threads given to CP-SAT and to the MIP solver. One is the default: on the two shared cores Keel
    #: targets, one CP-SAT worker with the full LP relaxation solved the rosters fastest (see
    #: docs/benchmarks.md); raise it on bigger machines.
    num_workers: int = 1
    #: A solve stops once its plan is proven within this relative distance of the best possible plan
    #: (0.1%: far below the uncertainty of any forecast the plan rests on).
    relative_gap: float = 1e-3
    #: When a rounded LP plan is not proven within the gap, the MIP solver may branch this long.
    mip_polish_seconds: float = 3.0
    #: Re-solve integer models with each binding bound relaxed to value it (off: faster, no values).
    value_binding_constraints: bool = True
    #: At most this many re-solves, and this many seconds, to value binding constraints (the most
    #: promising first).
    max_valuation_solves: int = 6
    max_valuation_seconds: float = 3.0
    #: At most this many feasibility solves, and this many seconds, when naming the constraints of an
    #: infeasible problem (past either, the named set still conflicts but may not be the smallest).
    max_diagnosis_solves: int = 120
    max_diagnosis_seconds: float = 20.0
    #: Seed of CP-SAT's search, for reproducible plans.
    random_seed: int = 0

    def __post_init__(self) -> None:
        if not self.time_limit_seconds > 0:
            raise OptimizationInputError(
                f"time_limit_seconds must be positive, got {self.time_limit_seconds}"
            )
        if self.num_workers < 1:
            raise OptimizationInputError(f"num_workers must be at least 1, got {self.num_workers}")
        if not 0 <= self.relative_gap < 1:
            raise OptimizationInputError(f"relative_gap must lie in [0, 1), got {self.relative_gap}")


@dataclass(frozen=True)
class BindingConstraint:
    """A constraint that holds the plan back, and what relaxing it by ``relax_by`` would be worth."""

    #: Stable machine key, e.g. ``budget``, ``storage``, ``max_hours:e3``, ``max_change:p7``.
    key: str
    #: The constraint in words, e.g. "the storage capacity of 400 units".
    description: str
    #: How far the bound is relaxed for the valuation, in ``relax_unit``.
    relax_by: float
    #: Unit of ``relax_by``, e.g. "$", "units of storage", "hours a week for Ana".
    relax_unit: str
    #: Money the objective gains (profit up or cost down) over the plan's horizon from that relaxation.
    value_of_relaxing: float
    method: ValuationMethod
    #: One sentence for the owner, e.g. "10 more units of storage would be worth $37 over the 4 weeks."
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "description": self.description,
            "relax_by": self.relax_by,
            "relax_unit": self.relax_unit,
            "value_of_relaxing": _json_number(self.value_of_relaxing),
            "method": self.method,
            "sentence": self.sentence,
        }


@dataclass(frozen=True, eq=False)
class Plan:
    """One optimized plan with everything needed to store, check, show and explain it."""

    plan_type: PlanType
    #: Number of periods the plan covers, in units of ``period`` ("week", "day", ...).
    horizon: int
    period: str
    status: PlanStatus
    #: True when ``decisions`` satisfy every constraint (status optimal or feasible).
    feasible: bool
    #: One row per decision (an order, a shift, a price, a channel's spend); empty when infeasible.
    decisions: pl.DataFrame
    #: What the solver optimized, in words, e.g. "expected profit" or "wage cost".
    objective_name: str
    objective_sense: Literal["maximize", "minimize"]
    #: The objective of this plan over the horizon, in money; None when no plan was found.
    objective_value: float | None
    #: The same objective for the owner's current policy (order-up-to levels, roster, prices, split).
    current_policy_value: float | None
    #: Money gained over the horizon by following the plan instead of the current policy (positive is
    #: better: more profit, or lower cost).
    expected_impact: float | None
    binding_constraints: tuple[BindingConstraint, ...]
    #: For an infeasible problem: the constraints that cannot hold together, in words.
    conflicting_constraints: tuple[str, ...]
    #: Plain-language account of the plan for the owner.
    explanation: str
    #: Assumptions and caveats the owner should know (e.g. a prior elasticity was used).
    notes: tuple[str, ...]
    #: Extra figures worth storing (fill rates, uncovered hours, ...), all plain floats.
    metrics: Mapping[str, float]
    #: Solver used for the main solve, e.g. "CP-SAT" or "HiGHS" or "GLOP".
    solver: str
    #: Wall time of the main solve.
    solve_seconds: float
    #: Wall time of everything: building, solving, valuing constraints, diagnosing infeasibility.
    total_seconds: float
    #: Relative distance between the plan and the solver's proven bound (0 for a proven optimum).
    optimality_gap: float | None
    currency: str = "$"
    #: Identifying facts about the inputs (sizes, seeds), stored with the plan for traceability.
    inputs: Mapping[str, Any] = field(default_factory=dict)
    #: How well the plan's inputs are supported by data, its downside, and whether its gain may be shown
    #: as a headline (None for an infeasible plan or one stored before plans carried the record).
    credibility: Credibility | None = None

    @property
    def headline_supported(self) -> bool:
        """True when the expected impact may be presented as the plan's headline gain."""
        return self.feasible and (self.credibility is None or self.credibility.headline_supported)

    def decision_records(self) -> list[dict[str, Any]]:
        """Decisions as JSON-ready dictionaries, one per row."""
        return [{key: _json_value(value) for key, value in row.items()} for row in self.decisions.to_dicts()]

    def to_dict(self) -> dict[str, Any]:
        """Everything in the plan as JSON-ready Python values (what ``ml.plans`` stores)."""
        return {
            "plan_type": self.plan_type,
            "horizon": self.horizon,
            "period": self.period,
            "status": self.status,
            "feasible": self.feasible,
            "objective": {
                "name": self.objective_name,
                "sense": self.objective_sense,
                "value": _json_number(self.objective_value),
            },
            "current_policy_value": _json_number(self.current_policy_value),
            "expected_impact": _json_number(self.expected_impact),
            "currency": self.currency,
            "decisions": self.decision_records(),
            "binding_constraints": [constraint.to_dict() for constraint in self.binding_constraints],
            "conflicting_constraints": list(self.conflicting_constraints),
            "explanation": self.explanation,
            "notes": list(self.notes),
            "metrics": {key: _json_number(value) for key, value in self.metrics.items()},
            "solver": self.solver,
            "solve_seconds": self.solve_seconds,
            "total_seconds": self.total_seconds,
            "optimality_gap": _json_number(self.optimality_gap),
            # The credibility record travels inside ``inputs``, so ``ml.plans`` stores it with no new
            # column; ``serialization.plan_from_dict`` takes it back out.
            "inputs": {
                **{key: _json_value(value) for key, value in self.inputs.items()},
                **({} if self.credibility is None else {CREDIBILITY_KEY: self.credibility.to_dict()}),
            },
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


def improvement(
    objective_value: float, current_value: float, sense: Literal["maximize", "minimize"]
) -> float:
    """Money gained by the plan against the current policy: more profit, or less cost, is positive."""
    return objective_value - current_value if sense == "maximize" else current_value - objective_value


def solved_plan(
    *,
    plan_type: PlanType,
    horizon: int,
    period: str,
    status: PlanStatus,
    decisions: pl.DataFrame,
    objective_name: str,
    objective_sense: Literal["maximize", "minimize"],
    objective_value: float,
    current_value: float,
    binding: Sequence[BindingConstraint],
    explanation: str,
    notes: Iterable[str],
    metrics: Mapping[str, float],
    solver: str,
    solve_seconds: float,
    started: float,
    optimality_gap: float | None,
    currency: str,
    inputs: Mapping[str, Any],
    credibility: Credibility | None = None,
) -> Plan:
    """The :class:`Plan` of a problem the solver solved: the one construction the four planners share.

    The expected impact is derived from the objective and the current policy's value (never passed in,
    so it always agrees with them), and the total time runs from ``started`` (a ``perf_counter``).
    """
    return Plan(
        plan_type=plan_type,
        horizon=horizon,
        period=period,
        status=status,
        feasible=True,
        decisions=decisions,
        objective_name=objective_name,
        objective_sense=objective_sense,
        objective_value=objective_value,
        current_policy_value=current_value,
        expected_impact=improvement(objective_value, current_value, objective_sense),
        binding_constraints=tuple(binding),
        conflicting_constraints=(),
        explanation=explanation,
        notes=tuple(notes),
        metrics=dict(metrics),
        solver=solver,
        solve_seconds=solve_seconds,
        total_seconds=time.perf_counter() - started,
        optimality_gap=optimality_gap,
        currency=currency,
        inputs=dict(inputs),
        credibility=credibility,
    )


# Input checks the problems' ``__post_init__`` share, each naming the input and what is wrong with it.


def require_non_negative(value: Any, name: str) -> None:
    """``value`` must be a finite number >= 0; ``name`` says where it sits, e.g. "channel 'x': min_spend"."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise OptimizationInputError(f"{name} must be a finite number >= 0, got {value!r}")


def require_non_negative_fields(item: object, where: str, names: Iterable[str]) -> None:
    """Every named attribute of ``item`` is a finite number >= 0."""
    for name in names:
        require_non_negative(getattr(item, name), f"{where}: {name}")


def require_unique_ids(what: str, kind: str, ids: Sequence[str]) -> None:
    """A problem's items exist and their ids are unique, e.g. ``("budget problem", "channel", ids)``."""
    if not ids:
        raise OptimizationInputError(f"{what}: {kind}s must not be empty")
    if len(set(ids)) != len(ids):
        duplicated = sorted({item for item in ids if ids.count(item) > 1})
        raise OptimizationInputError(f"{what}: {kind} ids must be unique, got duplicates {duplicated}")


def format_money(amount: float, currency: str = "$") -> str:
    """Money as an owner reads it: whole units from 100 up, cents below; a minus sign in front."""
    sign = "-" if amount < 0 else ""
    magnitude = abs(amount)
    if magnitude >= 100 or math.isclose(magnitude, round(magnitude), abs_tol=1e-9):
        return f"{sign}{currency}{magnitude:,.0f}"
    return f"{sign}{currency}{magnitude:,.2f}"


def format_quantity(value: float) -> str:
    """A count or amount without needless decimals: 24, 2.5, 1,200."""
    if math.isclose(value, round(value), abs_tol=1e-9):
        return f"{round(value):,}"
    return f"{value:,.1f}"


def describe_horizon(horizon: int, period: str) -> str:
    """'this week', 'the next 4 weeks': how a sentence refers to a plan's horizon."""
    return f"this {period}" if horizon == 1 else f"the next {horizon} {period}s"


def impact_sentence(
    impact: float | None, objective_name: str, current_name: str, horizon_words: str, currency: str
) -> str:
    """One sentence comparing the plan with the current policy."""
    if impact is None:
        return ""
    if abs(impact) < 0.5:
        return f"This matches {current_name}: no change in {objective_name} over {horizon_words}."
    direction = "more" if impact > 0 else "less"
    if objective_name.endswith("cost"):
        direction = "less" if impact > 0 else "more"
    return (
        f"Compared with {current_name}, this plan gives {format_money(abs(impact), currency)} {direction} "
        f"{objective_name} over {horizon_words}."
    )


def _json_number(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _json_value(value: Any) -> Any:
    if isinstance(value, float):
        return _json_number(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    if isinstance(value, frozenset | set):
        return sorted(_json_value(item) for item in value)
    if isinstance(value, Mapping):
        return {str(key): _json_value(item) for key, item in value.items()}
    return value
