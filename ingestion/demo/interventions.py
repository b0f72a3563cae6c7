"""Interventions with known true effects, and the ground-truth rows written about them.

Each intervention changes the simulator's latent demand in a documented way (an uplift, a price with a
known elasticity, a staffing change, extra ad spend through a known response curve) and also leaves a
trace that a source shows (a Shopify discount code, a product price and `updated_at`, a new employee and
their shifts, an ad campaign). The true effect is measured against the simulator's own counterfactual: the
same world with the intervention switched off and every random draw kept, so it is exact.

The interventions themselves are data: `catalogue/interventions.yaml`, validated against `Intervention`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BeforeValidator, ConfigDict

from .catalogue import CATALOGUE_DIR, load_list, time_span

InterventionKind = Literal["promotion", "price_change", "staffing_change", "marketing_campaign"]
GroundTruthKind = Literal[
    "promotion", "price_change", "staffing_change", "marketing_campaign", "marketing_response"
]


@dataclass(frozen=True)
class Intervention:
    __pydantic_config__ = ConfigDict(extra="forbid")

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
    # staffing: (start, end) seconds of day, written HH:MM-HH:MM in the catalogue
    shift: Annotated[tuple[int, int] | None, BeforeValidator(time_span)] = None
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


INTERVENTIONS: tuple[Intervention, ...] = load_list(
    CATALOGUE_DIR / "interventions.yaml", Intervention, key="intervention_id"
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
