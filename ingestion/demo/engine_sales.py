"""Orders (shops) and appointments (salons): counts, line items, prices, discounts, stock, refunds,
customers.

Demand k of day d always gets the same draws (product, quantity, time, refund, customer ...), so a world
with more demand keeps every order of a world with less and adds some: the counterfactual differs only
where the intervention acts. Stock is the one sequential state: each day sells lines in time order until a
tracked product runs out, and the lines that do not fit are lost sales.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .behaviour import Behaviour, Product
from .calendar_features import DayFeatures
from .engine_demand import Demand
from .interventions import Intervention
from .keyed_random import KeyedRandom, categorical_from_uniform, poisson_from_uniform

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MAX_UNITS_PER_LINE = 6
PRODUCTION_BUFFER = 1.3  # bakeries bake more than they expect to sell, and still sell out on busy days
PRODUCTION_SET_SOD = 6 * 3600


@dataclass
class PurchaseOrder:
    product: int
    quantity: int
    placed_day: int
    arrival_day: int
    arrival_sod: int


@dataclass
class SalesResult:
    products: tuple[Product, ...]
    prices: IntArray  # (days, products) price in force
    promotions: tuple[Intervention, ...]
    # realized orders, sorted by (day, time)
    o_day: IntArray
    o_sod: IntArray
    o_k: IntArray  # index of the demand draw within its day: the key of every draw about the order
    o_promo: IntArray  # index into promotions, -1 none
    o_discount_pct: FloatArray
    o_gateway_u: FloatArray
    o_refund_day: IntArray  # -1 none (may lie beyond the simulated range: not yet happened)
    o_refund_sod: IntArray
    o_refund_full: BoolArray
    o_fulfill_day: IntArray
    o_fulfill_sod: IntArray
    o_line_start: IntArray
    o_line_count: IntArray
    o_gross: IntArray
    o_discount: IntArray
    o_subtotal: IntArray
    o_tax: IntArray
    o_shipping: IntArray
    o_tip: IntArray
    o_total: IntArray
    o_refund_amount: IntArray
    o_customer: IntArray  # -1 anonymous
    o_recorded: BoolArray  # False inside a missing-data stretch of the source
    # realized (fulfilled) lines, grouped by order
    l_order: IntArray
    l_product: IntArray
    l_qty: IntArray
    l_price: IntArray
    l_discount: IntArray
    l_refunded: BoolArray
    # daily
    lost_units: IntArray
    lost_revenue: IntArray
    # stock
    inv_day: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    inv_product: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    inv_available: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    inv_sod: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    purchase_orders: list[PurchaseOrder] = field(default_factory=list)
    # customers: initial ones first (created before the simulated range), then one per first order
    c_initial_created_ordinal: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    c_initial_created_sod: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    c_first_order: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def n_orders(self) -> int:
        return len(self.o_day)

    @property
    def n_customers(self) -> int:
        return len(self.c_initial_created_ordinal) + len(self.c_first_order)


def _geometric_extra(u: FloatArray, p: float) -> IntArray:
    if p <= 0:
        return np.zeros(u.shape, dtype=np.int64)
    return np.floor(np.log(u) / np.log(p)).astype(np.int64)


def _poisson_table(mean: float, u: FloatArray) -> IntArray:
    if mean <= 0:
        return np.zeros(u.shape, dtype=np.int64)
    ks = np.arange(0, 30)
    from scipy import stats

    cdf = stats.poisson.cdf(ks, mean)
    return np.minimum(np.searchsorted(cdf, u, side="right"), 29).astype(np.int64)


def product_weights(
    behaviour: Behaviour, days: DayFeatures, price_changes: tuple[Intervention, ...]
) -> tuple[FloatArray, FloatArray, IntArray]:
    """(base weights, weights with price effects, prices) per day and product."""
    products = behaviour.products
    n, p = days.n, len(products)
    month = days.month - 1
    base = np.zeros((n, p))
    prices = np.zeros((n, p), dtype=np.int64)
    for j, product in enumerate(products):
        avail = (
            np.ones(12) if product.months is None else np.isin(np.arange(1, 13), product.months).astype(float)
        )
        boost = np.ones(12) if product.monthly_boost is None else np.asarray(product.monthly_boost)
        base[:, j] = product.weight * (avail * boost)[month]
        prices[:, j] = product.price
    for change in price_changes:
        found = next((i for i, prod in enumerate(products) if prod.sku == change.sku), None)
        if found is None or change.new_price is None:
            raise ValueError(f"price change {change.intervention_id} names unknown sku {change.sku!r}")
        prices[days.ordinals >= change.start.toordinal(), found] = change.new_price
    base_prices = np.array([prod.price for prod in products], dtype=np.float64)
    elasticities = np.array([prod.elasticity for prod in products])
    factor = np.power(prices / base_prices, elasticities)
    return base, base * factor, prices


@dataclass
class _Draws:
    """One entry per demand draw (an order a customer would place), in draw order: draw ``k`` of day
    ``day`` is keyed by (ordinal, k), so its time, lines, promotion code, refund and fulfilment are the
    same whatever else the world holds."""

    day: IntArray
    k: IntArray
    ordinal: IntArray
    sod: IntArray
    lines: IntArray  # how many lines the order has
    big_factor: IntArray  # quantity multiplier of a bulk order, 1 otherwise
    promo: IntArray  # index into promotions, -1 none
    pct: FloatArray
    refund_day: IntArray  # -1 none
    refund_sod: IntArray
    refund_full: BoolArray
    fulfill_day: IntArray
    fulfill_sod: IntArray
    gateway_u: FloatArray

    @property
    def n(self) -> int:
        return len(self.day)


@dataclass
class _Lines:
    """The line items of every demand draw: the draw it belongs to, its position in the draw, its day,
    product, quantity and unit price."""

    demand: IntArray
    j: IntArray
    day: IntArray
    product: IntArray
    qty: IntArray
    price: IntArray

    @property
    def n(self) -> int:
        return len(self.demand)

    def take(self, index: IntArray) -> _Lines:
        """The lines at ``index``, in that order."""
        return _Lines(
            self.demand[index],
            self.j[index],
            self.day[index],
            self.product[index],
            self.qty[index],
            self.price[index],
        )


@dataclass
class _Amounts:
    """Each realized order's lines (a range of the realized lines) and its money, in minor units."""

    line_start: IntArray
    line_count: IntArray
    gross: IntArray
    discount: IntArray
    subtotal: IntArray
    tax: IntArray
    shipping: IntArray
    tip: IntArray
    total: IntArray


