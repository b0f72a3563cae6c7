"""Who the demo businesses are: stable identities, industry codes, sizes, places and the sources they use.

The profiles are the public face of the simulator: the warehouse keys everything by `tenant_id`, the
benchmarks group tenants by industry, NAICS code, size band and region. Ids are `uuid5` of a fixed
namespace and the slug, so a tenant keeps its id across runs, seeds and machines.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Literal

# Fixed namespace for demo tenant ids; changing it would re-key every demo row ever loaded.
DEMO_TENANT_NAMESPACE = uuid.UUID("6f1c2a4e-3b5d-5c7e-9a1b-2c3d4e5f6a7b")

SOURCES: tuple[str, ...] = ("shopify", "stripe", "quickbooks", "shifts", "ads")

Industry = Literal[
    "cafe", "bakery", "retail_shop", "online_store", "salon", "b2b_services", "subscription_software"
]
SizeBand = Literal["micro", "small", "medium"]


def demo_tenant_id(slug: str) -> uuid.UUID:
    """The stable tenant id of a demo slug."""
    return uuid.uuid5(DEMO_TENANT_NAMESPACE, slug)


@dataclass(frozen=True)
class TenantProfile:
    """A demo business as Keel's tenant table and peer benchmarks see it."""

    slug: str
    name: str
    industry: Industry
    naics_code: str  # NAICS 2022, 6 digits
    naics_title: str
    size_band: SizeBand  # micro < 10 employees, small < 50, medium < 250
    employees: int
    country: str  # ISO 3166-1 alpha-2
    subdivision: str  # ISO 3166-2 subdivision code without the country prefix
    region: str  # US census region, or the Canadian region
    city: str
    timezone: str
    currency: str  # ISO 4217
    opened_on: date
    sources: tuple[str, ...]

    @property
    def tenant_id(self) -> uuid.UUID:
        return demo_tenant_id(self.slug)

    @property
    def region_code(self) -> str:
        """Country and subdivision, e.g. `US-OR`, the form the `holidays` package and ISO 3166-2 use."""
        return f"{self.country}-{self.subdivision}"

    def uses(self, source: str) -> bool:
        return source in self.sources


