"""metrics.subscription_metrics_monthly against an independent computation in Python.

The hand-made case is the dbt unit test `subscription_monthly_mrr_movements`
(dbt_project/models/metrics/_monthly_metrics__models.yml), which `dbt build` runs against the SQL model
(tests/dbt/test_business_metrics.py builds the project with its unit tests). Here the same given rows go
through a plain Python computation of MRR movements, written from the textbook definitions (one
customer's MRR at two instants, day by day), and the result must equal the unit test's expected rows: so
the SQL is checked against something that does not share its code.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import yaml

from tests.dbt_run import PROJECT_DIR

UNIT_TEST = "subscription_monthly_mrr_movements"
MONEY = ("mrr", "start_mrr", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "reactivation_mrr")
COUNTS = ("subscribers", "new_subscribers", "churned_subscribers")
RATES = ("churn_rate", "revenue_churn_rate", "net_revenue_retention")


def unit_test() -> dict[str, Any]:
    spec = yaml.safe_load((PROJECT_DIR / "models" / "metrics" / "_monthly_metrics__models.yml").read_text())
    return next(test for test in spec["unit_tests"] if test["name"] == UNIT_TEST)


def given(test: dict[str, Any], model: str) -> list[dict[str, Any]]:
    return next(g["rows"] for g in test["given"] if g["input"] == f"ref('{model}')")


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def mrr_on(periods: list[dict[str, Any]], customer: str, currency: str, day: date) -> Decimal:
    """A customer's MRR at the end of ``day``: its periods covering the day (start <= day < end)."""
    return sum(
        (
            Decimal(str(p["monthly_amount"]))
            for p in periods
            if p["customer_id"] == customer
            and p["currency"] == currency
            and as_date(p["period_start_date"]) <= day < as_date(p["period_end_date"])
        ),
        Decimal(0),
    )


def ratio(numerator: Decimal, denominator: Decimal | int) -> Decimal | None:
    return round(Decimal(numerator) / denominator, 4) if denominator else None


def independent(
    months: list[dict[str, Any]], periods: list[dict[str, Any]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """(month, currency) -> the month's figures, customer by customer."""
    customers = {(p["customer_id"], p["currency"]) for p in periods}
    first_paid: dict[tuple[str, str], date] = {}
    for p in periods:
        key, start = (p["customer_id"], p["currency"]), as_date(p["period_start_date"])
        if p["monthly_amount"] > 0 and (key not in first_paid or start < first_paid[key]):
            first_paid[key] = start
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for month in months:
        start_day, end_day = as_date(month["month"]) - timedelta(days=1), as_date(month["last_date"])
        figures: dict[str, Any] = defaultdict(Decimal)
        for currency in sorted({c for _, c in customers}):
            figures = defaultdict(Decimal)
            counts: dict[str, int] = defaultdict(int)
            for customer, cur in customers:
                if cur != currency:
                    continue
                before = mrr_on(periods, customer, cur, start_day)
                after = mrr_on(periods, customer, cur, end_day)
                figures["start_mrr"] += before
                figures["mrr"] += after
                counts["start_subscribers"] += before > 0
                counts["subscribers"] += after > 0
                if before == 0 and after > 0:
                    is_new = first_paid[(customer, cur)] >= as_date(month["month"])
                    figures["new_mrr" if is_new else "reactivation_mrr"] += after
                    counts["new_subscribers"] += is_new
                elif before > 0 and after == 0:
                    figures["churned_mrr"] += before
                    counts["churned_subscribers"] += 1
                elif before > 0 and after > before:
                    figures["expansion_mrr"] += after - before
                elif before > 0 and after < before:
                    figures["contraction_mrr"] += before - after
            start = figures["start_mrr"]
            row: dict[str, Any] = {name: figures[name] for name in MONEY}
            row |= {name: counts[name] for name in COUNTS}
            row["churn_rate"] = ratio(Decimal(counts["churned_subscribers"]), counts["start_subscribers"])
            row["revenue_churn_rate"] = ratio(figures["churned_mrr"] + figures["contraction_mrr"], start)
            kept = start + figures["expansion_mrr"] - figures["contraction_mrr"] - figures["churned_mrr"]
            row["net_revenue_retention"] = ratio(kept, start)
            out[(str(as_date(month["month"])), currency)] = row
    return out


def test_the_unit_tests_expected_rows_equal_an_independent_computation() -> None:
    test = unit_test()
    computed = independent(given(test, "business_metrics_monthly"), given(test, "int_subscription_periods"))
    expected = {(str(row["month"]), row["currency"]): row for row in test["expect"]["rows"]}
    assert expected.keys() == computed.keys()
    for key, row in expected.items():
        for name in (*MONEY, *COUNTS, *RATES):
            want = computed[key][name]
            got = row[name]
            assert (None if got is None else Decimal(str(got))) == want, (key, name, got, want)


def test_the_case_covers_every_movement() -> None:
    """The hand-made case is not trivial: every kind of movement happens in it at least once."""
    test = unit_test()
    computed = independent(given(test, "business_metrics_monthly"), given(test, "int_subscription_periods"))
    for name in ("new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "reactivation_mrr"):
        assert any(row[name] > 0 for row in computed.values()), name
    assert {currency for _, currency in computed} == {"USD", "EUR"}