def simulate_sales(
    behaviour: Behaviour,
    days: DayFeatures,
    demand: Demand,
    rng: KeyedRandom,
    interventions: tuple[Intervention, ...],
    capacity: IntArray | None,
    start_ordinal: int,
    opened_ordinal: int,
    scale: float,
    with_customers: bool,
    missing_days: BoolArray,
) -> SalesResult:
    products = behaviour.products
    price_changes = tuple(i for i in interventions if i.kind == "price_change")
    promotions = tuple(i for i in interventions if i.kind == "promotion")
    base_w, w, prices = product_weights(behaviour, days, price_changes)
    counts, lost_capacity = _demand_counts(days, demand, rng, base_w, w, capacity)
    draws = _draw_orders(behaviour, days, rng, counts, promotions)
    order_perm, lines = _in_time_order(draws, _draw_lines(behaviour, rng, draws, w, prices))

    tracked = np.array([p.tracked for p in products], dtype=bool)
    fulfilled = np.ones(lines.n, dtype=bool)
    result_inv: dict[str, list[int]] = {"day": [], "product": [], "available": [], "sod": []}
    purchase_orders: list[PurchaseOrder] = []
    if behaviour.inventory != "none" and tracked.any():
        fulfilled = _run_stock(
            behaviour, days, demand, rng, base_w, w, lines, draws, tracked, result_inv, purchase_orders
        )
    lost_units, lost_revenue = _lost_sales(products, days.n, lines, fulfilled, capacity, lost_capacity)

    # realized orders: at least one fulfilled line
    has_line = np.bincount(lines.demand[fulfilled], minlength=draws.n) > 0
    realized = order_perm[has_line[order_perm]]
    new_index = np.full(draws.n, -1, dtype=np.int64)
    new_index[realized] = np.arange(len(realized))
    sold = lines.take(np.flatnonzero(fulfilled & (new_index[lines.demand] >= 0)))
    l_order = new_index[sold.demand]
    l_total = sold.qty * sold.price
    l_discount = np.round(l_total * draws.pct[realized][l_order]).astype(np.int64)
    amounts = _order_amounts(behaviour, rng, draws, realized, l_order, l_total, l_discount)
    l_refunded, o_refund_amount = _refunds(behaviour, draws, realized, amounts, l_order, l_total, l_discount)

    o_day = draws.day[realized]
    result = SalesResult(
        products=products,
        prices=prices,
        promotions=promotions,
        o_day=o_day,
        o_sod=draws.sod[realized],
        o_k=draws.k[realized],
        o_promo=draws.promo[realized],
        o_discount_pct=draws.pct[realized],
        o_gateway_u=draws.gateway_u[realized],
        o_refund_day=draws.refund_day[realized],
        o_refund_sod=draws.refund_sod[realized],
        o_refund_full=draws.refund_full[realized],
        o_fulfill_day=draws.fulfill_day[realized],
        o_fulfill_sod=draws.fulfill_sod[realized],
        o_line_start=amounts.line_start,
        o_line_count=amounts.line_count,
        o_gross=amounts.gross,
        o_discount=amounts.discount,
        o_subtotal=amounts.subtotal,
        o_tax=amounts.tax,
        o_shipping=amounts.shipping,
        o_tip=amounts.tip,
        o_total=amounts.total,
        o_refund_amount=o_refund_amount,
        o_customer=np.full(len(realized), -1, dtype=np.int64),
        o_recorded=~missing_days[o_day],
        l_order=l_order,
        l_product=sold.product,
        l_qty=sold.qty,
        l_price=sold.price,
        l_discount=l_discount,
        l_refunded=l_refunded,
        lost_units=lost_units,
        lost_revenue=lost_revenue,
        inv_day=np.asarray(result_inv["day"], dtype=np.int64),
        inv_product=np.asarray(result_inv["product"], dtype=np.int64),
        inv_available=np.asarray(result_inv["available"], dtype=np.int64),
        inv_sod=np.asarray(result_inv["sod"], dtype=np.int64),
        purchase_orders=purchase_orders,
    )
    if with_customers:
        _assign_customers(result, behaviour, days, rng, start_ordinal, opened_ordinal, scale)
    return result


