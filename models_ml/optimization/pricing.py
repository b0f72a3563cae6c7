"""Pricing plan: one price per product (or tier) from a grid of price points, maximizing expected profit.

Demand model: constant elasticity around today's price, ``units(p) = base_demand * (p / current_price)^ε``,
with ``base_demand`` the forecast at today's price. The elasticity ε comes from the evidence engine as an
estimate with a 95% interval and a grade (:class:`Elasticity`) and is treated as uncertain, normal with
the interval's spread; the expected units are then ``base * exp(μ·ln r + σ²·(ln r)²/2)`` with r = p / p₀
(the exact mean of the lognormal factor). How the grade is used (documented in the plan's notes):

* strong, moderate: the estimate and its interval as given;
* weak: the estimate shrunk toward the prior by precision weighting (a normal-normal Bayesian update);
* inconclusive or missing: the prior only, by default ε = -1.5 ± 0.5, a typical retail elasticity
  (many retail categories measure between -1 and -2.5); the plan says so for each product concerned.

Prices are chosen from discrete points (``.99`` endings by default, or a fixed step), plus today's price,
as a CP-SAT assignment model: exactly one price per product; within the allowed range; at most
``max_change`` away from today's price; a gross margin of at least ``margin_floor``; and optionally an
order between tiers (``tier_order``: the dearer tier costs at least ``min_tier_gap`` more).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import polars as pl
from ortools.sat.python import cp_model

from models_ml.optimization._solvers import SolveOutcome, solve_cp
from models_ml.optimization.conflicts import (
    ConstraintGroup,
    unsolved_plan,
)
from models_ml.optimization.credibility import (
    Credibility,
    InputSupport,
    SafeStep,
    Scenario,
    SupportLevel,
)
from models_ml.optimization.plan import (
    BindingConstraint,
    OptimizationInputError,
    Plan,
    SolverSettings,
    describe_horizon,
    format_money,
    impact_sentence,
    require_non_negative,
    require_non_negative_fields,
    require_unique_ids,
    solved_plan,
)

ElasticityGrade = Literal["strong", "moderate", "weak", "inconclusive"]
GRADES = ("strong", "moderate", "weak", "inconclusive")
#: z-value of a two-sided 95% interval: the evidence engine's intervals are 95% intervals.
Z_95 = 1.959964

DECISION_SCHEMA: dict[str, type[pl.DataType]] = {
    "product_id": pl.String,
    "product_name": pl.String,
    "current_price": pl.Float64,
    "new_price": pl.Float64,
    "change_pct": pl.Float64,
    "current_units": pl.Float64,
    "expected_units": pl.Float64,
    "current_profit": pl.Float64,
    "expected_profit": pl.Float64,
    "margin_pct": pl.Float64,
    "elasticity_used": pl.Float64,
    "elasticity_source": pl.String,
}


@dataclass(frozen=True)
class Elasticity:
    """Price elasticity of a product's demand as the evidence engine reports it (95% interval)."""

    product_id: str
    estimate: float
    ci_low: float
    ci_high: float
    grade: ElasticityGrade

    def __post_init__(self) -> None:
        where = f"elasticity of {self.product_id!r}"
        if self.grade not in GRADES:
            raise OptimizationInputError(f"{where}: grade must be one of {GRADES}, got {self.grade!r}")
        values = (self.estimate, self.ci_low, self.ci_high)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
            raise OptimizationInputError(
                f"{where}: estimate and interval must be finite numbers, got {values}"
            )
        if self.ci_low > self.ci_high:
            raise OptimizationInputError(f"{where}: ci_low {self.ci_low} is above ci_high {self.ci_high}")


@dataclass(frozen=True)
class PricedProduct:
    product_id: str
    name: str
    current_price: float
    unit_cost: float
    #: Expected units sold per period at the current price (the demand forecast).
    base_demand: float
    #: Allowed price range (the owner's, e.g. a competitor's price or a recommended retail price).
    min_price: float
    max_price: float
    #: Lowest and highest price ever charged, when known: a new price outside them is untested.
    lowest_observed_price: float | None = None
    highest_observed_price: float | None = None

    def __post_init__(self) -> None:
        where = f"priced product {self.product_id!r}"
        for name in ("lowest_observed_price", "highest_observed_price"):
            if getattr(self, name) is not None:
                require_non_negative(getattr(self, name), f"{where}: {name}")
        require_non_negative_fields(
            self, where, ("current_price", "unit_cost", "base_demand", "min_price", "max_price")
        )
        if self.current_price <= 0:
            raise OptimizationInputError(f"{where}: current_price must be positive")


