"""One tenant's four planning problems, built from its marts, its metrics and its stored forecasts.

The ``ml_plans`` Dagster asset reads the frames of :class:`TenantData` (SQL stays in the asset) and calls
the ``build_*_problem`` functions here; each returns a problem for the planners of this package, or raises
:class:`PlanNotApplicable` with the reason in words when the tenant lacks what that plan needs (a SaaS
company has no stock, a salon no ad channel). Every rule that turns history into an input is below, with
the :class:`PlanningOptions` field that changes it.

Demand per product (inventory and pricing) comes from splitting the tenant's ``orders`` forecast by its
recent product mix, not from forecasting every product: a product sold ``u`` units per order over the last
``mix_days`` days is expected to sell ``u`` times the forecast orders. The weekly quantiles of orders are
the sums of the daily bounds (the 95% and 80% bounds and the point give the 2.5%, 10%, 50%, 90% and 97.5%
quantiles): exact when daily forecast errors move together, which is how level errors behave, and on the
safe side otherwise. The split adds Poisson noise on top: the product's quantile at level q is
``u·Q(q) + z_q·sqrt(u·Q(0.5))``. One forecast keeps the products consistent with the tenant's totals, and
it costs nothing, where a forecast per product would cost seconds per tenant on sparse, noisy series.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy.stats import norm, poisson

from models_ml.optimization.budget import BudgetProblem, Channel, ResponseCurve, fit_response_curve
from models_ml.optimization.inventory import InventoryProblem, InventoryProduct
from models_ml.optimization.plan import OptimizationInputError
from models_ml.optimization.pricing import GRADES, Elasticity, PricedProduct, PricingProblem
from models_ml.optimization.staffing import Availability, Employee, ShiftAssignment, StaffingProblem

#: Forecast bounds and the quantile levels they stand for.
BOUND_LEVELS: tuple[tuple[str, float], ...] = (
    ("lo_95", 0.025),
    ("lo_80", 0.10),
    ("point", 0.50),
    ("hi_80", 0.90),
    ("hi_95", 0.975),
)
CURRENCY_SYMBOLS = {"USD": "$", "CAD": "CA$", "EUR": "€", "GBP": "£", "AUD": "A$"}
DAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class PlanNotApplicable(Exception):
    """The tenant lacks the data a plan needs; the message says what, for the owner."""


@dataclass(frozen=True)
class PlanningOptions:
    """Every assumption that turns a tenant's history into planning inputs (the asset's config sets them)."""

    #: Weeks the inventory and pricing plans cover (at most the forecast's length).
    horizon_weeks: int = 4
    #: Days of recent sales that set each product's share of orders, and the hourly profile of demand.
    mix_days: int = 56
    #: Demand scenarios of the inventory model.
    n_scenarios: int = 60
    #: Weeks between placing an order and its delivery (the sources carry no purchase orders).
    lead_time_weeks: int = 1
    #: Yearly cost of holding stock, as a share of its unit cost (capital, space, shrink).
    annual_holding_rate: float = 0.25
    #: Purchasing budget over the horizon, as a multiple of the cost of the median forecast demand.
    purchasing_budget_ratio: float = 1.0
    #: Storage capacity, as a multiple of the most stock (units) held on any day in the last 12 weeks.
    storage_headroom: float = 1.1
    #: At most this many stocked (or priced) products, the best sellers by revenue.
    max_products: int = 30
    #: Share of each hour's customers that must find enough staff (Poisson arrivals).
    service_level: float = 0.9
    shift_lengths: tuple[int, ...] = (4, 6, 8)
    min_rest_hours: int = 11
    #: Staff who worked in every one of the last 4 weeks keep at least this share of their average hours.
    min_hours_share: float = 0.5
    #: A role on duty at a weekday and hour in at least this share of the last 4 weeks must be there in the
    #: plan too (e.g. the shift lead the shop always has in the morning).
    role_cover_share: float = 0.75
    #: Largest price change in one plan, and the owner's allowed range around today's price.
    max_price_change: float = 0.10
    price_range: float = 0.25
    #: Minimum gross margin of any new price.
    margin_floor: float = 0.2
    #: Marketing budget over ``budget_days``; None: ``marketing_budget_multiple`` times what the tenant
    #: spent on the fitted channels in the last ``budget_days`` days.
    marketing_budget: float | None = None
    marketing_budget_multiple: float = 1.0
    #: Each channel may get at most this multiple of its current spend.
    max_spend_multiple: float = 2.0
    budget_days: int = 28

    def __post_init__(self) -> None:
        if self.horizon_weeks < 1 or self.mix_days < 7 or self.n_scenarios < 1 or self.budget_days < 1:
            raise OptimizationInputError(
                "planning options: horizon_weeks, n_scenarios and budget_days must be >= 1, mix_days >= 7"
            )
        for name in (
            "annual_holding_rate",
            "purchasing_budget_ratio",
            "storage_headroom",
            "max_spend_multiple",
            "marketing_budget_multiple",
        ):
            if not getattr(self, name) >= 0:
                raise OptimizationInputError(f"planning options: {name} must be >= 0")
        for name in ("min_hours_share", "role_cover_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise OptimizationInputError(f"planning options: {name} must lie in [0, 1]")


@dataclass(frozen=True, eq=False)
class TenantData:
    """What the asset reads for one tenant; every frame may be empty (then a plan may not apply)."""

    tenant_id: str
    currency: str
    #: Chosen forecasts: ``metric, ds, point, lo_80, hi_80, lo_95, hi_95``.
    forecasts: pl.DataFrame
    #: ``product_id, product_name, product_kind, current_price, unit_cost, is_inventory_tracked``.
    products: pl.DataFrame
    #: Sales of the last ``mix_days`` days: ``product_id, units, net_sales``.
    product_sales: pl.DataFrame
    #: Orders over the same days (the denominator of each product's units per order).
    window_orders: float
    #: Stock on hand per product and day over the last 12 weeks: ``product_id, stock_date, on_hand``.
    stock: pl.DataFrame
    #: Timecards of the last 28 days, local hours: ``employee_id, employee_name, role, wage_rate,
    #: shift_date, start_hour, end_hour`` (hours as decimals; an end past midnight is above 24).
    shifts: pl.DataFrame
    #: Orders per local day and hour over the last ``mix_days`` days: ``order_date, hour, orders``.
    hourly_orders: pl.DataFrame
    #: Ad spend per day and channel over the last year: ``spend_date, channel, spend``.
    marketing: pl.DataFrame
    #: Daily revenue over the last year: ``metric_date, revenue_net, gross_margin``.
    revenue: pl.DataFrame
    #: Price elasticities from ``ml.evidence_edges``: ``product_id, estimate, ci_low, ci_high, grade``;
    #: None when the evidence engine has not run (the pricing plan then uses its documented prior).
    elasticities: pl.DataFrame | None = None
    context: dict[str, str] = field(default_factory=dict)

    @property
    def symbol(self) -> str:
        return CURRENCY_SYMBOLS.get(self.currency, f"{self.currency} ")

    def forecast(self, metric: str) -> pl.DataFrame:
        return self.forecasts.filter(pl.col("metric") == metric).sort("ds")

    @property
    def start(self) -> dt.date:
        """First day of the plans: the first forecast day."""
        orders = self.forecast("orders")
        if orders.is_empty():
            raise PlanNotApplicable("there is no orders forecast in ml.forecasts")
        first = orders["ds"].min()
        assert isinstance(first, dt.date)
        return first


# --------------------------------------------------------------------------------------------
# Demand per product
# --------------------------------------------------------------------------------------------


def weekly_order_quantiles(data: TenantData, weeks: int) -> list[dict[float, float]]:
    """Quantiles of the orders of each coming week (sums of the daily bounds, see the module docstring)."""
    orders = data.forecast("orders")
    if orders.height < 7:
        raise PlanNotApplicable("the orders forecast covers less than a week")
    weeks = min(weeks, orders.height // 7)
    result = []
    for week in range(weeks):
        rows = orders.slice(7 * week, 7)
        result.append({level: max(0.0, float(rows[column].sum())) for column, level in BOUND_LEVELS})
    return result


def units_per_order(data: TenantData, product_ids: list[str], mix_days: int) -> dict[str, float]:
    """Units of each product sold per order over the last ``mix_days`` days of history."""
    if data.window_orders <= 0:
        raise PlanNotApplicable(f"no orders in the last {mix_days} days of history")
    units = dict(data.product_sales.select("product_id", "units").iter_rows())
    return {pid: max(0.0, float(units.get(pid) or 0.0)) / data.window_orders for pid in product_ids}


def product_demand_quantiles(
    share: float, weekly: list[dict[float, float]], product_id: str
) -> list[dict[str, object]]:
    """Quantile rows of one product: ``u·Q(q) + z_q·sqrt(u·Q(0.5))`` per week (module docstring)."""
    rows = []
    for period, quantiles in enumerate(weekly):
        median = share * quantiles[0.5]
        for level, total in quantiles.items():
            noise = float(norm.ppf(level)) * math.sqrt(max(median, 0.0))
            rows.append(
                {
                    "product_id": product_id,
                    "period": period,
                    "quantile": level,
                    "demand": max(0.0, share * total + noise),
                }
            )
    return rows


def _best_sellers(data: TenantData, candidates: pl.DataFrame, limit: int) -> pl.DataFrame:
    return (
        candidates.join(data.product_sales, on="product_id", how="inner")
        .filter(pl.col("units") > 0)
        .sort(["net_sales", "product_id"], descending=[True, False])
        .head(limit)
    )


def _week_labels(start: dt.date, weeks: int) -> tuple[str, ...]:
    return tuple(f"week of {(start + dt.timedelta(days=7 * w)).strftime('%d %b')}" for w in range(weeks))


# --------------------------------------------------------------------------------------------
# Inventory
# --------------------------------------------------------------------------------------------


def build_inventory_problem(data: TenantData, options: PlanningOptions) -> InventoryProblem:
    """Weekly orders for the tracked products that sold recently (see :class:`PlanningOptions`).

    On hand: the latest stock count. Today's policy: each week, order up to the 90th percentile of the
    daily stock of the last 12 weeks (the level the owner restocks to). Storage: the most units held on
    any day of those weeks, with headroom. Budget: the cost of the median forecast demand, times a ratio.
    """
    tracked = data.products.filter(
        pl.col("is_inventory_tracked") & pl.col("unit_cost").is_not_null() & (pl.col("current_price") > 0)
    )
    if tracked.is_empty():
        raise PlanNotApplicable("no products with tracked stock and a unit cost")
    if data.stock.is_empty():
        raise PlanNotApplicable("no stock counts for the tracked products")
    chosen = _best_sellers(data, tracked, options.max_products).filter(
        pl.col("product_id").is_in(data.stock["product_id"].unique().implode())
    )
    if chosen.is_empty():
        raise PlanNotApplicable(
            f"no tracked product with stock counts sold in the last {options.mix_days} days"
        )
    weekly = weekly_order_quantiles(data, options.horizon_weeks)
    horizon = len(weekly)
    start = data.start
    ids = chosen["product_id"].to_list()
    shares = units_per_order(data, ids, options.mix_days)
    latest = data.stock.sort("stock_date").group_by("product_id").agg(pl.col("on_hand").last())
    on_hand = dict(latest.iter_rows())
    up_to = dict(data.stock.group_by("product_id").agg(pl.col("on_hand").clip(0).quantile(0.9)).iter_rows())
    weekly_rate = options.annual_holding_rate / 52
    products = []
    demand_rows: list[dict] = []
    expected_cost = 0.0
    for row in chosen.iter_rows(named=True):
        pid = row["product_id"]
        cost = float(row["unit_cost"])
        share = shares[pid]
        expected_cost += cost * share * sum(week[0.5] for week in weekly)
        products.append(
            InventoryProduct(
                product_id=pid,
                name=row["product_name"] or pid,
                unit_cost=cost,
                unit_price=float(row["current_price"]),
                holding_cost=round(cost * weekly_rate, 4),
                current_order_up_to=float(max(0.0, up_to.get(pid) or 0.0)),
                on_hand=float(max(0.0, on_hand.get(pid) or 0.0)),
                lead_time=options.lead_time_weeks,
            )
        )
        demand_rows.extend(product_demand_quantiles(share, weekly, pid))
    daily_total = data.stock.group_by("stock_date").agg(pl.col("on_hand").clip(0).sum())
    storage = (
        float(daily_total["on_hand"].fill_null(0.0).to_numpy().max(initial=0.0)) * options.storage_headroom
    )
    return InventoryProblem(
        products=tuple(products),
        demand=pl.DataFrame(demand_rows),
        horizon=horizon,
        purchasing_budget=round(expected_cost * options.purchasing_budget_ratio, -1),
        storage_capacity=round(storage) if storage > 0 else None,
        n_scenarios=options.n_scenarios,
        seed=0,
        period="week",
        period_labels=_week_labels(start, horizon),
        currency=data.symbol,
        budget_relax_step=max(100.0, round(expected_cost * 0.05, -1)),
        context={
            "tenant_id": data.tenant_id,
            "demand": "orders forecast split by product mix",
            **data.context,
        },
    )


# --------------------------------------------------------------------------------------------
# Staffing
# --------------------------------------------------------------------------------------------


def build_staffing_problem(data: TenantData, options: PlanningOptions) -> StaffingProblem:
    """The coming week's roster from the last 4 weeks of timecards and the orders forecast.

    Opening hours: the hours of each weekday with someone on duty in at least half of the last 4 weeks.
    Customers per hour: the day's forecast orders times that weekday's hourly share of orders, capped at
    what the most staff ever on duty in that weekday and hour could serve (no plan asks for more people
    than the business has had on the floor then; the capped hours are recorded). Pace: see
    :func:`calibrated_pace`.
    Availability: the weekdays each person worked. Hours: at most their busiest week plus 4 hours; staff
    who worked every week keep ``min_hours_share`` of their average. Role cover: see
    :attr:`PlanningOptions.role_cover_share`. Shifts: the options' lengths and any length the team often
    works. Today's roster: the last week's timecards, to the hour.
    """
    if data.shifts.filter(pl.col("end_hour") > pl.col("start_hour")).is_empty():
        raise PlanNotApplicable("no timecards in the last 4 weeks")
    if data.hourly_orders.is_empty():
        raise PlanNotApplicable("no orders with a time of day to size the team by")
    start = data.start
    orders_forecast = data.forecast("orders")
    if orders_forecast.height < 7:
        raise PlanNotApplicable("the orders forecast covers less than a week")
    team = _team_history(data, start - dt.timedelta(days=28))
    pace = calibrated_pace(data, team.on_duty, team.opening, team.window_start, options.service_level)
    demand_rows, day_labels, capped = _hourly_demand(
        data, team, start, orders_forecast["point"].to_list(), pace, options.service_level
    )
    roles = sorted({r or "staff" for r in team.shifts["role"].to_list()})
    skill_rows = _role_cover(team, start, roles, options.role_cover_share) if len(roles) > 1 else []
    employees = _employees(team.shifts, start, roles, options.min_hours_share)
    return StaffingProblem(
        employees=tuple(employees),
        demand=pl.DataFrame(demand_rows),
        current_roster=_last_week_roster(team.shifts, start, {e.employee_id for e in employees}),
        service_level=options.service_level,
        customers_per_staff_hour=round(pace, 3),
        skill_requirements=pl.DataFrame(skill_rows) if skill_rows else None,
        shift_lengths=_shift_lengths(team.shifts, options.shift_lengths),
        min_rest_hours=options.min_rest_hours,
        day_labels=tuple(day_labels),
        currency=data.symbol,
        context={
            "tenant_id": data.tenant_id,
            "demand": "orders forecast by hourly profile",
            "hours_capped_at_busiest_staffing": ", ".join(capped) or "none",
            **data.context,
        },
    )


@dataclass(frozen=True)
class _TeamHistory:
    """The last 4 weeks of timecards, by the hour: who was on duty, in which role, and the opening hours."""

    #: Timecards with whole ``start``/``end`` hours, ``weekday`` (0 = Monday) and ``week`` (0-3).
    shifts: pl.DataFrame
    window_start: dt.date
    on_duty: dict[tuple[dt.date, int], int]
    role_duty: dict[tuple[str, dt.date, int], int]
    #: The four dates of each weekday in the window.
    weeks_of_weekday: dict[int, list[dt.date]]
    #: Opening hours per weekday.
    opening: dict[int, list[int]]


def _team_history(data: TenantData, window_start: dt.date) -> _TeamHistory:
    shifts = (
        data.shifts.filter(pl.col("end_hour") > pl.col("start_hour"))
        .with_columns(
            pl.col("start_hour").round(0).cast(pl.Int64).clip(0, 24).alias("start"),
            pl.col("end_hour").round(0).cast(pl.Int64).clip(0, 24).alias("end"),
            pl.col("shift_date").dt.weekday().sub(1).alias("weekday"),
            ((pl.col("shift_date") - pl.lit(window_start)).dt.total_days() // 7).alias("week"),
        )
        .filter(pl.col("end") > pl.col("start"))
    )
    on_duty: dict[tuple[dt.date, int], int] = defaultdict(int)
    role_duty: dict[tuple[str, dt.date, int], int] = defaultdict(int)
    for row in shifts.iter_rows(named=True):
        for hour in range(row["start"], row["end"]):
            on_duty[(row["shift_date"], hour)] += 1
            role_duty[(row["role"] or "staff", row["shift_date"], hour)] += 1
    dates = [window_start + dt.timedelta(days=d) for d in range(28)]
    weeks_of_weekday = {wd: [d for d in dates if d.weekday() == wd] for wd in range(7)}
    opening: dict[int, list[int]] = {}
    for weekday, days in weeks_of_weekday.items():
        hours = [h for h in range(24) if sum(1 for d in days if on_duty.get((d, h), 0) > 0) >= len(days) / 2]
        if hours:
            opening[weekday] = list(range(min(hours), max(hours) + 1))
    if not opening:
        raise PlanNotApplicable("no regular opening hours in the last 4 weeks of timecards")
    return _TeamHistory(shifts, window_start, on_duty, role_duty, weeks_of_weekday, opening)


def _hourly_demand(
    data: TenantData,
    team: _TeamHistory,
    start: dt.date,
    forecast_points: list[float],
    pace: float,
    service_level: float,
) -> tuple[list[dict[str, float]], list[str], list[str]]:
    """Expected customers per opening hour of the coming week, the day labels, and the capped hours."""
    hourly = data.hourly_orders.with_columns(pl.col("order_date").dt.weekday().sub(1).alias("weekday"))
    per_weekday = hourly.group_by("weekday").agg(pl.col("orders").sum().alias("day_orders"))
    profile = (
        hourly.group_by("weekday", "hour")
        .agg(pl.col("orders").sum())
        .join(per_weekday, on="weekday")
        .with_columns((pl.col("orders") / pl.col("day_orders")).alias("share"))
    )
    shares = {(wd, h): s for wd, h, s in profile.select("weekday", "hour", "share").iter_rows()}
    demand_rows: list[dict[str, float]] = []
    day_labels: list[str] = []
    capped: list[str] = []
    for day in range(7):
        date = start + dt.timedelta(days=day)
        day_labels.append(f"{DAY_ABBREVIATIONS[date.weekday()]} {date.day} {date.strftime('%b')}")
        for hour in team.opening.get(date.weekday(), []):
            expected = max(0.0, float(forecast_points[day])) * shares.get((date.weekday(), hour), 0.0)
            most = max(team.on_duty.get((d, hour), 0) for d in team.weeks_of_weekday[date.weekday()])
            servable = _most_customers_served(max(1, most) * pace, service_level)
            if expected > servable:
                capped.append(f"{day_labels[-1]} {hour}:00")
                expected = servable
            demand_rows.append({"day": day, "hour": hour, "expected_customers": round(expected, 4)})
    return demand_rows, day_labels, capped


def _role_cover(
    team: _TeamHistory, start: dt.date, roles: list[str], cover_share: float
) -> list[dict[str, object]]:
    """One person of a role in each hour where that role was on duty in ``cover_share`` of the weeks."""
    rows: list[dict[str, object]] = []
    for day in range(7):
        date = start + dt.timedelta(days=day)
        days = team.weeks_of_weekday[date.weekday()]
        for hour in team.opening.get(date.weekday(), []):
            for role in roles:
                present = sum(1 for d in days if team.role_duty.get((role, d, hour), 0) > 0)
                if present >= cover_share * len(days):
                    rows.append({"day": day, "hour": hour, "skill": role, "required": 1})
    return rows


def _employees(
    shifts: pl.DataFrame, start: dt.date, roles: list[str], min_hours_share: float
) -> list[Employee]:
    """The team: wage, roles as skills, the weekdays they work, and hours bounded by their recent weeks."""
    per_employee = shifts.group_by("employee_id").agg(
        pl.col("employee_name").last(),
        pl.col("wage_rate").last(),
        pl.col("role").drop_nulls().unique(),
        pl.col("weekday").unique(),
    )
    weekly_hours = shifts.group_by("employee_id", "week").agg(
        (pl.col("end") - pl.col("start")).sum().alias("h")
    )
    employees = []
    for row in per_employee.sort("employee_id").iter_rows(named=True):
        eid = str(row["employee_id"])
        hours = weekly_hours.filter(pl.col("employee_id") == row["employee_id"])["h"].to_list()
        worked_every_week = len(hours) >= 4
        average = sum(hours) / 4
        available_days = set(row["weekday"])
        availability = tuple(
            Availability(day, 0, 24)
            for day in range(7)
            if (start + dt.timedelta(days=day)).weekday() in available_days
        )
        employees.append(
            Employee(
                employee_id=eid,
                name=row["employee_name"] or eid,
                hourly_wage=float(row["wage_rate"] or 0.0),
                min_hours=math.floor(min_hours_share * average) if worked_every_week else 0.0,
                max_hours=float(max(hours) + 4),
                skills=frozenset(r for r in row["role"] if r) if len(roles) > 1 else frozenset(),
                availability=availability,
            )
        )
    return employees


def _shift_lengths(shifts: pl.DataFrame, lengths: tuple[int, ...]) -> tuple[int, ...]:
    """The options' lengths and any length the team worked in at least a tenth of its shifts."""
    worked = (shifts["end"] - shifts["start"]).value_counts(normalize=True, name="share")
    often = {int(n) for n, share in worked.iter_rows() if share >= 0.1 and 3 <= n <= 12}
    return tuple(sorted(set(lengths) | often))