def _demand_counts(
    days: DayFeatures,
    demand: Demand,
    rng: KeyedRandom,
    base_w: FloatArray,
    w: FloatArray,
    capacity: IntArray | None,
) -> tuple[IntArray, IntArray]:
    """Orders wanted per day (latent demand moved by the prices in force), and those a full book turned
    away."""
    base_total = base_w.sum(axis=1)
    price_factor = np.divide(w.sum(axis=1), base_total, out=np.ones(days.n), where=base_total > 0)
    expected = demand.latent * price_factor
    counts = poisson_from_uniform(rng.uniform("sales:count", days.ordinals), expected)
    if capacity is None:
        return counts, np.zeros(days.n, dtype=np.int64)
    lost_capacity = np.maximum(counts - capacity, 0)
    return np.minimum(counts, capacity), lost_capacity  # the first bookings of the day take the free chairs


def _draw_orders(
    behaviour: Behaviour,
    days: DayFeatures,
    rng: KeyedRandom,
    counts: IntArray,
    promotions: tuple[Intervention, ...],
) -> _Draws:
    """Everything about each demand draw but its lines: time of day, number of lines, bulk size,
    promotion code, refund and fulfilment."""
    ordinals = days.ordinals
    n_demand = int(counts.sum())
    d_day = np.repeat(np.arange(days.n), counts)
    d_k = np.arange(n_demand) - np.repeat(np.cumsum(counts) - counts, counts)
    d_ord = ordinals[d_day]

    def u(slot: int) -> FloatArray:
        return rng.uniform("sales:order", d_ord, d_k, slot)

    hourly = np.asarray(behaviour.hourly, dtype=np.float64)
    d_sod = categorical_from_uniform(u(0), hourly) * 3600 + np.floor(u(1) * 3600).astype(np.int64)
    d_lines = 1 + _poisson_table(behaviour.extra_lines_mean, u(2))
    big = u(3) < behaviour.big_order_prob
    big_factor = np.where(big, 6 + np.floor(u(4) * 15).astype(np.int64), 1)

    d_promo = np.full(n_demand, -1, dtype=np.int64)
    d_pct = np.zeros(n_demand)
    code_u = u(5)
    for index, promo in enumerate(promotions):
        on_day = promo.active(ordinals, days.weekday)[d_day]
        uses = on_day & (code_u < promo.code_share)
        d_promo = np.where(uses, index, d_promo)
        d_pct = np.where(uses, promo.discount_pct, d_pct)

    lo, hi = behaviour.refund_delay
    d_refund = u(6) < behaviour.refund_prob
    d_refund_day = np.where(d_refund, d_day + lo + np.floor(u(7) * (hi - lo + 1)).astype(np.int64), -1)
    d_refund_sod = (10 * 3600 + np.floor(u(8) * 8 * 3600)).astype(np.int64)
    # a same-day refund comes after the sale
    d_refund_sod = np.where(d_refund_day == d_day, np.maximum(d_refund_sod, d_sod + 900), d_refund_sod)
    d_refund_full = u(9) < behaviour.refund_full_share
    if behaviour.online:
        d_fulfill_day = d_day + 1 + np.floor(u(10) * 2).astype(np.int64)
        d_fulfill_sod = (13 * 3600 + np.floor(u(11) * 4 * 3600)).astype(np.int64)
    else:
        d_fulfill_day = d_day.copy()
        d_fulfill_sod = d_sod.copy()
    return _Draws(
        day=d_day,
        k=d_k,
        ordinal=d_ord,
        sod=d_sod,
        lines=d_lines,
        big_factor=big_factor,
        promo=d_promo,
        pct=d_pct,
        refund_day=d_refund_day,
        refund_sod=d_refund_sod,
        refund_full=d_refund_full,
        fulfill_day=d_fulfill_day,
        fulfill_sod=d_fulfill_sod,
        gateway_u=u(12),
    )


