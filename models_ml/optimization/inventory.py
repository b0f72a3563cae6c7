"""Inventory plan: how many units (whole case packs) of each product to order in each coming period.

Model (a two-stage stochastic MILP over demand scenarios, solved with HiGHS through OR-Tools):

* Order quantities are decided now for every period whose delivery still lands inside the horizon
  (an order placed in period t arrives at the start of period t + lead time). They are the same in
  every scenario; only the order of the current period is final, the later ones are provisional and
  re-planned each period as new sales come in (rolling horizon).
* In each demand scenario (from forecast quantiles or sample paths, see :mod:`.scenarios`) sales are
  ``min(stock on hand, demand)``. Demand that finds the shelf empty is **lost** (lost-sales model, the
  usual case for a shop or café: the customer buys elsewhere), not backordered.
* Expected profit = revenue + value of stock left at the end - purchases - holding cost on stock left
  at the end of each period - goodwill penalty on lost sales. Stock left at the end of the horizon is
  valued at ``salvage_value`` (by default its unit cost: non-perishable stock carries over).
* Constraints: orders in whole case packs; an order is either zero or at least the minimum order
  quantity; total purchases within the purchasing budget; stock on hand after deliveries within the
  storage capacity in every period of every scenario; optionally an expected fill rate per product.

With one product, one period, no lead time and no other constraint this is the newsvendor problem,
and the optimal order is the critical-fractile quantile ``F⁻¹(cu / (cu + co))`` of the scenario demand
with ``cu = price - cost + penalty`` and ``co = cost + holding - salvage`` (:func:`critical_fractile`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from models_ml.optimization._solvers import (
    MIP_SOLVER,
    SOLVER_LABELS,
    new_linear_solver,
    relative_gap,
    solve_linear,
)
from models_ml.optimization.conflicts import (
    ConstraintGroup,
    unsolved_plan,
)
from models_ml.optimization.credibility import Credibility, InputSupport, Scenario
from models_ml.optimization.plan import (
    BindingConstraint,
    OptimizationInputError,
    Plan,
    PlanStatus,
    SolverSettings,
    describe_horizon,
    format_money,
    format_quantity,
    impact_sentence,
    require_non_negative,
    require_non_negative_fields,
    require_unique_ids,
    solved_plan,
)
from models_ml.optimization.scenarios import build_demand_scenarios

DECISION_SCHEMA: dict[str, type[pl.DataType]] = {
    "product_id": pl.String,
    "product_name": pl.String,
    "period": pl.Int64,
    "period_label": pl.String,
    "arrival_period": pl.Int64,
    "arrival_label": pl.String,
    "order_units": pl.Int64,
    "order_cases": pl.Int64,
    "order_cost": pl.Float64,
    "in_stock_probability": pl.Float64,
    "expected_lost_sales": pl.Float64,
}


@dataclass(frozen=True)
class InventoryProduct:
    """One stocked product: its economics, its stock, its ordering rules and the current policy."""

    product_id: str
    name: str
    unit_cost: float
    unit_price: float
    #: Cost of keeping one unit in stock for one period (capital, space, spoilage), charged on the stock
    #: left at the end of each period.
    holding_cost: float
    #: Current policy: each period the owner orders up to this inventory position (on hand + on order).
    current_order_up_to: float
    #: Goodwill cost of a lost sale on top of the lost margin (0 when a lost sale costs only its margin).
    stockout_penalty: float = 0.0
    on_hand: float = 0.0
    #: Deliveries already ordered, arriving at the start of period 0, 1, ... .
    on_order: tuple[float, ...] = ()
    #: Periods between placing an order and its arrival (0: arrives at the start of the same period).
    lead_time: int = 0
    case_pack: int = 1
    #: An order is either zero or at least this many units (0: no minimum).
    min_order_quantity: int = 0
    #: Storage space one unit takes, in the unit of the storage capacity.
    storage_per_unit: float = 1.0
    #: Optional service target: expected share of demand served over the horizon.
    min_fill_rate: float | None = None
    #: Value of a unit left at the end of the horizon; None means its unit cost (stock carries over).
    salvage_value: float | None = None

    def __post_init__(self) -> None:
        where = f"inventory product {self.product_id!r}"
        if not self.product_id:
            raise OptimizationInputError("inventory product: product_id must not be empty")
        require_non_negative_fields(
            self,
            where,
            ("unit_cost", "unit_price", "holding_cost", "stockout_penalty", "on_hand", "current_order_up_to"),
        )
        for index, amount in enumerate(self.on_order):
            require_non_negative(amount, f"{where}: on_order[{index}]")
        if self.salvage_value is not None:
            require_non_negative(self.salvage_value, f"{where}: salvage_value")
        require_non_negative(self.storage_per_unit, f"{where}: storage_per_unit")
        if not isinstance(self.lead_time, int) or self.lead_time < 0:
            raise OptimizationInputError(
                f"{where}: lead_time must be a whole number >= 0, got {self.lead_time!r}"
            )
        if not isinstance(self.case_pack, int) or self.case_pack < 1:
            raise OptimizationInputError(
                f"{where}: case_pack must be a whole number >= 1, got {self.case_pack!r}"
            )
        if not isinstance(self.min_order_quantity, int) or self.min_order_quantity < 0:
            raise OptimizationInputError(
                f"{where}: min_order_quantity must be a whole number >= 0, got {self.min_order_quantity!r}"
            )
        if self.min_fill_rate is not None and not 0 <= self.min_fill_rate <= 1:
            raise OptimizationInputError(
                f"{where}: min_fill_rate must lie in [0, 1], got {self.min_fill_rate}"
            )

    @property
    def leftover_value(self) -> float:
        return self.unit_cost if self.salvage_value is None else self.salvage_value


@dataclass(frozen=True, eq=False)
class InventoryProblem:
    """Everything the inventory planner needs; ``demand`` is in one of the shapes of :mod:`.scenarios`."""

    products: tuple[InventoryProduct, ...]
    demand: pl.DataFrame
    horizon: int
    #: Money available for all orders placed in the horizon (None: no limit).
    purchasing_budget: float | None = None
    #: Storage space for stock on hand after deliveries, in any period (None: no limit).
    storage_capacity: float | None = None
    #: Scenarios drawn from quantile forecasts (sample paths are used as given).
    n_scenarios: int = 100
    seed: int = 0
    period: str = "week"
    period_labels: tuple[str, ...] | None = None
    currency: str = "$"
    #: Steps used to value the binding budget and storage constraints by re-solving.
    budget_relax_step: float = 100.0
    storage_relax_step: float = 10.0
    #: Extra facts recorded with the plan (tenant, forecast run), not used by the model.
    context: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_unique_ids("inventory problem", "product", [product.product_id for product in self.products])
        if not isinstance(self.horizon, int) or self.horizon < 1:
            raise OptimizationInputError(
                f"inventory problem: horizon must be a whole number >= 1, got {self.horizon!r}"
            )
        if self.purchasing_budget is not None:
            require_non_negative(self.purchasing_budget, "inventory problem: purchasing_budget")
        if self.storage_capacity is not None:
            require_non_negative(self.storage_capacity, "inventory problem: storage_capacity")
        if self.period_labels is not None and len(self.period_labels) != self.horizon:
            raise OptimizationInputError(
                f"inventory problem: period_labels has {len(self.period_labels)} labels "
                f"for a horizon of {self.horizon}"
            )
        if not isinstance(self.demand, pl.DataFrame):
            raise OptimizationInputError("inventory problem: demand must be a polars DataFrame")
        for name in ("budget_relax_step", "storage_relax_step"):
            if not getattr(self, name) > 0:
                raise OptimizationInputError(f"inventory problem: {name} must be positive")

    def label(self, period: int) -> str:
        if self.period_labels is not None and 0 <= period < self.horizon:
            return self.period_labels[period]
        return f"{self.period} {period + 1}"

    def scenarios(self) -> np.ndarray:
        """Demand per (product, period, scenario); deterministic for a given seed."""
        return build_demand_scenarios(
            self.demand,
            [product.product_id for product in self.products],
            self.horizon,
            self.n_scenarios,
            self.seed,
        )


def critical_fractile(product: InventoryProduct) -> float:
    """Newsvendor service level cu / (cu + co) of a product for a single period."""
    underage = product.unit_price - product.unit_cost + product.stockout_penalty
    overage = product.unit_cost + product.holding_cost - product.leftover_value
    if underage <= 0:
        return 0.0
    if overage <= 0:
        return 1.0
    return underage / (underage + overage)


def plan_inventory(problem: InventoryProblem, settings: SolverSettings | None = None) -> Plan:
    """Optimal orders per product and period, valued against the current order-up-to levels."""
    settings = settings or SolverSettings()
    started = time.perf_counter()
    scenarios = problem.scenarios()
    groups = _constraint_groups(problem, scenarios)
    enabled = frozenset(group.key for group in groups)
    solution = _solve(problem, scenarios, enabled, relax={}, settings=settings)
    current_by_scenario, current_metrics = order_up_to_by_scenario(problem, scenarios)
    current_value = float(current_by_scenario.mean())
    horizon_words = describe_horizon(problem.horizon, problem.period)
    inputs: dict[str, object] = {
        "products": len(problem.products),
        "scenarios": int(scenarios.shape[2]),
        "seed": problem.seed,
        "purchasing_budget": problem.purchasing_budget,
        "storage_capacity": problem.storage_capacity,
        **dict(problem.context),
    }
    notes = [
        "Lost-sales model: demand that finds the shelf empty is lost, not backordered.",
        "Orders for later periods are provisional: the plan is re-made each period with fresh sales, so "
        "the comparison with the current order-up-to levels (which react to sales as they happen) is "
        "conservative.",
    ]
    for product in problem.products:
        if product.lead_time >= problem.horizon:
            notes.append(
                f"{product.name}: its lead time ({product.lead_time} {problem.period}s) reaches beyond the "
                "horizon, so no order for it can arrive in time."
            )
    if solution.orders is None:
        return _unsolved_plan(
            problem, scenarios, groups, solution, settings, started, current_value, notes, inputs
        )

    evaluation = evaluate_orders(problem, scenarios, solution.orders)
    objective = evaluation.expected_profit
    binding = (
        _value_binding_constraints(problem, scenarios, groups, solution.orders, evaluation, settings)
        if settings.value_binding_constraints
        else []
    )
    decisions = _decision_frame(problem, solution.orders, evaluation)
    current_breaks = _current_policy_breaks(problem, current_metrics)
    metrics: dict[str, float] = {
        "expected_profit": objective,
        "purchase_cost": evaluation.purchase_cost,
        "expected_fill_rate": evaluation.fill_rate(),
        "lp_bound": solution.bound,
        "current_policy_expected_profit": current_value,
        **current_metrics,
    }
    if problem.storage_capacity is not None:
        metrics["peak_storage_use"] = float(evaluation.storage_use(problem).max())
    for p_index, product in enumerate(problem.products):
        metrics[f"fill_rate:{product.product_id}"] = evaluation.fill_rate(p_index)
    credibility = inventory_credibility(problem, evaluation.profit_by_scenario - current_by_scenario)
    metrics["downside_impact"] = credibility.downside.impact
    return solved_plan(
        plan_type="inventory",
        horizon=problem.horizon,
        period=problem.period,
        status=solution.status,
        decisions=decisions,
        objective_name="expected profit",
        objective_sense="maximize",
        objective_value=objective,
        current_value=current_value,
        binding=binding,
        explanation=_explanation(
            problem, decisions, objective, credibility, binding, horizon_words, current_breaks
        ),
        notes=notes,
        metrics=metrics,
        solver=solution.solver,
        solve_seconds=solution.seconds,
        started=started,
        optimality_gap=None if math.isnan(solution.bound) else relative_gap(objective, solution.bound),
        currency=problem.currency,
        inputs=inputs,
        credibility=credibility,
    )


#: The inventory plan's downside: its gain in the worst tenth of the forecast's demand scenarios.
DOWNSIDE_QUANTILE = 0.10


def inventory_credibility(problem: InventoryProblem, gain_by_scenario: np.ndarray) -> Credibility:
    """The demand forecast behind the orders, and the plan's gain in the worst tenth of its scenarios.

    Plan and current policy meet the same demand in each scenario, so the difference per scenario is a
    fair comparison; the orders are chosen for these very scenarios, so the forecast's own ranges are
    the support, and the headline stands.
    """
    n_scenarios = int(gain_by_scenario.size)
    support = InputSupport(
        subject="Demand forecast",
        quantity="units each product sells per " + problem.period,
        level="supported",
        evidence=(
            f"{n_scenarios} demand scenarios for {len(problem.products)} products, drawn from the "
            "forecast's ranges"
        ),
        observations=n_scenarios,
    )
    return Credibility(
        supports=(support,),
        expected=Scenario("expected", float(gain_by_scenario.mean()), "on average over the forecast"),
        downside=Scenario(
            "downside",
            float(np.quantile(gain_by_scenario, DOWNSIDE_QUANTILE)),
            "in the worst tenth of the forecast's demand outcomes",
        ),
    )


@dataclass(frozen=True)
class OrderEvaluation:
    """What a set of orders does in every demand scenario (sales are min(stock, demand))."""

    expected_profit: float
    purchase_cost: float
    #: Profit in each demand scenario (its mean is ``expected_profit``).
    profit_by_scenario: np.ndarray
    #: Units sold per (product, period, scenario).
    sold: np.ndarray
    #: Units on hand right after the period's deliveries, per (product, period, scenario).
    on_hand: np.ndarray
    demand: np.ndarray

    def storage_use(self, problem: InventoryProblem) -> np.ndarray:
        """Storage space used right after deliveries, per (period, scenario)."""
        per_unit = np.array([product.storage_per_unit for product in problem.products])
        return np.einsum("p,pts->ts", per_unit, self.on_hand)

    def fill_rate(self, p_index: int | None = None) -> float:
        demand = self.demand if p_index is None else self.demand[p_index]
        sold = self.sold if p_index is None else self.sold[p_index]
        total = float(demand.sum())
        return 1.0 if total == 0 else float(sold.sum()) / total


def evaluate_orders(problem: InventoryProblem, scenarios: np.ndarray, orders: np.ndarray) -> OrderEvaluation:
    """Simulate ``orders`` (units per product and order period) on the scenarios: profit, sales, stock."""
    sold = np.zeros_like(scenarios)
    on_hand = np.zeros_like(scenarios)
    profit = np.zeros(scenarios.shape[2])
    for p_index, product in enumerate(problem.products):
        product_profit, on_hand[p_index], sold[p_index] = _simulate_product(
            product, scenarios[p_index], orders[p_index]
        )
        profit += product_profit
    purchase_cost = float(
        sum(product.unit_cost * orders[p].sum() for p, product in enumerate(problem.products))
    )
    return OrderEvaluation(
        expected_profit=float(profit.mean()),
        purchase_cost=purchase_cost,
        profit_by_scenario=profit,
        sold=sold,
        on_hand=on_hand,
        demand=scenarios,
    )


def _simulate_product(
    product: InventoryProduct, demand: np.ndarray, orders: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Profit per scenario, on-hand after deliveries and sales per (period, scenario) of one product."""
    horizon, n_scenarios = demand.shape
    stock = np.full(n_scenarios, product.on_hand, dtype=float)
    on_hand = np.empty_like(demand)
    sold = np.empty_like(demand)
    holding = np.zeros(n_scenarios)
    for period in range(horizon):
        stock = stock + (product.on_order[period] if period < len(product.on_order) else 0.0)
        if period >= product.lead_time:
            stock = stock + orders[period - product.lead_time]
        on_hand[period] = stock
        sold[period] = np.minimum(stock, demand[period])
        stock = stock - sold[period]
        holding += stock
    total_sold = sold.sum(axis=0)
    per_scenario = (
        product.unit_price * total_sold
        - product.holding_cost * holding
        - product.stockout_penalty * (demand.sum(axis=0) - total_sold)
        + product.leftover_value * stock
    )
    return per_scenario - product.unit_cost * float(orders.sum()), on_hand, sold