def _last_week_roster(shifts: pl.DataFrame, start: dt.date, known: set[str]) -> tuple[ShiftAssignment, ...]:
    """Today's roster: the last week's timecards, to the hour, on the plan's day numbers."""
    last_week = start - dt.timedelta(days=7)
    return tuple(
        ShiftAssignment(str(r["employee_id"]), (r["shift_date"] - last_week).days, r["start"], r["end"])
        for r in shifts.filter(pl.col("shift_date") >= last_week).iter_rows(named=True)
        if str(r["employee_id"]) in known
    )


def _most_customers_served(capacity: float, service_level: float) -> float:
    """The largest Poisson mean whose service-level quantile stays within ``capacity`` customers."""
    low, high = 0.0, max(1.0, capacity)
    if poisson.ppf(service_level, high) <= capacity:
        return high
    for _ in range(40):
        middle = (low + high) / 2
        low, high = (middle, high) if poisson.ppf(service_level, middle) <= capacity else (low, middle)
    return low


def calibrated_pace(
    data: TenantData,
    on_duty: dict[tuple[dt.date, int], int],
    opening: dict[int, list[int]],
    window_start: dt.date,
    service_level: float,
) -> float:
    """Customers one person serves in an hour, calibrated on the last 4 weeks.

    The pace is the slowest at which the staffing rule (Poisson quantile at the service level, at least one
    person while open), applied to the orders each opening hour of those weeks actually had, asks for no
    more staff-hours than the team actually worked in them: the plan staffs as generously as the business
    does today, and moves the hours to where the forecast demand is.
    """
    counts = {
        (day, hour): orders
        for day, hour, orders in data.hourly_orders.select("order_date", "hour", "orders").iter_rows()
    }
    hours = [
        (day, hour)
        for day in (window_start + dt.timedelta(days=d) for d in range(28))
        for hour in opening.get(day.weekday(), [])
    ]
    worked = sum(on_duty.get(key, 0) for key in hours)
    served = poisson.ppf(service_level, np.array([float(counts.get(key, 0.0)) for key in hours]))
    served = np.nan_to_num(served, nan=0.0)
    if worked <= 0 or not hours or float(served.sum()) <= 0:
        raise PlanNotApplicable("no hours with both orders and staff on duty to measure the team's pace")

    def asked(pace: float) -> float:
        return float(np.maximum(1, np.ceil(served / pace - 1e-9)).sum())

    low, high = 0.01, max(1.0, float(served.max()))
    if asked(high) > worked:
        return high
    for _ in range(60):
        middle = math.sqrt(low * high)
        low, high = (middle, high) if asked(middle) > worked else (low, middle)
    return high