def _draw_lines(
    behaviour: Behaviour, rng: KeyedRandom, draws: _Draws, w: FloatArray, prices: IntArray
) -> _Lines:
    """Each draw's lines: a product picked by the day's weights, a quantity, the price in force."""
    n_lines = int(draws.lines.sum())
    ln_demand = np.repeat(np.arange(draws.n), draws.lines)
    ln_j = np.arange(n_lines) - np.repeat(np.cumsum(draws.lines) - draws.lines, draws.lines)
    ln_day = draws.day[ln_demand]
    ln_ord = draws.ordinal[ln_demand]
    ln_u_product = rng.uniform("sales:line", ln_ord, draws.k[ln_demand], ln_j, 0)
    ln_u_qty = rng.uniform("sales:line", ln_ord, draws.k[ln_demand], ln_j, 1)
    # days with the same weights (a regime) pick their products in one call
    ln_product = np.zeros(n_lines, dtype=np.int64)
    regimes, regime_of_day = np.unique(w, axis=0, return_inverse=True)
    regime_of_day = regime_of_day.reshape(-1)
    ln_regime = regime_of_day[ln_day]
    for r in range(len(regimes)):
        mask = ln_regime == r
        if mask.any() and regimes[r].sum() > 0:
            ln_product[mask] = categorical_from_uniform(ln_u_product[mask], regimes[r])
    ln_qty = np.minimum(1 + _geometric_extra(ln_u_qty, behaviour.extra_unit_prob), MAX_UNITS_PER_LINE)
    ln_qty = ln_qty * draws.big_factor[ln_demand]
    return _Lines(ln_demand, ln_j, ln_day, ln_product, ln_qty, prices[ln_day, ln_product])


def _in_time_order(draws: _Draws, lines: _Lines) -> tuple[IntArray, _Lines]:
    """The draws in time order within each day (as indices), and the lines in that order: stock is
    sold first come, first served."""
    order_perm = np.lexsort((draws.k, draws.sod, draws.day))
    rank = np.empty(draws.n, dtype=np.int64)
    rank[order_perm] = np.arange(draws.n)
    return order_perm, lines.take(np.lexsort((lines.j, rank[lines.demand])))


def _lost_sales(
    products: tuple[Product, ...],
    n_days: int,
    lines: _Lines,
    fulfilled: BoolArray,
    capacity: IntArray | None,
    lost_capacity: IntArray,
) -> tuple[IntArray, IntArray]:
    """Units and revenue lost per day: lines that found no stock, bookings that found no free chair
    (valued at the mean price)."""
    lost = ~fulfilled
    lost_units = np.bincount(lines.day[lost], weights=lines.qty[lost], minlength=n_days).astype(np.int64)
    lost_revenue = np.bincount(
        lines.day[lost], weights=(lines.qty * lines.price)[lost], minlength=n_days
    ).astype(np.int64)
    if capacity is not None:
        mean_price = float(np.mean([p.price for p in products]))
        lost_units += lost_capacity
        lost_revenue += np.round(lost_capacity * mean_price).astype(np.int64)
    return lost_units, lost_revenue


