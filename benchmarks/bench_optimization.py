"""Benchmark of Keel's optimization engine: solve time and optimality gap as instances grow.

Run from the repository root:

    .venv/bin/python benchmarks/bench_optimization.py            # full sweep, a few minutes
    .venv/bin/python benchmarks/bench_optimization.py --quick    # smaller sweep
    .venv/bin/python benchmarks/bench_optimization.py --workers 2

On seeded, realistic instances (``models_ml.optimization.synthetic``) it measures, with progress lines:

* inventory: products (5 .. 80) at 4 weeks, and horizon (2 .. 12 weeks) at 20 products, 100 scenarios;
  the gap is the distance to the LP-relaxation bound (an upper bound on the true gap);
* staffing: employees (6 .. 48) over a week, and days (7 .. 28) with 12 employees; CP-SAT's own gap;
* pricing: products (10 .. 200) on the .99 price grid with tiers; CP-SAT's gap;
* budget: channels (3 .. 50); the gap is the piecewise-linear approximation's shortfall against the
  exact equal-marginal optimum, measured on the true curves;
* one demo-sized tenant, all four plans (20 stocked products x 4 weeks, 12 staff, 20 prices,
  5 channels), three repetitions; the target is under 10 seconds on 2 cores.

With ``--warehouse`` it measures instead what the ``ml_plans`` asset does for every tenant with stored
forecasts in the configured warehouse (``KEEL_HOME`` or ``DATABASE_URL``, after ``keel demo``): read the
tenant's inputs, build and solve its four plans, with the asset's solver settings and, side by side,
with the library's default settings (longer valuation of binding constraints). Nothing is written.

    KEEL_HOME=.keel .venv/bin/python benchmarks/bench_optimization.py --warehouse

"solve s" is the main solve; "total s" adds model building, the current-policy comparison and the
valuation of binding constraints (re-solves), i.e. what a plan costs end to end.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from models_ml.optimization import (
    Plan,
    SolverSettings,
    check_plan_constraints,
    equal_marginal_allocation,
    plan_budget,
    plan_inventory,
    plan_pricing,
    plan_staffing,
)
from models_ml.optimization.synthetic import (
    budget_instance,
    demo_tenant,
    inventory_instance,
    pricing_instance,
    staffing_instance,
)


@dataclass
class Row:
    plan: str
    size: str
    variables: str
    status: str
    solve_seconds: float
    total_seconds: float
    gap: float | None
    valid: bool
    binding: int


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def measure(
    plan_name: str, size: str, variables: str, run: Callable[[], tuple[Plan, Any]], gap: Any = None
) -> Row:
    progress(f"{plan_name:9s} {size} ...")
    plan, problem = run()
    measured_gap = gap(plan) if callable(gap) else plan.optimality_gap
    row = Row(
        plan=plan_name,
        size=size,
        variables=variables,
        status=plan.status,
        solve_seconds=plan.solve_seconds,
        total_seconds=plan.total_seconds,
        gap=measured_gap,
        valid=plan.feasible and check_plan_constraints(plan, problem) == [],
        binding=len(plan.binding_constraints),
    )
    gap_text = "-" if row.gap is None else f"{100 * row.gap:.3f}%"
    progress(
        f"{plan_name:9s} {size}: {row.status}, solve {row.solve_seconds:.2f}s, "
        f"total {row.total_seconds:.2f}s, gap {gap_text}, valid {row.valid}"
    )
    return row


def inventory_rows(settings: SolverSettings, quick: bool) -> list[Row]:
    rows = []
    products = (5, 10, 20, 40) if quick else (5, 10, 20, 40, 80)
    horizons = (2, 4, 8) if quick else (2, 4, 8, 12)
    sizes = [(n, 4) for n in products] + [(20, h) for h in horizons if h != 4]
    for n_products, horizon in sizes:
        problem = inventory_instance(n_products=n_products, horizon=horizon, n_scenarios=100, seed=0)
        cells = 2 * n_products * horizon * 100

        def run(problem: Any = problem) -> tuple[Plan, Any]:
            return plan_inventory(problem, settings), problem

        rows.append(
            measure("inventory", f"{n_products} products x {horizon} weeks", f"~{cells:,} cont.", run)
        )
    return rows


def staffing_rows(settings: SolverSettings, quick: bool) -> list[Row]:
    rows = []
    employees = (6, 12, 24) if quick else (6, 12, 24, 48)
    days = (14,) if quick else (14, 28)
    for n_employees, n_days in [(n, 7) for n in employees] + [(12, d) for d in days]:
        problem = staffing_instance(n_employees=n_employees, n_days=n_days, seed=0)
        booleans = n_employees * n_days * 27

        def run(problem: Any = problem) -> tuple[Plan, Any]:
            return plan_staffing(problem, settings), problem

        rows.append(measure("staffing", f"{n_employees} staff x {n_days} days", f"<={booleans:,} bool", run))
    return rows


def pricing_rows(settings: SolverSettings, quick: bool) -> list[Row]:
    rows = []
    for n_products in (10, 20, 50) if quick else (10, 20, 50, 100, 200):
        problem = pricing_instance(n_products=n_products, seed=0)
        points = sum(len(problem.candidate_prices(p)) for p in problem.products)

        def run(problem: Any = problem) -> tuple[Plan, Any]:
            return plan_pricing(problem, settings), problem

        rows.append(measure("pricing", f"{n_products} products", f"<={points:,} bool", run))
    return rows


def budget_rows(settings: SolverSettings, quick: bool) -> list[Row]:
    rows = []
    for n_channels in (3, 5, 10) if quick else (3, 5, 10, 20, 50):
        problem = budget_instance(n_channels=n_channels, seed=0)

        def run(problem: Any = problem) -> tuple[Plan, Any]:
            return plan_budget(problem, settings), problem

        def approximation_gap(plan: Plan, problem: Any = problem) -> float:
            exact = equal_marginal_allocation(problem)
            best = sum(problem.outcome_value(c, exact[c.channel_id]) for c in problem.channels)
            return max(0.0, (best - float(plan.objective_value or 0.0)) / best)

        size = f"{n_channels} channels"
        rows.append(
            measure("budget", size, f"{n_channels * problem.n_segments:,} cont.", run, approximation_gap)
        )
    return rows


def demo_timing(settings: SolverSettings, repetitions: int) -> list[dict[str, float]]:
    runs = []
    for repetition in range(repetitions):
        progress(f"demo tenant, all four plans, run {repetition + 1}/{repetitions} ...")
        started = time.perf_counter()
        tenant = demo_tenant(seed=repetition)
        built = time.perf_counter()
        timings = {"build": built - started}
        planners: list[tuple[str, Callable[[Any, SolverSettings], Plan], Any]] = [
            ("inventory", plan_inventory, tenant.inventory),
            ("staffing", plan_staffing, tenant.staffing),
            ("pricing", plan_pricing, tenant.pricing),
            ("budget", plan_budget, tenant.budget),
        ]
        for name, planner, problem in planners:
            begin = time.perf_counter()
            plan = planner(problem, settings)
            timings[name] = time.perf_counter() - begin
            assert check_plan_constraints(plan, problem) == [], name
        timings["total"] = time.perf_counter() - started
        runs.append(timings)
        progress("  " + ", ".join(f"{key} {value:.2f}s" for key, value in timings.items()))
    return runs


def warehouse_timing() -> None:
    """Seconds per demo tenant of the ml_plans asset's work (read, build, solve), against the 10 s target."""
    from keel import warehouse
    from models_ml.optimization.tenant_plans import plan_tenant
    from orchestration.defs.ml.plans import PlansAssetConfig
    from orchestration.defs.ml.reads import planned_tenants, read_tenant_data

    config = PlansAssetConfig()
    options = config.options()
    variants = {"asset settings": config.solver_settings(), "library defaults": SolverSettings()}
    print(
        "| tenant | plans (status, seconds with asset settings) | read s | asset total s | defaults total s |"
    )
    print("| --- | --- | ---: | ---: | ---: |")
    totals: dict[str, list[float]] = {name: [] for name in variants}
    with warehouse.connect("keel_transformer") as conn:
        tenant_ids = planned_tenants(conn, [])
        for tenant_id in tenant_ids:
            started = time.perf_counter()
            data = read_tenant_data(conn, tenant_id, options)
            conn.commit()
            read = time.perf_counter() - started
            seconds: dict[str, float] = {}
            described = ""
            for name, settings in variants.items():
                begin = time.perf_counter()
                rows = plan_tenant(data, options, settings, "benchmark")
                seconds[name] = read + time.perf_counter() - begin
                totals[name].append(seconds[name])
                if name == "asset settings":
                    described = ", ".join(
                        f"{r['plan_type']} {r['status']} {r['total_seconds']:.1f}" for r in rows
                    )
            progress(f"  {data.context.get('tenant')}: {seconds}")
            print(
                f"| {data.context.get('tenant')} | {described} | {read:.2f} | "
                f"{seconds['asset settings']:.2f} | {seconds['library defaults']:.2f} |"
            )
    for name, values in totals.items():
        if values:
            print(
                f"\n{name}: {len(values)} tenants, {sum(values):.1f} s in all, slowest {max(values):.2f} s "
                f"({'within' if max(values) < 10 else 'OVER'} the 10 s target per tenant)."
            )


