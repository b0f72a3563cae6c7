"""Two tenants with 120 days of daily metrics of their own, for the goal API, asset and page tests."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from psycopg.types.json import Jsonb

from keel import tenancy, warehouse
from keel.settings import KeelSettings

LAST_DAY = date(2026, 9, 30)
DAYS = 120
INSERT = """
    insert into metrics.business_metrics_daily (
        tenant_id, metric_date, currency, revenue_gross, discounts, refunds, revenue_net, orders,
        average_order_value, cogs, gross_margin, gross_margin_pct, new_customers, returning_customers,
        cash_in, cash_out, labor_hours, labor_cost, marketing_spend_total, marketing_spend_by_channel,
        stockout_product_days
    ) values (%s, %s, 'USD', %s, 0, 0, %s, %s, %s, %s, %s, %s, 3, 10, %s, %s, 40, %s, 50, %s, 0)
"""


@dataclass(frozen=True)
class GoalTenants:
    a: uuid.UUID
    b: uuid.UUID


def _rows(tenant_id: uuid.UUID, base: float) -> list[tuple[object, ...]]:
    rows = []
    for i in range(DAYS):
        day = LAST_DAY - timedelta(days=DAYS - 1 - i)
        revenue = round(base * (1 + 0.3 * math.sin(2 * math.pi * i / 7)) * (1 + 0.002 * i), 2)
        cogs = round(revenue * 0.4, 2)
        rows.append(
            (
                tenant_id,
                day,
                revenue,
                revenue,
                20,
                round(revenue / 20, 2),
                cogs,
                revenue - cogs,
                0.6,
                revenue,
                cogs,
                round(revenue * 0.3, 2),
                Jsonb({"search": 50.0}),
            )
        )
    return rows


@pytest.fixture(scope="module")
def goal_tenants(settings: KeelSettings) -> Iterator[GoalTenants]:
    a = tenancy.create_tenant("goals-cafe-a", "Goals Cafe A", industry="cafe", currency="USD").tenant_id
    b = tenancy.create_tenant("goals-shop-b", "Goals Shop B", industry="retail", currency="USD").tenant_id
    try:
        with warehouse.connect("keel_transformer") as conn:
            conn.cursor().executemany(INSERT, _rows(a, 1000.0) + _rows(b, 5000.0))
        yield GoalTenants(uuid.UUID(str(a)), uuid.UUID(str(b)))
    finally:
        with warehouse.connect("keel_transformer") as conn:
            conn.execute("delete from metrics.business_metrics_daily where tenant_id = any(%s)", ([a, b],))
            conn.execute("delete from ml.goal_evaluations where tenant_id = any(%s)", ([a, b],))
        with warehouse.connect("admin") as conn:
            conn.execute("delete from app.tenants where tenant_id = any(%s)", ([a, b],))
