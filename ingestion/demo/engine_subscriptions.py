"""Subscription software: trials, conversions, monthly renewals, plan changes, failed payments and churn,
shaped for Stripe customers, subscriptions, invoices and charges.

A subscriber's fate at renewal r is decided by draws keyed by (signup, r), so the same subscriber makes
the same choices in every run. A cancellation is decided during the period before the renewal it stops
(the subscription shows `cancel_at_period_end` until the period ends), which is how a subscription record
can change after the day it was created.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from .behaviour import Behaviour, Plan, SaasParams
from .calendar_features import DayFeatures
from .engine_demand import Demand
from .interventions import Intervention
from .keyed_random import KeyedRandom, categorical_from_uniform, poisson_from_uniform

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
MAX_RENEWALS = 120  # ten years of monthly renewals
INITIAL_MAX_AGE_DAYS = 900


def add_months(day: date, months: int) -> date:
    """Calendar-month step with the day clamped to the month's end, as Stripe bills a 31st anchor."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class PlanSegment:
    start_ordinal: int
    start_sod: int
    plan: str
    price: int
    price_version: int


@dataclass
class SaasInvoice:
    subscription: int
    ordinal: int
    sod: int
    amount: int
    plan: str
    price_version: int
    period_start: int  # ordinal
    period_end: int
    billing_reason: str
    failed_first: bool
    paid_ordinal: int
    paid_sod: int


@dataclass
class Subscription:
    seq: int
    signup_ordinal: int
    signup_sod: int
    initial: bool
    trial_end_ordinal: int
    converted: bool
    segments: list[PlanSegment] = field(default_factory=list)
    canceled_ordinal: int | None = None  # when the customer asked to cancel
    canceled_sod: int = 0
    ended_ordinal: int | None = None  # when the subscription stopped
    ended_sod: int = 0
    cancel_reason: str | None = None
    anchor_ordinal: int = 0

    @property
    def first_plan(self) -> str:
        return self.segments[0].plan


@dataclass
class SaasResult:
    params: SaasParams
    price_versions: dict[str, list[tuple[int, int]]]  # plan -> [(from ordinal, price)]
    subscriptions: list[Subscription]
    invoices: list[SaasInvoice]
    new_trials: IntArray
    new_paid: dict[str, IntArray]  # per plan, by signup day
    new_mrr: dict[str, IntArray]  # per plan, by signup day
    mrr: IntArray
    active_paid: IntArray
    churned: IntArray
    collected: IntArray


def _price_versions(
    params: SaasParams, changes: tuple[Intervention, ...]
) -> dict[str, list[tuple[int, int]]]:
    versions = {p.code: [(0, p.monthly_price)] for p in params.plans}
    for change in sorted(changes, key=lambda c: c.start):
        if change.sku not in versions or change.new_price is None:
            raise ValueError(f"price change {change.intervention_id} names unknown plan {change.sku!r}")
        versions[change.sku].append((change.start.toordinal(), change.new_price))
    return versions


def _price_on(versions: list[tuple[int, int]], ordinal: int) -> tuple[int, int]:
    """(price, version index) in force on a day."""
    index = 0
    for i, (start, _) in enumerate(versions):
        if start <= ordinal:
            index = i
    return versions[index][1], index


@dataclass
class _Signups:
    """Everyone who ever started a subscription: the paying base at the start of the history (rows
    before ``n_initial``), then each simulated day's new trials. ``key_a``/``key_b`` key a subscriber's
    draws: (signup ordinal, k) for new ones, (-1 - i, 0) for the initial base."""

    trials_per_day: IntArray
    n_initial: int
    ordinal: IntArray
    sod: IntArray
    plan: IntArray
    key_a: IntArray
    key_b: IntArray
    conversion_u: npt.NDArray[np.float64]  # new trials only

    @property
    def n(self) -> int:
        return len(self.ordinal)


