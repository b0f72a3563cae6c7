"""Benchmark of Keel's evidence engine: one demo tenant's full run, and one EconML fit at 50,000 x 20.

Run from the repository root:

    .venv/bin/python benchmarks/bench_evidence.py                       # trailhead-outfitters + EconML
    .venv/bin/python benchmarks/bench_evidence.py --tenant bluebird-coffee
    .venv/bin/python benchmarks/bench_evidence.py --all-tenants         # the 14 demo tenants, 2 processes

Each case runs in a fresh Python process, so its peak resident memory (ru_maxrss) is its own.

* tenant: the full evidence run (:func:`models_ml.evidence.batch.run_tenant`, what the ``ml_evidence``
  asset runs per tenant) for one demo business at the default demo size (three years, seed 42). Its inputs
  are built by the asset's own ``build_tenant_inputs`` from warehouse-shaped frames that the simulator
  gives directly (daily metrics, product price and units, peers of the same industry), so no warehouse is
  needed. Side by side, the baseline: one plain OLS interrupted-time-series fit per intervention (log
  metric on treatment, weekday, yearly Fourier terms, trend), no refuters, no other designs, no drivers.
* econml: one ``LinearDML`` fit (Keel's configuration: linear nuisance models, five folds) on 50,000 rows
  x 20 features with a continuous treatment; side by side, econml's default nuisance models and a single
  scikit-learn linear regression (the baseline).
* --all-tenants: every demo tenant through ``run_tenants`` in two processes, what ``keel demo`` adds.
* --calibration N: the synthetic suite of :mod:`models_ml.evidence.calibration` (N tables of each kind:
  randomized, confounded, weak overlap, two null kinds, a hidden confounder), scored on what issue 12
  asks of the grades, with the confusion table of the headline's grades per kind.
* --lalonde: :func:`models_ml.evidence.estimate_effect` on the Lalonde NSW data that the ``causaldata``
  package ships (nsw_mixtape: the experiment, 185 trainees and 260 controls, benchmark ATT $1,794;
  the same trainees against 15,992 CPS controls, the classic observational trap).

The target is one tenant's full run within 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SEED = 42
#: Warehouse metric names of the simulator's daily series (``DemoWorld.daily_truth`` columns).
TRUTH_COLUMNS = {
    "net_revenue": "revenue_net",
    "orders": "orders",
    "ad_spend": "marketing_spend_total",
    "staff_hours": "labor_hours",
}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def demo_inputs(slugs: list[str]) -> list[Any]:
    """The asset's inputs for demo tenants, from the simulator instead of the warehouse."""
    from ingestion.demo import TENANTS, simulate
    from ingestion.demo_load import demo_interventions
    from models_ml.evidence.inputs import DEFAULT_METRICS, build_tenant_inputs
    from models_ml.evidence.recorded import RecordedIntervention

    industry = {t.slug: t.industry for t in TENANTS}
    peers_of = {s: [t.slug for t in TENANTS if t.industry == industry[s] and t.slug != s] for s in slugs}
    world = simulate(seed=SEED, tenants=sorted(set(slugs) | {p for ps in peers_of.values() for p in ps}))
    truth = world.daily_truth()
    panels: dict[str, pl.DataFrame] = {}
    for slug in {t.slug for t in world.tenants}:
        frame = truth.filter(pl.col("tenant_slug") == slug).select(
            pl.col("date").alias("ds"),
            *(pl.col(c).cast(pl.Float64).alias(n) for c, n in TRUTH_COLUMNS.items()),
        )
        panels[slug] = frame.with_columns(
            (pl.col("revenue_net") / pl.col("orders")).fill_nan(None).alias("average_order_value")
        )
    recorded_rows = demo_interventions(world)
    batch = []
    for slug in slugs:
        run = world.run(slug)
        tenant_id = str(run.profile.tenant_id)
        sales = []
        for product in run.behaviour.products:
            units = world.daily_metric(slug, "units", product.sku)["value"]
            revenue = world.daily_metric(slug, "net_revenue", product.sku)["value"]
            days = world.daily_metric(slug, "units", product.sku)["date"]
            sales.append(
                pl.DataFrame({"ds": days, "units": units, "revenue": revenue})
                .filter(pl.col("units") > 0)
                .select(
                    pl.lit(tenant_id).alias("tenant_id"),
                    pl.lit(product.sku).alias("product_id"),
                    pl.lit(product.sku).alias("sku"),
                    "ds",
                    (pl.col("revenue") / pl.col("units")).alias("price"),
                    "units",
                )
            )
        empty = {"tenant_id": pl.String, "product_id": pl.String, "sku": pl.String, "ds": pl.Date}
        product_sales = (
            pl.concat(sales)
            if sales
            else pl.DataFrame(schema={**empty, "price": pl.Float64, "units": pl.Float64})
        )
        recorded = [
            (str(r["intervention_id"]), RecordedIntervention.from_row(r))
            for r in recorded_rows
            if str(r["tenant_id"]) == tenant_id
        ]
        metrics = [m for m in DEFAULT_METRICS if m in panels[slug].columns]
        inputs, _ = build_tenant_inputs(
            tenant_id,
            panels[slug],
            recorded,
            product_sales,
            pl.DataFrame(schema={"tenant_id": pl.String, "plan": pl.String, "ds": pl.Date}),
            {p: panels[p] for p in peers_of[slug]},
            metrics,
            max_products=12,
        )
        batch.append(inputs)
    return batch