@dataclass(frozen=True)
class ElasticityBelief:
    """The elasticity the planner used for a product: mean, spread and where it came from."""

    mean: float
    sd: float
    source: str
    #: The 95% range used for the pessimistic profit.
    low: float
    high: float


@dataclass(frozen=True, eq=False)
class PricingProblem:
    products: tuple[PricedProduct, ...]
    elasticities: tuple[Elasticity, ...] = ()
    #: Minimum gross margin (price - cost) / price of every new price.
    margin_floor: float = 0.0
    #: Largest relative change from today's price in one period.
    max_change: float = 0.10
    #: Price points n + ending for whole n (default .99); None to use ``price_step`` instead.
    price_endings: tuple[float, ...] | None = (0.99,)
    price_step: float | None = None
    #: Pairs (cheaper, dearer) of product ids: the dearer one must cost at least ``min_tier_gap`` more.
    tier_order: tuple[tuple[str, str], ...] = ()
    min_tier_gap: float = 0.0
    prior_elasticity: float = -1.5
    prior_sd: float = 0.5
    periods: int = 1
    period: str = "week"
    currency: str = "$"
    context: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ids = [product.product_id for product in self.products]
        require_unique_ids("pricing problem", "product", ids)
        if not 0 <= self.margin_floor < 1:
            raise OptimizationInputError(
                f"pricing problem: margin_floor must lie in [0, 1), got {self.margin_floor}"
            )
        if not 0 <= self.max_change < 1:
            raise OptimizationInputError(
                f"pricing problem: max_change must lie in [0, 1), got {self.max_change}"
            )
        if (self.price_endings is None) == (self.price_step is None):
            raise OptimizationInputError("pricing problem: give exactly one of price_endings and price_step")
        if self.price_endings is not None and not all(0 <= e < 1 for e in self.price_endings):
            raise OptimizationInputError(
                f"pricing problem: price_endings must lie in [0, 1), got {self.price_endings}"
            )
        if self.price_step is not None and not self.price_step > 0:
            raise OptimizationInputError("pricing problem: price_step must be positive")
        for cheaper, dearer in self.tier_order:
            if cheaper not in ids or dearer not in ids:
                raise OptimizationInputError(
                    f"pricing problem: tier_order names unknown products ({cheaper}, {dearer})"
                )
        if self.prior_sd < 0 or self.periods < 1:
            raise OptimizationInputError("pricing problem: prior_sd must be >= 0 and periods >= 1")
        unknown = {e.product_id for e in self.elasticities} - set(ids)
        if unknown:
            raise OptimizationInputError(
                f"pricing problem: elasticities for unknown products {sorted(unknown)}"
            )

    def belief(self, product_id: str) -> ElasticityBelief:
        """The elasticity used for a product (see the module docstring)."""
        evidence = next((e for e in self.elasticities if e.product_id == product_id), None)
        prior_low = self.prior_elasticity - Z_95 * self.prior_sd
        prior_high = self.prior_elasticity + Z_95 * self.prior_sd
        if evidence is None or evidence.grade == "inconclusive":
            reason = "no elasticity estimate" if evidence is None else "inconclusive evidence"
            return ElasticityBelief(
                self.prior_elasticity, self.prior_sd, f"retail prior ({reason})", prior_low, prior_high
            )
        sd = max((evidence.ci_high - evidence.ci_low) / (2 * Z_95), 1e-9)
        if evidence.grade == "weak" and self.prior_sd > 0:
            precision = 1 / sd**2 + 1 / self.prior_sd**2
            mean = (evidence.estimate / sd**2 + self.prior_elasticity / self.prior_sd**2) / precision
            posterior_sd = math.sqrt(1 / precision)
            return ElasticityBelief(
                mean,
                posterior_sd,
                "weak evidence, shrunk toward the retail prior",
                mean - Z_95 * posterior_sd,
                mean + Z_95 * posterior_sd,
            )
        return ElasticityBelief(
            evidence.estimate, sd, f"{evidence.grade} evidence", evidence.ci_low, evidence.ci_high
        )

    def candidate_prices(self, product: PricedProduct) -> list[float]:
        """Price points considered for a product: the grid around every bound, plus today's price."""
        low = min(product.min_price, product.current_price * (1 - self.max_change)) * 0.8
        high = max(product.max_price, product.current_price * (1 + self.max_change)) * 1.2
        points = {round(product.current_price, 2)}
        if self.price_endings is not None:
            for whole in range(max(0, math.floor(low)), math.ceil(high) + 1):
                for ending in self.price_endings:
                    points.add(round(whole + ending, 2))
        else:
            step = float(self.price_step or 1.0)
            for index in range(max(1, math.floor(low / step)), math.ceil(high / step) + 1):
                points.add(round(index * step, 2))
        return sorted(p for p in points if low <= p <= high and p > 0)

    def on_grid(self, price: float) -> bool:
        if self.price_endings is not None:
            fraction = round(price - math.floor(price + 1e-9), 2)
            return any(math.isclose(fraction, round(e, 2), abs_tol=0.005) for e in self.price_endings)
        step = float(self.price_step or 1.0)
        return math.isclose(price / step, round(price / step), abs_tol=1e-6)