def simulate_order_up_to(problem: InventoryProblem, scenarios: np.ndarray) -> tuple[float, dict[str, float]]:
    """Expected profit of the current order-up-to policy on the same scenarios (it reacts to sales)."""
    profit, metrics = order_up_to_by_scenario(problem, scenarios)
    return float(profit.mean()), metrics


def order_up_to_by_scenario(
    problem: InventoryProblem, scenarios: np.ndarray
) -> tuple[np.ndarray, dict[str, float]]:
    """Profit of the current order-up-to policy in each scenario, and how it uses money and space.

    Each period: deliveries arrive, the owner orders up to the level (whole cases, at least the minimum
    order; only orders that arrive within the horizon), sales happen. Budget and storage are not
    enforced: the policy runs as the owner runs it, and how often it breaks them is reported.
    """
    _, horizon, n_scenarios = scenarios.shape
    profit = np.zeros(n_scenarios)
    purchases = np.zeros(n_scenarios)
    occupancy = np.zeros((horizon, n_scenarios))
    sold_total = 0.0
    for p_index, product in enumerate(problem.products):
        stock = np.full(n_scenarios, product.on_hand, dtype=float)
        pipeline = [product.on_order[t] if t < len(product.on_order) else 0.0 for t in range(horizon)]
        placed = np.zeros((horizon, n_scenarios))
        for period in range(horizon):
            stock = stock + pipeline[period]
            if period >= product.lead_time:
                stock = stock + placed[period - product.lead_time] * (product.lead_time > 0)
            if period + product.lead_time < horizon:
                in_transit = sum(pipeline[period + 1 :]) + placed[
                    max(0, period - product.lead_time + 1) : period
                ].sum(axis=0)
                order = np.maximum(0.0, product.current_order_up_to - stock - in_transit)
                order = np.ceil(order / product.case_pack - 1e-9) * product.case_pack
                order = np.where(
                    (order > 0) & (order < product.min_order_quantity), product.min_order_quantity, order
                )
                order = np.ceil(order / product.case_pack - 1e-9) * product.case_pack
                placed[period] = order
                purchases += order * product.unit_cost
                if product.lead_time == 0:
                    stock = stock + order
            occupancy[period] += stock * product.storage_per_unit
            demand = scenarios[p_index, period]
            sold = np.minimum(stock, demand)
            stock = stock - sold
            sold_total += float(sold.sum())
            profit += (
                product.unit_price * sold
                - product.holding_cost * stock
                - product.stockout_penalty * (demand - sold)
            )
        profit += product.leftover_value * stock
    profit -= purchases
    total_demand = float(scenarios.sum())
    metrics = {
        "current_policy_purchase_cost": float(purchases.mean()),
        "current_policy_fill_rate": sold_total / total_demand if total_demand > 0 else 1.0,
    }
    if problem.purchasing_budget is not None:
        metrics["current_policy_share_over_budget"] = float(
            (purchases > problem.purchasing_budget + 1e-6).mean()
        )
    if problem.storage_capacity is not None:
        metrics["current_policy_share_over_storage"] = float(
            (occupancy > problem.storage_capacity + 1e-6).any(axis=0).mean()
        )
    return profit, metrics