def _signups(
    behaviour: Behaviour,
    params: SaasParams,
    days: DayFeatures,
    demand: Demand,
    rng: KeyedRandom,
    start_ordinal: int,
    opened_ordinal: int,
    scale: float,
) -> _Signups:
    ordinals = days.ordinals
    n_days = days.n
    # new trials
    counts = poisson_from_uniform(rng.uniform("saas:count", ordinals), demand.latent)
    n_new = int(counts.sum())
    s_day = np.repeat(np.arange(n_days), counts)
    s_k = np.arange(n_new) - np.repeat(np.cumsum(counts) - counts, counts)
    s_ord = ordinals[s_day]
    hourly = np.asarray(behaviour.hourly, dtype=np.float64)
    s_sod = categorical_from_uniform(rng.uniform("saas:signup", s_ord, s_k, 0), hourly) * 3600 + np.floor(
        rng.uniform("saas:signup", s_ord, s_k, 1) * 3600
    ).astype(np.int64)
    weights = np.array([p.choice_weight for p in params.plans])
    s_plan = categorical_from_uniform(rng.uniform("saas:signup", s_ord, s_k, 2), weights)
    conv_u = rng.uniform("saas:signup", s_ord, s_k, 3)

    # the base of subscribers already paying when the simulated history starts
    n_initial = round(params.initial_subscribers * scale) if opened_ordinal < start_ordinal else 0
    i_idx = np.arange(n_initial)
    max_age = min(INITIAL_MAX_AGE_DAYS, start_ordinal - opened_ordinal)
    i_age = (
        params.trial_days
        + 1
        + np.floor(rng.uniform("saas:initial", i_idx, 0) * max(max_age - params.trial_days, 1))
    )
    i_ord = start_ordinal - i_age.astype(np.int64)
    i_sod = (8 * 3600 + np.floor(rng.uniform("saas:initial", i_idx, 1) * 36000)).astype(np.int64)
    i_plan = categorical_from_uniform(rng.uniform("saas:initial", i_idx, 2), weights)
    return _Signups(
        trials_per_day=counts.astype(np.int64),
        n_initial=n_initial,
        ordinal=np.concatenate([i_ord, s_ord]).astype(np.int64),
        sod=np.concatenate([i_sod, s_sod]).astype(np.int64),
        plan=np.concatenate([i_plan, s_plan]).astype(np.int64),
        key_a=np.concatenate([-1 - i_idx, s_ord]).astype(np.int64),
        key_b=np.concatenate([np.zeros(n_initial, dtype=np.int64), s_k]).astype(np.int64),
        conversion_u=conv_u,
    )


def _conversions(
    signups: _Signups,
    plans: dict[str, Plan],
    plan_codes: list[str],
    versions: dict[str, list[tuple[int, int]]],
    elasticity: dict[str | None, float],
) -> npt.NDArray[np.bool_]:
    """Which trials become paying: decided at signup from the price then in force (the initial base
    pays already)."""
    converted = np.ones(signups.n, dtype=bool)
    for row in range(signups.n_initial, signups.n):
        code = plan_codes[int(signups.plan[row])]
        price, _ = _price_on(versions[code], int(signups.ordinal[row]))
        factor = (price / versions[code][0][1]) ** elasticity.get(code, 0.0)
        converted[row] = signups.conversion_u[row - signups.n_initial] < plans[code].conversion * factor
    return converted


@dataclass
class _RenewalDraws:
    """One row of draws per paying subscriber and renewal (churn, when in the period it is decided, plan
    move, failed payment), keyed by the subscriber and the renewal."""

    churn: FloatArray
    when: FloatArray
    move: FloatArray
    fail: FloatArray
    row_of: IntArray  # per signup, its row of draws (-1: never paid)

    def of(self, signup: int) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        row = self.row_of[signup]
        return self.churn[row], self.when[row], self.move[row], self.fail[row]


