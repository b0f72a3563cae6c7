"""Two tenants with rows in every tenant-scoped table, written through Keel's own tenancy code."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from keel import tenancy, warehouse
from keel.settings import KeelSettings


@dataclass(frozen=True)
class TwoTenants:
    a: tenancy.Tenant
    b: tenancy.Tenant


def tenant_scoped_relations(settings: KeelSettings) -> list[str]:
    """Every table or view with a tenant_id column that keel_app or keel_analyst can reach."""
    with warehouse.connect("admin", settings=settings) as conn:
        rows = conn.execute(
            """
            select format('%I.%I', n.nspname, c.relname)
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p', 'v', 'm', 'f')
              and n.nspname not in ('pg_catalog', 'information_schema')
              and exists (select 1 from pg_attribute a where a.attrelid = c.oid
                          and a.attname = 'tenant_id' and not a.attisdropped)
              and (  (has_schema_privilege('keel_app', n.oid, 'usage')
                      and has_any_column_privilege('keel_app', c.oid, 'select'))
                  or (has_schema_privilege('keel_analyst', n.oid, 'usage')
                      and has_any_column_privilege('keel_analyst', c.oid, 'select')))
            order by 1
            """
        ).fetchall()
    return [row[0] for row in rows]


@pytest.fixture(scope="session")
def two_tenants(settings: KeelSettings) -> TwoTenants:
    tenants = []
    for slug in ("test-cafe-a", "test-shop-b"):
        tenant = tenancy.create_tenant(
            slug,
            slug.replace("-", " ").title(),
            industry="cafe",
            naics_code="722515",
            size_band="small",
            region="US-West",
            country="US",
        )
        with warehouse.connect("keel_app", tenant_id=tenant.tenant_id) as conn:
            # tests/security sets these tenants up again in the same session: once is enough.
            known = conn.execute("select count(*) from app.users").fetchone() != (0,)
        if known:
            tenants.append(tenant)
            continue
        tenancy.create_user(tenant.tenant_id, f"owner@{slug}.example.com", f"correct horse {slug}")
        tenancy.add_subscription(tenant.tenant_id, "starter")
        tenancy.save_data_source(
            tenant.tenant_id,
            "shopify",
            "main shop",
            {"shop": f"{slug}.myshopify.com"},
            {"access_token": f"shpat_secret_{slug}_0123456789"},
        )
        tenants.append(tenant)

    # Tables that later parts create: a raw table (dlt, as the loader) and a mart, a view and a
    # materialized view (dbt, as the transformer). The event trigger must guard the last three.
    with warehouse.connect("keel_loader") as conn:
        conn.execute("create schema if not exists raw_test")
        conn.execute("create table if not exists raw_test.orders (id bigint, tenant_id uuid, total numeric)")
        conn.execute("truncate raw_test.orders")
        for i, tenant in enumerate(tenants):
            conn.execute("insert into raw_test.orders values (%s, %s, 10)", (i, tenant.tenant_id))
    with warehouse.connect("keel_transformer") as conn:
        conn.execute("drop table if exists marts.test_orders cascade")
        conn.execute(
            "create table marts.test_orders as select id as order_id, tenant_id, total from raw_test.orders"
        )
        conn.execute("create or replace view marts.test_orders_view as select * from marts.test_orders")
        conn.execute("create materialized view marts.test_orders_mv as select * from marts.test_orders")
        for tenant in tenants:
            conn.execute(
                """
                insert into metrics.business_metrics_daily (tenant_id, metric_date, currency, revenue_gross,
                    discounts, refunds, revenue_net, orders, cogs, gross_margin, new_customers,
                    returning_customers, cash_in, cash_out, labor_hours, labor_cost, marketing_spend_total,
                    marketing_spend_by_channel, stockout_product_days)
                values (%s, '2020-01-01', 'USD', 10, 0, 0, 10, 1, 4, 6, 1, 0, 10, 0, 0, 0, 0, '{}', 0)
                on conflict do nothing
                """,
                (tenant.tenant_id,),
            )
    return TwoTenants(*tenants)
