"""How each demo business behaves: demand level and seasonality, catalogue, customers, staff, marketing,
suppliers and bills. These are the simulator's hidden parameters; the profiles in `profiles.py` are what
the warehouse is told.

All money is in minor units (cents) of the tenant's currency. Demand levels are per day at `scale=1`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

EngineKind = Literal["shop", "appointments", "subscriptions", "services"]
InventoryPolicy = Literal["none", "daily_production", "reorder"]


@dataclass(frozen=True)
class Product:
    """A sellable item (Shopify product with one variant, or a salon service)."""

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
    role: str
    department: str
    wage_low: float  # hourly, major units
    wage_high: float
    shifts: tuple[tuple[int, int], ...]  # (start, end) seconds of day, used in turn
    base_count: tuple[int, ...]  # per weekday, Monday first
    per_demand: float = 0.0  # one more person per this much expected daily demand
    max_count: int = 6


@dataclass(frozen=True)
class Plan:
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
    plans: tuple[Plan, ...]
    trial_days: int
    initial_subscribers: int
    payment_failure_prob: float = 0.03


@dataclass(frozen=True)
class ServiceItem:
    name: str
    low: int
    high: int
    weight: float


@dataclass(frozen=True)
class ServicesParams:
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
    vendor: str
    account: str
    low: int
    high: int


@dataclass(frozen=True)
class ExpenseParams:
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
    kind: EngineKind
    base_daily: float
    growth_per_year: float
    weekly: tuple[float, ...]
    monthly: tuple[float, ...]
    hourly: tuple[float, ...]  # 24 weights of when events happen
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


def _hourly(weights: dict[int, float]) -> tuple[float, ...]:
    return tuple(float(weights.get(h, 0.0)) for h in range(24))


def _hours(start: float, end: float) -> tuple[int, int]:
    return round(start * 3600), round(end * 3600)


CAFE_HOURLY = _hourly(
    {6: 0.5, 7: 2.2, 8: 2.6, 9: 2.0, 10: 1.4, 11: 1.2, 12: 1.4, 13: 1.1, 14: 0.9, 15: 0.7, 16: 0.3}
)
BAKERY_HOURLY = _hourly({7: 1.2, 8: 2.0, 9: 2.2, 10: 2.0, 11: 1.6, 12: 1.5, 13: 1.0, 14: 0.8, 15: 0.5})
RETAIL_HOURLY = _hourly(
    {10: 0.6, 11: 0.9, 12: 1.2, 13: 1.3, 14: 1.3, 15: 1.3, 16: 1.3, 17: 1.2, 18: 0.9, 19: 0.5}
)
ONLINE_HOURLY = _hourly(
    {
        0: 0.3,
        1: 0.15,
        2: 0.1,
        3: 0.08,
        4: 0.08,
        5: 0.12,
        6: 0.3,
        7: 0.5,
        8: 0.7,
        9: 0.8,
        10: 0.9,
        11: 0.95,
        12: 1.0,
        13: 1.0,
        14: 0.95,
        15: 0.9,
        16: 0.9,
        17: 0.95,
        18: 1.1,
        19: 1.3,
        20: 1.45,
        21: 1.35,
        22: 1.0,
        23: 0.6,
    }
)
SALON_HOURLY = _hourly(
    {9: 0.8, 10: 1.1, 11: 1.2, 12: 1.1, 13: 1.0, 14: 1.0, 15: 1.1, 16: 1.2, 17: 1.1, 18: 0.7}
)
OFFICE_HOURLY = _hourly(
    {8: 0.6, 9: 1.2, 10: 1.3, 11: 1.2, 12: 0.7, 13: 1.0, 14: 1.2, 15: 1.2, 16: 1.0, 17: 0.5}
)
SAAS_HOURLY = _hourly(
    {
        0: 0.2,
        1: 0.1,
        2: 0.1,
        3: 0.1,
        4: 0.15,
        5: 0.3,
        6: 0.6,
        7: 0.9,
        8: 1.2,
        9: 1.4,
        10: 1.5,
        11: 1.4,
        12: 1.2,
        13: 1.3,
        14: 1.3,
        15: 1.2,
        16: 1.0,
        17: 0.8,
        18: 0.6,
        19: 0.5,
        20: 0.5,
        21: 0.4,
        22: 0.3,
        23: 0.25,
    }
)

CAFE_WEEKLY = (0.93, 0.95, 0.96, 0.98, 1.04, 1.24, 1.13)
CAFE_MONTHLY = (0.93, 0.93, 0.98, 1.0, 1.02, 0.99, 0.96, 0.96, 1.03, 1.05, 1.04, 1.1)


def _cafe_products(prefix: str, price_factor: float) -> tuple[Product, ...]:
    def p(cents: int) -> int:
        return round(cents * price_factor / 5.0) * 5  # cafés price in nickels

    cold = (0.5, 0.55, 0.7, 0.9, 1.2, 1.5, 1.7, 1.6, 1.2, 0.8, 0.6, 0.5)
    return (
        Product(f"{prefix}-DRIP", "Drip Coffee", "Coffee", p(325), 45, 18, -0.4),
        Product(f"{prefix}-AMER", "Americano", "Coffee", p(375), 55, 10, -0.6),
        Product(f"{prefix}-LATTE", "Latte", "Coffee", p(525), 110, 16, -0.7),
        Product(f"{prefix}-OATLATTE", "Oat Milk Latte", "Coffee", p(575), 135, 10, -0.9),
        Product(f"{prefix}-CAPP", "Cappuccino", "Coffee", p(495), 100, 8, -0.7),
        Product(f"{prefix}-COLDBREW", "Cold Brew", "Coffee", p(475), 70, 9, -0.8, monthly_boost=cold),
        Product(f"{prefix}-CHAI", "Chai Latte", "Tea", p(525), 100, 6, -0.8),
        Product(f"{prefix}-PSL", "Pumpkin Spice Latte", "Seasonal", p(625), 140, 7, -0.9, months=(9, 10, 11)),
        Product(f"{prefix}-CROISSANT", "Butter Croissant", "Pastry", p(425), 120, 8, -1.0),
        Product(f"{prefix}-MUFFIN", "Blueberry Muffin", "Pastry", p(395), 95, 6, -1.0),
        Product(f"{prefix}-BFSAND", "Breakfast Sandwich", "Food", p(795), 260, 7, -1.1),
        Product(f"{prefix}-BEANS12", "Whole Bean Coffee 12oz", "Retail", p(1700), 750, 2, -1.3),
    )


def _cafe_staff(lead_wage: float, barista_wage: float) -> tuple[StaffRole, ...]:
    return (
        StaffRole(
            "Shift Lead",
            "Front of House",
            lead_wage,
            lead_wage + 2.5,
            (_hours(6.25, 14.5), _hours(9.5, 17.25)),
            (1, 1, 1, 1, 1, 2, 2),
            max_count=2,
        ),
        StaffRole(
            "Barista",
            "Front of House",
            barista_wage,
            barista_wage + 2.0,
            (_hours(6.25, 12.5), _hours(7.0, 15.0), _hours(11.0, 17.25)),
            (1, 1, 1, 1, 2, 2, 2),
            per_demand=30.0,
            max_count=5,
        ),
    )


def _cafe_expenses(city: str, rent: int, supplier: str) -> ExpenseParams:
    return ExpenseParams(
        landlord=f"{city} Commercial Properties LLC",
        rent=rent,
        utility_vendor=f"{city} Power & Light",
        utilities=rent // 7,
        suppliers=(
            (supplier, 0.22),
            ("Valley Dairy Cooperative", 0.07),
            ("Sunrise Bakehouse Wholesale", 0.05),
        ),
        subscriptions=(
            ("Shopify", 8900, "Software & Subscriptions"),
            ("Homebase", 3000, "Software & Subscriptions"),
            ("Intuit QuickBooks", 6500, "Software & Subscriptions"),
        ),
        card_vendors=(
            CardVendor("Restaurant Depot", "Supplies", 4000, 26000),
            CardVendor("Costco Business Center", "Supplies", 3000, 18000),
            CardVendor("Amazon Business", "Office Supplies", 1500, 9000),
            CardVendor("City Plumbing & Repair", "Repairs and Maintenance", 15000, 60000),
        ),
        card_purchases_per_day=0.35,
    )


EVENTS_RETAIL = {
    "black_friday": 2.6,
    "bfcm_weekend": 1.7,
    "cyber_monday": 1.3,
    "pre_christmas": 1.35,
    "christmas_eve": 1.5,
    "post_christmas_lull": 0.8,
    "mothers_day_weekend": 1.25,
}
EVENTS_ONLINE = {
    "black_friday": 3.4,
    "bfcm_weekend": 2.4,
    "cyber_monday": 3.0,
    "pre_christmas": 1.1,
    "christmas_eve": 0.55,
    "post_christmas_lull": 0.85,
    "valentines": 1.3,
    "mothers_day_weekend": 1.2,
}

BEHAVIOURS: dict[str, Behaviour] = {
    "bluebird-coffee": Behaviour(
        kind="shop",
        base_daily=34.0,
        growth_per_year=0.06,
        weekly=CAFE_WEEKLY,
        monthly=CAFE_MONTHLY,
        hourly=CAFE_HOURLY,
        noise_sigma=0.09,
        holiday_closed=("Christmas Day", "New Year's Day", "Thanksgiving"),
        holiday_factor=0.8,
        event_factors={"christmas_eve": 0.7, "new_years_eve": 0.8, "mothers_day_weekend": 1.15},
        products=_cafe_products("BB", 1.0),
        extra_lines_mean=0.55,
        extra_unit_prob=0.08,
        big_order_prob=0.0015,
        anonymous_share=0.7,
        new_customer_share=0.25,
        initial_customers=900,
        refund_prob=0.004,
        refund_delay=(0, 1),
        tax_rate=0.0,  # Oregon has no sales tax
        staff=_cafe_staff(21.0, 17.5),
        expenses=_cafe_expenses("Portland", 620000, "Stumptown Roasters Wholesale"),
        cogs_share=0.3,
    ),
    "morning-ritual-cafe": Behaviour(
        kind="shop",
        base_daily=24.0,
        growth_per_year=0.03,
        weekly=(0.95, 0.95, 0.97, 0.99, 1.05, 1.2, 1.05),
        monthly=(0.96, 0.98, 1.05, 1.06, 1.0, 0.92, 0.88, 0.9, 1.03, 1.06, 1.04, 1.08),
        hourly=CAFE_HOURLY,
        noise_sigma=0.11,
        holiday_closed=("Christmas Day", "New Year's Day", "Thanksgiving"),
        holiday_factor=0.75,
        event_factors={"christmas_eve": 0.6, "mothers_day_weekend": 1.15},
        products=_cafe_products("MR", 0.92),
        extra_lines_mean=0.5,
        extra_unit_prob=0.08,
        big_order_prob=0.0015,
        anonymous_share=0.65,
        new_customer_share=0.3,
        initial_customers=600,
        refund_prob=0.005,
        refund_delay=(0, 1),
        tax_rate=0.0825,
        tax_title="TX State & Local Tax",
        staff=_cafe_staff(17.0, 13.5),
        expenses=_cafe_expenses("Austin", 480000, "Cuvée Coffee Wholesale"),
        closures=((date(2024, 8, 5), date(2024, 8, 18), "renovation"),),
        cogs_share=0.31,
    ),
    "hearth-espresso": Behaviour(
        kind="shop",
        base_daily=26.0,
        growth_per_year=0.1,
        weekly=(0.97, 0.98, 0.99, 1.0, 1.03, 1.17, 1.05),
        monthly=(0.9, 0.9, 0.97, 1.0, 1.04, 1.03, 1.0, 0.99, 1.04, 1.05, 1.03, 1.08),
        hourly=CAFE_HOURLY,
        noise_sigma=0.12,
        ramp_days=75.0,
        holiday_closed=("Christmas Day", "New Year's Day", "Thanksgiving"),
        holiday_factor=0.75,
        products=_cafe_products("HE", 1.05),
        extra_lines_mean=0.5,
        extra_unit_prob=0.08,
        anonymous_share=0.6,
        new_customer_share=0.55,
        initial_customers=0,
        refund_prob=0.005,
        refund_delay=(0, 1),
        tax_rate=0.1025,
        tax_title="Chicago Sales Tax",
        staff=_cafe_staff(20.0, 16.2),
        expenses=_cafe_expenses("Chicago", 540000, "Intelligentsia Wholesale"),
        cogs_share=0.32,
    ),
    "crumb-and-co": Behaviour(
        kind="shop",
        base_daily=26.0,
        growth_per_year=0.08,
        weekly=(0.0, 0.88, 0.9, 0.95, 1.1, 1.45, 1.3),  # closed Mondays
        monthly=(0.88, 0.95, 0.97, 1.02, 1.03, 0.98, 0.95, 0.94, 0.98, 1.06, 1.08, 1.28),
        hourly=BAKERY_HOURLY,
        noise_sigma=0.12,
        holiday_closed=("Christmas Day", "New Year's Day", "Boxing Day"),
        holiday_factor=0.85,
        event_factors={"christmas_eve": 1.6, "valentines": 1.3, "mothers_day_weekend": 1.3},
        products=(
            Product("CC-SOURDOUGH", "Country Sourdough Loaf", "Bread", 950, 240, 12, -0.6, tracked=True),
            Product("CC-BAGUETTE", "Baguette", "Bread", 475, 100, 10, -0.7, tracked=True),
            Product("CC-CROISSANT", "Butter Croissant", "Viennoiserie", 395, 95, 16, -0.9, tracked=True),
            Product("CC-PAINCHOC", "Pain au Chocolat", "Viennoiserie", 450, 110, 10, -0.9, tracked=True),
            Product("CC-CINNBUN", "Cinnamon Bun", "Pastry", 525, 115, 9, -1.0, tracked=True),
            Product("CC-MUFFIN", "Morning Glory Muffin", "Pastry", 375, 85, 7, -1.0, tracked=True),
            Product("CC-GALETTE", "Seasonal Fruit Galette", "Pastry", 650, 180, 5, -1.1, tracked=True),
            Product(
                "CC-PIE",
                "Pumpkin Pie (whole)",
                "Seasonal",
                2400,
                750,
                2,
                -0.8,
                tracked=True,
                months=(10, 11, 12),
            ),
            Product(
                "CC-GINGER", "Gingerbread Cookie", "Seasonal", 325, 60, 5, -1.0, tracked=True, months=(12,)
            ),
            Product("CC-DRIP", "Drip Coffee", "Coffee", 295, 40, 14, -0.5),
            Product("CC-LATTE", "Latte", "Coffee", 525, 105, 8, -0.7),
        ),
        extra_lines_mean=1.0,
        extra_unit_prob=0.2,
        big_order_prob=0.001,
        anonymous_share=0.75,
        new_customer_share=0.3,
        initial_customers=500,
        refund_prob=0.003,
        refund_delay=(0, 1),
        tax_rate=0.05,
        tax_title="GST",
        inventory="daily_production",
        staff=(
            StaffRole(
                "Baker",
                "Back of House",
                22.0,
                27.0,
                (_hours(4.0, 12.0), _hours(5.0, 13.0)),
                (0, 2, 2, 2, 2, 3, 3),
                max_count=3,
            ),
            StaffRole(
                "Counter",
                "Front of House",
                17.85,
                19.5,
                (_hours(6.75, 13.5), _hours(10.0, 16.25)),
                (0, 1, 1, 1, 2, 2, 2),
                per_demand=35.0,
                max_count=4,
            ),
        ),
        expenses=ExpenseParams(
            landlord="Main Street Holdings Ltd.",
            rent=520000,
            utility_vendor="BC Hydro",
            utilities=95000,
            suppliers=(
                ("Anita's Organic Mill", 0.12),
                ("Fraser Valley Dairy", 0.09),
                ("Origin Coffee Supply", 0.04),
            ),
            subscriptions=(
                ("Shopify", 10500, "Software & Subscriptions"),
                ("Homebase", 3900, "Software & Subscriptions"),
                ("Intuit QuickBooks", 7500, "Software & Subscriptions"),
            ),
            card_vendors=(
                CardVendor("Gordon Food Service", "Supplies", 5000, 30000),
                CardVendor("Canadian Tire", "Repairs and Maintenance", 2000, 15000),
            ),
            card_purchases_per_day=0.3,
        ),
        cogs_share=0.25,
    ),
    "paper-lantern-books": Behaviour(
        kind="shop",
        base_daily=24.0,
        growth_per_year=-0.02,
        weekly=(0.8, 0.82, 0.85, 0.9, 1.05, 1.5, 1.2),
        monthly=(0.72, 0.78, 0.85, 0.88, 0.95, 0.92, 0.95, 1.0, 1.05, 0.98, 1.12, 1.8),
        hourly=RETAIL_HOURLY,
        noise_sigma=0.16,
        holiday_closed=("Christmas Day", "New Year's Day", "Thanksgiving"),
        holiday_factor=1.1,
        event_factors=EVENTS_RETAIL,
        products=(
            Product("PL-HCFIC", "Hardcover Fiction", "Books", 2800, 1680, 14, -0.8, tracked=True),
            Product("PL-PBFIC", "Paperback Fiction", "Books", 1799, 1080, 22, -0.9, tracked=True),
            Product("PL-KIDS", "Children's Picture Book", "Books", 1899, 1140, 12, -0.8, tracked=True),
            Product("PL-COOK", "Cookbook", "Books", 3499, 2100, 5, -0.9, tracked=True),
            Product("PL-NONFIC", "Nonfiction Hardcover", "Books", 2999, 1800, 10, -0.8, tracked=True),
            Product("PL-STAFFPICK", "Staff Pick of the Month", "Books", 2699, 1500, 8, -0.7, tracked=True),
            Product("PL-JOURNAL", "Linen Journal", "Stationery", 1499, 600, 6, -1.2, tracked=True),
            Product("PL-CARD", "Greeting Card", "Stationery", 599, 210, 10, -0.6, tracked=True),
            Product("PL-TOTE", "Paper Lantern Tote", "Merch", 2200, 800, 3, -1.1, tracked=True),
            Product(
                "PL-GIFTSET",
                "Holiday Reading Gift Set",
                "Gifts",
                3999,
                2000,
                5,
                -1.0,
                tracked=True,
                months=(11, 12),
            ),
            Product(
                "PL-PUZZLE",
                "1000-Piece Puzzle",
                "Games",
                2499,
                1200,
                4,
                -1.0,
                tracked=True,
                monthly_boost=(1.6, 1.4, 1.0, 0.8, 0.6, 0.5, 0.5, 0.6, 0.8, 1.0, 1.4, 1.8),
            ),
        ),
        extra_lines_mean=0.6,
        extra_unit_prob=0.12,
        big_order_prob=0.001,
        anonymous_share=0.45,
        new_customer_share=0.3,
        initial_customers=2500,
        refund_prob=0.025,
        refund_delay=(1, 21),
        refund_full_share=0.6,
        restock_refunds=True,
        tax_rate=0.0625,
        tax_title="MA Sales Tax",
        inventory="reorder",
        lead_time_days=6,
        cover_days=24,
        channels=(
            Channel(
                "meta_ads",
                28.0,
                beta=0.12,
                half_saturation=45.0,
                shape=1.3,
                decay=0.45,
                cpm=9.5,
                ctr=0.011,
                cvr=0.025,
                q4_boost=1.8,
                campaign_name="Local Readers",
            ),
        ),
        staff=(
            StaffRole(
                "Store Manager",
                "Management",
                26.0,
                29.0,
                (_hours(9.5, 18.0),),
                (1, 1, 1, 1, 1, 1, 0),
                max_count=1,
            ),
            StaffRole(
                "Bookseller",
                "Sales Floor",
                16.5,
                19.0,
                (_hours(9.75, 16.0), _hours(13.5, 20.25)),
                (1, 1, 1, 1, 2, 3, 2),
                per_demand=22.0,
                max_count=5,
            ),
        ),
        expenses=ExpenseParams(
            landlord="Beacon Hill Realty Trust",
            rent=910000,
            utility_vendor="Eversource",
            utilities=110000,
            suppliers=(),
            subscriptions=(
                ("Shopify", 10500, "Software & Subscriptions"),
                ("Homebase", 3000, "Software & Subscriptions"),
                ("Intuit QuickBooks", 6500, "Software & Subscriptions"),
            ),
            card_vendors=(
                CardVendor("Staples", "Office Supplies", 1500, 12000),
                CardVendor("Uline", "Supplies", 4000, 25000),
            ),
            card_purchases_per_day=0.25,
            inventory_vendor="Ingram Content Group",
        ),
        missing_data=(
            (date(2025, 3, 10), date(2025, 3, 16), "shopify", "POS offline mode; orders never synced"),
        ),
    ),
    "trailhead-outfitters": Behaviour(
        kind="shop",
        base_daily=17.0,
        growth_per_year=0.05,
        weekly=(0.78, 0.8, 0.85, 0.92, 1.1, 1.55, 1.15),
        monthly=(0.85, 0.8, 0.9, 1.0, 1.15, 1.25, 1.22, 1.1, 0.95, 0.9, 1.05, 1.35),
        hourly=RETAIL_HOURLY,
        noise_sigma=0.17,
        holiday_closed=("Christmas Day", "New Year's Day", "Thanksgiving"),
        holiday_factor=1.3,
        event_factors=EVENTS_RETAIL,
        products=(
            Product("TH-TRAILRUN", "Trail Runner Shoe", "Footwear", 12900, 6800, 8, -1.6, tracked=True),
            Product("TH-BOOT", "Waterproof Hiking Boot", "Footwear", 17900, 9500, 5, -1.2, tracked=True),
            Product(
                "TH-BASELAYER",
                "Merino Base Layer",
                "Apparel",
                8900,
                3800,
                7,
                -1.1,
                tracked=True,
                monthly_boost=(1.7, 1.5, 1.1, 0.8, 0.5, 0.4, 0.4, 0.5, 0.9, 1.3, 1.6, 1.8),
            ),
            Product("TH-SHELL", "Rain Shell Jacket", "Apparel", 19900, 9200, 5, -1.1, tracked=True),
            Product(
                "TH-DOWN",
                "Down Jacket",
                "Apparel",
                24900,
                12000,
                4,
                -1.0,
                tracked=True,
                monthly_boost=(1.8, 1.4, 0.9, 0.5, 0.2, 0.1, 0.1, 0.2, 0.7, 1.5, 2.0, 2.2),
            ),
            Product("TH-SOCKS", "Wool Hiking Socks", "Accessories", 2400, 800, 18, -0.7, tracked=True),
            Product("TH-DAYPACK", "Daypack 22L", "Packs", 8900, 4100, 5, -1.2, tracked=True),
            Product("TH-BOTTLE", "Insulated Bottle 32oz", "Accessories", 3400, 1200, 10, -0.9, tracked=True),
            Product("TH-HEADLAMP", "Headlamp", "Accessories", 4400, 1800, 6, -1.0, tracked=True),
            Product("TH-POLES", "Trekking Poles", "Gear", 11900, 5500, 3, -1.3, tracked=True),
            Product(
                "TH-STOVE",
                "Camp Stove",
                "Gear",
                5900,
                2700,
                3,
                -1.2,
                tracked=True,
                monthly_boost=(0.3, 0.4, 0.7, 1.1, 1.6, 1.9, 1.9, 1.6, 1.0, 0.6, 0.4, 0.5),
            ),
            Product(
                "TH-SUNSCREEN",
                "Sunscreen SPF 50",
                "Accessories",
                1400,
                500,
                8,
                -0.6,
                tracked=True,
                monthly_boost=(0.4, 0.5, 0.8, 1.1, 1.5, 1.9, 1.9, 1.5, 1.0, 0.6, 0.4, 0.4),
            ),
            Product(
                "TH-GLOVES",
                "Insulated Ski Gloves",
                "Accessories",
                5900,
                2400,
                4,
                -1.0,
                tracked=True,
                monthly_boost=(2.0, 1.6, 1.0, 0.4, 0.1, 0.1, 0.1, 0.1, 0.4, 1.2, 2.0, 2.6),
            ),
        ),
        extra_lines_mean=0.7,
        extra_unit_prob=0.08,
        big_order_prob=0.0008,
        anonymous_share=0.4,
        new_customer_share=0.35,
        initial_customers=1800,
        refund_prob=0.04,
        refund_delay=(2, 30),
        refund_full_share=0.5,
        restock_refunds=True,
        tax_rate=0.0881,
        tax_title="Denver Sales Tax",
        inventory="reorder",
        lead_time_days=9,
        cover_days=28,
        channels=(
            Channel(
                "google_ads",
                45.0,
                beta=0.14,
                half_saturation=60.0,
                shape=1.2,
                decay=0.3,
                cpm=18.0,
                ctr=0.045,
                cvr=0.03,
                q4_boost=1.3,
                campaign_name="Search - Outdoor Gear",
            ),
            Channel(
                "meta_ads",
                30.0,
                beta=0.09,
                half_saturation=55.0,
                shape=1.4,
                decay=0.5,
                cpm=11.0,
                ctr=0.009,
                cvr=0.02,
                q4_boost=1.5,
                campaign_name="Prospecting - Colorado",
            ),
        ),
        staff=(
            StaffRole(
                "Store Manager",
                "Management",
                27.0,
                31.0,
                (_hours(9.0, 17.5),),
                (1, 1, 1, 1, 1, 1, 1),
                max_count=1,
            ),
            StaffRole(
                "Sales Associate",
                "Sales Floor",
                18.3,
                21.0,
                (_hours(9.5, 16.0), _hours(13.0, 20.25)),
                (1, 1, 1, 1, 2, 3, 2),
                per_demand=16.0,
                max_count=5,
            ),
        ),
        expenses=ExpenseParams(
            landlord="Platte Street Partners LLC",
            rent=1150000,
            utility_vendor="Xcel Energy",
            utilities=140000,
            suppliers=(),
            subscriptions=(
                ("Shopify", 29900, "Software & Subscriptions"),
                ("Homebase", 6000, "Software & Subscriptions"),
                ("Intuit QuickBooks", 9900, "Software & Subscriptions"),
            ),
            card_vendors=(
                CardVendor("Uline", "Supplies", 5000, 30000),
                CardVendor("Home Depot", "Repairs and Maintenance", 3000, 40000),
            ),
            card_purchases_per_day=0.3,
            inventory_vendor="Summit Outdoor Distribution",
        ),
    ),
    "kindred-skincare": Behaviour(
        kind="shop",
        base_daily=15.0,
        growth_per_year=0.22,
        weekly=(1.08, 1.05, 1.02, 1.0, 0.93, 0.9, 1.02),
        monthly=(0.95, 1.0, 0.98, 0.97, 1.0, 0.95, 0.95, 0.93, 0.95, 1.0, 1.25, 1.2),
        hourly=ONLINE_HOURLY,
        noise_sigma=0.2,
        holiday_closed=(),
        holiday_factor=0.9,
        event_factors=EVENTS_ONLINE,
        products=(
            Product("KS-CLEANSER", "Gentle Gel Cleanser", "Cleanser", 2400, 500, 16, -1.1, tracked=True),
            Product("KS-SERUM", "Hydrating Peptide Serum", "Serum", 4200, 800, 14, -1.3, tracked=True),
            Product(
                "KS-MOIST", "Daily Barrier Moisturizer", "Moisturizer", 3600, 700, 14, -1.1, tracked=True
            ),
            Product(
                "KS-SPF",
                "Mineral Sunscreen SPF 30",
                "Sunscreen",
                3200,
                700,
                10,
                -1.0,
                tracked=True,
                monthly_boost=(0.5, 0.6, 0.9, 1.2, 1.5, 1.7, 1.7, 1.5, 1.1, 0.7, 0.5, 0.5),
            ),
            Product("KS-RETINOL", "Retinol Night Cream", "Treatment", 5800, 1200, 7, -1.2, tracked=True),
            Product("KS-LIP", "Lip Balm Trio", "Lip", 1800, 300, 9, -0.9, tracked=True),
            Product("KS-MASK", "Kaolin Clay Mask", "Treatment", 3400, 600, 6, -1.2, tracked=True),
            Product("KS-KIT", "Starter Ritual Kit", "Sets", 7900, 1800, 6, -1.4, tracked=True),
            Product(
                "KS-GIFTBOX",
                "Holiday Glow Gift Box",
                "Sets",
                9500,
                2400,
                6,
                -1.3,
                tracked=True,
                months=(11, 12),
            ),
            Product("KS-BODYOIL", "Botanical Body Oil", "Body", 4600, 900, 5, -1.1, tracked=True),
        ),
        extra_lines_mean=0.9,
        extra_unit_prob=0.1,
        big_order_prob=0.0005,
        anonymous_share=0.0,
        new_customer_share=0.45,
        initial_customers=6000,
        refund_prob=0.06,
        refund_delay=(5, 35),
        refund_full_share=0.65,
        restock_refunds=True,
        tax_rate=0.095,
        tax_title="CA Sales Tax",
        shipping=(5000, 695),
        online=True,
        inventory="reorder",
        lead_time_days=12,
        cover_days=35,
        channels=(
            Channel(
                "meta_ads",
                140.0,
                beta=0.45,
                half_saturation=260.0,
                shape=1.1,
                decay=0.5,
                cpm=14.0,
                ctr=0.012,
                cvr=0.028,
                q4_boost=1.6,
                campaign_name="Advantage+ Shopping",
            ),
            Channel(
                "google_ads",
                70.0,
                beta=0.2,
                half_saturation=90.0,
                shape=1.2,
                decay=0.3,
                cpm=22.0,
                ctr=0.05,
                cvr=0.04,
                q4_boost=1.3,
                campaign_name="Brand + Shopping",
            ),
            Channel(
                "tiktok_ads",
                35.0,
                beta=0.12,
                half_saturation=80.0,
                shape=1.5,
                decay=0.55,
                cpm=7.0,
                ctr=0.008,
                cvr=0.012,
                q4_boost=1.4,
                campaign_name="Spark Ads - Routine",
            ),
        ),
        expenses=ExpenseParams(
            landlord="Arts District Studios LLC",
            rent=480000,
            utility_vendor="LADWP",
            utilities=45000,
            suppliers=(),
            subscriptions=(
                ("Shopify", 39900, "Software & Subscriptions"),
                ("Klaviyo", 35000, "Software & Subscriptions"),
                ("Intuit QuickBooks", 9900, "Software & Subscriptions"),
            ),
            card_vendors=(
                CardVendor("ShipStation", "Shipping and Delivery", 8000, 40000),
                CardVendor("Uline", "Supplies", 5000, 35000),
            ),
            card_purchases_per_day=0.4,
            salaried_payroll_monthly=2200000,
            inventory_vendor="Pacific Cosmetic Labs",
        ),
    ),
    "north-loop-threads": Behaviour(
        kind="shop",
        base_daily=10.0,
        growth_per_year=0.14,
        weekly=(1.07, 1.04, 1.0, 0.98, 0.95, 0.93, 1.03),
        monthly=(0.9, 0.85, 1.0, 1.05, 1.0, 0.9, 0.92, 0.95, 1.0, 1.05, 1.3, 1.15),
        hourly=ONLINE_HOURLY,
        noise_sigma=0.22,
        holiday_closed=(),
        holiday_factor=0.9,
        event_factors=EVENTS_ONLINE,
        products=(
            Product(
                "NL-MERINO",
                "Merino Crew Sweater",
                "Knitwear",
                8900,
                3200,
                8,
                -1.1,
                tracked=True,
                monthly_boost=(1.4, 1.2, 0.9, 0.7, 0.5, 0.4, 0.4, 0.6, 1.0, 1.4, 1.6, 1.6),
            ),
            Product("NL-TEE", "Organic Cotton Tee", "Tops", 3400, 900, 20, -1.3, tracked=True),
            Product(
                "NL-FLANNEL",
                "Heavyweight Flannel Shirt",
                "Tops",
                7200,
                2400,
                8,
                -1.2,
                tracked=True,
                monthly_boost=(1.3, 1.1, 0.9, 0.7, 0.5, 0.4, 0.4, 0.7, 1.2, 1.5, 1.6, 1.4),
            ),
            Product("NL-DENIM", "Selvedge Denim", "Bottoms", 12800, 4800, 6, -1.0, tracked=True),
            Product("NL-CHORE", "Canvas Chore Coat", "Outerwear", 16800, 6200, 4, -1.0, tracked=True),
            Product(
                "NL-BEANIE",
                "Ribbed Beanie",
                "Accessories",
                3200,
                900,
                8,
                -1.1,
                tracked=True,
                monthly_boost=(1.6, 1.2, 0.8, 0.5, 0.3, 0.2, 0.2, 0.4, 0.9, 1.5, 2.0, 2.2),
            ),
            Product(
                "NL-LINEN",
                "Linen Camp Shirt",
                "Tops",
                7800,
                2600,
                6,
                -1.2,
                tracked=True,
                monthly_boost=(0.3, 0.4, 0.8, 1.3, 1.8, 2.0, 2.0, 1.6, 0.9, 0.4, 0.3, 0.3),
            ),
            Product("NL-TOTE", "Waxed Canvas Tote", "Accessories", 2800, 800, 6, -1.2, tracked=True),
            Product("NL-SOCKS", "Wool Socks 3-Pack", "Accessories", 2600, 800, 10, -0.9, tracked=True),
            Product("NL-HOODIE", "Loopback Hoodie", "Tops", 8400, 2800, 10, -1.2, tracked=True),
        ),
        extra_lines_mean=0.7,
        extra_unit_prob=0.06,
        anonymous_share=0.0,
        new_customer_share=0.5,
        initial_customers=2200,
        refund_prob=0.1,
        refund_delay=(6, 40),
        refund_full_share=0.55,
        restock_refunds=True,
        tax_rate=0.0803,
        tax_title="MN Sales Tax",
        shipping=(7500, 800),
        online=True,
        inventory="reorder",
        lead_time_days=14,
        cover_days=40,
        channels=(
            Channel(
                "meta_ads",
                60.0,
                beta=0.35,
                half_saturation=110.0,
                shape=1.15,
                decay=0.5,
                cpm=12.0,
                ctr=0.011,
                cvr=0.022,
                q4_boost=1.7,
                campaign_name="Catalog Sales",
            ),
            Channel(
                "google_ads",
                25.0,
                beta=0.12,
                half_saturation=40.0,
                shape=1.2,
                decay=0.3,
                cpm=20.0,
                ctr=0.048,
                cvr=0.035,
                q4_boost=1.3,
                campaign_name="Performance Max",
            ),
        ),
        expenses=ExpenseParams(
            landlord="Warehouse District Lofts LLC",
            rent=240000,
            utility_vendor="Xcel Energy",
            utilities=30000,
            suppliers=(),
            subscriptions=(
                ("Shopify", 10500, "Software & Subscriptions"),
                ("Klaviyo", 15000, "Software & Subscriptions"),
                ("Intuit QuickBooks", 6500, "Software & Subscriptions"),
            ),
            card_vendors=(
                CardVendor("USPS", "Shipping and Delivery", 5000, 30000),
                CardVendor("Packlane", "Supplies", 8000, 40000),
            ),
            card_purchases_per_day=0.3,
            salaried_payroll_monthly=1200000,
            inventory_vendor="Midwest Cut & Sew Co.",
        ),
    ),
    "gloss-and-grain": Behaviour(
        kind="appointments",
        base_daily=19.0,
        growth_per_year=0.04,
        weekly=(0.0, 0.8, 0.9, 1.05, 1.2, 1.45, 0.0),  # closed Sunday and Monday
        monthly=(0.85, 0.9, 0.97, 1.02, 1.1, 1.05, 0.95, 0.95, 0.98, 1.0, 1.05, 1.25),
        hourly=SALON_HOURLY,
        noise_sigma=0.12,
        holiday_closed=(
            "Christmas Day",
            "New Year's Day",
            "Thanksgiving",
            "Independence Day",
            "Memorial Day",
            "Labor Day",
        ),
        holiday_factor=0.9,
        event_factors={"christmas_eve": 0.5, "pre_christmas": 1.2, "mothers_day_weekend": 1.1},
        products=(
            Product("GG-CUTW", "Women's Cut & Style", "Cut", 7500, 0, 26, -0.5),
            Product("GG-CUTM", "Men's Cut", "Cut", 4500, 0, 12, -0.6),
            Product("GG-BLOWOUT", "Blowout", "Style", 5000, 0, 12, -0.8),
            Product("GG-COLOR", "Single-Process Color", "Color", 12000, 0, 14, -0.6),
            Product("GG-BALAYAGE", "Balayage", "Color", 21000, 0, 8, -0.6),
            Product("GG-HIGHLIGHT", "Partial Highlights", "Color", 16500, 0, 9, -0.6),
            Product("GG-TREAT", "Deep Conditioning Treatment", "Treatment", 3500, 0, 8, -1.0),
            Product("GG-KIDS", "Kids' Cut", "Cut", 3000, 0, 5, -0.7),
            Product(
                "GG-UPDO", "Bridal & Event Updo", "Style", 15000, 0, 3, -0.4, months=(4, 5, 6, 7, 8, 9, 10)
            ),
        ),
        extra_lines_mean=0.0,
        anonymous_share=0.0,
        new_customer_share=0.22,
        initial_customers=1400,
        refund_prob=0.012,
        refund_delay=(0, 10),
        refund_full_share=0.5,
        tax_rate=0.0,
        tip_rate=0.18,
        capacity_role="Stylist",
        capacity_per_staff=6,
        channels=(
            Channel(
                "meta_ads",
                22.0,
                beta=0.1,
                half_saturation=30.0,
                shape=1.3,
                decay=0.5,
                cpm=10.0,
                ctr=0.012,
                cvr=0.02,
                q4_boost=1.2,
                campaign_name="Instagram - Book Now",
            ),
        ),
        staff=(
            StaffRole(
                "Stylist",
                "Salon Floor",
                18.0,
                26.0,
                (_hours(9.0, 17.5), _hours(10.5, 19.0)),
                (0, 3, 3, 3, 4, 4, 0),
                per_demand=0.0,
                max_count=4,
            ),
            StaffRole(
                "Front Desk",
                "Front Desk",
                15.0,
                17.0,
                (_hours(8.75, 18.75),),
                (0, 1, 1, 1, 1, 1, 0),
                max_count=1,
            ),
        ),
        expenses=ExpenseParams(
            landlord="Inman Park Retail LLC",
            rent=650000,
            utility_vendor="Georgia Power",
            utilities=85000,
            suppliers=(("SalonCentric", 0.09),),
            subscriptions=(
                ("Vagaro", 8500, "Software & Subscriptions"),
                ("Homebase", 3000, "Software & Subscriptions"),
                ("Intuit QuickBooks", 6500, "Software & Subscriptions"),
            ),
            card_vendors=(
                CardVendor("Sally Beauty", "Supplies", 2500, 18000),
                CardVendor("Target", "Office Supplies", 1500, 9000),
            ),
            card_purchases_per_day=0.3,
        ),
    ),
    "the-barber-collective": Behaviour(
        kind="appointments",
        base_daily=21.0,
        growth_per_year=0.02,
        weekly=(0.0, 0.9, 0.95, 1.0, 1.15, 1.4, 0.8),  # closed Mondays
        monthly=(0.92, 0.92, 0.97, 1.0, 1.03, 1.03, 0.98, 1.08, 1.02, 0.98, 0.98, 1.1),
        hourly=SALON_HOURLY,
        noise_sigma=0.11,
        holiday_closed=("Christmas Day", "New Year's Day", "Thanksgiving"),
        holiday_factor=0.85,
        event_factors={"pre_christmas": 1.15, "christmas_eve": 0.6},
        products=(
            Product("BC-CLASSIC", "Classic Cut", "Cut", 3800, 0, 30, -0.6),
            Product("BC-FADE", "Skin Fade", "Cut", 4500, 0, 26, -0.6),
            Product("BC-BEARD", "Beard Trim", "Beard", 2200, 0, 12, -0.8),
            Product("BC-CUTBEARD", "Cut & Beard", "Cut", 5800, 0, 16, -0.6),
            Product("BC-SHAVE", "Hot Towel Shave", "Shave", 4800, 0, 6, -0.7),
            Product("BC-KIDS", "Kids' Cut", "Cut", 2800, 0, 10, -0.7),
        ),
        extra_lines_mean=0.0,
        anonymous_share=0.0,
        new_customer_share=0.3,
        initial_customers=1600,
        refund_prob=0.006,
        refund_delay=(0, 5),
        refund_full_share=0.8,
        tax_rate=0.0,
        tip_rate=0.2,
        capacity_role="Barber",
        capacity_per_staff=11,
        staff=(
            StaffRole(
                "Barber",
                "Shop Floor",
                17.0,
                22.0,
                (_hours(9.5, 17.5), _hours(11.5, 20.0)),
                (0, 3, 3, 3, 3, 4, 3),
                max_count=4,
            ),
        ),
        expenses=ExpenseParams(
            landlord="Franklin Avenue Associates",
            rent=720000,
            utility_vendor="Con Edison",
            utilities=70000,
            suppliers=(("Barber Depot", 0.06),),
            subscriptions=(
                ("Square Appointments", 6900, "Software & Subscriptions"),
                ("Homebase", 2500, "Software & Subscriptions"),
                ("Intuit QuickBooks", 3500, "Software & Subscriptions"),
            ),
            card_vendors=(CardVendor("Amazon Business", "Supplies", 1500, 12000),),
            card_purchases_per_day=0.2,
        ),
    ),
    "ledgerline-advisors": Behaviour(
        kind="services",
        base_daily=5.0,
        growth_per_year=0.03,
        weekly=(1.1, 1.05, 1.0, 1.0, 0.85, 0.0, 0.0),
        monthly=(1.1, 1.5, 1.9, 2.0, 0.7, 0.6, 0.55, 0.6, 0.9, 1.1, 0.75, 0.8),
        hourly=OFFICE_HOURLY,
        noise_sigma=0.25,
        holiday_closed=(
            "Christmas Day",
            "New Year's Day",
            "Thanksgiving",
            "Independence Day",
            "Memorial Day",
            "Labor Day",
            "Martin Luther King",
        ),
        services=ServicesParams(
            retainer_item="Monthly Bookkeeping & Advisory",
            retainer_low=45000,
            retainer_high=180000,
            initial_retainers=220,
            retainer_churn_monthly=0.015,
            retainer_new_monthly=1.4,
            project_items=(
                ServiceItem("Individual Tax Return (Form 1040)", 45000, 120000, 6.0),
                ServiceItem("Business Tax Return (Form 1120-S)", 150000, 420000, 2.0),
                ServiceItem("Tax Planning Consultation", 35000, 90000, 1.5),
                ServiceItem("Audit Support", 250000, 900000, 0.3),
            ),
            initial_clients=900,
        ),
        expenses=ExpenseParams(
            landlord="Market Street Office Partners",
            rent=3400000,
            utility_vendor="PECO",
            utilities=280000,
            suppliers=(),
            subscriptions=(
                ("Intuit QuickBooks", 20000, "Software & Subscriptions"),
                ("Thomson Reuters UltraTax", 180000, "Software & Subscriptions"),
                ("Microsoft 365", 120000, "Software & Subscriptions"),
            ),
            card_vendors=(
                CardVendor("Staples", "Office Supplies", 3000, 40000),
                CardVendor("Philly Catering Co.", "Meals and Entertainment", 8000, 60000),
            ),
            card_purchases_per_day=0.6,
            salaried_payroll_monthly=26000000,
        ),
    ),
    "brightpath-marketing": Behaviour(
        kind="services",
        base_daily=0.45,
        growth_per_year=0.1,
        weekly=(1.1, 1.05, 1.0, 1.0, 0.85, 0.0, 0.0),
        monthly=(1.15, 1.05, 1.05, 1.0, 1.0, 0.9, 0.85, 0.85, 1.05, 1.1, 1.0, 0.85),
        hourly=OFFICE_HOURLY,
        noise_sigma=0.3,
        holiday_closed=(
            "Christmas Day",
            "New Year's Day",
            "Thanksgiving",
            "Independence Day",
            "Memorial Day",
            "Labor Day",
        ),
        services=ServicesParams(
            retainer_item="Monthly Marketing Retainer",
            retainer_low=250000,
            retainer_high=800000,
            initial_retainers=11,
            retainer_churn_monthly=0.04,
            retainer_new_monthly=0.5,
            project_items=(
                ServiceItem("Campaign Strategy & Launch", 300000, 1500000, 2.0),
                ServiceItem("Brand Workshop", 180000, 360000, 1.0),
                ServiceItem("Website Conversion Audit", 150000, 450000, 1.0),
            ),
            initial_clients=45,
            terms_days=15,
        ),
        expenses=ExpenseParams(
            landlord="Pioneer Square Workspace",
            rent=950000,
            utility_vendor="Seattle City Light",
            utilities=40000,
            suppliers=(("Freelance Creative Collective", 0.12),),
            subscriptions=(
                ("Intuit QuickBooks", 9900, "Software & Subscriptions"),
                ("HubSpot", 89000, "Software & Subscriptions"),
                ("Adobe Creative Cloud", 35900, "Software & Subscriptions"),
            ),
            card_vendors=(
                CardVendor("WeWork On Demand", "Rent or Lease", 2500, 15000),
                CardVendor("Alaska Airlines", "Travel", 25000, 90000),
            ),
            card_purchases_per_day=0.4,
            salaried_payroll_monthly=7500000,
        ),
    ),
    "tidyshift": Behaviour(
        kind="subscriptions",
        base_daily=5.0,
        growth_per_year=0.25,
        weekly=(1.15, 1.15, 1.1, 1.05, 0.95, 0.55, 0.6),
        monthly=(1.2, 1.1, 1.05, 1.0, 0.95, 0.9, 0.85, 0.88, 1.05, 1.05, 0.95, 0.75),
        hourly=SAAS_HOURLY,
        noise_sigma=0.2,
        holiday_closed=(),
        holiday_factor=0.6,
        saas=SaasParams(
            plans=(
                Plan("starter", "Starter", 1900, 0.5, 0.24, 0.055, upgrade_to="pro", upgrade_prob=0.025),
                Plan(
                    "pro",
                    "Pro",
                    4900,
                    0.4,
                    0.3,
                    0.032,
                    upgrade_to="business",
                    upgrade_prob=0.01,
                    downgrade_to="starter",
                    downgrade_prob=0.01,
                ),
                Plan(
                    "business", "Business", 14900, 0.1, 0.34, 0.015, downgrade_to="pro", downgrade_prob=0.008
                ),
            ),
            trial_days=14,
            initial_subscribers=450,
        ),
        channels=(
            Channel(
                "google_ads",
                120.0,
                beta=0.3,
                half_saturation=150.0,
                shape=1.2,
                decay=0.35,
                cpm=35.0,
                ctr=0.04,
                cvr=0.05,
                campaign_name="Search - Shift Scheduling",
            ),
            Channel(
                "linkedin_ads",
                60.0,
                beta=0.1,
                half_saturation=120.0,
                shape=1.4,
                decay=0.6,
                cpm=45.0,
                ctr=0.006,
                cvr=0.015,
                campaign_name="Ops Managers - Lead Gen",
            ),
        ),
        expenses=ExpenseParams(
            landlord="Pearl Street Offices",
            rent=1400000,
            utility_vendor="Xcel Energy",
            utilities=60000,
            suppliers=(),
            subscriptions=(
                ("Amazon Web Services", 640000, "Cloud Hosting"),
                ("Intuit QuickBooks", 9900, "Software & Subscriptions"),
                ("GitHub", 42000, "Software & Subscriptions"),
                ("Slack", 19000, "Software & Subscriptions"),
            ),
            card_vendors=(
                CardVendor("Datadog", "Cloud Hosting", 30000, 90000),
                CardVendor("United Airlines", "Travel", 25000, 80000),
            ),
            card_purchases_per_day=0.3,
            salaried_payroll_monthly=9500000,
        ),
    ),
    "formwise": Behaviour(
        kind="subscriptions",
        base_daily=2.5,
        growth_per_year=0.18,
        weekly=(1.12, 1.12, 1.08, 1.05, 0.95, 0.6, 0.65),
        monthly=(1.15, 1.1, 1.05, 1.0, 0.95, 0.88, 0.85, 0.88, 1.05, 1.05, 1.0, 0.8),
        hourly=SAAS_HOURLY,
        noise_sigma=0.22,
        holiday_closed=(),
        holiday_factor=0.6,
        saas=SaasParams(
            plans=(
                Plan("solo", "Solo", 1200, 0.55, 0.2, 0.06, upgrade_to="team", upgrade_prob=0.02),
                Plan(
                    "team",
                    "Team",
                    3900,
                    0.35,
                    0.28,
                    0.035,
                    upgrade_to="agency",
                    upgrade_prob=0.008,
                    downgrade_to="solo",
                    downgrade_prob=0.012,
                ),
                Plan("agency", "Agency", 9900, 0.1, 0.3, 0.02, downgrade_to="team", downgrade_prob=0.01),
            ),
            trial_days=14,
            initial_subscribers=180,
        ),
        channels=(
            Channel(
                "google_ads",
                55.0,
                beta=0.25,
                half_saturation=70.0,
                shape=1.2,
                decay=0.35,
                cpm=28.0,
                ctr=0.035,
                cvr=0.045,
                campaign_name="Search - Online Forms",
            ),
        ),
        expenses=ExpenseParams(
            landlord="King West Coworking",
            rent=350000,
            utility_vendor="Toronto Hydro",
            utilities=0,
            suppliers=(),
            subscriptions=(
                ("Google Cloud", 210000, "Cloud Hosting"),
                ("Intuit QuickBooks", 7500, "Software & Subscriptions"),
                ("Intercom", 22000, "Software & Subscriptions"),
            ),
            card_vendors=(CardVendor("Staples", "Office Supplies", 1500, 9000),),
            card_purchases_per_day=0.15,
            salaried_payroll_monthly=2200000,
        ),
    ),
}
