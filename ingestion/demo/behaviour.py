"""How each demo business behaves: demand level and seasonality, catalogue, customers, staff, marketing,
suppliers and bills. These are the simulator's hidden parameters; the profiles in `profiles.py` are what
the warehouse is told.

The types are here; the values are data, one file per tenant in `catalogue/behaviours/<slug>.yaml`,
validated against these dataclasses when the module is imported (`catalogue.py`).

All money is in minor units (cents) of the tenant's currency. Demand levels are per day at `scale=1`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict

from .catalogue import CATALOGUE_DIR, CatalogueError, hourly_weights, load_one, of_length, time_span
from .profiles import TENANTS

#: Catalogue entries may not carry fields the dataclass does not have (a misspelt field is an error).
STRICT = ConfigDict(extra="forbid")
#: (start, end) seconds of the local day; written "HH:MM-HH:MM" in the catalogue.
TimeSpan = Annotated[tuple[int, int], BeforeValidator(time_span)]

EngineKind = Literal["shop", "appointments", "subscriptions", "services"]
InventoryPolicy = Literal["none", "daily_production", "reorder"]


@dataclass(frozen=True)
class Product:
    """A sellable item (Shopify product with one variant, or a salon service)."""

    __pydantic_config__ = STRICT

    sku: str
    title: str
    product_type: str
    price: int
    cost: int
    weight: float  # share of line items at base prices
    elasticity: float = -1.0  # own-price elasticity of units
    tracked: bool = False  # inventory tracked in Shopify
    months: tuple[int, ...] | None = None  # on sale only in these months
    monthly_boost: tuple[float, ...] | None = None  # product-level seasonality of its share


@dataclass(frozen=True)
class Channel:
    """A paid marketing channel and its true response curve.

    Demand multiplier contributed: beta * A^shape / (A^shape + half_saturation^shape), where A is the
    adstocked daily spend A_t = spend_t + decay * A_{t-1}. beta is the most the channel can ever add.
    """

    __pydantic_config__ = STRICT

    channel: Literal["google_ads", "meta_ads", "tiktok_ads", "linkedin_ads"]
    daily_budget: float  # major currency units per day at scale 1
    beta: float
    half_saturation: float  # adstocked major units per day
    shape: float
    decay: float
    cpm: float  # cost per thousand impressions
    ctr: float
    cvr: float  # platform-attributed conversions per click (not incremental!)
    q4_boost: float = 1.0  # budget multiplier Oct-Dec
    campaign_name: str = "Always-on"


@dataclass(frozen=True)
class StaffRole:
    __pydantic_config__ = STRICT

    role: str
    department: str
    wage_low: float  # hourly, major units
    wage_high: float
    shifts: tuple[TimeSpan, ...]  # (start, end) seconds of day, used in turn
    base_count: Annotated[tuple[int, ...], AfterValidator(of_length(7))]  # per weekday, Monday first
    per_demand: float = 0.0  # one more person per this much expected daily demand
    max_count: int = 6


@dataclass(frozen=True)
class Plan:
    __pydantic_config__ = STRICT

    code: str
    name: str
    monthly_price: int
    choice_weight: float
    conversion: float  # trial to paid
    churn_monthly: float
    upgrade_to: str | None = None
    upgrade_prob: float = 0.0
    downgrade_to: str | None = None
    downgrade_prob: float = 0.0


@dataclass(frozen=True)
class SaasParams:
    __pydantic_config__ = STRICT

    plans: tuple[Plan, ...]
    trial_days: int
    initial_subscribers: int
    payment_failure_prob: float = 0.03


@dataclass(frozen=True)
class ServiceItem:
    __pydantic_config__ = STRICT

    name: str
    low: int
    high: int
    weight: float


@dataclass(frozen=True)
class ServicesParams:
    __pydantic_config__ = STRICT

    retainer_item: str
    retainer_low: int
    retainer_high: int
    initial_retainers: int
    retainer_churn_monthly: float
    retainer_new_monthly: float
    project_items: tuple[ServiceItem, ...]
    initial_clients: int
    terms_days: int = 30


@dataclass(frozen=True)
class CardVendor:
    __pydantic_config__ = STRICT

    vendor: str
    account: str
    low: int
    high: int


@dataclass(frozen=True)
class ExpenseParams:
    __pydantic_config__ = STRICT

    landlord: str
    rent: int  # monthly
    utility_vendor: str
    utilities: int  # monthly average
    suppliers: tuple[tuple[str, float], ...]  # weekly supply bills: vendor, share of the week's sales
    subscriptions: tuple[tuple[str, int, str], ...]  # vendor, monthly amount, account
    card_vendors: tuple[CardVendor, ...]
    card_purchases_per_day: float
    salaried_payroll_monthly: int = 0  # payroll for tenants without the shifts source
    inventory_vendor: str = ""


@dataclass(frozen=True)
class Behaviour:
    __pydantic_config__ = STRICT

    kind: EngineKind
    base_daily: float
    growth_per_year: float
    weekly: Annotated[tuple[float, ...], AfterValidator(of_length(7))]  # Monday first
    monthly: Annotated[tuple[float, ...], AfterValidator(of_length(12))]
    # 24 weights of when events happen; written {hour: weight} in the catalogue
    hourly: Annotated[tuple[float, ...], BeforeValidator(hourly_weights), AfterValidator(of_length(24))]
    noise_sigma: float
    noise_rho: float = 0.5
    outlier_prob: float = 0.006
    ramp_days: float = 0.0  # young businesses: demand builds up after opening
    holiday_closed: tuple[str, ...] = ("Christmas Day", "New Year's Day")
    holiday_factor: float = 1.0
    event_factors: dict[str, float] = field(default_factory=dict)
    products: tuple[Product, ...] = ()
    extra_lines_mean: float = 0.5
    extra_unit_prob: float = 0.1
    big_order_prob: float = 0.0
    anonymous_share: float = 0.0
    new_customer_share: float = 0.3
    initial_customers: int = 0
    refund_prob: float = 0.01
    refund_delay: tuple[int, int] = (0, 3)
    refund_full_share: float = 0.7
    restock_refunds: bool = False
    tax_rate: float = 0.0
    tax_title: str = "Sales Tax"
    shipping: tuple[int, int] | None = None  # (free above subtotal, fee)
    online: bool = False
    inventory: InventoryPolicy = "none"
    lead_time_days: int = 7
    cover_days: int = 21
    channels: tuple[Channel, ...] = ()
    staff: tuple[StaffRole, ...] = ()
    capacity_role: str | None = None
    capacity_per_staff: int = 0
    tip_rate: float = 0.0
    closures: tuple[tuple[date, date, str], ...] = ()
    missing_data: tuple[tuple[date, date, str, str], ...] = ()  # start, end, source, why
    saas: SaasParams | None = None
    services: ServicesParams | None = None
    expenses: ExpenseParams | None = None
    cogs_share: float = 0.3  # for weekly supply bills of tenants without tracked cost


def load_behaviours() -> dict[str, Behaviour]:
    """Every tenant's behaviour from `catalogue/behaviours/<slug>.yaml`, in the order of the tenants."""
    folder = CATALOGUE_DIR / "behaviours"
    slugs = [t.slug for t in TENANTS]
    strays = sorted(p.name for p in folder.glob("*.yaml") if p.stem not in slugs)
    if strays:
        raise CatalogueError(f"catalogue/behaviours: {strays} belong to no tenant of catalogue/tenants.yaml")
    missing = [slug for slug in slugs if not (folder / f"{slug}.yaml").exists()]
    if missing:
        raise CatalogueError(f"catalogue/behaviours: no behaviour file for the tenants {missing}")
    return {slug: load_one(folder / f"{slug}.yaml", Behaviour) for slug in slugs}


BEHAVIOURS: dict[str, Behaviour] = load_behaviours()
