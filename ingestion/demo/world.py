"""`simulate()` and `DemoWorld`: the demo businesses' histories, their API-shaped records and ground truth.

The world is a deterministic function of (seed, start, scale) and the day: simulating to a later end date
reproduces every record whose last change is on or before the earlier end date exactly, and shows later
changes (refunds, payments, cancellations, approvals) with a cursor after it. See docs/demo-data.md.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any
from uuid import UUID

import numpy as np
import polars as pl

from .behaviour import BEHAVIOURS
from .engine_demand import hill
from .engine_tenant import RunOptions, TenantRun, UnknownMetricError, run_tenant
from .ids import homebase_id, shopify_id, stripe_id
from .interventions import INTERVENTIONS, GroundTruthEffect, Intervention
from .profiles import TENANTS, TENANTS_BY_SLUG, TenantProfile, scale_copies
from .profiles import peer_copies as make_peer_copies
from .resources import BUILDERS, DEFECT_KINDS, DEFECTS, SPECS, ResourceSpec, defect_applies
from .shapes_ads import campaign_id
from .shapes_common import ShapeContext

DEFAULT_START = date(2023, 11, 1)
DEFAULT_END = date(2026, 10, 31)
MAX_SCALE = 50.0
MALFORMED_ID_OFFSET = 900_000_000


class DemoConfigError(ValueError):
    """A `simulate()` argument or a `DemoWorld` query names something that does not exist or cannot work."""


@dataclass(frozen=True)
class DataGap:
    tenant_id: str
    tenant_slug: str
    source: str | None  # None: the business was closed, every source is quiet
    start_date: date
    end_date: date
    kind: str  # closed | missing_data
    reason: str


@dataclass(frozen=True)
class InjectedDefect:
    tenant_id: str
    tenant_slug: str
    source: str
    resource: str
    kind: str
    path: tuple[str | int, ...]
    description: str


def simulate(
    seed: int = 42,
    start: date | None = None,
    end: date = DEFAULT_END,
    scale: float = 1.0,
    *,
    tenants: Sequence[str] | None = None,
    interventions_off: Iterable[str] = (),
    malformed: Mapping[str, Sequence[str]] | None = None,
    peer_copies: int = 0,
    peer_history_days: int | None = None,
    tenant_copies: int = 1,
) -> DemoWorld:
    """Simulate the demo businesses from `start` (default 2023-11-01) through `end` (default 2026-10-31).

    seed: every random draw derives from it. scale: multiplies demand (orders, appointments, trials,
    projects) and with it staff and spend. tenants: slugs to simulate (default all). interventions_off:
    intervention ids to switch off, which gives the counterfactual world. malformed: per tenant slug, a list
    of "source.resource" or "source.resource:kind" (kinds: missing_id, wrong_type, negative_quantity,
    unknown_currency, broken_encoding; default wrong_type) to add one bad record to that stream.
    peer_copies: benchmark peers per simulated business (profiles.peer_copies: same trade, size and place,
    own seed, name and id), simulated over the last ``peer_history_days`` days only (all days if None):
    they give every industry a like-for-like peer group at little cost.
    tenant_copies: how many times each catalogue business is in the world (KEEL_DEMO_SCALE): copies 2..n
    are full-weight tenants (profiles.scale_copies: own slug ``<slug>-x<n>``, id, name and draws, the
    owner's interventions under their own ids); ``tenants`` then names catalogue businesses or copies.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise DemoConfigError(f"seed must be a non-negative integer, got {seed!r}")
    start = DEFAULT_START if start is None else start
    if not isinstance(start, date) or not isinstance(end, date):
        raise DemoConfigError(f"start and end must be dates, got {start!r} and {end!r}")
    if start > end:
        raise DemoConfigError(f"start {start} is after end {end}")
    if not (0 < float(scale) <= MAX_SCALE):
        raise DemoConfigError(f"scale must be in (0, {MAX_SCALE}], got {scale!r}")
    if isinstance(tenant_copies, bool) or not isinstance(tenant_copies, int) or tenant_copies < 1:
        raise DemoConfigError(f"tenant_copies must be a whole number of 1 or more, got {tenant_copies!r}")
    every = tuple(c for t in TENANTS for c in (t, *scale_copies(t, tenant_copies)))
    if tenants is None:
        profiles = every
    else:
        known = {t.slug for t in every}
        unknown = [s for s in tenants if s not in known]
        if unknown:
            raise DemoConfigError(f"unknown tenant slugs {unknown}; known: {sorted(TENANTS_BY_SLUG)}")
        profiles = tuple(t for t in every if t.slug in set(tenants))
    off = frozenset(interventions_off)
    known_ids = {i.intervention_id for i in INTERVENTIONS} | set(_response_ids())
    if off - known_ids:
        raise DemoConfigError(f"unknown intervention ids {sorted(off - known_ids)}")
    if isinstance(peer_copies, bool) or not isinstance(peer_copies, int) or peer_copies < 0:
        raise DemoConfigError(f"peer_copies must be a whole number of 0 or more, got {peer_copies!r}")
    if peer_history_days is not None and peer_history_days < 1:
        raise DemoConfigError(f"peer_history_days must be at least 1, got {peer_history_days!r}")
    defects = _parse_malformed(malformed or {}, profiles)
    options = RunOptions(seed=int(seed), start=start, end=end, scale=float(scale), disabled=off)
    runs = {
        p.slug: run_tenant(p, replace(options, channels_off=_channels_off(p.slug, off))) for p in profiles
    }
    peers = tuple(copy for p in profiles for copy in make_peer_copies(p, peer_copies))
    if peers:
        peer_start = (
            start if peer_history_days is None else max(start, end - timedelta(days=peer_history_days - 1))
        )
        peer_options = replace(options, start=peer_start)
        runs.update({p.slug: run_tenant(p, peer_options) for p in peers})
    return DemoWorld(options, profiles + peers, runs, defects)


def _response_ids() -> dict[str, tuple[str, str]]:
    """Ground-truth ids of the ad channels' responses: `<slug>/marketing-response/<channel>`."""
    return {
        f"{slug}/marketing-response/{c.channel}": (slug, c.channel)
        for slug, behaviour in BEHAVIOURS.items()
        for c in behaviour.channels
    }


def _channels_off(slug: str, off: frozenset[str]) -> frozenset[str]:
    """Switching a channel's response off means the same world with that channel's spend at zero."""
    return frozenset(channel for rid, (s, channel) in _response_ids().items() if rid in off and s == slug)


def _parse_malformed(
    malformed: Mapping[str, Sequence[str]], profiles: tuple[TenantProfile, ...]
) -> dict[tuple[str, str], list[InjectedDefect]]:
    slugs = {p.slug: p for p in profiles}
    out: dict[tuple[str, str], list[InjectedDefect]] = {}
    for slug, entries in malformed.items():
        if slug not in slugs:
            raise DemoConfigError(f"malformed names tenant {slug!r}, which is not simulated")
        if isinstance(entries, str):
            raise DemoConfigError(
                f"malformed[{slug!r}] must be a list of 'source.resource[:kind]', got a string"
            )
        profile = slugs[slug]
        for entry in entries:
            name, _, kind = entry.partition(":")
            kind = kind or "wrong_type"
            if name not in SPECS:
                raise DemoConfigError(f"malformed names unknown resource {name!r}; known: {sorted(SPECS)}")
            if kind not in DEFECT_KINDS:
                raise DemoConfigError(f"malformed kind {kind!r} is not one of {DEFECT_KINDS}")
            spec = SPECS[name]
            if not profile.uses(spec.source):
                raise DemoConfigError(f"tenant {slug!r} does not use source {spec.source!r}")
            if not defect_applies(name, kind):
                raise DemoConfigError(f"defect {kind!r} does not apply to {name}")
            path: tuple[str | int, ...]
            if kind == "missing_id":
                path = (spec.primary_key[1],)
                what = f"{path[0]} removed"
            else:
                path, value = getattr(DEFECTS[name], kind)
                what = f"{'.'.join(map(str, path))} set to {value!r}"
            out.setdefault((slug, name), []).append(
                InjectedDefect(str(profile.tenant_id), slug, spec.source, spec.name, kind, path, what)
            )
    return out


class DemoWorld:
    """The simulated businesses. Records are built on demand from the simulated history."""

    def __init__(
        self,
        options: RunOptions,
        tenants: tuple[TenantProfile, ...],
        runs: dict[str, TenantRun],
        defects: dict[tuple[str, str], list[InjectedDefect]],
    ) -> None:
        self.options = options
        self.tenants = tenants
        self._runs = runs
        self._defects = defects
        self._by_id = {str(t.tenant_id): t for t in tenants}

    @property
    def seed(self) -> int:
        return self.options.seed

    @property
    def start(self) -> date:
        return self.options.start

    @property
    def end(self) -> date:
        return self.options.end

    @property
    def scale(self) -> float:
        return self.options.scale

    @property
    def malformed(self) -> list[InjectedDefect]:
        return [d for defects in self._defects.values() for d in defects]

    def tenant(self, tenant: str | UUID) -> TenantProfile:
        """A simulated tenant by id (uuid or its string) or slug."""
        key = str(tenant)
        profile = self._by_id.get(key) or next((t for t in self.tenants if t.slug == key), None)
        if profile is None:
            raise DemoConfigError(f"tenant {key!r} is not simulated in this world")
        return profile

    def run(self, tenant: str | UUID) -> TenantRun:
        return self._runs[self.tenant(tenant).slug]

    # ----------------------------------------------------------------------------------------- records

    def resources(self, source: str | None = None) -> list[ResourceSpec]:
        """Resource specs of the sources some simulated tenant uses (optionally one source)."""
        used = {s for t in self.tenants for s in t.sources}
        if source is not None and source not in {spec.source for spec in SPECS.values()}:
            raise DemoConfigError(f"unknown source {source!r}")
        return [
            spec
            for spec in SPECS.values()
            if spec.source in used and (source is None or spec.source == source)
        ]

    def records(
        self, source: str, resource: str, tenant_id: str | UUID, since: datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        """API-shaped records of one resource of one tenant, in cursor order (empty if not used).

        ``since``: the records whose cursor is at or after it are all given; older ones may be left out
        unbuilt (``shapes_common``), as an API asked for changes since a moment answers.
        """
        name = f"{source}.{resource}"
        if name not in SPECS:
            raise DemoConfigError(f"unknown resource {name!r}; known: {sorted(SPECS)}")
        profile = self.tenant(tenant_id)
        if not profile.uses(source) or self._runs[profile.slug].n_days == 0:
            return iter(())
        defects = self._defects.get((profile.slug, name))
        # an injected defect copies the stream's first record: the whole stream, so it stays the same one
        lower = None if since is None or defects else math.floor(since.timestamp())
        context = ShapeContext(self._runs[profile.slug], since=lower)
        stream = _with_tenant(BUILDERS[name](context), str(profile.tenant_id))
        if defects:
            return _inject(stream, SPECS[name], defects)
        return stream

    def record_counts(self) -> dict[str, int]:
        """Number of records per `source.resource` over all tenants (builds every record once)."""
        counts: dict[str, int] = {}
        for spec in self.resources():
            counts[spec.qualified_name] = sum(
                sum(1 for _ in self.records(spec.source, spec.name, t.tenant_id)) for t in self.tenants
            )
        return counts

    # ------------------------------------------------------------------------------------ truth tables

    @property
    def data_gaps(self) -> list[DataGap]:
        gaps = []
        for t in self.tenants:
            behaviour = self._runs[t.slug].behaviour
            for first, last, reason in behaviour.closures:
                gaps.append(DataGap(str(t.tenant_id), t.slug, None, first, last, "closed", reason))
            for first, last, source, reason in behaviour.missing_data:
                gaps.append(DataGap(str(t.tenant_id), t.slug, source, first, last, "missing_data", reason))
        return [g for g in gaps if g.start_date <= self.end and g.end_date >= self.start]

    def daily_metric(self, tenant: str | UUID, metric: str, scope: str | None = None) -> pl.DataFrame:
        """`date, value` of a ground-truth metric (money in major units), from the complete history."""
        run = self.run(tenant)
        try:
            values = run.metric(metric, scope)
        except UnknownMetricError as exc:
            raise DemoConfigError(str(exc)) from exc
        dates = [date.fromordinal(int(o)) for o in run.days.ordinals]
        return pl.DataFrame({"date": dates, "value": values}, schema={"date": pl.Date, "value": pl.Float64})

    def daily_truth(self) -> pl.DataFrame:
        """One row per tenant and simulated day: what really happened, including what sources miss."""
        frames = [_daily_truth(self._runs[t.slug]) for t in self.tenants if self._runs[t.slug].n_days]
        return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()

    @cached_property
    def ground_truth(self) -> list[GroundTruthEffect]:
        """Known effects of every intervention (and of each ad channel) inside the simulated range.

        Computed on first use: each needs one counterfactual run of its tenant.
        """
        rows: list[GroundTruthEffect] = []
        for t in self.tenants:
            if not t.is_benchmark_peer:  # peers feed the benchmarks only: no interventions, no evidence
                rows.extend(_ground_truth(self._runs[t.slug]))
        return rows

    def ground_truth_frame(self) -> pl.DataFrame:
        rows = [g.as_dict() for g in self.ground_truth]
        for row in rows:
            for key in ("response_curve", "evidence", "active_weekdays"):
                row[key] = None if row[key] is None else str(row[key])
        return pl.DataFrame(rows, infer_schema_length=None)


def _with_tenant(stream: Iterator[dict[str, Any]], tenant_id: str) -> Iterator[dict[str, Any]]:
    for record in stream:
        record.setdefault("tenant_id", tenant_id)
        yield record


def _set_path(record: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    target: Any = record
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _fresh_id(value: Any) -> Any:
    if isinstance(value, int):
        return value + MALFORMED_ID_OFFSET
    text = str(value)
    if text.isdigit():
        return str(int(text) + MALFORMED_ID_OFFSET)
    prefix, _, rest = text.partition("_")
    return f"{prefix}_MALFORMED{rest[9:]}" if rest else f"MALFORMED{text}"


def _inject(
    stream: Iterator[dict[str, Any]], spec: ResourceSpec, defects: list[InjectedDefect]
) -> Iterator[dict[str, Any]]:
    """Yield the stream with one bad copy of its first record per defect, right after that record."""
    first = next(stream, None)
    if first is None:
        raise DemoConfigError(f"{spec.qualified_name} of {defects[0].tenant_slug} has no record to corrupt")
    yield first
    key = spec.primary_key[1]
    for defect in defects:
        bad = copy.deepcopy(first)
        bad[key] = _fresh_id(bad[key])
        if defect.kind == "missing_id":
            del bad[key]
        else:
            _set_path(bad, defect.path, getattr(DEFECTS[spec.qualified_name], defect.kind)[1])
        yield bad
    yield from stream


def _dates(run: TenantRun) -> list[date]:
    return [date.fromordinal(int(o)) for o in run.days.ordinals]


def _daily_truth(run: TenantRun) -> pl.DataFrame:
    n = run.n_days
    demand = run.demand
    profile = run.profile
    missing_any = np.zeros(n, dtype=bool)
    for mask in run.missing.values():
        missing_any |= mask
    columns: dict[str, Any] = {
        "tenant_id": [str(profile.tenant_id)] * n,
        "tenant_slug": [profile.slug] * n,
        "date": _dates(run),
        "currency": [profile.currency] * n,
        "is_open": demand.is_open,
        "closed_reason": demand.closed_reason,
        "holiday_name": list(run.days.holiday_name),
        "is_outlier": demand.is_outlier,
        "data_missing": missing_any,
        "expected_demand": np.round(demand.latent, 4),
        "marketing_multiplier": np.round(demand.marketing_multiplier, 6),
        "ad_spend": np.round(sum((c.spend for c in demand.channels), np.zeros(n)), 2),
    }
    if run.sales is not None:
        s = run.sales
        line_day = s.o_day[s.l_order]
        columns.update(
            {
                "orders": np.bincount(s.o_day, minlength=n),
                "units": np.bincount(line_day, weights=s.l_qty, minlength=n).astype(np.int64),
                "gross_revenue": np.bincount(s.o_day, weights=s.o_gross, minlength=n) / 100.0,
                "discounts": np.bincount(s.o_day, weights=s.o_discount, minlength=n) / 100.0,
                "net_revenue": run.metric("net_revenue"),
                "tax": np.bincount(s.o_day, weights=s.o_tax, minlength=n) / 100.0,
                "refunds": _refunds_by_day(run) / 100.0,
                "lost_units": s.lost_units,
                "lost_revenue": s.lost_revenue / 100.0,
            }
        )
    if run.saas is not None:
        r = run.saas
        columns.update(
            {
                "net_revenue": r.collected / 100.0,
                "mrr": r.mrr / 100.0,
                "active_subscriptions": r.active_paid,
                "new_trials": r.new_trials,
                "new_paid_subscriptions": run.metric("new_paid_subscriptions").astype(np.int64),
                "churned_subscriptions": r.churned,
            }
        )
    if run.services is not None:
        columns.update({"orders": run.services.invoice_count, "net_revenue": run.services.revenue / 100.0})
    if run.staff is not None:
        columns.update(
            {"staff_hours": np.round(run.staff.hours, 2), "labor_cost": run.staff.labor_cost / 100.0}
        )
    return pl.DataFrame(columns)


def _refunds_by_day(run: TenantRun) -> np.ndarray:
    s = run.sales
    assert s is not None
    happened = (s.o_refund_day >= 0) & (s.o_refund_day < run.n_days)
    return np.bincount(s.o_refund_day[happened], weights=s.o_refund_amount[happened], minlength=run.n_days)


# ------------------------------------------------------------------------------------------ ground truth


def _targets(run: TenantRun, intervention: Intervention | None) -> tuple[str, str | None, str, str]:
    """(target metric, scope, revenue metric, what the units count)."""
    saas = run.saas is not None
    if intervention is not None and intervention.kind == "price_change":
        if saas:
            return (
                "new_paid_subscriptions",
                intervention.sku,
                "new_mrr",
                "new paid subscriptions (trial cohort)",
            )
        counted = "appointments" if run.behaviour.kind == "appointments" else "units"
        return "units", intervention.sku, "net_revenue", counted
    if saas:
        return "new_trials", None, "new_mrr", "new trials"
    if run.services is not None:
        return "net_revenue", None, "net_revenue", "invoices"
    return (
        "net_revenue",
        None,
        "net_revenue",
        "appointments" if run.behaviour.kind == "appointments" else "units",
    )


def _units_metric(run: TenantRun, target: str) -> str:
    return target if target != "net_revenue" else ("orders" if run.services is not None else "units")


def _effect(world: np.ndarray, counterfactual: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    if not mask.any():
        return 0.0, 0.0
    w, c = world[mask], counterfactual[mask]
    absolute = float(np.mean(w - c))
    relative = float(w.sum() / c.sum() - 1.0) if c.sum() != 0 else 0.0
    return absolute, relative


def _naive(series: np.ndarray, mask: np.ndarray, eligible: np.ndarray) -> tuple[float | None, float | None]:
    """Window mean against the mean of as many eligible days just before the window."""
    active = np.flatnonzero(mask)
    if len(active) == 0:
        return None, None
    before = np.flatnonzero(eligible[: active[0]])[-len(active) :]
    if len(before) < max(1, len(active) // 2):
        return None, None
    after_mean, before_mean = float(series[active].mean()), float(series[before].mean())
    return after_mean - before_mean, (after_mean / before_mean - 1.0) if before_mean else None


def _response_curve(run: TenantRun, channel: str, window: np.ndarray) -> dict[str, Any]:
    spend = next(c for c in run.demand.channels if c.channel.channel == channel)
    c = spend.channel
    total = spend.spend[window]
    return {
        "channel": channel,
        "beta": c.beta,
        "half_saturation": round(spend.half_saturation, 4),
        "shape": c.shape,
        "adstock_decay": c.decay,
        "formula": (
            "demand multiplier contribution = beta * A^shape / (A^shape + half_saturation^shape), "
            "A_t = spend_t + adstock_decay * A_(t-1), spend in major currency units per day"
        ),
        "mean_daily_spend": round(float(total.mean()), 2) if len(total) else 0.0,
        "total_spend": round(float(total.sum()), 2),
        "mean_response": round(float(spend.response[window].mean()), 6) if len(total) else 0.0,
        "steady_state_response_at_mean_spend": round(
            float(hill(np.array([total.mean() / (1 - c.decay)]), c, spend.half_saturation)[0]), 6
        )
        if len(total)
        else 0.0,
    }


def _evidence(run: TenantRun, intervention: Intervention) -> dict[str, Any]:
    slug = run.profile.slug
    if intervention.kind == "promotion":
        if run.profile.uses("shopify") and run.sales is not None:
            index = next(
                i
                for i, p in enumerate(run.sales.promotions)
                if p.intervention_id == intervention.intervention_id
            )
            return {
                "source": "shopify",
                "resource": "discount_codes",
                "code": intervention.code,
                "price_rule_id": shopify_id("price_rule", slug, index + 1),
            }
        return {
            "source": "stripe",
            "resource": "charges",
            "field": "metadata.promo_code",
            "value": intervention.code,
        }
    if intervention.kind == "price_change":
        if run.saas is not None:
            versions = run.saas.price_versions[intervention.sku or ""]
            return {
                "source": "stripe",
                "resource": "subscriptions",
                "field": "items.data.price.id",
                "price_id_before": stripe_id("price", slug, "price", f"{intervention.sku}:0"),
                "price_id_after": stripe_id(
                    "price", slug, "price", f"{intervention.sku}:{len(versions) - 1}"
                ),
            }
        products = run.behaviour.products
        index = next(i for i, p in enumerate(products) if p.sku == intervention.sku)
        if run.profile.uses("shopify"):
            return {
                "source": "shopify",
                "resource": "products",
                "sku": intervention.sku,
                "product_id": shopify_id("product", slug, index + 1),
                "variant_id": shopify_id("variant", slug, index + 1),
            }
        return {
            "source": "stripe",
            "resource": "charges",
            "field": "metadata.service_code",
            "value": intervention.sku,
        }
    if intervention.kind == "staffing_change" and run.staff is not None:
        seq = next(e.seq for e in run.staff.employees if e.intervention_id == intervention.intervention_id)
        return {
            "source": "shifts",
            "resource": "employees",
            "employee_id": homebase_id("employee", slug, seq),
            "role": intervention.role,
        }
    if intervention.kind == "marketing_campaign":
        ctx = ShapeContext(run)
        return {
            "source": "ads",
            "resource": "campaigns",
            "campaign_name": intervention.campaign_name,
            "campaign_id": campaign_id(ctx, intervention.channel or "", intervention.campaign_name or ""),
        }
    return {}


def _designed(run: TenantRun, intervention: Intervention, mask: np.ndarray, cf: TenantRun) -> float | None:
    if intervention.kind == "promotion":
        return (1 + intervention.uplift) * (1 - intervention.code_share * intervention.discount_pct) - 1
    if intervention.kind == "staffing_change":
        return intervention.uplift
    if intervention.kind == "price_change":
        old, new = _prices(run, intervention)
        elasticity = _elasticity(run, intervention)
        return float((new / old) ** elasticity - 1)
    if intervention.kind == "marketing_campaign" and mask.any():
        ratio = run.demand.marketing_multiplier[mask] / cf.demand.marketing_multiplier[mask]
        return float(ratio.mean() - 1)
    return None


def _prices(run: TenantRun, intervention: Intervention) -> tuple[float, float]:
    if run.saas is not None:
        versions = run.saas.price_versions[intervention.sku or ""]
        return versions[0][1] / 100.0, versions[-1][1] / 100.0
    product = next(p for p in run.behaviour.products if p.sku == intervention.sku)
    return product.price / 100.0, (intervention.new_price or product.price) / 100.0


def _elasticity(run: TenantRun, intervention: Intervention) -> float:
    if intervention.elasticity is not None:
        return intervention.elasticity
    return next(p.elasticity for p in run.behaviour.products if p.sku == intervention.sku)


def _ground_truth(run: TenantRun) -> list[GroundTruthEffect]:
    if run.n_days == 0:
        return []
    rows = []
    ordinals = run.days.ordinals
    first, last = run.first_ordinal, run.last_ordinal
    for intervention in run.interventions:
        window_start, window_end = intervention.window
        if window_start.toordinal() > last or window_end.toordinal() < first:
            continue
        options = replace(
            run.options, disabled=run.options.disabled | {intervention.intervention_id}, metrics_only=True
        )
        cf = run_tenant(run.profile, options)
        in_window = (ordinals >= window_start.toordinal()) & (ordinals <= window_end.toordinal())
        eligible = intervention.active(ordinals, run.days.weekday) | (
            ordinals < intervention.start.toordinal()
        )
        if intervention.weekdays is not None:
            eligible &= np.isin(run.days.weekday, intervention.weekdays)
        eligible &= run.demand.is_open
        mask = in_window & eligible & intervention.active(ordinals, run.days.weekday)
        target, scope, revenue_metric, unit = _targets(run, intervention)
        rows.append(
            _row(
                run,
                cf,
                intervention.intervention_id,
                intervention.kind,
                mask,
                eligible,
                target,
                scope,
                revenue_metric,
                unit,
                intervention,
                None,
                max(window_start, date.fromordinal(first)),
                min(window_end, date.fromordinal(last)),
            )
        )
    for spend in run.demand.channels:
        channel = spend.channel.channel
        if channel in run.options.channels_off:
            continue
        options = replace(run.options, channels_off=run.options.channels_off | {channel}, metrics_only=True)
        cf = run_tenant(run.profile, options)
        mask = run.demand.is_open.copy()
        target, scope, revenue_metric, unit = _targets(run, None)
        rows.append(
            _row(
                run,
                cf,
                f"{run.profile.slug}/marketing-response/{channel}",
                "marketing_response",
                mask,
                mask,
                target,
                scope,
                revenue_metric,
                unit,
                None,
                _response_curve(run, channel, mask),
                date.fromordinal(first),
                date.fromordinal(last),
            )
        )
    return rows


def _row(
    run: TenantRun,
    cf: TenantRun,
    intervention_id: str,
    kind: str,
    mask: np.ndarray,
    eligible: np.ndarray,
    target: str,
    scope: str | None,
    revenue_metric: str,
    unit: str,
    intervention: Intervention | None,
    response_curve: dict[str, Any] | None,
    start: date,
    end: date,
) -> GroundTruthEffect:
    profile = run.profile
    revenue = _effect(run.metric(revenue_metric, scope), cf.metric(revenue_metric, scope), mask)
    units_metric = _units_metric(run, target)
    units = _effect(run.metric(units_metric, scope), cf.metric(units_metric, scope), mask)
    primary = revenue if target == revenue_metric else units
    naive_abs: float | None = None
    naive_rel: float | None = None
    naive_method: str | None = None
    if intervention is not None:
        naive_abs, naive_rel = _naive(run.metric(target, scope), mask, eligible)
        naive_method = (
            "mean of the target over the window's active days minus its mean over as many eligible days "
            "(same weekdays, open) just before the start, in the world's own data"
        )
    if intervention is not None and intervention.channel is not None:
        response_curve = _response_curve(run, intervention.channel, mask)
    price_before = price_after = elasticity = None
    if intervention is not None and intervention.kind == "price_change":
        price_before, price_after = _prices(run, intervention)
        elasticity = _elasticity(run, intervention)
    designed = (
        _designed(run, intervention, mask, cf)
        if intervention is not None
        else (
            float(np.mean(run.demand.marketing_multiplier[mask] / cf.demand.marketing_multiplier[mask]) - 1)
            if mask.any()
            else None
        )
    )
    money_target = target in ("net_revenue", "new_mrr")
    return GroundTruthEffect(
        tenant_id=str(profile.tenant_id),
        tenant_slug=profile.slug,
        intervention_id=intervention_id,
        kind=kind,  # type: ignore[arg-type]
        start_date=start,
        end_date=end,
        active_weekdays=intervention.weekdays if intervention is not None else None,
        active_days=int(mask.sum()),
        target_metric=target,
        target_scope=scope,
        unit=profile.currency if money_target else unit,
        currency=profile.currency,
        true_effect_abs_daily=round(primary[0], 6),
        true_effect_rel=round(primary[1], 6),
        true_revenue_effect_abs_daily=round(revenue[0], 6),
        true_revenue_effect_rel=round(revenue[1], 6),
        true_units_effect_abs_daily=round(units[0], 6),
        true_units_effect_rel=round(units[1], 6),
        designed_effect_rel=None if designed is None else round(designed, 6),
        elasticity=elasticity,
        price_before=price_before,
        price_after=price_after,
        discount_pct=intervention.discount_pct
        if intervention is not None and intervention.kind == "promotion"
        else None,
        response_curve=response_curve,
        confounded=bool(intervention.confounded) if intervention is not None else False,
        naive_before_after_abs_daily=None if naive_abs is None else round(naive_abs, 6),
        naive_before_after_rel=None if naive_rel is None else round(naive_rel, 6),
        naive_method=naive_method,
        evidence=_evidence(run, intervention)
        if intervention is not None
        else {
            "source": "ads",
            "resource": "insights",
            "channel": response_curve["channel"] if response_curve else None,
        },
        description=intervention.description
        if intervention is not None
        else (
            f"True response of demand to {response_curve['channel'] if response_curve else 'ad'} spend over "
            "the whole history: the world against the same world with this channel's spend at zero."
        ),
    )
