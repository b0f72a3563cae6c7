"""Two console tenants with 60 days of clearly different metrics in ``metrics.business_metrics_daily``.

The tenants and users are made with Keel's own tenancy code. The metrics table comes from migration 0005
(partitioned, row-level security); the rows are written as ``keel_transformer``, the role dbt builds it
with, and deleted again after the console tests, so later tests find the table as it was.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import streamlit as st
from psycopg.types.json import Jsonb

from keel import tenancy, warehouse
from keel.settings import KeelSettings

INSERT_METRICS_SQL = """
    insert into metrics.business_metrics_daily (
        tenant_id, metric_date, currency, revenue_gross, discounts, refunds, revenue_net, orders,
        average_order_value, cogs, gross_margin, gross_margin_pct, new_customers, returning_customers,
        cash_in, cash_out, labor_hours, labor_cost, marketing_spend_total, marketing_spend_by_channel,
        stockout_product_days
    ) values (%s, %s, 'USD', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""
LAST_METRIC_DATE = dt.date(2026, 11, 20)
DAYS = 60


@dataclass(frozen=True)
class MetricRow:
    metric_date: dt.date
    revenue_net: float
    orders: int
    average_order_value: float
    gross_margin: float
    new_customers: int


@dataclass(frozen=True)
class ConsoleTenant:
    tenant: tenancy.Tenant
    industry: str
    email: str
    password: str
    rows: tuple[MetricRow, ...]


@dataclass(frozen=True)
class ConsoleTenants:
    a: ConsoleTenant
    b: ConsoleTenant
    empty: ConsoleTenant  # signed-in user whose tenant has no metrics rows


def metric_rows(base_revenue: float, base_orders: int, margin: float, base_new: int) -> tuple[MetricRow, ...]:
    """60 days with a weekly cycle and a trend, so the chart and the period-over-period change show.

    Money is rounded to cents as the numeric(14, 2) columns store it, so these rows are what the
    console reads back.
    """
    rows = []
    for i in range(DAYS):
        day = LAST_METRIC_DATE - dt.timedelta(days=DAYS - 1 - i)
        weekly = 1.0 + 0.35 * math.sin(2 * math.pi * i / 7)
        revenue = round(base_revenue * weekly * (1.0 + 0.004 * i), 2)
        orders = base_orders + (i * 7) % 11
        rows.append(
            MetricRow(
                metric_date=day,
                revenue_net=revenue,
                orders=orders,
                average_order_value=round(revenue / orders, 2),
                gross_margin=round(revenue * margin, 2),
                new_customers=base_new + i % 4,
            )
        )
    return tuple(rows)


def full_rows(console_tenant: ConsoleTenant) -> list[tuple[object, ...]]:
    """Every NOT NULL column filled; the ones the Overview does not read get consistent filler values."""
    rows: list[tuple[object, ...]] = []
    for row in console_tenant.rows:
        discounts = refunds = round(row.revenue_net * 0.02, 2)
        cogs = round(row.revenue_net - row.gross_margin, 2)
        rows.append(
            (
                console_tenant.tenant.tenant_id,
                row.metric_date,
                round(row.revenue_net + discounts + refunds, 2),  # revenue_gross
                discounts,
                refunds,
                row.revenue_net,
                row.orders,
                row.average_order_value,
                cogs,
                row.gross_margin,
                round(row.gross_margin / row.revenue_net, 4),  # gross_margin_pct
                row.new_customers,
                row.orders - row.new_customers,  # returning_customers
                row.revenue_net,  # cash_in
                cogs,  # cash_out
                40.0,  # labor_hours
                800.0,  # labor_cost
                50.0,  # marketing_spend_total
                Jsonb({"search": 50.0}),
                0,  # stockout_product_days
            )
        )
    return rows


def _make_tenant(slug: str, name: str, industry: str, rows: tuple[MetricRow, ...]) -> ConsoleTenant:
    tenant = tenancy.create_tenant(slug, name, industry=industry, country="US", currency="USD")
    email, password = f"owner@{slug}.example.com", f"correct horse {slug}"
    tenancy.create_user(tenant.tenant_id, email, password)
    return ConsoleTenant(tenant, industry, email, password, rows)


@pytest.fixture(scope="package")
def console_tenants(settings: KeelSettings) -> Iterator[ConsoleTenants]:
    a = _make_tenant(
        "console-cafe-a",
        "Console Cafe A",
        "cafe",
        metric_rows(base_revenue=1_250.0, base_orders=60, margin=0.62, base_new=5),
    )
    b = _make_tenant(
        "console-hardware-b",
        "Console Hardware B",
        "hardware store",
        metric_rows(base_revenue=48_700.0, base_orders=310, margin=0.31, base_new=40),
    )
    empty = _make_tenant("console-new-c", "Console New C", "bakery", ())
    tenant_ids = [t.tenant.tenant_id for t in (a, b, empty)]
    try:
        with warehouse.connect("keel_transformer") as conn:
            # COPY is refused on a table with row-level security that the role does not own; dbt inserts too.
            conn.cursor().executemany(INSERT_METRICS_SQL, [row for t in (a, b) for row in full_rows(t)])
        yield ConsoleTenants(a, b, empty)
    finally:
        with warehouse.connect("keel_transformer") as conn:
            conn.execute(
                "delete from metrics.business_metrics_daily where tenant_id = any(%s)", (tenant_ids,)
            )
        with warehouse.connect("admin") as conn:
            conn.execute("delete from app.tenants where tenant_id = any(%s)", (tenant_ids,))


@pytest.fixture(autouse=True)
def _fresh_console_cache() -> Iterator[None]:
    """Each test reads the warehouse, not what an earlier test left in Streamlit's process-wide cache."""
    st.cache_data.clear()
    yield
    st.cache_data.clear()