def expected_units(product: PricedProduct, price: float, belief: ElasticityBelief) -> float:
    """Expected units per period at ``price`` under an uncertain constant elasticity."""
    log_ratio = math.log(price / product.current_price)
    return product.base_demand * math.exp(belief.mean * log_ratio + 0.5 * belief.sd**2 * log_ratio**2)


def units_at_elasticity(product: PricedProduct, price: float, elasticity: float) -> float:
    return product.base_demand * (price / product.current_price) ** elasticity


def plan_pricing(problem: PricingProblem, settings: SolverSettings | None = None) -> Plan:
    """Profit-maximizing prices on the price grid, valued against today's prices."""
    settings = settings or SolverSettings()
    started = time.perf_counter()
    groups = _constraint_groups(problem)
    enabled = frozenset(group.key for group in groups)
    model = _PricingModel(problem, enabled, relax={})
    solver, outcome = solve_cp(model.model, settings)
    beliefs = {product.product_id: problem.belief(product.product_id) for product in problem.products}
    current_profit = sum(
        (p.current_price - p.unit_cost) * p.base_demand * problem.periods for p in problem.products
    )
    notes = [
        "Demand follows a constant price elasticity around today's price and today's forecast; "
        "elasticity uncertainty (its 95% interval) is averaged over."
    ]
    for product in problem.products:
        belief = beliefs[product.product_id]
        if belief.source.startswith("retail prior"):
            notes.append(
                f"{product.name}: {belief.source}, so the plan uses the documented retail prior elasticity "
                f"{problem.prior_elasticity:g} (95% range {belief.low:.1f} to {belief.high:.1f})."
            )
        elif belief.source.startswith("weak"):
            notes.append(
                f"{product.name}: the evidence is weak, so its elasticity was shrunk toward the retail prior "
                f"(used {belief.mean:.2f})."
            )
    inputs: dict[str, object] = {
        "products": len(problem.products),
        "margin_floor": problem.margin_floor,
        "max_change": problem.max_change,
        **dict(problem.context),
    }
    horizon_words = describe_horizon(problem.periods, problem.period)
    if not outcome.has_solution:
        return _unsolved_plan(problem, groups, outcome, settings, started, current_profit, notes, inputs)

    prices = model.chosen_prices(solver)
    profit = total_expected_profit(problem, prices)
    binding = (
        _value_binding_constraints(problem, prices, profit, settings)
        if settings.value_binding_constraints
        else []
    )
    decisions = _decision_frame(problem, prices, beliefs)
    pessimistic = _pessimistic_profit(problem, prices, beliefs)
    metrics = {
        "expected_profit": profit,
        "current_expected_profit": current_profit,
        "pessimistic_profit": pessimistic,
        "pessimistic_impact": pessimistic - current_profit,
        "products_changed": float(
            sum(1 for p in problem.products if abs(prices[p.product_id] - p.current_price) > 0.004)
        ),
        "products_on_prior": float(sum(1 for b in beliefs.values() if b.source.startswith("retail prior"))),
    }
    credibility = pricing_credibility(problem, prices, beliefs, horizon_words)
    explanation = _explanation(problem, decisions, profit, credibility, binding, horizon_words)
    return solved_plan(
        plan_type="pricing",
        horizon=problem.periods,
        period=problem.period,
        status=outcome.status,
        decisions=decisions,
        objective_name="expected profit",
        objective_sense="maximize",
        objective_value=profit,
        current_value=current_profit,
        binding=binding,
        explanation=explanation,
        notes=notes,
        metrics=metrics,
        solver="CP-SAT",
        solve_seconds=outcome.seconds,
        started=started,
        optimality_gap=outcome.gap,
        currency=problem.currency,
        inputs=inputs,
        credibility=credibility,
    )