class _InventoryModel:
    """The scenario MILP; constraint groups not in ``enabled`` are left out, ``relax`` widens bounds."""

    def __init__(
        self,
        problem: InventoryProblem,
        scenarios: np.ndarray,
        enabled: frozenset[str],
        relax: Mapping[str, float],
        with_objective: bool = True,
    ) -> None:
        solver = new_linear_solver(MIP_SOLVER)
        self.solver = solver
        _, horizon, n_scenarios = scenarios.shape
        weight = 1.0 / n_scenarios
        infinity = solver.infinity()
        objective = solver.Objective()
        #: (cases variable, units per case) per (product, order period).
        self.orders: dict[tuple[int, int], tuple[Any, int]] = {}
        self.integer_variables: list[Any] = []
        sales: list[list[list[Any]]] = []
        end_stock: list[list[list[Any]]] = []
        constant = 0.0
        budget = None
        if problem.purchasing_budget is not None and "budget" in enabled:
            budget = solver.Constraint(
                -infinity, problem.purchasing_budget + relax.get("budget", 0.0), "budget"
            )
        for p_index, product in enumerate(problem.products):
            pid = product.product_id
            pack = product.case_pack if f"case_pack:{pid}" in enabled else 1
            moq = product.min_order_quantity if f"moq:{pid}" in enabled else 0
            # No order needs to exceed the largest total demand of any scenario (plus one case / the minimum).
            largest_order = max(math.ceil(float(scenarios[p_index].sum(axis=0).max())) + pack, moq + pack)
            max_cases = math.ceil(largest_order / pack)
            for period in range(horizon - product.lead_time):
                cases = solver.IntVar(0, max_cases, f"cases_{p_index}_{period}")
                self.integer_variables.append(cases)
                if moq > pack:
                    placed = solver.BoolVar(f"placed_{p_index}_{period}")
                    self.integer_variables.append(placed)
                    solver.Add(pack * cases >= moq * placed)
                    solver.Add(cases <= max_cases * placed)
                objective.SetCoefficient(cases, -product.unit_cost * pack)
                if budget is not None:
                    budget.SetCoefficient(cases, product.unit_cost * pack)
                self.orders[(p_index, period)] = (cases, pack)
            product_sales: list[list[Any]] = []
            product_stock: list[list[Any]] = []
            for period in range(horizon):
                period_sales = []
                period_stock = []
                arriving = product.on_order[period] if period < len(product.on_order) else 0.0
                fixed_inflow = arriving + (product.on_hand if period == 0 else 0.0)
                order = self.orders.get((p_index, period - product.lead_time))
                sale_value = weight * (product.unit_price + product.stockout_penalty)
                stock_value = weight * (
                    -product.holding_cost + (product.leftover_value if period == horizon - 1 else 0.0)
                )
                for scenario in range(n_scenarios):
                    demand = float(scenarios[p_index, period, scenario])
                    sold = solver.NumVar(0, demand, "")
                    left = solver.NumVar(0, infinity, "")
                    # Stock balance: left = previous stock + deliveries - sales; left >= 0 caps sales.
                    balance = solver.Constraint(fixed_inflow, fixed_inflow, "")
                    balance.SetCoefficient(left, 1)
                    balance.SetCoefficient(sold, 1)
                    if period > 0:
                        balance.SetCoefficient(product_stock[period - 1][scenario], -1)
                    if order is not None:
                        balance.SetCoefficient(order[0], -order[1])
                    objective.SetCoefficient(sold, sale_value)
                    objective.SetCoefficient(left, stock_value)
                    constant -= weight * product.stockout_penalty * demand
                    period_sales.append(sold)
                    period_stock.append(left)
                product_sales.append(period_sales)
                product_stock.append(period_stock)
            sales.append(product_sales)
            end_stock.append(product_stock)
            if product.min_fill_rate is not None and f"fill_rate:{pid}" in enabled:
                floor = product.min_fill_rate - relax.get(f"fill_rate:{pid}", 0.0)
                fill = solver.Constraint(floor * float(scenarios[p_index].sum()), infinity, f"fill_{pid}")
                for period in range(horizon):
                    for scenario in range(n_scenarios):
                        fill.SetCoefficient(product_sales[period][scenario], 1)
        if problem.storage_capacity is not None and "storage" in enabled:
            capacity = problem.storage_capacity + relax.get("storage", 0.0)
            for period in range(horizon):
                for scenario in range(n_scenarios):
                    # Stock on hand right after deliveries = stock left at the end + this period's sales.
                    row = solver.Constraint(-infinity, capacity, "")
                    for p_index, product in enumerate(problem.products):
                        if product.storage_per_unit > 0:
                            row.SetCoefficient(end_stock[p_index][period][scenario], product.storage_per_unit)
                            row.SetCoefficient(sales[p_index][period][scenario], product.storage_per_unit)
        if with_objective:
            objective.SetOffset(constant)
            objective.SetMaximization()

    def set_integrality(self, integer: bool) -> None:
        for variable in self.integer_variables:
            variable.SetInteger(integer)

    def order_array(self, shape: tuple[int, int], rounding: str) -> np.ndarray:
        """Units ordered per (product, period) in the last solution: ``exact`` (LP) or ``nearest`` case."""
        orders = np.zeros(shape)
        for (p_index, period), (cases, pack) in self.orders.items():
            value = cases.solution_value()
            orders[p_index, period] = pack * (value if rounding == "exact" else round(value))
        return orders