def ols_baseline(inputs: Any) -> float:
    """Seconds for one plain OLS interrupted-time-series fit per intervention (no refuters)."""
    import statsmodels.api as sm

    from models_ml.evidence.panel import calendar_controls, treated_mask

    started = time.perf_counter()
    for intervention in inputs.interventions:
        panel = inputs.panel.filter(pl.col(intervention.target_metric) > 0)
        treated = treated_mask(panel, intervention).astype(float)
        controls = calendar_controls(panel["ds"], yearly_harmonics=10).to_numpy()
        design = sm.add_constant(np.column_stack([treated, controls]))
        sm.OLS(np.log(panel[intervention.target_metric].to_numpy()), design).fit()
    return time.perf_counter() - started


def case_tenant(slug: str) -> dict[str, Any]:
    from models_ml.evidence import EvidenceSettings
    from models_ml.evidence.batch import run_tenant

    started = time.perf_counter()
    (inputs,) = demo_inputs([slug])
    prepare = time.perf_counter() - started
    baseline = ols_baseline(inputs)
    outcome = run_tenant(inputs, EvidenceSettings())
    if not outcome.ok or outcome.graph is None:
        raise SystemExit(f"{slug}: {outcome.error}")
    grades: dict[str, int] = {}
    for edge in outcome.graph.edges:
        grades[edge.grade] = grades.get(edge.grade, 0) + 1
    return {
        "tenant": slug,
        "days": inputs.panel.height,
        "interventions": len(inputs.interventions),
        "products": 0 if inputs.product_sales is None else inputs.product_sales["product_id"].n_unique(),
        "peers": len(inputs.peers),
        "prepare_s": prepare,
        "baseline_s": baseline,
        "run_s": outcome.seconds,
        "timings": outcome.timings,
        "edges": len(outcome.graph.edges),
        "grades": grades,
        "peak_rss_mb": peak_rss_mb(),
    }


def econml_data(rows: int, features: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features))
    t = x[:, :5] @ rng.normal(0.3, 0.1, 5) + rng.normal(size=rows)
    effect = 1.0 + 0.5 * x[:, 0]
    y = effect * t + x @ rng.normal(0, 0.5, features) + rng.normal(size=rows)
    return y, t, x


def case_econml(rows: int, features: int, nuisance: str) -> dict[str, Any]:
    from econml.dml import LinearDML
    from sklearn.linear_model import LinearRegression

    y, t, x = econml_data(rows, features)
    started = time.perf_counter()
    if nuisance == "sklearn_ols":
        LinearRegression().fit(np.column_stack([t, t[:, None] * x, x]), y)
        estimate = None
    else:
        kwargs: dict[str, Any] = {"cv": 5, "random_state": 0}
        if nuisance == "keel_linear":
            kwargs |= {"model_y": LinearRegression(), "model_t": LinearRegression()}
        model = LinearDML(**kwargs).fit(y, t, X=x)
        estimate = float(model.const_marginal_ate(x))
    return {
        "case": nuisance,
        "rows": rows,
        "features": features,
        "fit_s": time.perf_counter() - started,
        "ate": estimate,
        "peak_rss_mb": peak_rss_mb(),
    }


