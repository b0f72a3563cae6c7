"""One tenant's simulated history: demand, then sales / subscriptions / services, staff and books.

`run_tenant` is a pure function of (profile, options). Ground truth runs it twice — with and without an
intervention — and differences the daily metrics that `TenantRun.metric` computes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from .behaviour import BEHAVIOURS, Behaviour
from .calendar_features import DayFeatures, day_features
from .clock import TenantClock
from .engine_books import BooksResult, simulate_books
from .engine_demand import LOOKAHEAD_DAYS, Demand, latent_demand
from .engine_sales import SalesResult, simulate_sales
from .engine_services import ServicesResult, simulate_services
from .engine_staff import StaffResult, simulate_staff, staff_need
from .engine_subscriptions import SaasResult, simulate_subscriptions
from .interventions import Intervention, interventions_for
from .keyed_random import KeyedRandom, stable_hash64
from .names import company_name
from .profiles import TenantProfile

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

METRICS = ("net_revenue", "units", "orders", "new_trials", "new_paid_subscriptions", "new_mrr")


class UnknownMetricError(ValueError):
    pass


@dataclass(frozen=True)
class RunOptions:
    seed: int
    start: date
    end: date
    scale: float
    disabled: frozenset[str] = frozenset()
    channels_off: frozenset[str] = frozenset()
    metrics_only: bool = False


@dataclass
class TenantRun:
    profile: TenantProfile
    behaviour: Behaviour
    options: RunOptions
    rng: KeyedRandom
    clock: TenantClock
    days: DayFeatures
    interventions: tuple[Intervention, ...]
    demand: Demand
    need: dict[str, npt.NDArray[np.int64]]
    missing: dict[str, BoolArray]
    sales: SalesResult | None = None
    saas: SaasResult | None = None
    services: ServicesResult | None = None
    staff: StaffResult | None = None
    books: BooksResult | None = None
    client_names: list[str] = field(default_factory=list)

    @property
    def n_days(self) -> int:
        return self.days.n

    @property
    def first_ordinal(self) -> int:
        return int(self.days.ordinals[0]) if self.days.n else self.options.end.toordinal() + 1

    @property
    def last_ordinal(self) -> int:
        return self.options.end.toordinal()

    def ordinal_of(self, day_index: int) -> int:
        """Ordinal of a day index, also past the simulated range (for events that have not happened)."""
        return self.first_ordinal + int(day_index)

    def metric(self, name: str, scope: str | None = None) -> FloatArray:
        """Daily series of a ground-truth metric over the simulated days. Money in major units."""
        n = self.n_days
        if name not in METRICS:
            raise UnknownMetricError(f"metric {name!r} is not one of {METRICS}")
        if self.sales is not None:
            s = self.sales
            mask = np.ones(len(s.l_order), dtype=bool)
            if scope is not None:
                index = next((i for i, p in enumerate(s.products) if p.sku == scope), None)
                if index is None:
                    raise UnknownMetricError(f"scope {scope!r} is not a product of {self.profile.slug}")
                mask = s.l_product == index
            line_day = s.o_day[s.l_order]
            if name == "net_revenue":
                values = (s.l_qty * s.l_price - s.l_discount)[mask] / 100.0
                return np.asarray(np.bincount(line_day[mask], weights=values, minlength=n), dtype=np.float64)
            if name == "units":
                return np.bincount(line_day[mask], weights=s.l_qty[mask], minlength=n).astype(np.float64)
            if name == "orders" and scope is None:
                return np.bincount(s.o_day, minlength=n).astype(np.float64)
        if self.saas is not None:
            r = self.saas
            plans = [scope] if scope is not None else list(r.new_paid)
            if any(p not in r.new_paid for p in plans):
                raise UnknownMetricError(f"scope {scope!r} is not a plan of {self.profile.slug}")
            if name == "new_trials" and scope is None:
                return r.new_trials.astype(np.float64)
            if name == "new_paid_subscriptions":
                return np.sum([r.new_paid[p] for p in plans], axis=0).astype(np.float64)
            if name == "new_mrr":
                return np.sum([r.new_mrr[p] for p in plans], axis=0) / 100.0
            if name == "net_revenue" and scope is None:
                return r.collected / 100.0
        if self.services is not None and scope is None:
            if name == "net_revenue":
                return self.services.revenue / 100.0
            if name in ("orders", "units"):
                return self.services.invoice_count.astype(np.float64)
        raise UnknownMetricError(
            f"metric {name!r} with scope {scope!r} does not apply to {self.profile.slug}"
        )


def _interventions(profile: TenantProfile) -> tuple[Intervention, ...]:
    """The owner's interventions: a full-weight copy (KEEL_DEMO_SCALE) makes the same ones as the business it
    copies, under its own ids (``<copy slug>/...``); a benchmark peer makes none."""
    if not profile.full_weight:
        return interventions_for(profile.slug)
    return tuple(
        replace(
            i,
            intervention_id=profile.slug + i.intervention_id.removeprefix(i.tenant_slug),
            tenant_slug=profile.slug,
        )
        for i in interventions_for(profile.behaviour_slug)
    )


def run_tenant(profile: TenantProfile, options: RunOptions) -> TenantRun:
    behaviour = BEHAVIOURS[profile.behaviour_slug]
    first = max(options.start, profile.opened_on)
    days = day_features(first, options.end, profile.country, profile.subdivision)
    lookahead = day_features(
        first, options.end + timedelta(days=LOOKAHEAD_DAYS), profile.country, profile.subdivision
    )
    rng = KeyedRandom(options.seed, profile.slug)
    interventions = tuple(i for i in _interventions(profile) if i.intervention_id not in options.disabled)
    demand = latent_demand(
        behaviour, profile.opened_on, days, lookahead, rng, options.scale, interventions, options.channels_off
    )
    need = staff_need(behaviour, days, demand, options.scale) if behaviour.staff else {}
    missing: dict[str, BoolArray] = {}
    for gap_start, gap_end, source, _ in behaviour.missing_data:
        span = (days.ordinals >= gap_start.toordinal()) & (days.ordinals <= gap_end.toordinal())
        missing[source] = missing.get(source, np.zeros(days.n, dtype=bool)) | span
    run = TenantRun(
        profile=profile,
        behaviour=behaviour,
        options=options,
        rng=rng,
        clock=TenantClock(profile.timezone),
        days=days,
        interventions=interventions,
        demand=demand,
        need=need,
        missing=missing,
    )
    start_ordinal = options.start.toordinal()
    opened_ordinal = profile.opened_on.toordinal()
    if behaviour.kind in ("shop", "appointments"):
        capacity = None
        if behaviour.capacity_role:
            capacity = need[behaviour.capacity_role] * behaviour.capacity_per_staff
        source = "shopify" if profile.uses("shopify") else "stripe"
        run.sales = simulate_sales(
            behaviour,
            days,
            demand,
            rng,
            interventions,
            capacity,
            start_ordinal,
            opened_ordinal,
            options.scale,
            with_customers=not options.metrics_only,
            missing_days=missing.get(source, np.zeros(days.n, dtype=bool)),
        )
    elif behaviour.kind == "subscriptions":
        run.saas = simulate_subscriptions(
            behaviour, days, demand, rng, interventions, start_ordinal, opened_ordinal, options.scale
        )
    elif behaviour.kind == "services":
        run.services = simulate_services(
            behaviour, days, demand, rng, start_ordinal, opened_ordinal, options.scale
        )
        run.client_names = _client_names(profile.slug, len(run.services.clients))
    if options.metrics_only:
        return run
    if profile.uses("shifts") and behaviour.staff:
        run.staff = simulate_staff(
            behaviour, days, demand, need, rng, interventions, opened_ordinal, options.scale
        )
    if profile.uses("quickbooks"):
        revenue = np.round(run.metric("net_revenue") * 100).astype(np.int64)
        run.books = simulate_books(
            behaviour,
            days,
            rng,
            opened_ordinal,
            options.scale,
            revenue,
            run.staff.labor_cost if run.staff is not None else None,
            demand.channels,
            run.sales.purchase_orders if run.sales is not None else [],
            behaviour.products,
            run.services,
            run.client_names,
        )
    return run


def _client_names(slug: str, count: int) -> list[str]:
    offset = stable_hash64(f"clients:{slug}") % 400
    return [company_name(offset + i) for i in range(count)]