def _order_amounts(
    behaviour: Behaviour,
    rng: KeyedRandom,
    draws: _Draws,
    realized: IntArray,
    l_order: IntArray,
    l_total: IntArray,
    l_discount: IntArray,
) -> _Amounts:
    """Each realized order's lines, gross, discount, tax, shipping (under the free-shipping threshold)
    and tip."""
    n_orders = len(realized)
    line_count = np.bincount(l_order, minlength=n_orders).astype(np.int64)
    gross = np.bincount(l_order, weights=l_total, minlength=n_orders).astype(np.int64)
    discount = np.bincount(l_order, weights=l_discount, minlength=n_orders).astype(np.int64)
    subtotal = gross - discount
    tax = np.round(subtotal * behaviour.tax_rate).astype(np.int64)
    if behaviour.shipping is not None:
        threshold, fee = behaviour.shipping
        shipping = np.where(subtotal < threshold, fee, 0).astype(np.int64)
    else:
        shipping = np.zeros(n_orders, dtype=np.int64)
    tip = np.zeros(n_orders, dtype=np.int64)
    if behaviour.tip_rate > 0:
        tip_u = rng.uniform("sales:tip", draws.ordinal[realized], draws.k[realized])
        tip = np.round(subtotal * behaviour.tip_rate * (0.5 + tip_u)).astype(np.int64)
    return _Amounts(
        line_start=np.cumsum(line_count) - line_count,
        line_count=line_count,
        gross=gross,
        discount=discount,
        subtotal=subtotal,
        tax=tax,
        shipping=shipping,
        tip=tip,
        total=subtotal + tax + shipping + tip,
    )


def _refunds(
    behaviour: Behaviour,
    draws: _Draws,
    realized: IntArray,
    amounts: _Amounts,
    l_order: IntArray,
    l_total: IntArray,
    l_discount: IntArray,
) -> tuple[BoolArray, IntArray]:
    """Which lines are refunded (the whole order, or its first line) and each order's refund, tax and
    (for a whole order) tip included."""
    refund_day = draws.refund_day[realized]
    refund_full = draws.refund_full[realized]
    first_line = np.zeros(len(l_order), dtype=bool)
    first_line[amounts.line_start[amounts.line_count > 0]] = True
    l_refunded = (refund_day[l_order] >= 0) & (refund_full[l_order] | first_line)
    refunded_net = np.bincount(
        l_order[l_refunded], weights=(l_total - l_discount)[l_refunded], minlength=len(realized)
    )
    refund_amount = np.round(refunded_net * (1.0 + behaviour.tax_rate)).astype(np.int64)
    refund_amount = np.where(refund_day >= 0, refund_amount, 0)
    if behaviour.tip_rate > 0:
        refund_amount = np.where(refund_full & (refund_day >= 0), refund_amount + amounts.tip, refund_amount)
    return l_refunded, refund_amount


def _planned_units(behaviour: Behaviour, demand: Demand, base_w: FloatArray, w: FloatArray) -> FloatArray:
    """Expected units per day and product, as the owner plans them: what stock is produced or ordered for."""
    n_days = w.shape[0]
    units_per_order = (1.0 + behaviour.extra_lines_mean) * (
        1.0 / (1.0 - behaviour.extra_unit_prob) if behaviour.extra_unit_prob < 1 else 1.0
    )
    base_total = np.maximum(base_w.sum(axis=1), 1e-12)
    # expected units per product on a normal day, as the owner plans them (trailing week smooths weekdays)
    if behaviour.inventory == "daily_production":
        per_day = demand.planning
    else:
        # stock is planned on the coming weeks' expected demand, events included (retailers stock up for
        # Black Friday and December); only calendar knowledge is used, never the realized future
        ahead = demand.planning_ahead
        horizon = behaviour.lead_time_days + 7
        cumulative = np.concatenate([[0.0], np.cumsum(ahead)])
        idx = np.arange(n_days)
        last = np.minimum(idx + horizon, len(ahead))
        per_day = (cumulative[last] - cumulative[idx]) / (last - idx)
    planned: FloatArray = per_day[:, None] * (units_per_order * w / base_total[:, None])
    return planned