# --------------------------------------------------------------------------------------------
# Credibility: how well the elasticities support the new prices
# --------------------------------------------------------------------------------------------


def pricing_credibility(
    problem: PricingProblem,
    prices: Mapping[str, float],
    beliefs: Mapping[str, ElasticityBelief],
    horizon_words: str,
) -> Credibility:
    """Support of each changed price, the unfavourable-elasticity downside, and a safe step when weak.

    The headline gain is withheld when a price the plan changes rests on an assumed (prior) or weak
    elasticity, or leaves the range of prices ever charged. The safe step keeps only the changes the
    evidence supports; when there are none, it tests the single most promising change on its own.
    """
    supports = []
    assumed, weak, untested = [], [], []
    for product in problem.products:
        price = prices[product.product_id]
        support = _price_support(product, price, beliefs[product.product_id])
        supports.append(support)
        if not _changed(product, price):
            continue
        if support.level == "assumed":
            assumed.append(product.name)
        elif support.level == "weak":
            weak.append(product.name)
        if support.within_observed_range is False:
            untested.append(product.name)
    reasons = []
    if assumed:
        reasons.append(
            f"how customers react to the price of {_listed(assumed)} was never measured, so those changes "
            f"rest on a typical retail reaction (elasticity {problem.prior_elasticity:g}) that may not hold"
        )
    if weak:
        reasons.append(f"the evidence on how customers react to the price of {_listed(weak)} is weak")
    if untested:
        reasons.append(f"the new price of {_listed(untested)} lies outside the prices ever charged")
    current = {p.product_id: p.current_price for p in problem.products}
    current_profit = total_expected_profit(problem, current)
    expected = Scenario(
        "expected", total_expected_profit(problem, prices) - current_profit, "if customers react as estimated"
    )
    downside = Scenario(
        "downside",
        _pessimistic_profit(problem, prices, beliefs) - current_profit,
        "if customers react at the unfavourable end of the evidence",
    )
    safe_step = None
    if reasons:
        safe_step = _safe_price_step(problem, prices, beliefs, supports, current_profit, horizon_words)
    return Credibility(
        supports=tuple(supports),
        expected=expected,
        downside=downside,
        reasons=tuple(reasons),
        safe_step=safe_step,
    )


def _halfway_price(problem: PricingProblem, product: PricedProduct, planned: float) -> float:
    """The allowed price point nearest halfway from today's price to the planned one (else the planned)."""
    current = product.current_price
    enabled = frozenset(
        group.key for group in _constraint_groups(problem) if not group.key.startswith("tier:")
    )
    between = [
        price
        for price in problem.candidate_prices(product)
        if min(current, planned) < price < max(current, planned)
        and _changed(product, price)
        and _allowed(problem, product, price, enabled, {})
    ]
    if not between:
        return planned
    middle = (current + planned) / 2
    return min(between, key=lambda price: abs(price - middle))


def _listed(names: list[str], at_most: int = 4) -> str:
    """'A', 'A and B', 'A, B, C and 2 more'."""
    shown = names[:at_most]
    rest = len(names) - len(shown)
    if rest:
        return ", ".join(shown) + f" and {rest} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + f" and {shown[-1]}"


def _changed(product: PricedProduct, price: float) -> bool:
    return abs(price - product.current_price) > 0.004


def _price_support(product: PricedProduct, price: float, belief: ElasticityBelief) -> InputSupport:
    level: SupportLevel
    if belief.source.startswith("retail prior"):
        level = "assumed"
        evidence = f"assumed elasticity {belief.mean:.1f}, plausibly {belief.low:.1f} to {belief.high:.1f}"
    elif belief.source.startswith("weak"):
        level = "weak"
        evidence = (
            f"the evidence on its price reaction is weak (elasticity about {belief.mean:.1f}, "
            f"plausibly {belief.low:.1f} to {belief.high:.1f})"
        )
    else:
        level = "supported"
        evidence = (
            f"{belief.source}: elasticity {belief.mean:.1f}, 95% range {belief.low:.1f} to {belief.high:.1f}"
        )
    low, high = product.lowest_observed_price, product.highest_observed_price
    in_range = None
    if low is not None and high is not None:
        in_range = low / 1.05 <= price <= high * 1.05
    return InputSupport(
        subject=product.name,
        quantity="how sales respond to price",
        level=level,
        evidence=evidence,
        observed_low=low,
        observed_high=high,
        planned=price,
        unit="price",
        within_observed_range=in_range,
    )