# --------------------------------------------------------------------------------------------
# Pricing
# --------------------------------------------------------------------------------------------


def build_pricing_problem(data: TenantData, options: PlanningOptions) -> PricingProblem:
    """Prices of the best-selling products with a unit cost (services and plans have none).

    Weekly demand at today's price: the product's units per order times the median forecast orders.
    Price points end the way the tenant's prices end today (.99, .95, .50 ...). Elasticities: the primary
    ``<product>.price → <product>.units`` edges of the evidence engine; without them, the prior.
    """
    costed = data.products.filter(
        pl.col("unit_cost").is_not_null() & (pl.col("unit_cost") > 0) & (pl.col("current_price") > 0)
    )
    if costed.is_empty():
        kinds = (
            sorted({k for k in data.products["product_kind"].to_list() if k}) if data.products.height else []
        )
        what = f" ({', '.join(kinds)})" if kinds else ""
        raise PlanNotApplicable(
            f"no product with a known unit cost{what}: pricing for profit needs what each unit costs"
        )
    chosen = _best_sellers(data, costed, options.max_products)
    if chosen.is_empty():
        raise PlanNotApplicable(f"no product with a unit cost sold in the last {options.mix_days} days")
    weekly = weekly_order_quantiles(data, options.horizon_weeks)
    median_orders = sum(week[0.5] for week in weekly) / len(weekly)
    shares = units_per_order(data, chosen["product_id"].to_list(), options.mix_days)
    products = []
    for row in chosen.iter_rows(named=True):
        price = float(row["current_price"])
        products.append(
            PricedProduct(
                product_id=row["product_id"],
                name=row["product_name"] or row["product_id"],
                current_price=price,
                unit_cost=float(row["unit_cost"]),
                base_demand=round(shares[row["product_id"]] * median_orders, 3),
                min_price=round(price * (1 - options.price_range), 2),
                max_price=round(price * (1 + options.price_range), 2),
            )
        )
    endings = sorted({round(p.current_price - math.floor(p.current_price + 1e-9), 2) for p in products})
    return PricingProblem(
        products=tuple(products),
        elasticities=elasticities_for(data, [p.product_id for p in products]),
        margin_floor=options.margin_floor,
        max_change=options.max_price_change,
        price_endings=tuple(endings),
        periods=len(weekly),
        period="week",
        currency=data.symbol,
        context={
            "tenant_id": data.tenant_id,
            "elasticity_source": "ml.evidence_edges" if data.elasticities is not None else "prior only",
            **data.context,
        },
    )


