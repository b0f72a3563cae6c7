"""Latent daily demand of a tenant, and the ad spend that feeds into it.

demand_t = base * scale * trend * ramp-up * weekly * yearly * events * holidays * exp(AR(1) noise)
           * outlier * (1 + sum_c response_c(adstock_c,t)) * promotions * staffing

and zero on closed days. Price effects are applied by the sales engine, which knows the catalogue.
Everything is a function of keyed draws, so the counterfactual (an intervention off, a channel off) shares
every other draw with the world.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
from scipy import signal

from .behaviour import Behaviour, Channel
from .calendar_features import DayFeatures, yearly_curve
from .interventions import Intervention
from .keyed_random import KeyedRandom

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

TREND_ORIGIN = date(2025, 1, 1).toordinal()  # demand levels are quoted at this date
BUDGET_PERIOD_DAYS = 28  # ad budgets are reviewed every four weeks
BUDGET_PERIOD_ANCHOR = date(2023, 1, 2).toordinal()
LOOKAHEAD_DAYS = 45  # how far ahead owners plan stock for known events (Black Friday, December)


@dataclass
class ChannelSpend:
    channel: Channel
    base_spend: FloatArray  # always-on campaign, major units per day
    campaign_spend: FloatArray  # intervention campaign on top, major units per day
    campaign: Intervention | None
    adstock: FloatArray
    response: FloatArray  # relative demand added by this channel
    budget_level: FloatArray  # the always-on daily budget in force
    half_saturation: float

    @property
    def spend(self) -> FloatArray:
        return self.base_spend + self.campaign_spend


@dataclass
class Demand:
    latent: FloatArray  # expected events per day before price effects
    planning: FloatArray  # what the owner expects on a normal day (no noise, events or interventions)
    is_open: BoolArray
    closed_reason: list[str | None]
    is_outlier: BoolArray
    marketing_multiplier: FloatArray
    channels: list[ChannelSpend]
    promotion_multiplier: FloatArray
    staffing_multiplier: FloatArray
    planning_ahead: (
        FloatArray  # expected demand with known events, for the simulated days and LOOKAHEAD_DAYS more
    )


def hill(adstock: FloatArray, channel: Channel, half_saturation: float) -> FloatArray:
    """Saturating response: beta * A^s / (A^s + K^s)."""
    a = np.power(np.maximum(adstock, 0.0), channel.shape)
    k = half_saturation**channel.shape
    return np.asarray(channel.beta * a / (a + k), dtype=np.float64)


def budget_levels(
    channel: Channel, rng: KeyedRandom, scale: float, growth_per_year: float, ordinals: npt.NDArray[np.int64]
) -> FloatArray:
    """The always-on daily budget in force on each day: set at each four-weekly review and then left alone.

    Everything about a level (its draw, a pause, the business's growth, the Q4 boost) is fixed at the review
    date, so a campaign's budget only changes on review dates.
    """
    period = (np.asarray(ordinals, dtype=np.int64) - BUDGET_PERIOD_ANCHOR) // BUDGET_PERIOD_DAYS
    review = BUDGET_PERIOD_ANCHOR + period * BUDGET_PERIOD_DAYS
    stream = f"ads:{channel.channel}"
    level = channel.daily_budget * scale * np.exp(0.28 * rng.normal(stream + ":level", period))
    # Some review periods pause the channel: that variation is what lets a model see the response.
    paused = rng.uniform(stream + ":pause", period) < 0.08
    trend = np.power(1.0 + growth_per_year, (review - TREND_ORIGIN) / 365.25)
    months = np.array([date.fromordinal(int(o)).month for o in review]) if len(review) else np.zeros(0)
    q4 = np.where(months >= 10, channel.q4_boost, 1.0)
    return np.asarray(np.where(paused, 0.0, np.round(level * np.sqrt(trend) * q4, 2)), dtype=np.float64)


def _channel_spend(
    channel: Channel,
    days: DayFeatures,
    rng: KeyedRandom,
    scale: float,
    growth_per_year: float,
    campaigns: list[Intervention],
    switched_off: bool,
) -> ChannelSpend:
    ordinals = days.ordinals
    level = budget_levels(channel, rng, scale, growth_per_year, ordinals)
    pacing = 0.88 + 0.24 * rng.uniform(f"ads:{channel.channel}:pacing", ordinals)
    base = np.round(level * pacing, 2)
    extra = np.zeros_like(base)
    active_campaign = None
    for campaign in campaigns:
        on = campaign.active(ordinals, days.weekday)
        extra = np.where(on, np.round(base * (campaign.spend_multiplier - 1.0), 2), extra)
        active_campaign = campaign
    if switched_off:
        base = np.zeros_like(base)
        extra = np.zeros_like(extra)
    spend = base + extra
    adstock = np.asarray(signal.lfilter([1.0], [1.0, -channel.decay], spend), dtype=np.float64)
    half_saturation = channel.half_saturation * scale
    return ChannelSpend(
        channel=channel,
        base_spend=base,
        campaign_spend=extra,
        campaign=active_campaign,
        adstock=adstock,
        response=hill(adstock, channel, half_saturation),
        budget_level=level,
        half_saturation=half_saturation,
    )


def typical_marketing_lift(behaviour: Behaviour) -> float:
    """The lift an owner is used to from their usual ad spend; used only for planning stock and staff."""
    return 1.0 + sum(0.5 * c.beta for c in behaviour.channels)


@dataclass
class _Calendar:
    seasonal: FloatArray  # level, trend, ramp-up, yearly curve, holidays
    weekly: FloatArray
    events: FloatArray
    is_open: BoolArray
    closed_reason: list[str | None]


def _calendar(behaviour: Behaviour, opened_on: date, days: DayFeatures, scale: float) -> _Calendar:
    """The deterministic part of demand: what an owner can know about any day in advance."""
    n = days.n
    ordinals = days.ordinals
    years_from_origin = (ordinals - TREND_ORIGIN) / 365.25
    trend = np.power(1.0 + behaviour.growth_per_year, years_from_origin)
    ramp = np.ones(n)
    if behaviour.ramp_days > 0:
        age = ordinals - opened_on.toordinal()
        ramp = 1.0 - 0.65 * np.exp(-age / behaviour.ramp_days)
    weekly_factors = np.asarray(behaviour.weekly, dtype=np.float64)
    open_weekday_mean = weekly_factors[weekly_factors > 0].mean()
    weekly = weekly_factors[days.weekday] / open_weekday_mean
    yearly = yearly_curve(behaviour.monthly, days.day_of_year)

    events = np.ones(n)
    for name, factor in behaviour.event_factors.items():
        events = np.where(days.events[name], events * factor, events)

    closed_reason: list[str | None] = [None] * n
    is_open = weekly_factors[days.weekday] > 0
    for i in np.flatnonzero(~is_open):
        closed_reason[i] = "weekly_closure"
    holiday_closed = (
        days.holiday_matches(behaviour.holiday_closed) if behaviour.holiday_closed else np.zeros(n, bool)
    )
    for i in np.flatnonzero(holiday_closed & is_open):
        closed_reason[i] = "public_holiday"
    is_open &= ~holiday_closed
    holiday_factor = np.where(days.is_holiday & is_open, behaviour.holiday_factor, 1.0)
    for first, last, reason in behaviour.closures:
        span = (ordinals >= first.toordinal()) & (ordinals <= last.toordinal())
        for i in np.flatnonzero(span & is_open):
            closed_reason[i] = reason
        is_open &= ~span
    seasonal = behaviour.base_daily * scale * trend * ramp * yearly * holiday_factor
    return _Calendar(seasonal, weekly, events, is_open, closed_reason)


def latent_demand(
    behaviour: Behaviour,
    opened_on: date,
    days: DayFeatures,
    lookahead: DayFeatures,
    rng: KeyedRandom,
    scale: float,
    interventions: tuple[Intervention, ...],
    channels_off: frozenset[str],
) -> Demand:
    """`lookahead` covers the simulated days and some after them: only calendar knowledge is used there."""
    n = days.n
    ordinals = days.ordinals
    ahead = _calendar(behaviour, opened_on, lookahead, scale)
    cal = _Calendar(
        ahead.seasonal[:n], ahead.weekly[:n], ahead.events[:n], ahead.is_open[:n], ahead.closed_reason[:n]
    )
    is_open, closed_reason = cal.is_open, cal.closed_reason
    lift = typical_marketing_lift(behaviour)
    planning_ahead = np.where(ahead.is_open, ahead.seasonal * ahead.weekly * ahead.events * lift, 0.0)

    innovations = rng.normal("demand:noise", ordinals) * behaviour.noise_sigma
    innovations *= np.sqrt(1.0 - behaviour.noise_rho**2)
    noise = np.asarray(signal.lfilter([1.0], [1.0, -behaviour.noise_rho], innovations), dtype=np.float64)

    outlier = rng.uniform("demand:outlier", ordinals) < behaviour.outlier_prob
    size = rng.uniform("demand:outlier-size", ordinals)
    spike = rng.uniform("demand:outlier-kind", ordinals) < 0.6
    outlier_factor = np.where(spike, 1.6 + 1.6 * size, 0.25 + 0.35 * size)
    outlier_factor = np.where(outlier, outlier_factor, 1.0)

    campaigns_by_channel: dict[str, list[Intervention]] = {}
    for intervention in interventions:
        if intervention.kind == "marketing_campaign" and intervention.channel:
            campaigns_by_channel.setdefault(intervention.channel, []).append(intervention)
    channels = [
        _channel_spend(
            c,
            days,
            rng,
            scale,
            behaviour.growth_per_year,
            campaigns_by_channel.get(c.channel, []),
            c.channel in channels_off,
        )
        for c in behaviour.channels
    ]
    marketing = 1.0 + sum((c.response for c in channels), np.zeros(n))

    promotion = np.ones(n)
    staffing = np.ones(n)
    for intervention in interventions:
        on = intervention.active(ordinals, days.weekday)
        if intervention.kind == "promotion":
            promotion = np.where(on, promotion * (1.0 + intervention.uplift), promotion)
        elif intervention.kind == "staffing_change":
            staffing = np.where(on, staffing * (1.0 + intervention.uplift), staffing)

    latent = cal.seasonal * cal.weekly * cal.events * np.exp(noise) * outlier_factor * marketing
    latent = np.where(is_open, latent * promotion * staffing, 0.0)
    planning = np.where(is_open, cal.seasonal * cal.weekly * lift, 0.0)
    return Demand(
        latent=latent,
        planning=planning,
        is_open=is_open,
        closed_reason=closed_reason,
        is_outlier=outlier & is_open,
        marketing_multiplier=marketing,
        channels=channels,
        promotion_multiplier=promotion,
        staffing_multiplier=staffing,
        planning_ahead=planning_ahead,
    )