TENANTS: tuple[TenantProfile, ...] = (
    TenantProfile(
        slug="bluebird-coffee",
        name="Bluebird Coffee",
        industry="cafe",
        naics_code="722515",
        naics_title="Snack and Nonalcoholic Beverage Bars",
        size_band="small",
        employees=14,
        country="US",
        subdivision="OR",
        region="West",
        city="Portland",
        timezone="America/Los_Angeles",
        currency="USD",
        opened_on=date(2018, 5, 12),
        sources=("shopify", "quickbooks", "shifts"),
    ),
    TenantProfile(
        slug="morning-ritual-cafe",
        name="Morning Ritual Café",
        industry="cafe",
        naics_code="722515",
        naics_title="Snack and Nonalcoholic Beverage Bars",
        size_band="micro",
        employees=8,
        country="US",
        subdivision="TX",
        region="South",
        city="Austin",
        timezone="America/Chicago",
        currency="USD",
        opened_on=date(2021, 3, 1),
        sources=("shopify", "quickbooks", "shifts"),
    ),
    TenantProfile(
        slug="hearth-espresso",
        name="Hearth Espresso Bar",
        industry="cafe",
        naics_code="722515",
        naics_title="Snack and Nonalcoholic Beverage Bars",
        size_band="micro",
        employees=6,
        country="US",
        subdivision="IL",
        region="Midwest",
        city="Chicago",
        timezone="America/Chicago",
        currency="USD",
        opened_on=date(2026, 2, 2),
        sources=("shopify", "quickbooks", "shifts"),
    ),
    TenantProfile(
        slug="crumb-and-co",
        name="Crumb & Co. Bakery",
        industry="bakery",
        naics_code="445291",
        naics_title="Baked Goods Retailers",
        size_band="micro",
        employees=9,
        country="CA",
        subdivision="BC",
        region="Western Canada",
        city="Vancouver",
        timezone="America/Vancouver",
        currency="CAD",
        opened_on=date(2020, 6, 15),
        sources=("shopify", "quickbooks", "shifts"),
    ),
    TenantProfile(
        slug="paper-lantern-books",
        name="Paper Lantern Books",
        industry="retail_shop",
        naics_code="459210",
        naics_title="Book Retailers and News Dealers",
        size_band="small",
        employees=12,
        country="US",
        subdivision="MA",
        region="Northeast",
        city="Boston",
        timezone="America/New_York",
        currency="USD",
        opened_on=date(2012, 9, 1),
        sources=("shopify", "quickbooks", "shifts", "ads"),
    ),
    TenantProfile(
        slug="trailhead-outfitters",
        name="Trailhead Outfitters",
        industry="retail_shop",
        naics_code="459110",
        naics_title="Sporting Goods Retailers",
        size_band="small",
        employees=16,
        country="US",
        subdivision="CO",
        region="West",
        city="Denver",
        timezone="America/Denver",
        currency="USD",
        opened_on=date(2016, 4, 1),
        sources=("shopify", "quickbooks", "shifts", "ads"),
    ),
    TenantProfile(
        slug="kindred-skincare",
        name="Kindred Skincare",
        industry="online_store",
        naics_code="456120",
        naics_title="Cosmetics, Beauty Supplies, and Perfume Retailers",
        size_band="small",
        employees=11,
        country="US",
        subdivision="CA",
        region="West",
        city="Los Angeles",
        timezone="America/Los_Angeles",
        currency="USD",
        opened_on=date(2019, 10, 1),
        sources=("shopify", "quickbooks", "ads"),
    ),
    TenantProfile(
        slug="north-loop-threads",
        name="North Loop Threads",
        industry="online_store",
        naics_code="458110",
        naics_title="Clothing and Clothing Accessories Retailers",
        size_band="micro",
        employees=5,
        country="US",
        subdivision="MN",
        region="Midwest",
        city="Minneapolis",
        timezone="America/Chicago",
        currency="USD",
        opened_on=date(2022, 2, 14),
        sources=("shopify", "quickbooks", "ads"),
    ),
    TenantProfile(
        slug="gloss-and-grain",
        name="Gloss & Grain Salon",
        industry="salon",
        naics_code="812112",
        naics_title="Beauty Salons",
        size_band="small",
        employees=10,
        country="US",
        subdivision="GA",
        region="South",
        city="Atlanta",
        timezone="America/New_York",
        currency="USD",
        opened_on=date(2017, 8, 1),
        sources=("stripe", "quickbooks", "shifts", "ads"),
    ),
    TenantProfile(
        slug="the-barber-collective",
        name="The Barber Collective",
        industry="salon",
        naics_code="812111",
        naics_title="Barber Shops",
        size_band="micro",
        employees=7,
        country="US",
        subdivision="NY",
        region="Northeast",
        city="Brooklyn",
        timezone="America/New_York",
        currency="USD",
        opened_on=date(2020, 1, 6),
        sources=("stripe", "quickbooks", "shifts"),
    ),
    TenantProfile(
        slug="ledgerline-advisors",
        name="Ledgerline Advisors",
        industry="b2b_services",
        naics_code="541211",
        naics_title="Offices of Certified Public Accountants",
        size_band="medium",
        employees=58,
        country="US",
        subdivision="PA",
        region="Northeast",
        city="Philadelphia",
        timezone="America/New_York",
        currency="USD",
        opened_on=date(2011, 1, 3),
        sources=("quickbooks",),
    ),
    TenantProfile(
        slug="brightpath-marketing",
        name="Brightpath Marketing",
        industry="b2b_services",
        naics_code="541613",
        naics_title="Marketing Consulting Services",
        size_band="small",
        employees=13,
        country="US",
        subdivision="WA",
        region="West",
        city="Seattle",
        timezone="America/Los_Angeles",
        currency="USD",
        opened_on=date(2019, 3, 1),
        sources=("quickbooks",),
    ),
    TenantProfile(
        slug="tidyshift",
        name="Tidyshift",
        industry="subscription_software",
        naics_code="513210",
        naics_title="Software Publishers",
        size_band="small",
        employees=12,
        country="US",
        subdivision="CO",
        region="West",
        city="Boulder",
        timezone="America/Denver",
        currency="USD",
        opened_on=date(2020, 9, 1),
        sources=("stripe", "quickbooks", "ads"),
    ),
    TenantProfile(
        slug="formwise",
        name="Formwise",
        industry="subscription_software",
        naics_code="513210",
        naics_title="Software Publishers",
        size_band="micro",
        employees=4,
        country="CA",
        subdivision="ON",
        region="Central Canada",
        city="Toronto",
        timezone="America/Toronto",
        currency="CAD",
        opened_on=date(2022, 5, 2),
        sources=("stripe", "quickbooks", "ads"),
    ),
)

TENANTS_BY_SLUG: dict[str, TenantProfile] = {t.slug: t for t in TENANTS}