def _safe_price_step(
    problem: PricingProblem,
    prices: Mapping[str, float],
    beliefs: Mapping[str, ElasticityBelief],
    supports: list[InputSupport],
    current_profit: float,
    horizon_words: str,
) -> SafeStep:
    """Keep the supported changes only; with none, test the one change that gains most on its own."""
    currency = problem.currency
    by_id = {p.product_id: p for p in problem.products}
    safe = {p.product_id: p.current_price for p in problem.products}
    for product, support in zip(problem.products, supports, strict=True):
        if support.level == "supported" and support.within_observed_range is not False:
            safe[product.product_id] = prices[product.product_id]
    changed = [pid for pid, price in safe.items() if _changed(by_id[pid], price)]
    if changed:
        listed = ", ".join(
            f"{by_id[pid].name} to {format_money(safe[pid], currency)} "
            f"(now {format_money(by_id[pid].current_price, currency)})"
            for pid in changed
        )
        description = f"change only the prices the evidence supports: {listed}; keep the others as they are."
    else:
        candidates = [p for p in problem.products if _changed(p, prices[p.product_id])]
        best = max(
            candidates,
            key=lambda p: (
                expected_profit(problem, p, prices[p.product_id])
                - expected_profit(problem, p, p.current_price)
            ),
        )
        safe[best.product_id] = _halfway_price(problem, best, prices[best.product_id])
        description = (
            f"test one smaller change first: {best.name} at {format_money(safe[best.product_id], currency)} "
            f"(now {format_money(best.current_price, currency)}), keep every other price, and compare "
            f"its sales over {horizon_words} with the weeks before."
        )
    return SafeStep(
        description,
        total_expected_profit(problem, safe) - current_profit,
        _pessimistic_profit(problem, safe, beliefs) - current_profit,
        values={by_id[pid].name: price for pid, price in safe.items() if _changed(by_id[pid], price)},
    )


def expected_profit(problem: PricingProblem, product: PricedProduct, price: float) -> float:
    """Expected gross profit of one product at ``price`` over the plan's periods."""
    units = expected_units(product, price, problem.belief(product.product_id))
    return (price - product.unit_cost) * units * problem.periods


def total_expected_profit(problem: PricingProblem, prices: Mapping[str, float]) -> float:
    return sum(expected_profit(problem, p, prices[p.product_id]) for p in problem.products)


def _allowed(
    problem: PricingProblem,
    product: PricedProduct,
    price: float,
    enabled: frozenset[str],
    relax: Mapping[str, float],
) -> bool:
    pid = product.product_id
    if f"range:{pid}" in enabled:
        widen = relax.get(f"range:{pid}", 0.0)
        if price < product.min_price * (1 - widen) - 1e-9 or price > product.max_price * (1 + widen) + 1e-9:
            return False
    if f"max_change:{pid}" in enabled:
        limit = problem.max_change + relax.get(f"max_change:{pid}", 0.0)
        if abs(price / product.current_price - 1) > limit + 1e-9:
            return False
    if f"margin:{pid}" in enabled:
        floor = problem.margin_floor - relax.get(f"margin:{pid}", 0.0)
        if price - product.unit_cost < floor * price - 1e-9:
            return False
    return True


class _PricingModel:
    """Exactly one price point per product; groups outside ``enabled`` are dropped."""

    def __init__(
        self,
        problem: PricingProblem,
        enabled: frozenset[str],
        relax: Mapping[str, float],
        with_objective: bool = True,
    ) -> None:
        model = cp_model.CpModel()
        self.model = model
        self.choices: dict[str, list[tuple[float, Any]]] = {}
        objective = []
        for product in problem.products:
            options = []
            for price in problem.candidate_prices(product):
                if not _allowed(problem, product, price, enabled, relax):
                    continue
                chosen = model.new_bool_var(f"{product.product_id}@{price}")
                options.append((price, chosen))
                objective.append(round(expected_profit(problem, product, price) * 100) * chosen)
            self.choices[product.product_id] = options
            model.add_exactly_one(chosen for _, chosen in options)
        for cheaper, dearer in problem.tier_order:
            key = f"tier:{cheaper}<{dearer}"
            if key not in enabled:
                continue
            gap_cents = round((problem.min_tier_gap - relax.get(key, 0.0)) * 100)
            model.add(
                sum(round(price * 100) * chosen for price, chosen in self.choices[dearer])
                - sum(round(price * 100) * chosen for price, chosen in self.choices[cheaper])
                >= gap_cents
            )
        if with_objective:
            model.maximize(sum(objective))

    def chosen_prices(self, solver: cp_model.CpSolver) -> dict[str, float]:
        return {
            product_id: next(price for price, chosen in options if solver.boolean_value(chosen))
            for product_id, options in self.choices.items()
        }