@dataclass(frozen=True)
class _Solution:
    orders: np.ndarray | None
    status: PlanStatus
    bound: float
    seconds: float
    solver: str


def _solve(
    problem: InventoryProblem,
    scenarios: np.ndarray,
    enabled: frozenset[str],
    relax: Mapping[str, float],
    settings: SolverSettings,
) -> _Solution:
    """LP relaxation for a bound, rounding plus local search for a plan, the MIP only if the gap is too wide.

    The LP relaxation of this model is tight (whole cases barely matter against hundreds of units), so the
    rounded plan is usually within ``settings.relative_gap`` of the LP bound and is then proven near-optimal
    without branching. Otherwise HiGHS branches for at most ``settings.mip_polish_seconds`` if the LP is
    quick enough for branching to have a chance; the plan keeps the better of the two.
    """
    started = time.perf_counter()
    model = _InventoryModel(problem, scenarios, enabled, relax)
    model.set_integrality(False)
    relaxation = solve_linear(model.solver, settings, is_mip=False, kind=MIP_SOLVER)
    label = SOLVER_LABELS[MIP_SOLVER]
    if relaxation.status == "infeasible":
        return _Solution(None, "infeasible", math.nan, time.perf_counter() - started, label)
    shape = (len(problem.products), problem.horizon)
    rules = _Rules.build(problem, enabled, relax)
    if not relaxation.has_solution or relaxation.objective is None:
        # The LP ran out of time: still give a plan, from a newsvendor-style start, without a bound.
        start = _rounded_start(rules, _fractile_start(problem, scenarios))
        best, _ = _search(problem, scenarios, rules, start, settings.time_limit_seconds)
        seconds = time.perf_counter() - started
        status: PlanStatus = "no_solution" if best is None else "feasible"
        return _Solution(best, status, math.nan, seconds, f"{label} (LP timed out; local search only)")
    bound = relaxation.objective
    remaining = max(1.0, settings.time_limit_seconds - (time.perf_counter() - started))
    start = _rounded_start(rules, model.order_array(shape, "exact"))
    best, best_value = _search(problem, scenarios, rules, start, remaining)
    if best is not None and relative_gap(best_value, bound) <= settings.relative_gap:
        return _Solution(
            best, "optimal", bound, time.perf_counter() - started, f"{label} (LP bound + rounding)"
        )
    # Branching needs many LP solves: try it only when the LP is fast enough for that to fit the time.
    remaining = settings.time_limit_seconds - (time.perf_counter() - started)
    polish = min(remaining, settings.mip_polish_seconds)
    if polish < 20 * relaxation.seconds:
        seconds = time.perf_counter() - started
        if best is None:
            return _Solution(None, "no_solution", bound, seconds, label)
        return _Solution(best, "feasible", bound, seconds, f"{label} (LP bound + rounding)")
    model.set_integrality(True)
    exact = solve_linear(
        model.solver, replace(settings, time_limit_seconds=polish), is_mip=True, kind=MIP_SOLVER
    )
    if exact.status == "infeasible":
        return _Solution(None, "infeasible", math.nan, time.perf_counter() - started, label)
    if exact.has_solution:
        orders = model.order_array(shape, "nearest")
        value = evaluate_orders(problem, scenarios, orders).expected_profit
        if value >= best_value:
            best, best_value = orders, value
        bound = min(bound, exact.bound if exact.bound is not None else bound)
    seconds = time.perf_counter() - started
    if best is None:
        return _Solution(None, "no_solution", bound, seconds, label)
    status = "optimal" if relative_gap(best_value, bound) <= settings.relative_gap else "feasible"
    return _Solution(best, status, bound, seconds, label)


