"""Seeded, realistic optimization problems of a small business, at any size.

Used by the tests (constraint satisfaction on a demo-sized tenant), the benchmark (instances that
grow in products, staff, channels and horizon) and by anyone who wants to try the planners without a
warehouse. A "demo tenant" is a café-and-shop of the size Keel's demo businesses have: 20 stocked
products over 4 weeks, 12 staff for a week, 20 priced products, 5 marketing channels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.stats import norm

from models_ml.optimization.budget import BudgetProblem, Channel, fit_response_curves
from models_ml.optimization.inventory import InventoryProblem, InventoryProduct
from models_ml.optimization.pricing import Elasticity, ElasticityGrade, PricedProduct, PricingProblem
from models_ml.optimization.staffing import Availability, Employee, ShiftAssignment, StaffingProblem

QUANTILE_LEVELS = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
PRODUCT_NAMES = (
    "Oat Milk", "Whole Milk", "Coffee Beans", "Decaf Beans", "Croissants", "Bagels", "Orange Juice",
    "Granola", "Muffins", "Sparkling Water", "Tea Bags", "Honey", "Cookies", "Sandwich Bread", "Butter",
    "Jam", "Chocolate Bars", "Yogurt", "Cold Brew", "Almond Milk",
)  # fmt: skip


def _product_name(index: int) -> str:
    base = PRODUCT_NAMES[index % len(PRODUCT_NAMES)]
    return base if index < len(PRODUCT_NAMES) else f"{base} {index // len(PRODUCT_NAMES) + 1}"


def inventory_instance(
    n_products: int = 20, horizon: int = 4, n_scenarios: int = 100, seed: int = 0, tight: bool = True
) -> InventoryProblem:
    """Weekly ordering for a shop: seasonal normal forecasts, case packs, minimums, budget and storage.

    With ``tight`` the purchasing budget and the storage capacity sit below what unconstrained ordering
    would use, so both can bind.
    """
    rng = np.random.default_rng(seed)
    products = []
    rows = []
    expected_cost = 0.0
    expected_units = 0.0
    for index in range(n_products):
        weekly = float(rng.uniform(20, 200))
        cost = float(rng.uniform(1.0, 10.0))
        lead_time = int(rng.integers(0, 2))
        case_pack = int(rng.choice([1, 6, 12, 24]))
        products.append(
            InventoryProduct(
                product_id=f"sku{index:03d}",
                name=_product_name(index),
                unit_cost=round(cost, 2),
                unit_price=round(cost * float(rng.uniform(1.6, 3.0)), 2),
                holding_cost=round(0.02 * cost, 3),
                current_order_up_to=float(round(weekly * (lead_time + 1) * 1.2)),
                stockout_penalty=0.0,
                on_hand=float(round(weekly * 0.6)),
                lead_time=lead_time,
                case_pack=case_pack,
                min_order_quantity=int(rng.choice([0, 2 * case_pack])),
            )
        )
        for period in range(horizon):
            mean = weekly * (1 + 0.15 * np.sin(2 * np.pi * (period + index) / 6))
            expected_cost += cost * mean
            expected_units += mean
            for level in QUANTILE_LEVELS:
                rows.append(
                    {
                        "product_id": f"sku{index:03d}",
                        "period": period,
                        "quantile": level,
                        "demand": float(max(0.0, norm.ppf(level, mean, 0.3 * mean))),
                    }
                )
    return InventoryProblem(
        products=tuple(products),
        demand=pl.DataFrame(rows),
        horizon=horizon,
        purchasing_budget=round((0.9 if tight else 3.0) * expected_cost, -1),
        storage_capacity=round((1.4 if tight else 6.0) * expected_units / horizon, -1),
        n_scenarios=n_scenarios,
        seed=seed,
        period_labels=tuple(f"week {period + 1}" for period in range(horizon)),
    )


def staffing_instance(n_employees: int = 12, n_days: int = 7, seed: int = 0) -> StaffingProblem:
    """A café open 7-19 on weekdays and 8-18 at weekends; demand scales with the team's size."""
    rng = np.random.default_rng(seed)
    scale = n_employees / 12
    rows = []
    keyholder_rows = []
    for day in range(n_days):
        weekend = day % 7 >= 5
        opening, closing = (8, 18) if weekend else (7, 19)
        for hour in range(opening, closing):
            morning = 18 * np.exp(-(((hour - 8.5) / 1.5) ** 2))
            lunch = 22 * np.exp(-(((hour - 12.5) / 1.2) ** 2))
            busier = 1.3 if weekend else 1.0
            customers = scale * 1.6 * (10 + morning + lunch) * busier * float(rng.uniform(0.9, 1.1))
            rows.append({"day": day, "hour": hour, "expected_customers": float(customers)})
            keyholder_rows.append({"day": day, "hour": hour, "skill": "keyholder", "required": 1})
    employees = []
    for index in range(n_employees):
        full_time = index % 3 != 2
        availability = None
        if not full_time:
            days_off = set(rng.choice(5, size=2, replace=False).tolist())  # weekdays: weekends are busy
            availability = tuple(Availability(day, 7, 19) for day in range(n_days) if day % 7 not in days_off)
        employees.append(
            Employee(
                employee_id=f"emp{index:03d}",
                name=f"Staff {index + 1}",
                hourly_wage=float(round(rng.uniform(15, 22), 2)),
                min_hours=24.0 if full_time else 0.0,
                max_hours=40.0 if full_time else 24.0,
                skills=frozenset({"keyholder"}) if index % 4 == 0 or index == 1 else frozenset(),
                availability=availability,
            )
        )
    # Today's roster: every full-timer on the same 8-hour shift five days a week.
    roster = tuple(
        ShiftAssignment(employee.employee_id, day, 9, 17)
        for employee in employees
        if employee.min_hours > 0
        for day in range(n_days)
        if (day + int(employee.employee_id[3:])) % 7 < 5
    )
    return StaffingProblem(
        employees=tuple(employees),
        demand=pl.DataFrame(rows),
        current_roster=roster,
        service_level=0.9,
        customers_per_staff_hour=12.0,
        skill_requirements=pl.DataFrame(keyholder_rows),
    )