@dataclass
class _Stockroom:
    """Stock on hand and on order per product, the deliveries and refund restocks still to come, and
    the log of stock levels and purchase orders the source shows."""

    behaviour: Behaviour
    rng: KeyedRandom
    tracked: BoolArray
    plan_units: FloatArray
    inv: dict[str, list[int]]
    purchase_orders: list[PurchaseOrder]
    stock: IntArray
    on_order: IntArray
    arrivals: dict[int, list[PurchaseOrder]] = field(default_factory=dict)
    restocks: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)

    def open_day(self, t: int, is_open: bool) -> IntArray:
        """The morning: today's bake, or the deliveries due today; refunded goods back on the shelf.
        Returns the time of the last stock change per product (-1 none yet)."""
        n_products = len(self.stock)
        tracked = self.tracked
        last_change = np.full(n_products, -1, dtype=np.int64)
        if self.behaviour.inventory == "daily_production":
            if is_open:
                self.stock = np.round(self.plan_units[t] * PRODUCTION_BUFFER).astype(np.int64) * tracked
                last_change[tracked] = PRODUCTION_SET_SOD
            else:
                self.stock = np.zeros(n_products, dtype=np.int64)
        else:
            for po in self.arrivals.pop(t, []):
                self.stock[po.product] += po.quantity
                self.on_order[po.product] -= po.quantity
                last_change[po.product] = max(last_change[po.product], po.arrival_sod)
        for product, quantity, sod in self.restocks.pop(t, []):
            self.stock[product] += quantity
            last_change[product] = max(last_change[product], sod)
        return last_change

    def sell(self, lines: _Lines, draws: _Draws, a: int, b: int, last_change: IntArray) -> BoolArray:
        """Sell one day's lines ``a:b`` (in time order): a tracked product's line is fulfilled while the
        units sold so far that day fit in stock. Returns which lines were fulfilled."""
        tracked = self.tracked
        prods = lines.product[a:b]
        qty = lines.qty[a:b]
        is_tracked = tracked[prods]
        order = np.argsort(prods, kind="stable")
        sp, sq = prods[order], qty[order]
        cs = np.cumsum(sq)
        starts = np.r_[0, np.flatnonzero(np.diff(sp)) + 1]
        group_base = np.repeat((cs - sq)[starts], np.diff(np.r_[starts, len(sp)]))
        within = cs - group_base
        ok_sorted = within <= self.stock[sp]
        ok = np.empty_like(ok_sorted)
        ok[order] = ok_sorted
        ok |= ~is_tracked
        sold = np.bincount(prods[ok & is_tracked], weights=qty[ok & is_tracked], minlength=len(self.stock))
        self.stock -= sold.astype(np.int64)
        demand_ids = lines.demand[a:b]
        sods = draws.sod[demand_ids]
        sale_mask = ok & is_tracked
        if sale_mask.any():
            np.maximum.at(last_change, prods[sale_mask], sods[sale_mask])
        if self.behaviour.restock_refunds:
            refund_days = draws.refund_day[demand_ids]
            full = draws.refund_full[demand_ids]
            first_of_order = np.r_[True, demand_ids[1:] != demand_ids[:-1]]
            for i in np.flatnonzero(ok & is_tracked & (refund_days >= 0) & (full | first_of_order)):
                self.restocks.setdefault(int(refund_days[i]), []).append(
                    (int(prods[i]), int(qty[i]), 12 * 3600)
                )
        return ok

    def reorder(self, t: int, ordinal: int) -> None:
        """At the end of day ``t``, a purchase order up to the cover for each product at or under its
        reorder point; about one in eight arrives late."""
        behaviour, plan = self.behaviour, self.plan_units[t]
        position = self.stock + self.on_order
        reorder_point = np.ceil(plan * (behaviour.lead_time_days + 4))
        order_up_to = np.ceil(plan * behaviour.cover_days)
        need = self.tracked & (plan > 0) & (position <= reorder_point)
        for j in np.flatnonzero(need):
            quantity = int(order_up_to[j] - position[j])
            if quantity <= 0:
                continue
            late = self.rng.scalar("stock:po-late", int(j), ordinal) < 0.12
            delay = int(3 + 10 * self.rng.scalar("stock:po-delay", int(j), ordinal)) if late else 0
            arrival = t + behaviour.lead_time_days + delay
            po = PurchaseOrder(int(j), quantity, t, arrival, int(8 * 3600 + 900 * (j % 8)))
            self.purchase_orders.append(po)
            self.arrivals.setdefault(arrival, []).append(po)
            self.on_order[j] += quantity

    def log(self, t: int, last_change: IntArray) -> None:
        """The stock level of each tracked product that changed on day ``t``, as of its last change."""
        for j in np.flatnonzero(self.tracked):
            if last_change[j] >= 0:
                self.inv["day"].append(t)
                self.inv["product"].append(int(j))
                self.inv["available"].append(int(self.stock[j]))
                self.inv["sod"].append(int(last_change[j]))