@dataclass(frozen=True)
class _Rules:
    """The ordering rules in force, for the local search (same groups and relaxations as the MILP)."""

    packs: np.ndarray
    minimums: np.ndarray
    budget: float
    storage: float
    fill_floors: np.ndarray
    orderable: np.ndarray

    @classmethod
    def build(cls, problem: InventoryProblem, enabled: frozenset[str], relax: Mapping[str, float]) -> _Rules:
        products = problem.products
        packs = np.array([p.case_pack if f"case_pack:{p.product_id}" in enabled else 1 for p in products])
        minimums = np.array(
            [p.min_order_quantity if f"moq:{p.product_id}" in enabled else 0 for p in products]
        )
        budget = math.inf
        if problem.purchasing_budget is not None and "budget" in enabled:
            budget = problem.purchasing_budget + relax.get("budget", 0.0)
        storage = math.inf
        if problem.storage_capacity is not None and "storage" in enabled:
            storage = problem.storage_capacity + relax.get("storage", 0.0)
        floors = np.array(
            [
                (p.min_fill_rate - relax.get(f"fill_rate:{p.product_id}", 0.0))
                if p.min_fill_rate is not None and f"fill_rate:{p.product_id}" in enabled
                else 0.0
                for p in products
            ]
        )
        orderable = np.array(
            [[period < problem.horizon - p.lead_time for period in range(problem.horizon)] for p in products]
        )
        return cls(packs, minimums, budget, storage, floors, orderable)

    def step_up(self, p_index: int, units: float, cases: int = 1) -> float:
        """``cases`` more cases (from zero: the smallest allowed order, plus ``cases - 1`` cases)."""
        pack = int(self.packs[p_index])
        if units > 0:
            return units + cases * pack
        return float(pack * math.ceil(max(int(self.minimums[p_index]), 1) / pack) + (cases - 1) * pack)

    def step_down(self, p_index: int, units: float, cases: int = 1) -> float:
        """``cases`` fewer cases; an order that would fall below the minimum becomes zero."""
        lower = units - cases * int(self.packs[p_index])
        return 0.0 if lower < self.minimums[p_index] or lower <= 0 else float(lower)


def _scaled_to_fit(
    problem: InventoryProblem, scenarios: np.ndarray, rules: _Rules, start: np.ndarray
) -> np.ndarray:
    """The start scaled down (by bisection on one factor) until it fits the budget and the storage.

    Rounded LP starts usually fit already; a start far over the limits would otherwise cost the repair
    one dropped case at a time.
    """

    def fits(orders: np.ndarray) -> bool:
        evaluation = evaluate_orders(problem, scenarios, orders)
        if evaluation.purchase_cost > rules.budget + 1e-6:
            return False
        return not (
            math.isfinite(rules.storage) and evaluation.storage_use(problem).max() > rules.storage + 1e-6
        )

    if fits(start):
        return start
    low, high = 0.0, 1.0
    for _ in range(12):
        middle = (low + high) / 2
        low, high = (middle, high) if fits(_rounded_start(rules, start * middle)) else (low, middle)
    return _rounded_start(rules, start * low)


def _fractile_start(problem: InventoryProblem, scenarios: np.ndarray) -> np.ndarray:
    """Orders that bring each arrival period's expected stock up to its critical-fractile demand."""
    orders = np.zeros((len(problem.products), problem.horizon))
    for p_index, product in enumerate(problem.products):
        target = np.quantile(scenarios[p_index], critical_fractile(product), axis=1)
        mean = scenarios[p_index].mean(axis=1)
        stock = product.on_hand
        for period in range(problem.horizon):
            stock += product.on_order[period] if period < len(product.on_order) else 0.0
            placed_at = period - product.lead_time
            if placed_at >= 0:
                orders[p_index, placed_at] = max(0.0, target[period] - stock)
                stock += orders[p_index, placed_at]
            stock = max(0.0, stock - mean[period])
    return orders


def _rounded_start(rules: _Rules, orders: np.ndarray) -> np.ndarray:
    """Round LP orders to whole cases; an order below half the minimum order is dropped, else raised to it."""
    rounded = np.where(rules.orderable, orders, 0.0)
    packs = rules.packs[:, None]
    minimums = rules.minimums[:, None]
    rounded = np.round(rounded / packs) * packs
    raised = np.ceil(np.maximum(rounded, minimums) / packs) * packs
    return np.where(
        rounded <= 0,
        0.0,
        np.where(rounded < minimums, np.where(rounded >= minimums / 2, raised, 0.0), rounded),
    )


@dataclass
class _Move:
    """New order rows for one or two products, with their simulated effect."""

    rows: dict[int, np.ndarray]
    profits: dict[int, float]
    on_hand: dict[int, np.ndarray]
    sold: dict[int, float]
    spend: float
    storage: np.ndarray
    score: float


