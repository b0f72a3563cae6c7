"""Interventions with known true effects, and the ground-truth rows written about them.

Each intervention changes the simulator's latent demand in a documented way (an uplift, a price with a
known elasticity, a staffing change, extra ad spend through a known response curve) and also leaves a
trace that a source shows (a Shopify discount code, a product price and `updated_at`, a new employee and
their shifts, an ad campaign). The true effect is measured against the simulator's own counterfactual: the
same world with the intervention switched off and every random draw kept, so it is exact.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

InterventionKind = Literal["promotion", "price_change", "staffing_change", "marketing_campaign"]
GroundTruthKind = Literal[
    "promotion", "price_change", "staffing_change", "marketing_campaign", "marketing_response"
]


@dataclass(frozen=True)
class Intervention:
    intervention_id: str
    tenant_slug: str
    kind: InterventionKind
    start: date
    end: date | None  # last active day; None means it stays (price changes, hires)
    evaluation_days: int  # ground-truth window starts at `start` and lasts this many days
    description: str
    weekdays: tuple[int, ...] | None = None  # Monday = 0; None means every day
    uplift: float = 0.0  # relative change of latent demand on active days (promotions, staffing)
    discount_pct: float = 0.0
    code: str | None = None
    code_share: float = 0.0  # share of orders in the window that use the code
    sku: str | None = None  # price change: product sku, or plan code for subscriptions
    new_price: int | None = None  # minor units
    elasticity: float | None = None  # subscriptions only; products carry their own
    channel: str | None = None
    spend_multiplier: float = 1.0
    campaign_name: str | None = None
    role: str | None = None  # staffing: role of the added person
    shift: tuple[int, int] | None = None  # staffing: seconds of day
    hire_date: date | None = None
    confounded: bool = False

    @property
    def window(self) -> tuple[date, date]:
        return self.start, self.start + timedelta(days=self.evaluation_days - 1)

    def active(self, ordinals: npt.NDArray[np.int64], weekdays: npt.NDArray[np.int64]) -> npt.NDArray:
        """Days on which the intervention acts (for price changes and hires: every day from start)."""
        last = self.end.toordinal() if self.end is not None else np.iinfo(np.int64).max
        mask = (ordinals >= self.start.toordinal()) & (ordinals <= last)
        if self.weekdays is not None:
            mask &= np.isin(weekdays, self.weekdays)
        return mask


def _h(hours: float) -> int:
    return round(hours * 3600)


INTERVENTIONS: tuple[Intervention, ...] = (
    Intervention(
        intervention_id="bluebird-coffee/staffing/weekend-second-barista",
        tenant_slug="bluebird-coffee",
        kind="staffing_change",
        start=date(2025, 4, 5),
        end=None,
        evaluation_days=182,
        weekdays=(5, 6),
        uplift=0.12,
        role="Barista",
        shift=(_h(7.0), _h(15.0)),
        hire_date=date(2025, 3, 29),
        description=(
            "A second barista works Saturday and Sunday 07:00-15:00 from 5 April 2025: shorter queues lift "
            "weekend demand by 12%. Visible as a new Homebase employee and weekend timecards."
        ),
    ),
    Intervention(
        intervention_id="bluebird-coffee/price/oat-milk-latte",
        tenant_slug="bluebird-coffee",
        kind="price_change",
        start=date(2025, 9, 2),
        end=None,
        evaluation_days=120,
        sku="BB-OATLATTE",
        new_price=650,
        description=(
            "Oat Milk Latte goes from $5.75 to $6.50 on 2 September 2025 (own-price elasticity -0.9). "
            "Visible in the Shopify product's variant price and updated_at, and in order line prices."
        ),
    ),
    Intervention(
        intervention_id="morning-ritual-cafe/promotion/fall15",
        tenant_slug="morning-ritual-cafe",
        kind="promotion",
        start=date(2024, 9, 16),
        end=date(2024, 10, 13),
        evaluation_days=28,
        uplift=0.18,
        discount_pct=0.15,
        code="FALL15",
        code_share=0.55,
        description=(
            "FALL15: 15% off every order for four weeks; demand +18%, 55% of orders use the code. "
            "Visible as a Shopify price rule, discount code and order discount_codes."
        ),
    ),
    Intervention(
        intervention_id="paper-lantern-books/promotion/holiday25",
        tenant_slug="paper-lantern-books",
        kind="promotion",
        start=date(2025, 12, 1),
        end=date(2025, 12, 24),
        evaluation_days=24,
        uplift=0.1,
        discount_pct=0.25,
        code="HOLIDAY25",
        code_share=0.6,
        confounded=True,
        description=(
            "HOLIDAY25: 25% off 1-24 December 2025, timed with the December peak. It lifts demand only 10% "
            "and 60% of orders use it, so it loses revenue, while a before/after comparison with November "
            "shows a large rise that is the season, not the promotion."
        ),
    ),
    Intervention(
        intervention_id="trailhead-outfitters/price/trail-runner",
        tenant_slug="trailhead-outfitters",
        kind="price_change",
        start=date(2025, 9, 8),
        end=None,
        evaluation_days=56,
        sku="TH-TRAILRUN",
        new_price=10900,
        description=(
            "Trail Runner Shoe cut from $129 to $109 on 8 September 2025 (own-price elasticity -1.6). "
            "Visible in the Shopify variant price (compare_at_price keeps the old one) and order lines."
        ),
    ),
    Intervention(
        intervention_id="trailhead-outfitters/marketing/spring-gear-push",
        tenant_slug="trailhead-outfitters",
        kind="marketing_campaign",
        start=date(2025, 3, 17),
        end=date(2025, 4, 27),
        evaluation_days=42,
        channel="google_ads",
        spend_multiplier=2.0,
        campaign_name="Spring Gear Push",
        description=(
            "Google Ads spend doubled for six weeks by a separate 'Spring Gear Push' campaign; the effect "
            "follows the channel's saturating response curve."
        ),
    ),
    Intervention(
        intervention_id="kindred-skincare/marketing/meta-scale-test",
        tenant_slug="kindred-skincare",
        kind="marketing_campaign",
        start=date(2025, 6, 2),
        end=date(2025, 7, 13),
        evaluation_days=42,
        channel="meta_ads",
        spend_multiplier=2.5,
        campaign_name="Summer Scale Test",
        description=(
            "Meta spend raised to 2.5x for six weeks by a 'Summer Scale Test' campaign: revenue rises far "
            "less than spend because the channel is near saturation (diminishing returns)."
        ),
    ),
    Intervention(
        intervention_id="kindred-skincare/promotion/bfcm30",
        tenant_slug="kindred-skincare",
        kind="promotion",
        start=date(2025, 11, 28),
        end=date(2025, 12, 1),
        evaluation_days=4,
        uplift=0.6,
        discount_pct=0.3,
        code="BFCM30",
        code_share=0.8,
        confounded=True,
        description=(
            "BFCM30: 30% off from Black Friday to Cyber Monday 2025. Black Friday traffic is there without "
            "the code, so a before/after comparison with the days before credits the season to the code."
        ),
    ),
    Intervention(
        intervention_id="north-loop-threads/price/loopback-hoodie",
        tenant_slug="north-loop-threads",
        kind="price_change",
        start=date(2025, 2, 3),
        end=None,
        evaluation_days=56,
        sku="NL-HOODIE",
        new_price=9400,
        description="Loopback Hoodie raised from $84 to $94 on 3 February 2025 (own-price elasticity -1.2).",
    ),
    Intervention(
        intervention_id="crumb-and-co/price/butter-croissant",
        tenant_slug="crumb-and-co",
        kind="price_change",
        start=date(2025, 5, 6),
        end=None,
        evaluation_days=56,
        sku="CC-CROISSANT",
        new_price=450,
        description=(
            "Butter Croissant raised from CA$3.95 to CA$4.50 on 6 May 2025 (own-price elasticity -0.9); "
            "daily production follows the expected demand, so sell-outs stay as frequent."
        ),
    ),
    Intervention(
        intervention_id="gloss-and-grain/price/balayage",
        tenant_slug="gloss-and-grain",
        kind="price_change",
        start=date(2025, 3, 4),
        end=None,
        evaluation_days=84,
        sku="GG-BALAYAGE",
        new_price=24000,
        description=(
            "Balayage raised from $210 to $240 on 4 March 2025 (own-price elasticity -0.6). Visible in the "
            "Stripe charge metadata (service_code, service_amount)."
        ),
    ),
    Intervention(
        intervention_id="the-barber-collective/promotion/student-tuesdays",
        tenant_slug="the-barber-collective",
        kind="promotion",
        start=date(2024, 9, 3),
        end=date(2024, 11, 26),
        evaluation_days=85,
        weekdays=(1,),
        uplift=0.35,
        discount_pct=0.2,
        code="STUDENT20",
        code_share=0.5,
        description=(
            "Student Tuesdays: 20% off on Tuesdays for twelve weeks, Tuesday demand +35%, half the Tuesday "
            "clients use it. Visible as metadata.promo_code on Stripe charges."
        ),
    ),
    Intervention(
        intervention_id="tidyshift/price/pro-plan",
        tenant_slug="tidyshift",
        kind="price_change",
        start=date(2025, 7, 1),
        end=None,
        evaluation_days=120,
        sku="pro",
        new_price=5900,
        elasticity=-1.3,
        description=(
            "Pro plan for new subscribers raised from $49 to $59 a month on 1 July 2025; existing "
            "subscribers keep $49. Trial-to-paid conversion on Pro responds with elasticity -1.3. Visible "
            "as a new Stripe price on subscription items."
        ),
    ),
    Intervention(
        intervention_id="formwise/marketing/q1-search-push",
        tenant_slug="formwise",
        kind="marketing_campaign",
        start=date(2026, 1, 12),
        end=date(2026, 2, 22),
        evaluation_days=42,
        channel="google_ads",
        spend_multiplier=2.2,
        campaign_name="Q1 Search Push",
        description=(
            "Google Ads spend 2.2x for six weeks through a 'Q1 Search Push' campaign; acts on trials."
        ),
    ),
)


def interventions_for(slug: str) -> tuple[Intervention, ...]:
    return tuple(i for i in INTERVENTIONS if i.tenant_slug == slug)


@dataclass(frozen=True)
class GroundTruthEffect:
    """One known effect. Daily effects are means over the active days of the window.

    `true_*` compare the world with its counterfactual (same draws, intervention off): exact.
    `naive_*` compare the window with the same number of active days just before it, in the world's own
    data: what a before/after analysis would report.
    """

    tenant_id: str
    tenant_slug: str
    intervention_id: str
    kind: GroundTruthKind
    start_date: date
    end_date: date
    active_weekdays: tuple[int, ...] | None
    active_days: int
    target_metric: str
    target_scope: str | None
    unit: str  # currency code for money, else what is counted
    currency: str
    true_effect_abs_daily: float
    true_effect_rel: float
    true_revenue_effect_abs_daily: float
    true_revenue_effect_rel: float
    true_units_effect_abs_daily: float
    true_units_effect_rel: float
    designed_effect_rel: float | None
    elasticity: float | None
    price_before: float | None
    price_after: float | None
    discount_pct: float | None
    response_curve: dict[str, Any] | None
    confounded: bool
    naive_before_after_abs_daily: float | None
    naive_before_after_rel: float | None
    naive_method: str | None
    evidence: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