def case_all_tenants(processes: int) -> dict[str, Any]:
    from ingestion.demo import TENANTS
    from models_ml.evidence import EvidenceSettings
    from models_ml.evidence.batch import run_tenants

    started = time.perf_counter()
    batch = demo_inputs([t.slug for t in TENANTS])
    prepare = time.perf_counter() - started
    started = time.perf_counter()
    outcomes = run_tenants(batch, EvidenceSettings(), processes=processes)
    return {
        "tenants": len(batch),
        "processes": processes,
        "prepare_s": prepare,
        "wall_s": time.perf_counter() - started,
        "sum_tenant_s": sum(o.seconds for o in outcomes),
        "slowest": max((o.seconds, o.tenant_id) for o in outcomes),
        "failed": [o.tenant_id for o in outcomes if not o.ok],
        "peak_rss_mb_main": peak_rss_mb(),
    }


def case_calibration(seeds_per_kind: int) -> dict[str, Any]:
    from models_ml.evidence import EvidenceSettings
    from models_ml.evidence.calibration import run_suite, summarize

    settings = EvidenceSettings(refuter_simulations=4)
    started = time.perf_counter()
    results = run_suite(seeds_per_kind, settings)
    summary = summarize(results)
    summary["seconds"] = time.perf_counter() - started
    summary["settings"] = {"refuter_simulations": 4, "bootstrap_simulations": 30, "units_per_table": 400}
    summary["misses"] = [
        [r.kind, r.seed, r.method, r.grade, r.truth, r.ci_low, r.ci_high]
        for r in results
        if r.grade in ("strong", "moderate") and not r.covered
    ]
    return summary


LALONDE_CONFOUNDERS = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]


def case_lalonde() -> dict[str, Any]:
    from causaldata import cps_mixtape, nsw_mixtape

    from models_ml.evidence import EvidenceSettings
    from models_ml.evidence.tabular import estimate_effect

    nsw = nsw_mixtape.load_pandas().data
    cps = cps_mixtape.load_pandas().data
    observational = pl.concat(
        [pl.from_pandas(nsw[nsw["treat"] == 1]), pl.from_pandas(cps)], how="vertical_relaxed"
    )
    cases: dict[str, Any] = {}
    for name, frame in (("nsw experiment", pl.from_pandas(nsw)), ("nsw trainees vs cps", observational)):
        started = time.perf_counter()
        effect = estimate_effect(
            frame, "treat", "re78", LALONDE_CONFOUNDERS, "att", settings=EvidenceSettings()
        )
        cases[name] = {
            "rows": frame.height,
            "seconds": time.perf_counter() - started,
            "designs": [
                [e.method, e.grade, e.estimate, e.ci_low, e.ci_high, e.reason or e.note]
                for e in effect.estimates()
            ],
            "overlap": effect.estimates()[1].overlap,
        }
    return cases


def report_calibration(summary: dict[str, Any]) -> None:
    print(f"\nSynthetic calibration suite ({summary['seconds']:.0f} s, {summary['settings']})")
    for scope in ("headline", "every_design"):
        print(f"  {scope}: {json.dumps(summary[scope])}")
    print(f"  {'kind':20s}{'strong':>8s}{'moderate':>10s}{'weak':>6s}{'inconclusive':>14s}")
    for kind, counts in summary["confusion"].items():
        print(
            f"  {kind:20s}{counts['strong']:>8d}{counts['moderate']:>10d}{counts['weak']:>6d}"
            f"{counts['inconclusive']:>14d}"
        )
    for miss in summary["misses"]:
        print(f"  miss: {miss}")


def report_lalonde(cases: dict[str, Any]) -> None:
    print("\nLalonde NSW (causaldata), ATT of job training on 1978 earnings; experimental benchmark $1,794")
    for name, case in cases.items():
        print(f"  {name} ({case['rows']} rows, {case['seconds']:.1f} s)")
        for method, grade, estimate, low, high, why in case["designs"]:
            number = "-" if estimate is None else f"{estimate:,.0f} [{low:,.0f}, {high:,.0f}]"
            print(f"    {method:40s}{grade:>13s}  {number:28s}{(why or '')[:90]}")