def pricing_instance(n_products: int = 20, seed: int = 0) -> PricingProblem:
    """Café items with evidence of every grade, and size tiers (small < large) for some drinks."""
    rng = np.random.default_rng(seed)
    grades: tuple[ElasticityGrade, ...] = ("strong", "moderate", "weak", "inconclusive")
    products: list[PricedProduct] = []
    elasticities: list[Elasticity] = []
    tiers: list[tuple[str, str]] = []
    for index in range(n_products):
        cost = float(rng.uniform(0.5, 4.0))
        price = float(np.floor(cost * rng.uniform(1.8, 3.0)) + 0.99)
        if index % 5 == 1 and products:
            previous = products[-1]
            price = max(price, previous.current_price + 0.5)
            tiers.append((previous.product_id, f"item{index:03d}"))
        products.append(
            PricedProduct(
                product_id=f"item{index:03d}",
                name=f"{_product_name(index)} (menu)",
                current_price=round(price, 2),
                unit_cost=round(cost, 2),
                base_demand=float(round(rng.uniform(30, 400))),
                min_price=round(price * 0.75, 2),
                max_price=round(price * 1.3, 2),
            )
        )
        estimate = float(rng.uniform(-2.8, -0.4))
        width = float(rng.uniform(0.2, 1.5))
        elasticities.append(
            Elasticity(f"item{index:03d}", estimate, estimate - width, estimate + width, grades[index % 4])
        )
    return PricingProblem(
        products=tuple(products),
        elasticities=tuple(elasticities),
        margin_floor=0.3,
        max_change=0.15,
        tier_order=tuple(tiers),
        min_tier_gap=0.3,
    )


def budget_instance(n_channels: int = 5, seed: int = 0, horizon_days: int = 28) -> BudgetProblem:
    """Channels with known log response curves, re-fitted from 180 simulated days of spend and revenue."""
    rng = np.random.default_rng(seed)
    names = ("Search", "Social", "Email", "Display", "Print", "Radio", "Affiliates", "Video")
    rows = []
    for index in range(n_channels):
        scale = float(rng.uniform(100, 500))
        saturation = float(rng.uniform(20, 300))
        for _ in range(180):
            spend = float(rng.uniform(0, 3 * saturation))
            revenue = 40 + scale * np.log1p(spend / saturation) + float(rng.normal(0, 0.05 * scale))
            rows.append({"channel": f"ch{index}", "spend": spend, "outcome": revenue})
    curves = fit_response_curves(pl.DataFrame(rows))
    channels = []
    for index in range(n_channels):
        curve = curves[f"ch{index}"]
        channels.append(
            Channel(
                channel_id=f"ch{index}",
                name=names[index % len(names)]
                + ("" if index < len(names) else f" {index // len(names) + 1}"),
                curve=curve,
                current_spend=float(round(curve.half_saturation * horizon_days, -1)),
                min_spend=float(round(0.3 * curve.half_saturation * horizon_days, -1)) if index == 0 else 0.0,
                max_spend=float(round(1.5 * curve.half_saturation * horizon_days, -1))
                if index == 1
                else None,
            )
        )
    budget = float(sum(channel.current_spend for channel in channels))
    return BudgetProblem(channels=tuple(channels), budget=budget, horizon_days=horizon_days, gross_margin=0.6)


@dataclass(frozen=True, eq=False)
class DemoTenant:
    inventory: InventoryProblem
    staffing: StaffingProblem
    pricing: PricingProblem
    budget: BudgetProblem


def demo_tenant(seed: int = 0) -> DemoTenant:
    """The four problems of one demo-sized tenant."""
    return DemoTenant(
        inventory=inventory_instance(seed=seed),
        staffing=staffing_instance(seed=seed),
        pricing=pricing_instance(seed=seed),
        budget=budget_instance(seed=seed),
    )
