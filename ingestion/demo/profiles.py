"""Who the demo businesses are: stable identities, industry codes, sizes, places and the sources they use.

The profiles are the public face of the simulator: the warehouse keys everything by `tenant_id`, the
benchmarks group tenants by industry, NAICS code, size band and region. Ids are `uuid5` of a fixed
namespace and the slug, so a tenant keeps its id across runs, seeds and machines.

The profiles themselves are data: `catalogue/tenants.yaml`, validated against `TenantProfile`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal, get_args

from pydantic import ConfigDict

from ingestion.sources import SOURCE_NAMES

from .catalogue import CATALOGUE_DIR, load_list

# Fixed namespace for demo tenant ids; changing it would re-key every demo row ever loaded.
DEMO_TENANT_NAMESPACE = uuid.UUID("6f1c2a4e-3b5d-5c7e-9a1b-2c3d4e5f6a7b")

SOURCES: tuple[str, ...] = SOURCE_NAMES

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

    __pydantic_config__ = ConfigDict(extra="forbid")

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
    #: A benchmark peer: a lighter-weight copy of this catalogue business (its slug), with its own seed,
    #: name and id, that feeds the peer benchmarks only (see `peer_copies`).
    copy_of: str | None = None
    #: A full-weight copy of ``copy_of`` (KEEL_DEMO_SCALE, see `scale_copies`): a tenant like any other
    #: (owners, forecasts, evidence, plans, its own partition), not a benchmark peer. Left out of the repr,
    #: so the catalogue's profiles print (and fingerprint) as they did before copies existed.
    full_weight: bool = field(default=False, repr=False)

    @property
    def tenant_id(self) -> uuid.UUID:
        return demo_tenant_id(self.slug)

    @property
    def is_benchmark_peer(self) -> bool:
        return self.copy_of is not None and not self.full_weight

    @property
    def behaviour_slug(self) -> str:
        """Whose behaviour (catalogue/behaviours/<slug>.yaml) the business follows."""
        return self.copy_of or self.slug

    @property
    def region_code(self) -> str:
        """Country and subdivision, e.g. `US-OR`, the form the `holidays` package and ISO 3166-2 use."""
        return f"{self.country}-{self.subdivision}"

    def uses(self, source: str) -> bool:
        return source in self.sources


TENANTS: tuple[TenantProfile, ...] = load_list(CATALOGUE_DIR / "tenants.yaml", TenantProfile, key="slug")

TENANTS_BY_SLUG: dict[str, TenantProfile] = {t.slug: t for t in TENANTS}

#: Names of benchmark peers: "<first> <second>", drawn by the copy's number, so copies read as other
#: businesses of the same trade ("Copperleaf Coffee"), never as the catalogue business they copy.
PEER_NAME_FIRST = (
    "Copperleaf",
    "Northgate",
    "Riverside",
    "Juniper",
    "Maple Street",
    "Harbor",
    "Old Mill",
    "Cedar",
    "Bright Oak",
    "Summit",
    "Lakeview",
    "Foxglove",
    "Granite",
    "Willow",
    "Beacon",
    "Kestrel",
    "Aspen",
    "Bluestone",
    "Orchard",
    "Meridian",
)

#: The word that says a peer's trade in its name.
PEER_TRADE_WORDS: dict[str, str] = {
    "cafe": "Coffee",
    "bakery": "Bakehouse",
    "retail_shop": "Goods",
    "online_store": "Supply Co.",
    "salon": "Salon",
    "b2b_services": "Partners",
    "subscription_software": "Software",
}


def peer_copies(profile: TenantProfile, count: int) -> tuple[TenantProfile, ...]:
    """``count`` benchmark peers of ``profile``: same industry, NAICS code, size band, region, currency and
    sources, their own slug (``<slug>-peer-<n>``), id, name and random draws (the simulator keys its
    randomness by slug), no owners' interventions. Deterministic: the same count gives the same peers.
    """
    if count < 0:
        raise ValueError(f"the number of peer copies must be 0 or more, got {count}")
    return _copies(profile, range(1, count + 1), "peer-", full_weight=False)


def scale_copies(profile: TenantProfile, scale: int) -> tuple[TenantProfile, ...]:
    """Copies 2..``scale`` of ``profile``, for a demo of ``scale`` times the businesses (KEEL_DEMO_SCALE):
    made like `peer_copies` (same trade, size, place and sources; their own slug ``<slug>-x<n>``, id, name
    and random draws) but full-weight tenants: owners, the owner's interventions (re-keyed to the copy),
    forecasts, evidence and plans. Scale 1: none. Deterministic: the same scale gives the same copies.
    """
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"the demo scale must be a whole number of 1 or more, got {scale!r}")
    return _copies(profile, range(2, scale + 1), "x", full_weight=True)


def demo_profile(slug: str, scale: int | None = None) -> TenantProfile | None:
    """The catalogue business, or its full-weight copy (``<slug>-x<n>``, any n when ``scale`` is None, else
    n <= ``scale``), that has this slug; None when no demo business has it."""
    if slug in TENANTS_BY_SLUG:
        return TENANTS_BY_SLUG[slug]
    base, _, number = slug.rpartition("-x")
    if base not in TENANTS_BY_SLUG or not number.isdigit() or number != str(int(number)):
        return None
    n = int(number)
    if n < 2 or (scale is not None and n > scale):
        return None
    return scale_copies(TENANTS_BY_SLUG[base], n)[-1]


def _copies(
    profile: TenantProfile, numbers: range, marker: str, *, full_weight: bool
) -> tuple[TenantProfile, ...]:
    """The one copier of demo businesses: copy ``n`` of ``numbers`` is ``<slug>-<marker><n>``, named
    "<first> <trade>" from the copy's number (full-weight copies draw their first words from the other end
    of the list, so they rarely share a name with a peer of the same business)."""
    trade = PEER_TRADE_WORDS[profile.industry]
    offset = sum(map(ord, profile.slug))
    size = len(PEER_NAME_FIRST)
    copies = []
    for n in numbers:
        index = (n - 1 + offset) % size
        first = PEER_NAME_FIRST[size - 1 - index if full_weight else index]
        suffix = "" if n <= size else f" {n // size + 1}"
        copies.append(
            replace(
                profile,
                slug=f"{profile.slug}-{marker}{n}",
                name=f"{first} {trade}{suffix}",
                copy_of=profile.behaviour_slug,
                full_weight=full_weight,
            )
        )
    return tuple(copies)


#: The industries Keel knows (the demo catalogue's, which the benchmarks' peer groups and the revenue
#: models in dbt's int_tenants_classified use).
INDUSTRIES: tuple[str, ...] = get_args(Industry)


def industry_naics_codes(industry: str) -> dict[str, str]:
    """The NAICS codes (with their titles) of the demo catalogue's businesses in ``industry``."""
    return {t.naics_code: t.naics_title for t in TENANTS if t.industry == industry}


def naics_for_industry(industry: str) -> str | None:
    """The NAICS code a new business of ``industry`` gets when none is given; None for an unknown industry.

    The catalogue's code when its businesses of that industry share one, else the longest prefix they
    share (a NAICS industry group or subsector: 459 for book and sporting-goods shops alike).
    """
    codes = sorted(industry_naics_codes(industry))
    if not codes:
        return None
    first, last = codes[0], codes[-1]  # sorted: what these two share, all share
    shared = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), len(first))
    prefix = first[:shared]
    return prefix if len(prefix) >= 2 else None