class _OrderSearch:
    """Local search over whole-case orders, evaluated exactly by simulating the scenarios.

    Moves: add or remove a case (or a whole minimum order), move a case to the previous or next period,
    and swap a case of one product for a case of another (what matters when the budget or the storage
    binds). Fill-rate shortfalls are penalised until met; budget and storage are never exceeded once met.
    """

    def __init__(
        self, problem: InventoryProblem, scenarios: np.ndarray, rules: _Rules, orders: np.ndarray
    ) -> None:
        self.problem = problem
        self.scenarios = scenarios
        self.rules = rules
        self.orders = orders.copy()
        products = problem.products
        self.per_unit = np.array([product.storage_per_unit for product in products])
        self.costs = np.array([product.unit_cost for product in products])
        self.penalty = 10.0 * max(p.unit_price + p.stockout_penalty + p.unit_cost for p in products) + 1.0
        self.demand_totals = scenarios.sum(axis=(1, 2)) / scenarios.shape[2]
        self.profits = np.zeros(len(products))
        self.on_hand = np.zeros_like(scenarios)
        self.sold = np.zeros(len(products))
        for p_index in range(len(products)):
            self.profits[p_index], self.on_hand[p_index], self.sold[p_index] = self._simulate(
                p_index, orders[p_index]
            )
        self.storage = np.einsum("p,pts->ts", self.per_unit, self.on_hand)
        self.spend = float((self.costs[:, None] * self.orders).sum())
        shortfall = sum(self._shortfall(p, self.sold[p]) for p in range(len(self.profits)))
        self._score = float(self.profits.sum()) - self.penalty * shortfall

    def _simulate(self, p_index: int, row: np.ndarray) -> tuple[float, np.ndarray, float]:
        profit, on_hand, sold = _simulate_product(
            self.problem.products[p_index], self.scenarios[p_index], row
        )
        return float(profit.mean()), on_hand, float(sold.sum()) / self.scenarios.shape[2]

    def _shortfall(self, p_index: int, sold: float) -> float:
        return max(0.0, self.rules.fill_floors[p_index] * self.demand_totals[p_index] - sold)

    def score(self) -> float:
        """Expected profit less the fill-rate penalty (kept up to date by :meth:`apply`)."""
        return self._score

    def excess(self, spend: float, storage: np.ndarray) -> float:
        """How far budget and storage are exceeded, as fractions of their limits."""
        over = 0.0
        if math.isfinite(self.rules.budget):
            over += max(0.0, spend - self.rules.budget) / max(self.rules.budget, 1.0)
        if math.isfinite(self.rules.storage):
            over += float(np.maximum(storage - self.rules.storage, 0.0).max()) / max(self.rules.storage, 1.0)
        return over

    def feasible(self) -> bool:
        return self.excess(self.spend, self.storage) <= 1e-9 and all(
            self._shortfall(p, self.sold[p]) <= 1e-6 for p in range(len(self.profits))
        )

    def evaluate(self, rows: dict[int, np.ndarray]) -> _Move:
        profits, on_hand, sold = {}, {}, {}
        spend = self.spend
        storage = self.storage
        score = self.score()
        for p_index, row in rows.items():
            profits[p_index], on_hand[p_index], sold[p_index] = self._simulate(p_index, row)
            spend += self.costs[p_index] * float(row.sum() - self.orders[p_index].sum())
            storage = storage + self.per_unit[p_index] * (on_hand[p_index] - self.on_hand[p_index])
            score += profits[p_index] - self.profits[p_index]
            score -= self.penalty * (
                self._shortfall(p_index, sold[p_index]) - self._shortfall(p_index, self.sold[p_index])
            )
        return _Move(rows, profits, on_hand, sold, spend, storage, score)

    def apply(self, move: _Move) -> None:
        for p_index, row in move.rows.items():
            self.orders[p_index] = row
            self.profits[p_index] = move.profits[p_index]
            self.on_hand[p_index] = move.on_hand[p_index]
            self.sold[p_index] = move.sold[p_index]
        self.spend, self.storage = move.spend, move.storage
        self._score = move.score

    def _try_slot(self, p_index: int, period: int) -> bool:
        """Add or remove cases in one slot, doubling the step while it keeps paying; then try shifts."""
        rules = self.rules
        changed = False
        for step in (rules.step_up, rules.step_down):
            cases = 1
            while True:
                row = self.orders[p_index].copy()
                row[period] = step(p_index, row[period], cases)
                if row[period] == self.orders[p_index, period]:
                    break
                move = self.evaluate({p_index: row})
                if not self._acceptable(move):
                    break
                self.apply(move)
                changed = True
                cases *= 2
        row = self.orders[p_index]
        if row[period] > 0:
            for other in (period - 1, period + 1):
                if 0 <= other < row.shape[0] and rules.orderable[p_index, other]:
                    shifted = row.copy()
                    shifted[period] = rules.step_down(p_index, row[period])
                    shifted[other] = rules.step_up(p_index, row[other])
                    move = self.evaluate({p_index: shifted})
                    if self._acceptable(move):
                        self.apply(move)
                        return True
        return changed

    def repair(self) -> None:
        """Drop cases (least profit lost per unit of excess removed) until budget and storage hold."""
        while self.excess(self.spend, self.storage) > 1e-9:
            best: _Move | None = None
            best_ratio = -math.inf
            current = self.excess(self.spend, self.storage)
            for p_index in range(len(self.profits)):
                for period in np.flatnonzero(self.orders[p_index] > 0):
                    row = self.orders[p_index].copy()
                    row[period] = self.rules.step_down(p_index, row[period])
                    move = self.evaluate({p_index: row})
                    reduction = current - self.excess(move.spend, move.storage)
                    if reduction <= 1e-12:
                        continue
                    ratio = reduction / (max(self.score() - move.score, 0.0) + 1e-6)
                    if ratio > best_ratio:
                        best, best_ratio = move, ratio
            if best is None:
                return
            self.apply(best)

    def improve(self, deadline: float, max_rounds: int = 60) -> None:
        """Slot sweeps and swaps until neither helps, or the deadline passes (the plan stays valid)."""
        for _ in range(max_rounds):
            changed = self._improve_single(deadline)
            if time.perf_counter() > deadline:
                return
            changed = self._improve_swap() or changed
            if not changed:
                return

    def _acceptable(self, move: _Move) -> bool:
        return move.score > self.score() + 1e-7 and self.excess(move.spend, move.storage) <= 1e-9

    def _improve_single(self, deadline: float) -> bool:
        changed = False
        for _ in range(200):
            improved = False
            for p_index in range(len(self.profits)):
                for period in np.flatnonzero(self.rules.orderable[p_index]):
                    improved = self._try_slot(p_index, int(period)) or improved
                if time.perf_counter() > deadline:
                    return changed or improved
            changed = changed or improved
            if not improved:
                break
        return changed

    def _improve_swap(self, width: int = 6) -> bool:
        """Best swap of one product's case for another's among the most promising candidates.

        Candidates are ranked by profit per unit of each limiting resource (money when the budget is
        finite, space when the storage is): the knapsack view of which case should give way to which.
        """
        ups: list[tuple[float, float, float, int, np.ndarray]] = []  # (gain, money, space, product, row)
        downs: list[tuple[float, float, float, int, np.ndarray]] = []  # (loss, money, space, product, row)
        base = self.score()
        for p_index in range(len(self.profits)):
            for period in np.flatnonzero(self.rules.orderable[p_index]):
                row = self.orders[p_index].copy()
                row[period] = self.rules.step_up(p_index, row[period])
                units = row[period] - self.orders[p_index, period]
                gain = self.evaluate({p_index: row}).score - base
                if gain > 0:
                    ups.append(
                        (gain, self.costs[p_index] * units, self.per_unit[p_index] * units, p_index, row)
                    )
                if self.orders[p_index, period] > 0:
                    row = self.orders[p_index].copy()
                    row[period] = self.rules.step_down(p_index, row[period])
                    units = self.orders[p_index, period] - row[period]
                    loss = base - self.evaluate({p_index: row}).score
                    downs.append(
                        (loss, self.costs[p_index] * units, self.per_unit[p_index] * units, p_index, row)
                    )
        limits = ((1, self.rules.budget), (2, self.rules.storage))
        pairs: dict[tuple[int, int], tuple[int, np.ndarray, int, np.ndarray]] = {}
        for resource in [index for index, limit in limits if math.isfinite(limit)]:
            best_ups = sorted(ups, key=lambda item: -item[0] / max(item[resource], 1e-9))[:width]
            best_downs = sorted(downs, key=lambda item: item[0] / max(item[resource], 1e-9))[:width]
            for up in best_ups:
                for down in best_downs:
                    pairs[(id(up), id(down))] = (up[3], up[4], down[3], down[4])
        best: _Move | None = None
        for up_product, up_row, down_product, down_row in pairs.values():
            if up_product == down_product:
                rows = {up_product: np.where(up_row != self.orders[up_product], up_row, down_row)}
            else:
                rows = {up_product: up_row, down_product: down_row}
            move = self.evaluate(rows)
            if self._acceptable(move) and (best is None or move.score > best.score):
                best = move
        if best is None:
            return False
        self.apply(best)
        return True