def _run_stock(
    behaviour: Behaviour,
    days: DayFeatures,
    demand: Demand,
    rng: KeyedRandom,
    base_w: FloatArray,
    w: FloatArray,
    lines: _Lines,
    draws: _Draws,
    tracked: BoolArray,
    inv: dict[str, list[int]],
    purchase_orders: list[PurchaseOrder],
) -> BoolArray:
    """Sell each day's lines in time order against stock; returns which lines were fulfilled."""
    n_days, n_products = w.shape
    plan_units = _planned_units(behaviour, demand, base_w, w)
    stock = np.zeros(n_products, dtype=np.int64)
    if behaviour.inventory == "reorder":
        stock = np.ceil(plan_units[0] * behaviour.cover_days).astype(np.int64) * tracked
    on_order = np.zeros(n_products, dtype=np.int64)
    room = _Stockroom(behaviour, rng, tracked, plan_units, inv, purchase_orders, stock, on_order)
    fulfilled = np.ones(lines.n, dtype=bool)
    day_bounds = np.searchsorted(lines.day, np.arange(n_days + 1))
    for t in range(n_days):
        last_change = room.open_day(t, bool(demand.is_open[t]))
        a, b = day_bounds[t], day_bounds[t + 1]
        if b > a:
            fulfilled[a:b] = room.sell(lines, draws, a, b, last_change)
        if behaviour.inventory == "reorder":
            room.reorder(t, int(days.ordinals[t]))
        room.log(t, last_change)
    return fulfilled


def _assign_customers(
    result: SalesResult,
    behaviour: Behaviour,
    days: DayFeatures,
    rng: KeyedRandom,
    start_ordinal: int,
    opened_ordinal: int,
    scale: float,
) -> None:
    """Anonymous walk-ins, new customers and repeat customers, in time order."""
    ords = days.ordinals[result.o_day]
    anonymous = rng.uniform("customer:anonymous", ords, result.o_k) < behaviour.anonymous_share
    anonymous |= ~result.o_recorded  # orders the source never saw have no customer either
    age = ords - opened_ordinal
    share = behaviour.new_customer_share + (0.9 - behaviour.new_customer_share) * np.exp(-age / 180.0)
    is_new = ~anonymous & (rng.uniform("customer:new", ords, result.o_k) < share)

    n_initial = round(behaviour.initial_customers * scale) if opened_ordinal < start_ordinal else 0
    init_idx = np.arange(n_initial)
    span = max(start_ordinal - opened_ordinal, 1)
    result.c_initial_created_ordinal = opened_ordinal + np.floor(
        rng.uniform("customer:initial", init_idx, 0) * span
    ).astype(np.int64)
    result.c_initial_created_sod = (
        9 * 3600 + np.floor(rng.uniform("customer:initial", init_idx, 1) * 36000)
    ).astype(np.int64)
    if n_initial == 0:
        identified = np.flatnonzero(~anonymous)
        if len(identified) and not is_new[identified[0]]:
            is_new[identified[0]] = True
    new_before = n_initial + np.cumsum(is_new) - is_new
    pick = np.floor(rng.uniform("customer:pick", ords, result.o_k) * np.maximum(new_before, 1)).astype(
        np.int64
    )
    customer = np.where(anonymous, -1, np.where(is_new, new_before, pick))
    result.o_customer = customer.astype(np.int64)
    result.c_first_order = np.flatnonzero(is_new).astype(np.int64)