def elasticities_for(data: TenantData, product_ids: list[str]) -> tuple[Elasticity, ...]:
    """Evidence rows for the products; inconclusive ones (no number) mark the product as such."""
    if data.elasticities is None or data.elasticities.is_empty():
        return ()
    wanted = set(product_ids)
    result = []
    seen = set()
    for row in data.elasticities.iter_rows(named=True):
        pid = str(row["product_id"])
        if pid not in wanted or pid in seen or row["grade"] not in GRADES:
            continue
        values = (row["estimate"], row["ci_low"], row["ci_high"])
        finite = all(v is not None and math.isfinite(float(v)) for v in values)
        if row["grade"] == "inconclusive" or not finite:
            # No number: the planner uses its prior and says the evidence was inconclusive.
            result.append(Elasticity(pid, -1.5, -1.5, -1.5, "inconclusive"))
        else:
            low, high = sorted((float(row["ci_low"]), float(row["ci_high"])))
            result.append(Elasticity(pid, float(row["estimate"]), low, high, row["grade"]))
        seen.add(pid)
    return tuple(result)


# --------------------------------------------------------------------------------------------
# Marketing budget
# --------------------------------------------------------------------------------------------


def build_budget_problem(data: TenantData, options: PlanningOptions) -> BudgetProblem:
    """The next ``budget_days`` days of ad spend across the tenant's channels.

    Response curves: an additive model of weekly mean daily revenue on each channel's weekly mean daily
    spend, fitted by backfitting with :func:`fit_response_curve` (each channel's curve is fitted to the
    revenue left after the other channels' curves), over the last year. Weekly means smooth out the
    weekday pattern and the carry-over of ads from one day to the next. Today's policy: each channel's
    spend over the last ``budget_days`` days; the budget is their sum unless the options set one.
    """
    if data.marketing.is_empty():
        raise PlanNotApplicable("no ad channels with spend in the last year")
    if data.revenue.is_empty():
        raise PlanNotApplicable("no daily revenue to measure what the ads bring")
    wide, channels = _weekly_spend_and_revenue(data)
    if wide.height < 8:
        raise PlanNotApplicable("fewer than 8 full weeks of revenue and ad spend to fit response curves")
    curves, notes = _backfit_curves(wide, channels)
    usable = [c for c in channels if c in curves and c not in notes]
    if not usable:
        raise PlanNotApplicable(
            "no ad channel shows a measurable effect of its spend on revenue in the last year ("
            + "; ".join(f"{c}: {reason}" for c, reason in notes.items())
            + ")"
        )
    last_day = data.marketing["spend_date"].max()
    assert isinstance(last_day, dt.date)
    recent = data.marketing.filter(pl.col("spend_date") > last_day - dt.timedelta(days=options.budget_days))
    current = dict(recent.group_by("channel").agg(pl.col("spend").sum()).iter_rows())
    built = []
    for channel in usable:
        spent = float(current.get(channel) or 0.0)
        built.append(
            Channel(
                channel_id=channel,
                name=channel.replace("_", " ").title(),
                curve=curves[channel],
                current_spend=round(spent, 2),
                max_spend=round(options.max_spend_multiple * spent, 2) if spent > 0 else None,
            )
        )
    recent_revenue = data.revenue.filter(pl.col("metric_date") > last_day - dt.timedelta(days=56))
    revenue_sum = float(recent_revenue["revenue_net"].sum())
    margin = float(recent_revenue["gross_margin"].sum()) / revenue_sum if revenue_sum > 0 else None
    budget = options.marketing_budget
    if budget is None:
        budget = round(options.marketing_budget_multiple * sum(c.current_spend for c in built), 2)
    return BudgetProblem(
        channels=tuple(built),
        budget=float(budget),
        horizon_days=options.budget_days,
        outcome_name="revenue",
        gross_margin=margin if margin is not None and 0 < margin <= 1 else None,
        currency=data.symbol,
        context={
            "tenant_id": data.tenant_id,
            "curves": "weekly means, backfitted log curves",
            **{f"dropped:{c}": reason for c, reason in notes.items()},
            **data.context,
        },
    )