def _renewal_draws(
    rng: KeyedRandom,
    signups: _Signups,
    converted: npt.NDArray[np.bool_],
    start_ordinal: int,
    last_ordinal: int,
) -> _RenewalDraws:
    """Enough renewals to reach the last simulated day from the earliest signup (at most ten years)."""
    paying = np.flatnonzero(converted)
    earliest = int(signups.ordinal.min()) if signups.n else start_ordinal
    n_renewals = min(MAX_RENEWALS, (last_ordinal - earliest) // 28 + 3)
    renewals = np.arange(n_renewals + 1)[None, :]
    ka, kb = signups.key_a[paying][:, None], signups.key_b[paying][:, None]
    row_of = np.full(signups.n, -1, dtype=np.int64)
    row_of[paying] = np.arange(len(paying))
    return _RenewalDraws(
        churn=rng.uniform("saas:churn", ka, kb, renewals),
        when=rng.uniform("saas:cancel-when", ka, kb, renewals),
        move=rng.uniform("saas:plan-move", ka, kb, renewals),
        fail=rng.uniform("saas:payment", ka, kb, renewals),
        row_of=row_of,
    )


def _new_subscription(
    row: int,
    signups: _Signups,
    converted: bool,
    plan_codes: list[str],
    versions: dict[str, list[tuple[int, int]]],
    trial_days: int,
) -> Subscription:
    """Signup ``row`` as a subscription on its first plan at the price then in force; a trial that does
    not convert is canceled at its end."""
    signup = int(signups.ordinal[row])
    plan_code = plan_codes[int(signups.plan[row])]
    trial_end = signup + trial_days
    price, version = _price_on(versions[plan_code], signup)
    sub = Subscription(
        seq=row,
        signup_ordinal=signup,
        signup_sod=int(signups.sod[row]),
        initial=row < signups.n_initial,
        trial_end_ordinal=trial_end,
        converted=converted,
        anchor_ordinal=trial_end,
    )
    sub.segments.append(PlanSegment(signup, int(signups.sod[row]), plan_code, price, version))
    if not sub.initial and not converted:
        sub.canceled_ordinal = sub.ended_ordinal = trial_end
        sub.canceled_sod = sub.ended_sod = sub.signup_sod
        sub.cancel_reason = "cancellation_requested"
    return sub


def simulate_subscriptions(
    behaviour: Behaviour,
    days: DayFeatures,
    demand: Demand,
    rng: KeyedRandom,
    interventions: tuple[Intervention, ...],
    start_ordinal: int,
    opened_ordinal: int,
    scale: float,
) -> SaasResult:
    params = behaviour.saas
    if params is None:
        raise ValueError("subscription engine needs SaasParams")
    plans: dict[str, Plan] = {p.code: p for p in params.plans}
    plan_codes = [p.code for p in params.plans]
    changes = tuple(i for i in interventions if i.kind == "price_change")
    versions = _price_versions(params, changes)
    elasticity = {c.sku: c.elasticity or 0.0 for c in changes}
    ordinals = days.ordinals
    n_days = days.n
    last_ordinal = int(ordinals[-1]) if n_days else start_ordinal - 1

    signups = _signups(behaviour, params, days, demand, rng, start_ordinal, opened_ordinal, scale)
    converted = _conversions(signups, plans, plan_codes, versions, elasticity)
    draws = _renewal_draws(rng, signups, converted, start_ordinal, last_ordinal)

    subscriptions: list[Subscription] = []
    invoices: list[SaasInvoice] = []
    new_paid = {c: np.zeros(n_days, dtype=np.int64) for c in plan_codes}
    new_mrr = {c: np.zeros(n_days, dtype=np.int64) for c in plan_codes}
    mrr_diff = np.zeros(n_days + 1, dtype=np.int64)
    active_diff = np.zeros(n_days + 1, dtype=np.int64)
    churned = np.zeros(n_days, dtype=np.int64)
    collected = np.zeros(n_days, dtype=np.int64)
    first_ordinal = int(ordinals[0]) if n_days else start_ordinal

    def day_index(ordinal: int) -> int:
        return min(max(ordinal - first_ordinal, 0), n_days)

    for row in range(signups.n):
        sub = _new_subscription(row, signups, bool(converted[row]), plan_codes, versions, params.trial_days)
        subscriptions.append(sub)
        if not sub.converted:
            continue
        if not sub.initial:
            first = sub.segments[0]
            new_paid[first.plan][day_index(sub.signup_ordinal)] += 1
            new_mrr[first.plan][day_index(sub.signup_ordinal)] += first.price
        _run_lifecycle(sub, plans, versions, params, *draws.of(row), start_ordinal, last_ordinal, invoices)
        _add_paid_days(sub, sub.trial_end_ordinal, last_ordinal, day_index, mrr_diff, active_diff)
        if sub.ended_ordinal is not None and first_ordinal <= sub.ended_ordinal <= last_ordinal:
            churned[sub.ended_ordinal - first_ordinal] += 1
    for invoice in invoices:
        if first_ordinal <= invoice.paid_ordinal <= last_ordinal:
            collected[invoice.paid_ordinal - first_ordinal] += invoice.amount
    return SaasResult(
        params=params,
        price_versions=versions,
        subscriptions=subscriptions,
        invoices=invoices,
        new_trials=signups.trials_per_day,
        new_paid=new_paid,
        new_mrr=new_mrr,
        mrr=np.cumsum(mrr_diff)[:n_days],
        active_paid=np.cumsum(active_diff)[:n_days],
        churned=churned,
        collected=collected,
    )


def _add_paid_days(
    sub: Subscription,
    paid_from: int,
    last_ordinal: int,
    day_index: Callable[[int], int],
    mrr_diff: IntArray,
    active_diff: IntArray,
) -> None:
    """Add a subscription's paid segments to the day-to-day changes of MRR and of active subscribers."""
    stop = sub.ended_ordinal if sub.ended_ordinal is not None else last_ordinal + 1
    for i, seg in enumerate(sub.segments):
        seg_start = max(seg.start_ordinal, paid_from)
        seg_end = sub.segments[i + 1].start_ordinal if i + 1 < len(sub.segments) else stop
        seg_end = min(seg_end, stop)
        if seg_end > seg_start:
            a, b = day_index(seg_start), day_index(seg_end)
            mrr_diff[a] += seg.price
            mrr_diff[b] -= seg.price
    if stop > paid_from:
        active_diff[day_index(paid_from)] += 1
        active_diff[day_index(stop)] -= 1


def _run_lifecycle(
    sub: Subscription,
    plans: dict[str, Plan],
    versions: dict[str, list[tuple[int, int]]],
    params: SaasParams,
    churn_u: npt.NDArray[np.float64],
    when_u: npt.NDArray[np.float64],
    move_u: npt.NDArray[np.float64],
    fail_u: npt.NDArray[np.float64],
    start_ordinal: int,
    last_ordinal: int,
    invoices: list[SaasInvoice],
) -> None:
    anchor = date.fromordinal(sub.trial_end_ordinal)
    plan_code = sub.segments[0].plan
    price = sub.segments[0].price
    version = sub.segments[0].price_version
    sod = sub.signup_sod
    for r in range(len(churn_u) - 1):
        period_start = add_months(anchor, r).toordinal()
        if period_start > last_ordinal:
            return
        period_end = add_months(anchor, r + 1).toordinal()
        if period_end <= start_ordinal:
            continue  # the initial base is known to be active when the history starts
        if r > 0 and period_start >= start_ordinal:
            plan = plans[plan_code]
            u = move_u[r]
            if plan.upgrade_to and u < plan.upgrade_prob:
                plan_code = plan.upgrade_to
            elif plan.downgrade_to and u > 1.0 - plan.downgrade_prob:
                plan_code = plan.downgrade_to
            if plan_code != sub.segments[-1].plan:
                price, version = _price_on(versions[plan_code], period_start)
                sub.segments.append(PlanSegment(period_start, sod, plan_code, price, version))
        if period_start >= start_ordinal:
            failed = bool(fail_u[r] < params.payment_failure_prob)
            paid = period_start + 1 if failed else period_start
            invoices.append(
                SaasInvoice(
                    subscription=sub.seq,
                    ordinal=period_start,
                    sod=sod,
                    amount=price,
                    plan=plan_code,
                    price_version=version,
                    period_start=period_start,
                    period_end=period_end,
                    billing_reason="subscription_create"
                    if r == 0 and not sub.initial
                    else "subscription_cycle",
                    failed_first=failed,
                    paid_ordinal=paid,
                    paid_sod=sod + 3600 if failed else sod,
                )
            )
        # churn is decided during this period and takes effect at its end
        if churn_u[r + 1] < plans[plan_code].churn_monthly:
            length = period_end - period_start
            sub.canceled_ordinal = period_start + int(when_u[r + 1] * length)
            sub.canceled_sod = 9 * 3600 + int(when_u[r + 1] * 1e6) % 36000
            if sub.canceled_ordinal == period_start:
                sub.canceled_sod = max(sub.canceled_sod, sod + 60)
            sub.ended_ordinal = period_end
            sub.ended_sod = sod
            sub.cancel_reason = "cancellation_requested"
            return