def run_case(*args: str) -> dict[str, Any]:
    """One case in a fresh interpreter; its last stdout line is the JSON result."""
    done = subprocess.run(  # noqa: S603 - this script itself, with arguments it built
        [sys.executable, __file__, "--case", *args], capture_output=True, text=True, check=False, cwd=ROOT
    )
    if done.returncode != 0:
        raise SystemExit(f"case {args} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenant", default="trailhead-outfitters", help="demo tenant slug")
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--all-tenants", action="store_true", help="also run every demo tenant")
    parser.add_argument(
        "--econml-default",
        action="store_true",
        help="also fit LinearDML with econml's default nuisance models (model selection: many minutes)",
    )
    parser.add_argument("--skip-tenant", action="store_true", help="skip the one-tenant run")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--calibration", type=int, default=0, help="synthetic tables per kind (0: skip)")
    parser.add_argument("--lalonde", action="store_true", help="also run the Lalonde NSW check")
    parser.add_argument("--only", action="store_true", help="skip the tenant and EconML runs")
    parser.add_argument("--case", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.case:
        kind, *rest = args.case
        if kind == "tenant":
            result = case_tenant(rest[0])
        elif kind == "econml":
            result = case_econml(int(rest[0]), int(rest[1]), rest[2])
        elif kind == "calibration":
            result = case_calibration(int(rest[0]))
        elif kind == "lalonde":
            result = case_lalonde()
        else:
            result = case_all_tenants(int(rest[0]))
        print(json.dumps(result, default=str))
        return

    if args.calibration:
        report_calibration(run_case("calibration", str(args.calibration)))
    if args.lalonde:
        report_lalonde(run_case("lalonde"))
    if args.only:
        return
    if not args.skip_tenant:
        report_tenant(run_case("tenant", args.tenant))
    report_econml(args.rows, args.features, args.econml_default)
    if args.all_tenants:
        every = run_case("all", str(args.processes))
        print(
            f"\nAll {every['tenants']} demo tenants, {every['processes']} processes: "
            f"{every['wall_s']:.1f} s wall ({every['sum_tenant_s']:.1f} s of tenant runs; slowest "
            f"{every['slowest'][0]:.1f} s); inputs {every['prepare_s']:.1f} s; failed {every['failed']}"
        )


def report_tenant(tenant: dict[str, Any]) -> None:
    print(
        f"\nFull evidence run, {tenant['tenant']} ({tenant['days']} days, {tenant['interventions']} "
        f"interventions, {tenant['products']} products, {tenant['peers']} peers)"
    )
    print(f"{'':38s}{'seconds':>10s}{'peak RSS MB':>14s}")
    print(f"{'baseline: OLS ITS per intervention':38s}{tenant['baseline_s']:>10.2f}{'':>14s}")
    print(f"{'Keel: full run (target 60 s)':38s}{tenant['run_s']:>10.2f}{tenant['peak_rss_mb']:>14.0f}")
    for part, seconds in tenant["timings"].items():
        print(f"{'  ' + part:38s}{seconds:>10.2f}")
    print(f"edges {tenant['edges']}, grades {tenant['grades']}; inputs built in {tenant['prepare_s']:.1f} s")


def report_econml(rows: int, features: int, with_default: bool) -> None:
    print(f"\nOne EconML fit, {rows:,} rows x {features} features (continuous treatment, X = all)")
    print(f"{'':38s}{'seconds':>10s}{'peak RSS MB':>14s}{'ATE (true 1.0)':>16s}")
    cases = [
        ("sklearn_ols", "baseline: one sklearn OLS"),
        ("keel_linear", "LinearDML, Keel's linear nuisances"),
    ]
    if with_default:
        cases.append(("econml_default", "LinearDML, econml default nuisances"))
    for nuisance, label in cases:
        fit = run_case("econml", str(rows), str(features), nuisance)
        ate = "-" if fit["ate"] is None else f"{fit['ate']:.3f}"
        print(f"{label:38s}{fit['fit_s']:>10.2f}{fit['peak_rss_mb']:>14.0f}{ate:>16s}")


if __name__ == "__main__":
    main()
