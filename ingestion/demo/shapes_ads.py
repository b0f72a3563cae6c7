"""Ad platform records in the shape of daily campaign insights (Meta Marketing API `/insights` with
`level=campaign&time_increment=1`; Google Ads rows mapped onto the same fields), plus the campaigns.

Conventions followed (Meta's): metrics as strings (`"spend": "12.34"`, `"impressions": "2469"`), dates as
`date_start`/`date_stop` in the ad account's time zone, ids as numeric strings. A `channel` field names the
platform, as multi-platform connectors add it. Impressions, clicks and platform-reported conversions come
from spend through noisy rates: the reported conversions are attribution, not the true incremental effect.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .clock import iso_date
from .engine_demand import BUDGET_PERIOD_ANCHOR, BUDGET_PERIOD_DAYS, ChannelSpend, budget_levels
from .ids import money, numeric_string_id
from .shapes_common import ShapeContext

OBJECTIVES = {
    "google_ads": "SEARCH",
    "meta_ads": "OUTCOME_SALES",
    "tiktok_ads": "PRODUCT_SALES",
    "linkedin_ads": "LEAD_GENERATION",
}


def account_id(ctx: ShapeContext, channel: str) -> str:
    return numeric_string_id(ctx.slug, f"ad-account:{channel}", 0, 10 if channel == "google_ads" else 15)


def campaign_id(ctx: ShapeContext, channel: str, name: str) -> str:
    return numeric_string_id(ctx.slug, f"campaign:{channel}", name, 11 if channel == "google_ads" else 17)


def _campaigns(ctx: ShapeContext) -> list[tuple[ChannelSpend, str, np.ndarray, bool]]:
    """(channel, campaign name, daily spend, is the intervention campaign) for every campaign."""
    out = []
    for spend in ctx.run.demand.channels:
        out.append((spend, spend.channel.campaign_name, spend.base_spend, False))
        if spend.campaign is not None and spend.campaign.campaign_name:
            out.append((spend, spend.campaign.campaign_name, spend.campaign_spend, True))
    return out


def campaigns(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    clock = ctx.clock
    n = ctx.run.n_days
    if n == 0:
        return
    rows = []
    opened = max(ctx.run.profile.opened_on.toordinal(), ctx.first_ordinal - 365)
    for spend, name, _, is_intervention in _campaigns(ctx):
        channel = spend.channel.channel
        if is_intervention and spend.campaign is not None:
            first_on = spend.campaign.start.toordinal()
            created = clock.epoch(first_on - 3, 14 * 3600)
            if created > ctx.end_epoch:
                continue
            last_on = (spend.campaign.end or spend.campaign.window[1]).toordinal()
            stop = clock.epoch(last_on + 1, 0)
            running = stop > ctx.end_epoch
            updated = created if running else stop
            growth = ctx.run.behaviour.growth_per_year
            level = budget_levels(
                spend.channel, ctx.run.rng, ctx.run.options.scale, growth, np.array([first_on])
            )
            budget = float(level[0]) * (spend.campaign.spend_multiplier - 1.0)
            start_time, stop_time = clock.epoch(first_on, 0), stop
            status = "ACTIVE" if running else "PAUSED"
        else:
            created = clock.epoch(opened, 14 * 3600)
            start_time, stop_time = created, None
            period = (ctx.last_ordinal - BUDGET_PERIOD_ANCHOR) // BUDGET_PERIOD_DAYS
            review = BUDGET_PERIOD_ANCHOR + period * BUDGET_PERIOD_DAYS
            updated = max(created, clock.epoch(max(review, ctx.first_ordinal), 9 * 3600))
            budget = float(spend.budget_level[-1])
            status = "ACTIVE" if budget > 0 else "PAUSED"
        cid = campaign_id(ctx, channel, name)
        rows.append(
            (
                updated,
                cid,
                {
                    "tenant_id": ctx.tenant_id,
                    "id": cid,
                    "account_id": account_id(ctx, channel),
                    "channel": channel,
                    "name": name,
                    "objective": OBJECTIVES[channel],
                    "status": status,
                    "daily_budget": money(round(budget * 100)),
                    "currency": ctx.currency,
                    "created_time": _iso(ctx, created),
                    "start_time": _iso(ctx, start_time),
                    "stop_time": _iso(ctx, stop_time) if stop_time is not None else None,
                    "updated_time": _iso(ctx, updated),
                },
            )
        )
    rows.sort(key=lambda r: (r[0], r[1]))
    for _, _, record in rows:
        yield record


def _iso(ctx: ShapeContext, epoch: int) -> str:
    ordinal, sod = ctx.clock.local_from_epoch(epoch)
    return ctx.clock.iso(ordinal, sod)


def insights(ctx: ShapeContext) -> Iterator[dict[str, Any]]:
    run = ctx.run
    ordinals = run.days.ordinals
    q4 = run.days.month >= 10
    rows = []
    for spend, name, daily, _ in _campaigns(ctx):
        c = spend.channel
        stream = f"ads:delivery:{c.channel}:{name}"
        cpm = c.cpm * np.where(q4, 1.35, 1.0) * np.exp(0.1 * run.rng.normal(stream, ordinals, 0))
        impressions = np.round(daily / cpm * 1000.0).astype(np.int64)
        ctr = c.ctr * np.exp(0.15 * run.rng.normal(stream, ordinals, 1))
        clicks = np.round(impressions * ctr).astype(np.int64)
        cvr = c.cvr * np.exp(0.3 * run.rng.normal(stream, ordinals, 2))
        conversions = np.round(clicks * cvr).astype(np.int64)
        cid = campaign_id(ctx, c.channel, name)
        account = account_id(ctx, c.channel)
        for t in np.flatnonzero(daily > 0):
            cents = round(float(daily[t]) * 100)
            imp, clk = int(impressions[t]), int(clicks[t])
            day = iso_date(int(ordinals[t]))
            rows.append(
                (
                    int(ordinals[t]),
                    cid,
                    {
                        "tenant_id": ctx.tenant_id,
                        "account_id": account,
                        "account_currency": ctx.currency,
                        "campaign_id": cid,
                        "campaign_name": name,
                        "channel": c.channel,
                        "date_start": day,
                        "date_stop": day,
                        "spend": money(cents),
                        "impressions": str(imp),
                        "clicks": str(clk),
                        "conversions": str(int(conversions[t])),
                        "cpm": f"{cents / 100.0 / imp * 1000.0:.6f}" if imp else "0",
                        "cpc": f"{cents / 100.0 / clk:.6f}" if clk else "0",
                        "ctr": f"{clk / imp * 100.0:.6f}" if imp else "0",
                    },
                )
            )
    rows.sort(key=lambda r: (r[0], r[1]))
    for _, _, record in rows:
        yield record
