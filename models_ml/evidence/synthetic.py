"""Synthetic small businesses whose causal effects are known, to test the evidence engine.

A simulated shop has weekly and yearly seasons (with a sharp December peak), growth, day-to-day
noise, a market factor shared with peer shops, and injected interventions whose true effects
are known exactly:

- a spring promotion (orders up, average order value down by the discount, so revenue up less);
- flash-sale days scattered through the year, run more often in the slow season (a confounder),
  whose uplift is larger on Friday to Sunday than on weekdays (heterogeneous effect);
- a permanent price increase with a known price elasticity of orders;
- a permanent staffing increase (fewer customers turned away);
- a marketing budget step, acting through adstock with diminishing returns;
- a December promotion timed with the December peak: the naive before/after comparison credits
  the promotion with the whole seasonal jump.

It also simulates product-level sales (price, units) with known price elasticities and prices
cut more often in slow seasons, and peer shops sharing the seasons but not the interventions.
The demo simulator of ``ingestion/demo`` plays the same role for the warehouse; this generator
stays small, fast and exact about the truth, which is what validity tests need.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import polars as pl

from models_ml.evidence.errors import EvidenceInputError
from models_ml.evidence.panel import Intervention

_WEEKDAY_EFFECT = np.array([-0.10, -0.06, -0.02, 0.03, 0.12, 0.20, -0.17])  # Monday..Sunday, log scale
_WEEKEND = (4, 5, 6)  # Friday, Saturday, Sunday (Python weekday numbers)


@dataclass(frozen=True)
class SyntheticBusiness:
    """One simulated tenant: its inputs for the engine and the truth to compare results with.

    ``true_effects`` maps intervention name to the true relative change of its target metric on
    the treated days (0.10 = +10%), on the same scale the engine reports.
    """

    tenant_id: str
    panel: pl.DataFrame
    product_sales: pl.DataFrame
    peers: dict[str, pl.DataFrame]
    interventions: tuple[Intervention, ...]
    true_effects: dict[str, float]
    true_elasticities: dict[str, float]
    true_segment_effects: dict[str, float]
    confounded_intervention: str
    notes: dict[str, float] = field(default_factory=dict)


def _yearly_season(day_of_year: np.ndarray, amplitude: float, december_peak: float) -> np.ndarray:
    """Smooth yearly pattern (summer high, February low) plus a sharp peak before Christmas."""
    phase = 2.0 * math.pi * day_of_year / 365.25
    smooth = amplitude * np.cos(phase - 2.0 * math.pi * 200 / 365.25)
    peak = december_peak * np.exp(25.0 * (np.cos(phase - 2.0 * math.pi * 350 / 365.25) - 1.0))
    return smooth + 0.5 * amplitude * np.sin(2.0 * phase) + peak


def _market_factor(rng: np.random.Generator, n_days: int) -> np.ndarray:
    """A slow AR(1) swing shared by every shop in the market (weather, local economy)."""
    shocks = rng.normal(0.0, 0.01, n_days)
    factor = np.zeros(n_days)
    for t in range(1, n_days):
        factor[t] = 0.9 * factor[t - 1] + shocks[t]
    return factor


def _adstock_response(spend: np.ndarray, carryover: float, half_saturation: float) -> np.ndarray:
    """Log-orders response to marketing: geometric carryover, then diminishing returns."""
    adstock = np.zeros_like(spend)
    for t in range(spend.size):
        adstock[t] = spend[t] + (carryover * adstock[t - 1] if t else 0.0)
    return np.log1p(adstock / half_saturation)


def simulate_business(
    seed: int,
    *,
    tenant_id: str | None = None,
    start: date = date(2022, 1, 3),
    n_days: int = 1095,
    noise: float = 0.08,
    n_peers: int = 5,
    effect_scale: float = 1.0,
) -> SyntheticBusiness:
    """Simulate one shop over ``n_days`` days with the interventions listed in the module docstring.

    ``effect_scale`` multiplies every injected effect (0 gives a shop whose interventions do
    nothing). The interventions sit in the last two years, so at least one untreated year of
    history precedes each; ``n_days`` must be at least 900 for that.
    """
    if n_days < 900:
        raise EvidenceInputError(f"n_days must be at least 900 to place every intervention, got {n_days}")
    if n_peers < 0:
        raise EvidenceInputError(f"n_peers must not be negative, got {n_peers}")
    rng = np.random.default_rng(seed)
    days = [start + timedelta(days=i) for i in range(n_days)]
    ds = pl.Series("ds", days, dtype=pl.Date)
    day_of_year = np.array([d.timetuple().tm_yday for d in days], dtype=float)
    weekday = np.array([d.weekday() for d in days])
    t_years = np.arange(n_days) / 365.25
    end = days[-1]

    amplitude = rng.uniform(0.08, 0.15)
    december_peak = rng.uniform(0.30, 0.45)
    season = _yearly_season(day_of_year, amplitude, december_peak)
    market = _market_factor(rng, n_days)
    growth = rng.uniform(0.03, 0.12)
    base_level = rng.uniform(3.5, 4.5)  # log of typical daily orders: about 33 to 90
    weekly = _WEEKDAY_EFFECT[weekday]

    # Interventions placed relative to the end of the history, so every one has a year before it.
    last_year = end.year if end.month == 12 and end.day >= 24 else end.year - 1
    december_start, december_end = date(last_year, 12, 1), date(last_year, 12, 21)
    spring_start = date(last_year, 4, 4) + timedelta(days=int(rng.integers(0, 21)))
    spring_end = spring_start + timedelta(days=20)
    marketing_start = date(last_year, 8, 1) + timedelta(days=int(rng.integers(0, 21)))
    marketing_end = marketing_start + timedelta(days=41)
    price_start = date(last_year - 1, 10, 1) + timedelta(days=int(rng.integers(0, 60)))
    staffing_start = date(last_year, 6, 1) + timedelta(days=int(rng.integers(0, 30)))

    def window(first: date, last: date | None) -> np.ndarray:
        return np.array([(d >= first) and (last is None or d <= last) for d in days])

    spring = window(spring_start, spring_end)
    december = window(december_start, december_end)
    price_on = window(price_start, None)
    staffing_on = window(staffing_start, None)
    marketing_on = window(marketing_start, marketing_end)

    # Flash sales: more likely in the slow months (January to March, and November before the peak).
    slow_season = np.isin(np.array([d.month for d in days]), (1, 2, 3, 11))
    flash_probability = np.where(slow_season, 0.18, 0.06)
    flash = (rng.uniform(size=n_days) < flash_probability) & ~spring & ~december & ~marketing_on
    flash[: 365 // 2] = False  # the first half year has none, like a shop that starts them later

    spring_uplift = math.log1p(0.12 * effect_scale)
    spring_discount = math.log1p(-0.05 * effect_scale)
    december_uplift = math.log1p(0.06 * effect_scale)
    flash_uplift = np.where(
        np.isin(weekday, _WEEKEND), math.log1p(0.20 * effect_scale), math.log1p(0.06 * effect_scale)
    )
    price_step = 0.08 * effect_scale
    orders_elasticity = rng.uniform(-1.6, -0.8)
    staffing_uplift = math.log1p(0.05 * effect_scale)

    # Daily spend wanders (campaigns come and go) around 120 a day; its effect carries over.
    log_spend = np.zeros(n_days)
    spend_shocks = rng.normal(0.0, 0.3, n_days)
    for t in range(1, n_days):
        log_spend[t] = 0.7 * log_spend[t - 1] + spend_shocks[t]
    marketing_base = 120.0 * np.exp(log_spend)
    marketing_spend = marketing_base * np.where(marketing_on, 1.0 + 1.5 * effect_scale, 1.0)
    marketing_effect = 0.15 * _adstock_response(marketing_spend, 0.6, 300.0)
    marketing_without = 0.15 * _adstock_response(marketing_base, 0.6, 300.0)

    log_price_index = np.where(price_on, math.log1p(price_step), 0.0)
    staff_hours = np.round(
        np.where(staffing_on, 1.0 + 0.2 * effect_scale, 1.0) * 60.0 * np.exp(0.3 * weekly), 1
    )

    log_orders_expected = (
        base_level
        + growth * t_years
        + weekly
        + season
        + market
        + marketing_effect
        + orders_elasticity * log_price_index
        + spring * spring_uplift
        + december * december_uplift
        + flash * flash_uplift
        + staffing_on * staffing_uplift
    )
    log_orders = log_orders_expected + rng.normal(0.0, noise, n_days)
    orders = np.exp(log_orders)
    log_aov = (
        math.log(rng.uniform(25.0, 60.0))
        + log_price_index
        + spring * spring_discount
        + flash * math.log1p(-0.04 * effect_scale)
        + 0.03 * season
        + rng.normal(0.0, noise / 2.0, n_days)
    )
    aov = np.exp(log_aov)
    revenue = orders * aov

    panel = pl.DataFrame(
        {
            "ds": ds,
            "revenue": np.round(revenue, 2),
            "orders": np.round(orders, 3),
            "aov": np.round(revenue, 2) / np.round(orders, 3),
            "marketing_spend": np.round(marketing_spend, 2),
            "staff_hours": staff_hours,
            "price_index": np.round(np.exp(log_price_index), 4),
            "flash_sale": flash.astype(np.int8),
        }
    )

    name = tenant_id or f"synthetic-{seed}"
    interventions = (
        Intervention("spring_promotion", "promotion", spring_start, spring_end, "revenue"),
        Intervention("flash_sales", "promotion", days[0], None, "orders", indicator_column="flash_sale"),
        Intervention("price_increase", "price_change", price_start, None, "orders"),
        Intervention("staffing_increase", "staffing_change", staffing_start, None, "orders"),
        Intervention("marketing_push", "marketing_change", marketing_start, marketing_end, "orders"),
        Intervention("december_promotion", "promotion", december_start, december_end, "orders"),
    )
    true_log = {
        "spring_promotion": spring_uplift + spring_discount,
        "flash_sales": float(flash_uplift[flash].mean()) if flash.any() else 0.0,
        "price_increase": orders_elasticity * math.log1p(price_step),
        "staffing_increase": staffing_uplift,
        "marketing_push": float((marketing_effect - marketing_without)[marketing_on].mean()),
        "december_promotion": december_uplift,
    }
    true_effects = {key: math.expm1(value) for key, value in true_log.items()}
    segment_effects = {
        "weekday": math.expm1(math.log1p(0.06 * effect_scale)),
        "weekend": math.expm1(math.log1p(0.20 * effect_scale)),
    }

    peers = _simulate_peers(rng, days, weekly, season, market, growth, base_level, noise, n_peers)
    products, elasticities = _simulate_products(rng, days, weekly, season, slow_season)
    return SyntheticBusiness(
        tenant_id=name,
        panel=panel,
        product_sales=products,
        peers=peers,
        interventions=interventions,
        true_effects=true_effects,
        true_elasticities=elasticities,
        true_segment_effects=segment_effects,
        confounded_intervention="december_promotion",
        notes={"orders_elasticity": orders_elasticity, "december_peak": december_peak},
    )


def _simulate_peers(
    rng: np.random.Generator,
    days: list[date],
    weekly: np.ndarray,
    season: np.ndarray,
    market: np.ndarray,
    growth: float,
    base_level: float,
    noise: float,
    n_peers: int,
) -> dict[str, pl.DataFrame]:
    """Peer shops: same seasons and market, own level, growth and noise, no interventions."""
    n_days = len(days)
    t_years = np.arange(n_days) / 365.25
    peers: dict[str, pl.DataFrame] = {}
    for index in range(n_peers):
        level = base_level + rng.normal(0.0, 0.4)
        peer_growth = growth + rng.normal(0.0, 0.04)
        log_orders = (
            level
            + peer_growth * t_years
            + weekly
            + season * rng.uniform(0.9, 1.1)
            + market
            + rng.normal(0.0, noise, n_days)
        )
        orders = np.exp(log_orders)
        aov = np.exp(math.log(rng.uniform(25.0, 60.0)) + rng.normal(0.0, noise / 2.0, n_days))
        peers[f"peer-{index}"] = pl.DataFrame(
            {
                "ds": pl.Series("ds", days, dtype=pl.Date),
                "revenue": np.round(orders * aov, 2),
                "orders": np.round(orders, 3),
            }
        )
    return peers


def _simulate_products(
    rng: np.random.Generator,
    days: list[date],
    weekly: np.ndarray,
    season: np.ndarray,
    slow_season: np.ndarray,
) -> tuple[pl.DataFrame, dict[str, float]]:
    """Product sales with weekly-changing prices: discounts come more often in slow months."""
    n_days = len(days)
    week_index = np.arange(n_days) // 7
    n_weeks = int(week_index.max()) + 1
    slow_week = np.array([slow_season[week_index == w].mean() > 0.5 for w in range(n_weeks)])
    frames = []
    elasticities: dict[str, float] = {}
    for index, elasticity in enumerate(rng.uniform(-2.2, -0.6, size=4)):
        product_id = f"P{index + 1}"
        elasticities[product_id] = float(elasticity)
        base_price = rng.uniform(5.0, 40.0)
        discount_probability = np.where(slow_week, 0.45, 0.2)
        discounted = rng.uniform(size=n_weeks) < discount_probability
        discount = np.where(discounted, rng.uniform(0.05, 0.25, n_weeks), 0.0)
        log_price = math.log(base_price) + np.log1p(-discount)[week_index]
        log_units = (
            rng.uniform(2.0, 3.5)
            + weekly
            + season
            + elasticity * (log_price - math.log(base_price))
            + rng.normal(0.0, 0.1, n_days)
        )
        frames.append(
            pl.DataFrame(
                {
                    "ds": pl.Series("ds", days, dtype=pl.Date),
                    "product_id": [product_id] * n_days,
                    "price": np.round(np.exp(log_price), 2),
                    "units": np.round(np.exp(log_units), 3),
                }
            )
        )
    products = pl.concat(frames).with_columns((pl.col("price") * pl.col("units")).alias("revenue"))
    return products, elasticities