def _weekly_spend_and_revenue(data: TenantData) -> tuple[pl.DataFrame, list[str]]:
    """One row per full week: mean daily revenue and each channel's mean daily spend (0 when none)."""
    first = min(data.marketing["spend_date"].min(), data.revenue["metric_date"].min())  # type: ignore[type-var]
    assert isinstance(first, dt.date)
    spend = (
        data.marketing.with_columns(
            ((pl.col("spend_date") - pl.lit(first)).dt.total_days() // 7).alias("week")
        )
        .group_by("week", "channel")
        .agg((pl.col("spend").sum() / 7).alias("daily_spend"))
    )
    revenue = (
        data.revenue.with_columns(
            ((pl.col("metric_date") - pl.lit(first)).dt.total_days() // 7).alias("week")
        )
        .group_by("week")
        .agg(pl.col("revenue_net").mean().alias("daily_revenue"), pl.len().alias("days"))
        .filter(pl.col("days") == 7)
    )
    channels = sorted(spend["channel"].unique().to_list())
    wide = revenue.join(spend.pivot(on="channel", index="week", values="daily_spend"), on="week", how="left")
    return wide.with_columns([pl.col(c).fill_null(0.0) for c in channels]).sort("week"), channels


def _backfit_curves(
    wide: pl.DataFrame, channels: list[str]
) -> tuple[dict[str, ResponseCurve], dict[str, str]]:
    """Each channel's curve fitted to the revenue the other channels' curves leave (4 backfitting rounds).

    Returns the curves and, per channel that cannot be planned, the reason (no fit, or a flat curve).
    """
    y = wide["daily_revenue"].to_numpy().astype(float)
    x = {c: wide[c].to_numpy().astype(float) for c in channels}
    notes: dict[str, str] = {}
    curves: dict[str, ResponseCurve] = {}
    fitted = {c: np.zeros_like(y) for c in channels}
    for _ in range(4):
        for channel in channels:
            if channel in notes:
                continue
            residual = y - sum(fitted[o] for o in channels if o != channel)
            try:
                curve = fit_response_curve(x[channel], residual, channel)
            except OptimizationInputError as exc:
                notes[channel] = str(exc)
                fitted[channel] = np.zeros_like(y)
                continue
            curves[channel] = curve
            fitted[channel] = curve.baseline + np.asarray(curve.increment(x[channel]))
    for channel, curve in curves.items():
        if channel not in notes and not float(curve.increment(float(x[channel].mean()))) > 1e-6:
            notes[channel] = "its spend shows no measurable effect on revenue (flat response curve)"
    return curves, notes