def _constraint_groups(problem: PricingProblem) -> list[ConstraintGroup]:
    currency = problem.currency
    groups = []
    names = {product.product_id: product.name for product in problem.products}
    for product in problem.products:
        pid = product.product_id
        low = format_money(product.min_price, currency)
        high = format_money(product.max_price, currency)
        groups.append(
            ConstraintGroup(f"range:{pid}", f"the allowed price range of {product.name} ({low} to {high})")
        )
        lowest = format_money(product.current_price * (1 - problem.max_change), currency)
        highest = format_money(product.current_price * (1 + problem.max_change), currency)
        groups.append(
            ConstraintGroup(
                f"max_change:{pid}",
                f"the maximum change of {problem.max_change:.0%} for {product.name} ({lowest} to {highest})",
            )
        )
        if problem.margin_floor > 0:
            floor_price = product.unit_cost / (1 - problem.margin_floor)
            groups.append(
                ConstraintGroup(
                    f"margin:{pid}",
                    f"the {problem.margin_floor:.0%} margin floor for {product.name} "
                    f"(price at least {format_money(floor_price, currency)})",
                )
            )
    for cheaper, dearer in problem.tier_order:
        gap = (
            f" by at least {format_money(problem.min_tier_gap, currency)}" if problem.min_tier_gap > 0 else ""
        )
        groups.append(
            ConstraintGroup(
                f"tier:{cheaper}<{dearer}", f"{names[dearer]} costing more than {names[cheaper]}{gap}"
            )
        )
    return groups


def price_violations(problem: PricingProblem, prices: Mapping[str, float]) -> list[str]:
    """Every rule of ``problem`` that ``prices`` break, in words (empty: the prices are valid)."""
    problems = []
    for product in problem.products:
        price = prices.get(product.product_id)
        if price is None:
            problems.append(f"{product.name} has no price")
            continue
        if not (problem.on_grid(price) or math.isclose(price, product.current_price, abs_tol=0.005)):
            problems.append(f"{product.name}: {price:.2f} is not one of the allowed price points")
        pid = product.product_id
        if not _allowed(problem, product, price, frozenset({f"range:{pid}"}), {}):
            problems.append(
                f"{product.name}: {price:.2f} is outside {product.min_price:.2f}-{product.max_price:.2f}"
            )
        if not _allowed(problem, product, price, frozenset({f"max_change:{pid}"}), {}):
            problems.append(
                f"{product.name}: {price:.2f} changes more than {problem.max_change:.0%} from today"
            )
        if problem.margin_floor > 0 and not _allowed(
            problem, product, price, frozenset({f"margin:{pid}"}), {}
        ):
            problems.append(
                f"{product.name}: {price:.2f} is below the {problem.margin_floor:.0%} margin floor"
            )
    for cheaper, dearer in problem.tier_order:
        if (
            cheaper in prices
            and dearer in prices
            and prices[dearer] - prices[cheaper] < problem.min_tier_gap - 1e-6
        ):
            problems.append(
                f"tier order broken: {dearer} at {prices[dearer]:.2f} vs {cheaper} at {prices[cheaper]:.2f}"
            )
    return problems


def _unsolved_plan(
    problem: PricingProblem,
    groups: list[ConstraintGroup],
    outcome: SolveOutcome,
    settings: SolverSettings,
    started: float,
    current_profit: float,
    notes: list[str],
    inputs: Mapping[str, object],
) -> Plan:
    def is_feasible(enabled: frozenset[str]) -> bool | None:
        _, result = solve_cp(_PricingModel(problem, enabled, {}, with_objective=False).model, settings, True)
        return None if result.status == "no_solution" else result.has_solution

    return unsolved_plan(
        status=outcome.status,
        groups=groups,
        is_feasible=is_feasible,
        settings=settings,
        what="set of prices",
        plan_type="pricing",
        horizon=problem.periods,
        period=problem.period,
        decision_schema=DECISION_SCHEMA,
        objective_name="expected profit",
        objective_sense="maximize",
        current_value=current_profit,
        current_metric="current_expected_profit",
        notes=notes,
        solver="CP-SAT",
        solve_seconds=outcome.seconds,
        started=started,
        currency=problem.currency,
        inputs=inputs,
    )