def _search(
    problem: InventoryProblem, scenarios: np.ndarray, rules: _Rules, start: np.ndarray, seconds: float
) -> tuple[np.ndarray | None, float]:
    """Repair and improve a start: (orders, expected profit), or (None, -inf) if it stays infeasible."""
    search = _OrderSearch(problem, scenarios, rules, _scaled_to_fit(problem, scenarios, rules, start))
    search.repair()
    search.improve(time.perf_counter() + seconds)
    if not search.feasible():
        return None, -math.inf
    return search.orders.copy(), float(search.profits.sum())


def _constraint_groups(problem: InventoryProblem, scenarios: np.ndarray) -> list[ConstraintGroup]:
    currency = problem.currency
    groups: list[ConstraintGroup] = []
    if problem.purchasing_budget is not None:
        groups.append(
            ConstraintGroup(
                "budget", f"the purchasing budget of {format_money(problem.purchasing_budget, currency)}"
            )
        )
    if problem.storage_capacity is not None:
        description = f"the storage capacity of {format_quantity(problem.storage_capacity)} units"
        occupancy = _occupancy_without_orders(problem, scenarios)
        if occupancy > problem.storage_capacity + 1e-9:
            description += (
                " (stock already on hand and on order takes up to "
                f"{format_quantity(round(occupancy, 1))} units of space even if nothing more is ordered)"
            )
        groups.append(ConstraintGroup("storage", description))
    for product in problem.products:
        pid = product.product_id
        if product.min_order_quantity > product.case_pack:
            cost = product.min_order_quantity * product.unit_cost
            groups.append(
                ConstraintGroup(
                    f"moq:{pid}",
                    f"the minimum order of {product.min_order_quantity} units of {product.name} "
                    f"({format_money(cost, currency)} an order)",
                )
            )
        if product.case_pack > 1:
            cost = product.case_pack * product.unit_cost
            groups.append(
                ConstraintGroup(
                    f"case_pack:{pid}",
                    f"ordering {product.name} in whole cases of {product.case_pack} "
                    f"({format_money(cost, currency)} a case)",
                )
            )
        if product.min_fill_rate is not None:
            groups.append(
                ConstraintGroup(
                    f"fill_rate:{pid}",
                    f"the target of serving {product.min_fill_rate:.0%} of {product.name} demand",
                )
            )
    return groups


def _occupancy_without_orders(problem: InventoryProblem, scenarios: np.ndarray) -> float:
    """Largest storage use over periods and scenarios if nothing more were ordered."""
    nothing = np.zeros((len(problem.products), problem.horizon))
    return float(evaluate_orders(problem, scenarios, nothing).storage_use(problem).max())


def _unsolved_plan(
    problem: InventoryProblem,
    scenarios: np.ndarray,
    groups: list[ConstraintGroup],
    solution: _Solution,
    settings: SolverSettings,
    started: float,
    current_value: float,
    notes: list[str],
    inputs: Mapping[str, object],
) -> Plan:
    def is_feasible(enabled: frozenset[str]) -> bool | None:
        candidate = _InventoryModel(problem, scenarios, enabled, relax={}, with_objective=False)
        result = solve_linear(candidate.solver, settings, is_mip=True, kind=MIP_SOLVER)
        return None if result.status == "no_solution" else result.has_solution

    return unsolved_plan(
        status=solution.status,
        groups=groups,
        is_feasible=is_feasible,
        settings=settings,
        what="order plan",
        timeout_explanation=(
            f"No order plan was found within the time limit of {settings.time_limit_seconds:g} s; "
            "try fewer scenarios or a longer limit."
        ),
        plan_type="inventory",
        horizon=problem.horizon,
        period=problem.period,
        decision_schema=DECISION_SCHEMA,
        objective_name="expected profit",
        objective_sense="maximize",
        current_value=current_value,
        current_metric="current_policy_expected_profit",
        notes=notes,
        solver=solution.solver,
        solve_seconds=solution.seconds,
        started=started,
        currency=problem.currency,
        inputs=inputs,
    )


def _decision_frame(
    problem: InventoryProblem, orders: np.ndarray, evaluation: OrderEvaluation
) -> pl.DataFrame:
    rows = []
    lost = evaluation.demand - evaluation.sold
    for p_index, product in enumerate(problem.products):
        for period in range(problem.horizon - product.lead_time):
            units = round(float(orders[p_index, period]))
            arrival = period + product.lead_time
            rows.append(
                {
                    "product_id": product.product_id,
                    "product_name": product.name,
                    "period": period,
                    "period_label": problem.label(period),
                    "arrival_period": arrival,
                    "arrival_label": problem.label(arrival),
                    "order_units": units,
                    "order_cases": units // product.case_pack,
                    "order_cost": units * product.unit_cost,
                    "in_stock_probability": float((lost[p_index, arrival] <= 1e-6).mean()),
                    "expected_lost_sales": float(lost[p_index, arrival].mean()),
                }
            )
    return pl.DataFrame(rows, schema=DECISION_SCHEMA)


def _value_binding_constraints(
    problem: InventoryProblem,
    scenarios: np.ndarray,
    groups: list[ConstraintGroup],
    orders: np.ndarray,
    evaluation: OrderEvaluation,
    settings: SolverSettings,
) -> list[BindingConstraint]:
    """Re-optimize from the plan with each tight bound relaxed; keep those that raise expected profit.

    The plan is a local optimum of the search under the original bounds, so whatever the search gains
    from it under a relaxed bound is due to that relaxation (no new LP is needed).
    """
    deadline = time.perf_counter() + settings.max_valuation_seconds
    by_key = {group.key: group for group in groups}
    enabled = frozenset(by_key)
    horizon_words = describe_horizon(problem.horizon, problem.period)
    currency = problem.currency
    candidates: list[tuple[str, float, str, str]] = []
    if problem.purchasing_budget is not None:
        dearest_case = max(max(p.case_pack, p.min_order_quantity) * p.unit_cost for p in problem.products)
        if problem.purchasing_budget - evaluation.purchase_cost < dearest_case + 1e-6:
            step = problem.budget_relax_step
            candidates.append(("budget", step, "$", f"{format_money(step, currency)} more purchasing budget"))
    if problem.storage_capacity is not None:
        largest_case = max(
            max(p.case_pack, p.min_order_quantity) * p.storage_per_unit for p in problem.products
        )
        if evaluation.storage_use(problem).max() > problem.storage_capacity - largest_case - 1e-6:
            step = problem.storage_relax_step
            candidates.append(
                ("storage", step, "units of storage", f"{format_quantity(step)} more units of storage")
            )
    for p_index, product in enumerate(problem.products):
        if (
            product.min_fill_rate is not None
            and evaluation.fill_rate(p_index) < product.min_fill_rate + 0.005
        ):
            candidates.append(
                (
                    f"fill_rate:{product.product_id}",
                    0.01,
                    "percentage point",
                    f"a fill-rate target for {product.name} one point lower",
                )
            )
    binding: list[BindingConstraint] = []
    for key, step, unit, phrase in candidates[: settings.max_valuation_solves]:
        if time.perf_counter() > deadline:
            break
        relaxed_rules = _Rules.build(problem, enabled, {key: step})
        remaining = max(0.1, deadline - time.perf_counter())
        relaxed_orders, relaxed_profit = _search(problem, scenarios, relaxed_rules, orders, remaining)
        if relaxed_orders is None:
            continue
        gain = relaxed_profit - evaluation.expected_profit
        if gain <= max(0.5, 1e-6 * abs(evaluation.expected_profit)):
            continue
        description = by_key[key].description
        binding.append(
            BindingConstraint(
                key=key,
                description=description,
                relax_by=step,
                relax_unit=unit,
                value_of_relaxing=gain,
                method="re_solve",
                sentence=(
                    f"{description[0].upper()}{description[1:]} binds: {phrase} would be worth "
                    f"{format_money(gain, currency)} over {horizon_words}."
                ),
            )
        )
    return binding