def print_table(rows: list[Row]) -> None:
    print()
    print("| plan | size | model size | status | solve s | total s | gap | valid | binding |")
    print("| --- | --- | --- | --- | ---: | ---: | ---: | --- | ---: |")
    for row in rows:
        gap = "-" if row.gap is None else f"{100 * row.gap:.3f}%"
        print(
            f"| {row.plan} | {row.size} | {row.variables} | {row.status} | {row.solve_seconds:.2f} | "
            f"{row.total_seconds:.2f} | {gap} | {'yes' if row.valid else 'NO'} | {row.binding} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sweep")
    parser.add_argument("--workers", type=int, default=1, help="solver threads (default 1)")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per solve (default 10)")
    parser.add_argument("--repetitions", type=int, default=3, help="runs of the demo tenant (default 3)")
    parser.add_argument(
        "--warehouse", action="store_true", help="time the ml_plans asset's work on the warehouse's tenants"
    )
    args = parser.parse_args()
    if args.warehouse:
        warehouse_timing()
        return
    settings = SolverSettings(num_workers=args.workers, time_limit_seconds=args.time_limit)
    progress(f"settings: {settings}")
    demo = demo_timing(settings, args.repetitions)
    rows = []
    rows += inventory_rows(settings, args.quick)
    rows += staffing_rows(settings, args.quick)
    rows += pricing_rows(settings, args.quick)
    rows += budget_rows(settings, args.quick)
    print_table(rows)
    print()
    print("| demo tenant (seconds) | " + " | ".join(demo[0]) + " |")
    print("| --- | " + " | ".join("---:" for _ in demo[0]) + " |")
    for index, timings in enumerate(demo):
        print(f"| run {index + 1} | " + " | ".join(f"{value:.2f}" for value in timings.values()) + " |")
    median = {key: statistics.median(run[key] for run in demo) for key in demo[0]}
    print("| median | " + " | ".join(f"{value:.2f}" for value in median.values()) + " |")
    verdict = "within" if median["total"] < 10 else "OVER"
    print(f"\nDemo tenant, all four plans: median {median['total']:.2f} s ({verdict} the 10 s target).")


if __name__ == "__main__":
    main()