def _value_binding_constraints(
    problem: PricingProblem, prices: Mapping[str, float], profit: float, settings: SolverSettings
) -> list[BindingConstraint]:
    """Re-solve with each tight rule loosened by one step; keep those that raise expected profit.

    A rule is tight when a price point it forbids would earn this product more than its planned price;
    only those are re-solved (tier rules couple products, so the whole model is re-solved each time).
    """
    deadline = time.perf_counter() + settings.max_valuation_seconds
    currency = problem.currency
    groups = {group.key: group for group in _constraint_groups(problem)}
    enabled = frozenset(groups)
    horizon_words = describe_horizon(problem.periods, problem.period)
    steps = _tight_rules(problem, prices, enabled)
    binding: list[BindingConstraint] = []
    for key, (amount, unit, phrase) in list(steps.items())[: settings.max_valuation_solves]:
        remaining = deadline - time.perf_counter()
        if remaining <= 0.05:
            break
        relaxed_enabled = enabled - {key} if math.isinf(amount) else enabled
        model = _PricingModel(problem, relaxed_enabled, {} if math.isinf(amount) else {key: amount})
        for product_id, options in model.choices.items():
            for price, chosen in options:
                model.model.add_hint(chosen, math.isclose(price, prices[product_id]))
        solver, result = solve_cp(
            model.model, replace(settings, time_limit_seconds=min(settings.time_limit_seconds, remaining))
        )
        if not result.has_solution:
            continue
        gain = total_expected_profit(problem, model.chosen_prices(solver)) - profit
        if gain <= max(0.5, 2 * settings.relative_gap * abs(profit)):
            continue
        description = groups[key].description
        binding.append(
            BindingConstraint(
                key=key,
                description=description,
                relax_by=1.0 if math.isinf(amount) else amount,
                relax_unit=unit,
                value_of_relaxing=gain,
                method="re_solve",
                sentence=(
                    f"{description[0].upper()}{description[1:]} binds: {phrase} would add "
                    f"{format_money(gain, currency)} of expected profit over {horizon_words}."
                ),
            )
        )
    return binding


def _tight_rules(
    problem: PricingProblem, prices: Mapping[str, float], enabled: frozenset[str]
) -> dict[str, tuple[float, str, str]]:
    """The rules worth a re-solve, by key: (how far to loosen, unit, the loosened rule in words).

    A product's own rule is tight when a price point it forbids would earn that product more than its
    planned price; a tier rule when a better price of either product, allowed by its own rules, breaks it.
    """
    steps: dict[str, tuple[float, str, str]] = {}
    own_rules_ok: dict[str, list[float]] = {}
    for product in problem.products:
        pid = product.product_id
        planned = expected_profit(problem, product, prices[pid])
        better = [
            price
            for price in problem.candidate_prices(product)
            if expected_profit(problem, product, price) > planned + 0.005
        ]
        own_rules_ok[pid] = [price for price in better if _allowed(problem, product, price, enabled, {})]
        for kind, amount, unit, phrase in (
            (
                "max_change",
                0.05,
                "percentage points",
                f"allowing a {problem.max_change + 0.05:.0%} change for {product.name}",
            ),
            ("margin", 0.05, "percentage points", f"a margin floor 5 points lower for {product.name}"),
            ("range", 0.10, "share of the range bound", f"a price range 10% wider for {product.name}"),
        ):
            key = f"{kind}:{pid}"
            if key not in enabled:
                continue
            others = enabled - {key}
            if any(
                _allowed(problem, product, price, others, {})
                and _allowed(problem, product, price, frozenset({key}), {key: amount})
                for price in better
            ):
                steps[key] = (amount, unit, phrase)
    for cheaper, dearer in problem.tier_order:
        # Tight when a better price of either product, allowed by its own rules, would break the order.
        gap = problem.min_tier_gap - 1e-9
        if any(prices[dearer] - price < gap for price in own_rules_ok[cheaper]) or any(
            price - prices[cheaper] < gap for price in own_rules_ok[dearer]
        ):
            names = {p.product_id: p.name for p in problem.products}
            if problem.min_tier_gap > 0:
                steps[f"tier:{cheaper}<{dearer}"] = (
                    problem.min_tier_gap,
                    "money",
                    f"letting {names[dearer]} cost as little as {names[cheaper]}",
                )
            else:
                steps[f"tier:{cheaper}<{dearer}"] = (
                    math.inf,
                    "rule",
                    f"dropping the rule that {names[dearer]} costs more than {names[cheaper]}",
                )
    return steps


