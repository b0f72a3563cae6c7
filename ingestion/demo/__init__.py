"""Keel's demo businesses: a seeded simulator of small businesses whose records look like what Shopify,
Stripe, QuickBooks Online, a Homebase-like shift tool and ad platforms return, with known ground truth.

    world = simulate(seed=42)                       # 14 tenants, 2023-11-01 .. 2026-10-31
    for spec in world.resources(): ...              # source, resource, primary key, cursor, disposition
    world.records("shopify", "orders", tenant_id)   # API-shaped dicts, in cursor order
    world.ground_truth                              # true effects of the interventions

See docs/demo-data.md for the tenants, resources, interventions, shapes and the incremental contract.
"""

from ingestion.sources.spec import ResourceSpec

from .interventions import INTERVENTIONS, GroundTruthEffect, Intervention
from .profiles import DEMO_TENANT_NAMESPACE, SOURCES, TENANTS, TENANTS_BY_SLUG, TenantProfile, demo_tenant_id
from .resources import DEFECT_KINDS
from .world import DEFAULT_END, DEFAULT_START, DataGap, DemoConfigError, DemoWorld, InjectedDefect, simulate

__all__ = [
    "DEFAULT_END",
    "DEFAULT_START",
    "DEFECT_KINDS",
    "DEMO_TENANT_NAMESPACE",
    "INTERVENTIONS",
    "SOURCES",
    "TENANTS",
    "TENANTS_BY_SLUG",
    "DataGap",
    "DemoConfigError",
    "DemoWorld",
    "GroundTruthEffect",
    "InjectedDefect",
    "Intervention",
    "ResourceSpec",
    "TenantProfile",
    "demo_tenant_id",
    "simulate",
]
