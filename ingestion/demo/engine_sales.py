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
    n_days = days.n
    price_changes = tuple(i for i in interventions if i.kind == "price_change")
    promotions = tuple(i for i in interventions if i.kind == "promotion")
    base_w, w, prices = product_weights(behaviour, days, price_changes)
    base_total = base_w.sum(axis=1)
    price_factor = np.divide(w.sum(axis=1), base_total, out=np.ones(n_days), where=base_total > 0)
    expected = demand.latent * price_factor

    ordinals = days.ordinals
    counts = poisson_from_uniform(rng.uniform("sales:count", ordinals), expected)
    if capacity is not None:
        lost_capacity = np.maximum(counts - capacity, 0)
        counts = np.minimum(counts, capacity)  # the first bookings of the day take the free chairs
    else:
        lost_capacity = np.zeros(n_days, dtype=np.int64)

    n_demand = int(counts.sum())
    d_day = np.repeat(np.arange(n_days), counts)
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
    d_gateway_u = u(12)

    # lines
    n_lines = int(d_lines.sum())
    ln_demand = np.repeat(np.arange(n_demand), d_lines)
    ln_j = np.arange(n_lines) - np.repeat(np.cumsum(d_lines) - d_lines, d_lines)
    ln_day = d_day[ln_demand]
    ln_ord = ordinals[ln_day]
    ln_u_product = rng.uniform("sales:line", ln_ord, d_k[ln_demand], ln_j, 0)
    ln_u_qty = rng.uniform("sales:line", ln_ord, d_k[ln_demand], ln_j, 1)
    ln_product = np.zeros(n_lines, dtype=np.int64)
    regimes, regime_of_day = np.unique(w, axis=0, return_inverse=True)
    regime_of_day = regime_of_day.reshape(-1)
    ln_regime = regime_of_day[ln_day]
    for r in range(len(regimes)):
        mask = ln_regime == r
        if mask.any() and regimes[r].sum() > 0:
            ln_product[mask] = categorical_from_uniform(ln_u_product[mask], regimes[r])
    ln_qty = np.minimum(1 + _geometric_extra(ln_u_qty, behaviour.extra_unit_prob), MAX_UNITS_PER_LINE)
    ln_qty = ln_qty * big_factor[ln_demand]
    ln_price = prices[ln_day, ln_product]

    # process in time order within each day
    order_perm = np.lexsort((d_k, d_sod, d_day))
    rank = np.empty(n_demand, dtype=np.int64)
    rank[order_perm] = np.arange(n_demand)
    line_perm = np.lexsort((ln_j, rank[ln_demand]))
    ln_demand, ln_product, ln_qty, ln_price, ln_day = (
        ln_demand[line_perm],
        ln_product[line_perm],
        ln_qty[line_perm],
        ln_price[line_perm],
        ln_day[line_perm],
    )

    tracked = np.array([p.tracked for p in products], dtype=bool)
    fulfilled = np.ones(n_lines, dtype=bool)
    result_inv: dict[str, list[int]] = {"day": [], "product": [], "available": [], "sod": []}
    purchase_orders: list[PurchaseOrder] = []
    if behaviour.inventory != "none" and tracked.any():
        fulfilled = _run_stock(
            behaviour,
            days,
            demand,
            rng,
            base_w,
            w,
            ln_day,
            ln_product,
            ln_qty,
            d_sod[ln_demand],
            d_refund_day[ln_demand],
            d_refund_full[ln_demand],
            ln_demand,
            tracked,
            result_inv,
            purchase_orders,
        )
    lost_units = np.bincount(ln_day[~fulfilled], weights=ln_qty[~fulfilled], minlength=n_days).astype(
        np.int64
    )
    lost_revenue = np.bincount(
        ln_day[~fulfilled], weights=(ln_qty * ln_price)[~fulfilled], minlength=n_days
    ).astype(np.int64)
    if capacity is not None:
        mean_price = float(np.mean([p.price for p in products]))
        lost_units += lost_capacity
        lost_revenue += np.round(lost_capacity * mean_price).astype(np.int64)

    # realized orders: at least one fulfilled line
    has_line = np.bincount(ln_demand[fulfilled], minlength=n_demand) > 0
    realized = order_perm[has_line[order_perm]]
    new_index = np.full(n_demand, -1, dtype=np.int64)
    new_index[realized] = np.arange(len(realized))
    keep_line = fulfilled & (new_index[ln_demand] >= 0)
    l_order = new_index[ln_demand[keep_line]]
    l_product = ln_product[keep_line]
    l_qty = ln_qty[keep_line]
    l_price = ln_price[keep_line]
    l_total = l_qty * l_price
    l_discount = np.round(l_total * d_pct[realized][l_order]).astype(np.int64)
    n_orders = len(realized)
    o_line_count = np.bincount(l_order, minlength=n_orders).astype(np.int64)
    o_line_start = np.cumsum(o_line_count) - o_line_count
    o_gross = np.bincount(l_order, weights=l_total, minlength=n_orders).astype(np.int64)
    o_discount = np.bincount(l_order, weights=l_discount, minlength=n_orders).astype(np.int64)
    o_subtotal = o_gross - o_discount
    o_tax = np.round(o_subtotal * behaviour.tax_rate).astype(np.int64)
    if behaviour.shipping is not None:
        threshold, fee = behaviour.shipping
        o_shipping = np.where(o_subtotal < threshold, fee, 0).astype(np.int64)
    else:
        o_shipping = np.zeros(n_orders, dtype=np.int64)
    o_tip = np.zeros(n_orders, dtype=np.int64)
    if behaviour.tip_rate > 0:
        tip_u = rng.uniform("sales:tip", d_ord[realized], d_k[realized])
        o_tip = np.round(o_subtotal * behaviour.tip_rate * (0.5 + tip_u)).astype(np.int64)
    o_total = o_subtotal + o_tax + o_shipping + o_tip

    # refunds: the whole order, or its first line
    o_refund_day = d_refund_day[realized]
    o_refund_full = d_refund_full[realized]
    first_line = np.zeros(len(l_order), dtype=bool)
    first_line[o_line_start[o_line_count > 0]] = True
    l_refunded = (o_refund_day[l_order] >= 0) & (o_refund_full[l_order] | first_line)
    refunded_net = np.bincount(
        l_order[l_refunded], weights=(l_total - l_discount)[l_refunded], minlength=n_orders
    )
    o_refund_amount = np.round(refunded_net * (1.0 + behaviour.tax_rate)).astype(np.int64)
    o_refund_amount = np.where(o_refund_day >= 0, o_refund_amount, 0)
    if behaviour.tip_rate > 0:
        o_refund_amount = np.where(
            o_refund_full & (o_refund_day >= 0), o_refund_amount + o_tip, o_refund_amount
        )

    o_day = d_day[realized]
    o_recorded = ~missing_days[o_day]
    result = SalesResult(
        products=products,
        prices=prices,
        promotions=promotions,
        o_day=o_day,
        o_sod=d_sod[realized],
        o_k=d_k[realized],
        o_promo=d_promo[realized],
        o_discount_pct=d_pct[realized],
        o_gateway_u=d_gateway_u[realized],
        o_refund_day=o_refund_day,
        o_refund_sod=d_refund_sod[realized],
        o_refund_full=o_refund_full,
        o_fulfill_day=d_fulfill_day[realized],
        o_fulfill_sod=d_fulfill_sod[realized],
        o_line_start=o_line_start,
        o_line_count=o_line_count,
        o_gross=o_gross,
        o_discount=o_discount,
        o_subtotal=o_subtotal,
        o_tax=o_tax,
        o_shipping=o_shipping,
        o_tip=o_tip,
        o_total=o_total,
        o_refund_amount=o_refund_amount,
        o_customer=np.full(n_orders, -1, dtype=np.int64),
        o_recorded=o_recorded,
        l_order=l_order,
        l_product=l_product,
        l_qty=l_qty,
        l_price=l_price,
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


def _run_stock(
    behaviour: Behaviour,
    days: DayFeatures,
    demand: Demand,
    rng: KeyedRandom,
    base_w: FloatArray,
    w: FloatArray,
    ln_day: IntArray,
    ln_product: IntArray,
    ln_qty: IntArray,
    ln_sod: IntArray,
    ln_refund_day: IntArray,
    ln_refund_full: BoolArray,
    ln_demand: IntArray,
    tracked: BoolArray,
    inv: dict[str, list[int]],
    purchase_orders: list[PurchaseOrder],
) -> BoolArray:
    """Sell each day's lines in time order against stock; returns which lines were fulfilled."""
    n_days, n_products = w.shape
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
    plan_units = per_day[:, None] * (units_per_order * w / base_total[:, None])
    fulfilled = np.ones(len(ln_day), dtype=bool)
    day_bounds = np.searchsorted(ln_day, np.arange(n_days + 1))
    stock = np.zeros(n_products, dtype=np.int64)
    if behaviour.inventory == "reorder":
        stock = np.ceil(plan_units[0] * behaviour.cover_days).astype(np.int64) * tracked
    on_order = np.zeros(n_products, dtype=np.int64)
    arrivals: dict[int, list[PurchaseOrder]] = {}
    restocks: dict[int, list[tuple[int, int, int]]] = {}
    ordinals = days.ordinals
    tracked_idx = np.flatnonzero(tracked)
    for t in range(n_days):
        last_change = np.full(n_products, -1, dtype=np.int64)
        if behaviour.inventory == "daily_production":
            if demand.is_open[t]:
                stock = np.round(plan_units[t] * PRODUCTION_BUFFER).astype(np.int64) * tracked
                last_change[tracked] = PRODUCTION_SET_SOD
            else:
                stock = np.zeros(n_products, dtype=np.int64)
        else:
            for po in arrivals.pop(t, []):
                stock[po.product] += po.quantity
                on_order[po.product] -= po.quantity
                last_change[po.product] = max(last_change[po.product], po.arrival_sod)
        for product, quantity, sod in restocks.pop(t, []):
            stock[product] += quantity
            last_change[product] = max(last_change[product], sod)

        a, b = day_bounds[t], day_bounds[t + 1]
        if b > a:
            prods = ln_product[a:b]
            qty = ln_qty[a:b]
            is_tracked = tracked[prods]
            order = np.argsort(prods, kind="stable")
            sp, sq = prods[order], qty[order]
            cs = np.cumsum(sq)
            starts = np.r_[0, np.flatnonzero(np.diff(sp)) + 1]
            group_base = np.repeat((cs - sq)[starts], np.diff(np.r_[starts, len(sp)]))
            within = cs - group_base
            ok_sorted = within <= stock[sp]
            ok = np.empty_like(ok_sorted)
            ok[order] = ok_sorted
            ok |= ~is_tracked
            fulfilled[a:b] = ok
            sold = np.bincount(prods[ok & is_tracked], weights=qty[ok & is_tracked], minlength=n_products)
            stock -= sold.astype(np.int64)
            sods = ln_sod[a:b]
            sale_mask = ok & is_tracked
            if sale_mask.any():
                np.maximum.at(last_change, prods[sale_mask], sods[sale_mask])
            if behaviour.restock_refunds:
                refund_days = ln_refund_day[a:b]
                full = ln_refund_full[a:b]
                demand_ids = ln_demand[a:b]
                first_of_order = np.r_[True, demand_ids[1:] != demand_ids[:-1]]
                for i in np.flatnonzero(ok & is_tracked & (refund_days >= 0) & (full | first_of_order)):
                    restocks.setdefault(int(refund_days[i]), []).append(
                        (int(prods[i]), int(qty[i]), 12 * 3600)
                    )
        if behaviour.inventory == "reorder":
            position = stock + on_order
            reorder_point = np.ceil(plan_units[t] * (behaviour.lead_time_days + 4))
            order_up_to = np.ceil(plan_units[t] * behaviour.cover_days)
            need = tracked & (plan_units[t] > 0) & (position <= reorder_point)
            for j in np.flatnonzero(need):
                quantity = int(order_up_to[j] - position[j])
                if quantity <= 0:
                    continue
                late = rng.scalar("stock:po-late", int(j), int(ordinals[t])) < 0.12
                delay = int(3 + 10 * rng.scalar("stock:po-delay", int(j), int(ordinals[t]))) if late else 0
                arrival = t + behaviour.lead_time_days + delay
                po = PurchaseOrder(int(j), quantity, t, arrival, int(8 * 3600 + 900 * (j % 8)))
                purchase_orders.append(po)
                arrivals.setdefault(arrival, []).append(po)
                on_order[j] += quantity
        for j in tracked_idx:
            if last_change[j] >= 0:
                inv["day"].append(t)
                inv["product"].append(int(j))
                inv["available"].append(int(stock[j]))
                inv["sod"].append(int(last_change[j]))
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