def _pessimistic_profit(
    problem: PricingProblem, prices: Mapping[str, float], beliefs: Mapping[str, ElasticityBelief]
) -> float:
    """Profit if each product's elasticity sits at the end of its 95% range that hurts the new price most."""
    total = 0.0
    for product in problem.products:
        price = prices[product.product_id]
        belief = beliefs[product.product_id]
        total += min(
            (price - product.unit_cost) * units_at_elasticity(product, price, value) * problem.periods
            for value in (belief.low, belief.high)
        )
    return total


def _decision_frame(
    problem: PricingProblem, prices: Mapping[str, float], beliefs: Mapping[str, ElasticityBelief]
) -> pl.DataFrame:
    rows = []
    for product in problem.products:
        price = prices[product.product_id]
        belief = beliefs[product.product_id]
        rows.append(
            {
                "product_id": product.product_id,
                "product_name": product.name,
                "current_price": product.current_price,
                "new_price": price,
                "change_pct": 100 * (price / product.current_price - 1),
                "current_units": product.base_demand * problem.periods,
                "expected_units": expected_units(product, price, belief) * problem.periods,
                "current_profit": (product.current_price - product.unit_cost)
                * product.base_demand
                * problem.periods,
                "expected_profit": expected_profit(problem, product, price),
                "margin_pct": 100 * (price - product.unit_cost) / price,
                "elasticity_used": belief.mean,
                "elasticity_source": belief.source,
            }
        )
    return pl.DataFrame(rows, schema=DECISION_SCHEMA)


def _explanation(
    problem: PricingProblem,
    decisions: pl.DataFrame,
    profit: float,
    credibility: Credibility,
    binding: list[BindingConstraint],
    horizon_words: str,
) -> str:
    currency = problem.currency
    sentences = [f"Prices for {horizon_words}: expected gross profit {format_money(profit, currency)}."]
    changed = decisions.filter(pl.col("change_pct").abs() > 0.05).with_columns(
        (pl.col("expected_profit") - pl.col("current_profit")).alias("gain")
    )
    for row in changed.sort("gain", descending=True).head(5).iter_rows(named=True):
        verb = "Raise" if row["change_pct"] > 0 else "Lower"
        units_change = (
            100 * (row["expected_units"] / row["current_units"] - 1) if row["current_units"] else 0.0
        )
        if row["elasticity_source"].startswith("retail prior"):
            why = (
                "the evidence on how its customers react to price is inconclusive, so the plan assumes a "
                f"typical retail elasticity of {row['elasticity_used']:.1f}"
            )
        else:
            reaction = "weakly" if abs(row["elasticity_used"]) < 1 else "strongly"
            why = (
                f"customers react {reaction} to its price (elasticity {row['elasticity_used']:.1f}, "
                f"{row['elasticity_source']})"
            )
        sentences.append(
            f"{verb} {row['product_name']} from {format_money(row['current_price'], currency)} to "
            f"{format_money(row['new_price'], currency)} ({row['change_pct']:+.0f}%): {why}, so sales change "
            f"by about {units_change:+.0f}% and profit by {format_money(row['gain'], currency)}."
        )
    if changed.height > 5:
        sentences.append(f"{changed.height - 5} smaller price changes are listed in the plan.")
    kept = decisions.height - changed.height
    if kept:
        sentences.append(f"{kept} prices stay as they are.")
    impact, pessimistic_impact = credibility.expected.impact, credibility.downside.impact
    if not credibility.headline_supported:
        sentences.append(credibility.headline(currency, horizon_words))
        sentences.extend(constraint.sentence for constraint in binding)
        return " ".join(sentences)
    impact_text = impact_sentence(impact, "expected profit", "today's prices", horizon_words, currency)
    if impact_text:
        sentences.append(impact_text)
    if impact > 0.5:
        if pessimistic_impact < 0:
            sentences.append(
                "If customers react at the unfavourable end of the evidence, the change could cost "
                f"{format_money(-pessimistic_impact, currency)} instead."
            )
        else:
            sentences.append(
                "Even if customers react at the unfavourable end of the evidence, the plan gains "
                f"{format_money(pessimistic_impact, currency)}."
            )
    sentences.extend(constraint.sentence for constraint in binding)
    return " ".join(sentences)