def _explanation(
    problem: InventoryProblem,
    decisions: pl.DataFrame,
    objective: float,
    credibility: Credibility,
    binding: list[BindingConstraint],
    horizon_words: str,
    current_breaks: str,
) -> str:
    currency = problem.currency
    sentences = [f"Order plan for {horizon_words}: expected profit {format_money(objective, currency)}."]
    now = decisions.filter((pl.col("period") == 0) & (pl.col("order_units") > 0)).sort(
        "order_cost", descending=True
    )
    products = {product.product_id: product for product in problem.products}
    for row in now.head(5).iter_rows(named=True):
        product = products[row["product_id"]]
        amount = (
            f"{row['order_cases']} cases ({row['order_units']} units)"
            if product.case_pack > 1
            else f"{row['order_units']} units"
        )
        when = "now" if problem.horizon > 1 else f"for {problem.label(0)}"
        arrival = "" if product.lead_time == 0 else f", arriving in {row['arrival_label']}"
        sentences.append(
            f"Order {amount} of {product.name} {when} for "
            f"{format_money(row['order_cost'], currency)}{arrival}: "
            f"it stays in stock through that {problem.period} in {row['in_stock_probability']:.0%} of the "
            "forecast scenarios."
        )
    if now.height > 5:
        sentences.append(f"{now.height - 5} smaller orders are listed in the plan.")
    if now.height == 0:
        sentences.append("Nothing needs ordering now.")
    later = decisions.filter((pl.col("period") > 0) & (pl.col("order_units") > 0))
    if later.height:
        sentences.append(
            f"{later.height} provisional orders for later {problem.period}s follow; "
            f"they are re-planned each {problem.period}."
        )
    impact_text = impact_sentence(
        credibility.expected.impact,
        "expected profit",
        "your current order-up-to levels",
        horizon_words,
        currency,
    )
    if impact_text:
        sentences.append(impact_text)
        downside = credibility.downside
        lead = f"{downside.description[0].upper()}{downside.description[1:]}, the plan"
        sentences.append(
            f"{lead} gains {format_money(downside.impact, currency)} or less over them."
            if downside.impact >= 0
            else f"{lead} falls behind them by {format_money(-downside.impact, currency)} or more."
        )
    if current_breaks:
        sentences.append(current_breaks)
    sentences.extend(constraint.sentence for constraint in binding)
    return " ".join(sentences)


def _current_policy_breaks(problem: InventoryProblem, metrics: Mapping[str, float]) -> str:
    """A sentence when the current policy's profit comes from breaking the budget or the storage limit."""
    broken = []
    over_budget = metrics.get("current_policy_share_over_budget", 0.0)
    if over_budget > 0 and problem.purchasing_budget is not None:
        broken.append(
            f"overspend the {format_money(problem.purchasing_budget, problem.currency)} budget in "
            f"{over_budget:.0%} of the scenarios"
        )
    over_storage = metrics.get("current_policy_share_over_storage", 0.0)
    if over_storage > 0 and problem.storage_capacity is not None:
        broken.append(
            f"need more than the {format_quantity(problem.storage_capacity)} units of storage in "
            f"{over_storage:.0%} of {'them' if broken else 'the scenarios'}"
        )
    if not broken:
        return ""
    return f"Your current order-up-to levels would {' and '.join(broken)}; the plan stays within the limits."


def order_violations(
    problem: InventoryProblem, orders: np.ndarray, scenarios: np.ndarray | None = None
) -> list[str]:
    """Every rule of ``problem`` that ``orders`` (units per product and order period) break, in words."""
    problems: list[str] = []
    if orders.shape != (len(problem.products), problem.horizon):
        return [f"orders have shape {orders.shape}, expected {(len(problem.products), problem.horizon)}"]
    scenarios = problem.scenarios() if scenarios is None else scenarios
    for p_index, product in enumerate(problem.products):
        for period in range(problem.horizon):
            units = float(orders[p_index, period])
            where = f"{product.name} in {problem.label(period)}"
            if units < 0 or not math.isclose(units, round(units), abs_tol=1e-6):
                problems.append(f"{where}: order of {units:g} units is not a whole number >= 0")
                continue
            if units == 0:
                continue
            if period + product.lead_time >= problem.horizon:
                problems.append(f"{where}: an order placed then arrives after the horizon")
            if round(units) % product.case_pack:
                problems.append(
                    f"{where}: {units:g} units is not a whole number of cases of {product.case_pack}"
                )
            if units < product.min_order_quantity:
                problems.append(
                    f"{where}: {units:g} units is below the minimum order of {product.min_order_quantity}"
                )
    evaluation = evaluate_orders(problem, scenarios, orders)
    if problem.purchasing_budget is not None and evaluation.purchase_cost > problem.purchasing_budget + 0.01:
        problems.append(
            f"purchases of {evaluation.purchase_cost:.2f} exceed the budget of "
            f"{problem.purchasing_budget:.2f}"
        )
    if problem.storage_capacity is not None:
        peak = float(evaluation.storage_use(problem).max())
        if peak > problem.storage_capacity + 1e-6:
            problems.append(
                f"stock needs {peak:.1f} units of storage in some scenario, "
                f"above {problem.storage_capacity:g}"
            )
    for p_index, product in enumerate(problem.products):
        if product.min_fill_rate is not None and evaluation.fill_rate(p_index) < product.min_fill_rate - 1e-6:
            problems.append(
                f"{product.name}: expected fill rate {evaluation.fill_rate(p_index):.1%} is below "
                f"{product.min_fill_rate:.0%}"
            )
    return problems
