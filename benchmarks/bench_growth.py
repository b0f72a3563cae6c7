"""Growth with the number of tenants (issue 22 item 1): `keel demo` at 1x, 4x, 16x the selected businesses,
time and peak memory per stage, side by side.

Run from the repository root:

    .venv/bin/python benchmarks/bench_growth.py --scales 1 4 16 --start 2026-09-01 --peer-copies 0

For each scale (``KEEL_DEMO_SCALE``: copies 2..N of each selected business are full-weight tenants, see
``ingestion/demo/profiles.py: scale_copies``) a fresh ``KEEL_HOME`` and one ``keel demo`` in a subprocess, as
a user runs it. While it runs, the resident memory of its process tree (the CLI, Dagster's run and step
processes, dbt; not the database server, which runs apart) is sampled every 0.2 s. Afterwards the runs'
step stats (``instance.get_run_step_stats``) give each step's start and end; steps map to stages:

- simulate: the set-up run (tenants and owners, interventions, ground truth: each simulates the world);
- load: the tenants' ``tenant_sources`` runs (each simulates its tenant, then loads it) and the peers' load;
- dbt, forecasts, evidence, plans: the steps of the models run of that name; other: the rest (goals,
  quality checks, the lake export, benchmarks, ...).

A stage's time is the wall time covered by its steps (overlaps counted once); its peak memory is the
largest tree RSS, and the largest tree PSS, sampled while one of its steps ran (PSS divides a page among
the processes that share it: forked and forkserver workers share their code with others). Printed per
stage and scale with the ratio to the first scale and the linearity figure, time at N / (N x time at 1)
(target <= 1.15); a JSON and a PNG of time and peak memory (PSS) per stage against scale are written.
A scale whose time, predicted linearly from the previous one, exceeds what is left of
``--budget-minutes`` is skipped (and every larger one), with a line that says so. The load average is
recorded beside the figures: the machine may be shared.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STAGES = ("simulate", "load", "dbt", "forecasts", "evidence", "plans", "other")
SAMPLE_SECONDS = 0.2


@dataclass
class Scale:
    scale: int
    tenants: int = 0
    wall: float = 0.0
    peak_rss: int = 0
    load_start: float = 0.0
    load_mean: float = 0.0
    load_end: float = 0.0
    ok: bool = True
    failure: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)
    peak_pss_total: int = 0
    peak_pss: dict[str, int] = field(default_factory=dict)
    steps: dict[str, list[str]] = field(default_factory=dict)


def stage_of(job: str, step: str) -> str:
    if job == "keel_setup":
        return "load" if step == "demo_benchmark_peers" else "simulate"
    if job == "tenant_sources" or step.startswith("dlt_"):
        return "load"
    for stage, words in (
        ("dbt", ("dbt",)),
        ("forecasts", ("forecast",)),
        ("evidence", ("evidence",)),
        ("plans", ("ml_plans",)),
    ):
        if any(w in step for w in words):
            return stage
    return "other"


class Sampler(threading.Thread):
    """(time, RSS of the process tree, 1-minute load average, PSS of the process tree) every 0.2 s until
    stopped. PSS (proportional set size) counts a page shared by k processes 1/k in each: the tree's PSS is
    the memory it occupies, where RSS counts the pages that forked workers share with their parent (and the
    forkserver's preloaded code location) once per process."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, int, float, int]] = []
        self.done = threading.Event()

    def run(self) -> None:
        import psutil

        root = psutil.Process(self.pid)
        while not self.done.is_set():
            rss = pss = 0
            try:
                for proc in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        full = proc.memory_full_info()
                        rss += full.rss
                        pss += getattr(full, "pss", full.rss)  # Linux only; elsewhere RSS
            except psutil.Error:
                break
            self.samples.append((time.time(), rss, os.getloadavg()[0], pss))
            self.done.wait(SAMPLE_SECONDS)


def covered(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for a, b in sorted(intervals):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def measure(scale: int, args: argparse.Namespace) -> Scale:
    from keel.settings import child_env

    home = Path(tempfile.mkdtemp(prefix=f"keel-bench-growth-{scale}x-"))
    env = {
        "KEEL_HOME": str(home),
        "KEEL_DEMO_SCALE": str(scale),
        "KEEL_DEMO_TENANTS": json.dumps(args.tenants),
        "COLUMNS": "200",
    }
    if args.start:
        env["KEEL_DEMO_START"] = args.start
    if args.peer_copies is not None:
        env["KEEL_DEMO_PEER_COPIES"] = str(args.peer_copies)
    if args.seed is not None:
        env["KEEL_DEMO_SEED"] = str(args.seed)
    result = Scale(scale, load_start=os.getloadavg()[0])
    started = time.perf_counter()
    log = home / "keel-demo.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", "demo"], cwd=ROOT, env=child_env(**env), stdout=out, stderr=out
        )
        sampler = Sampler(proc.pid)
        sampler.start()
        code = proc.wait()
        sampler.done.set()
        sampler.join()
    result.wall = time.perf_counter() - started
    result.load_end = os.getloadavg()[0]
    samples = sampler.samples
    result.load_mean = sum(s[2] for s in samples) / len(samples) if samples else 0.0
    result.peak_rss = max((s[1] for s in samples), default=0)
    result.peak_pss_total = max((s[3] for s in samples), default=0)
    if code != 0:
        result.ok = False
        result.failure = f"keel demo exited with {code}; its output: {log}"
        print(log.read_text()[-3000:])
    intervals: dict[str, list[tuple[float, float]]] = {s: [] for s in STAGES}
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        for run in instance.get_runs():
            for stat in instance.get_run_step_stats(run.run_id):
                if stat.start_time is None or stat.end_time is None:
                    continue
                stage = stage_of(run.job_name, stat.step_key)
                intervals[stage].append((stat.start_time, stat.end_time))
                keys = result.steps.setdefault(stage, [])
                if stat.step_key not in keys:
                    keys.append(stat.step_key)
    for stage, spans in intervals.items():
        result.seconds[stage] = covered(spans)
        during = [s for s in samples if any(a <= s[0] <= b for a, b in spans)]
        result.peak[stage] = max((s[1] for s in during), default=0)
        result.peak_pss[stage] = max((s[3] for s in during), default=0)
    result.tenants = len(args.tenants or _all_slugs()) * scale
    if not args.keep:
        subprocess.run(
            [sys.executable, "-m", "cli", "db", "stop"], cwd=ROOT, env=child_env(**env), check=False
        )
    return result


def _all_slugs() -> list[str]:
    from ingestion.demo.profiles import TENANTS

    return [t.slug for t in TENANTS]


def _seconds(r: Scale, stage: str) -> float:
    """A stage's seconds; "outside": the demo's wall time in no step (process start, imports, migrations,
    launching runs; the runs follow one another, so the stages do not overlap); "keel demo": its wall time."""
    if stage == "keel demo":
        return r.wall
    if stage == "outside":
        return r.wall - sum(r.seconds.values())
    return r.seconds.get(stage, 0.0)


def report(results: list[Scale], skipped: list[str]) -> str:
    base = results[0]
    lines = [f"{'stage':10} " + " ".join(f"{f'{r.scale}x s':>9} {'ratio':>6} {'lin':>5}" for r in results)]
    for stage in (*STAGES, "outside", "keel demo"):
        cells = []
        for r in results:
            t, t1 = _seconds(r, stage), _seconds(base, stage)
            n = r.scale / base.scale
            ratio = t / t1 if t1 else float("nan")
            cells.append(f"{t:9.1f} {ratio:6.2f} {ratio / n:5.2f}")
        lines.append(f"{stage:10} " + " ".join(cells))
    for label, whole, by_stage in (
        ("peak RSS", lambda r: r.peak_rss, lambda r, stage: r.peak.get(stage, 0)),
        ("peak PSS", lambda r: r.peak_pss_total, lambda r, stage: r.peak_pss.get(stage, 0)),
    ):
        lines.append("")
        lines.append(
            f"{label:10} " + " ".join(f"{f'{r.scale}x MiB':>9} {'ratio':>6} {'':>5}" for r in results)
        )
        for stage in (*STAGES, "keel demo"):
            cells = []
            for r in results:
                m = whole(r) if stage == "keel demo" else by_stage(r, stage)
                m1 = whole(base) if stage == "keel demo" else by_stage(base, stage)
                cells.append(f"{m / 2**20:9.0f} {(m / m1 if m1 else float('nan')):6.2f} {'':>5}")
            lines.append(f"{stage:10} " + " ".join(cells))
    lines.append("")
    for r in results:
        lines.append(
            f"{r.scale}x: {r.tenants} tenants, keel demo {r.wall:.0f} s, "
            f"{'ok' if r.ok else 'FAILED: ' + r.failure}; load average {r.load_start:.1f} at the start, "
            f"{r.load_mean:.1f} on average, {r.load_end:.1f} at the end"
        )
    lines.extend(skipped)
    return "\n".join(lines)


def plot(results: list[Scale], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scales = [r.scale for r in results]
    done = [r for r in results if r.ok]  # a failed scale's whole run is no figure; its finished stages are
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for stage in STAGES:
        ran = [r for r in results if r.ok or r.seconds.get(stage, 0.0) > 0]
        left.plot([r.scale for r in ran], [r.seconds.get(stage, 0.0) for r in ran], marker="o", label=stage)
        right.plot(
            [r.scale for r in ran], [r.peak_pss.get(stage, 0) / 2**20 for r in ran], marker="o", label=stage
        )
    base = results[0]
    left.plot(scales, [base.wall * s / base.scale for s in scales], "k:", label="linear from 1x (whole)")
    left.plot([r.scale for r in done], [r.wall for r in done], "k-", marker="s", label="keel demo (whole)")
    right.plot(
        [r.scale for r in done],
        [r.peak_pss_total / 2**20 for r in done],
        "k-",
        marker="s",
        label="keel demo (whole)",
    )
    left.set(xlabel="tenants (x the selected businesses)", ylabel="wall seconds", title="Time per stage")
    right.set(
        xlabel="tenants (x the selected businesses)",
        ylabel="peak PSS of the process tree, MiB",
        title="Peak memory per stage",
    )
    for ax in (left, right):
        ax.set_xticks(scales)
        ax.grid(alpha=0.3)
    left.legend(fontsize=8)
    fig.suptitle(
        f"keel demo growth, {datetime.now(UTC):%Y-%m-%d}, load average "
        + ", ".join(f"{r.scale}x: {r.load_mean:.1f}" for r in results)
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def save(
    args: argparse.Namespace, results: list[Scale], skipped: list[str], report: str | None = None
) -> None:
    """Write the run's settings and figures (and, at the end, the printed report) to ``--json``."""
    record: dict[str, object] = {
        "command": " ".join(sys.argv),
        "tenants": args.tenants or "all",
        "start": args.start,
        "peer_copies": args.peer_copies,
        "seed": args.seed,
        "results": [asdict(x) for x in results],
        "skipped": skipped,
    }
    if report is not None:
        record["report"] = report
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(record, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", type=int, default=[1, 4, 16])
    parser.add_argument("--tenants", nargs="*", default=[], help="Demo slugs to scale (none: all 14).")
    parser.add_argument("--start", default="2026-09-01", help="First simulated day (a short history).")
    parser.add_argument(
        "--peer-copies", type=int, default=None, help="KEEL_DEMO_PEER_COPIES (default: the setting's)."
    )
    parser.add_argument("--seed", type=int, default=None, help="KEEL_DEMO_SEED (default: the setting's).")
    parser.add_argument("--budget-minutes", type=float, default=60.0)
    parser.add_argument("--json", default="docs/images/growth.json")
    parser.add_argument("--png", default="docs/images/growth.png")
    parser.add_argument("--keep", action="store_true", help="Leave each scale's database server running.")
    parser.add_argument("--from-json", default=None, help="Print and plot a saved run's JSON, run nothing.")
    args = parser.parse_args()
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text())
        done = [Scale(**r) for r in saved["results"]]
        print(report(done, saved["skipped"]))
        plot(done, Path(args.png))
        return
    scales = sorted(set(args.scales))
    if not scales or scales[0] < 1:
        raise SystemExit(f"--scales must be whole numbers of 1 or more, got {args.scales}")

    deadline = time.perf_counter() + args.budget_minutes * 60
    results: list[Scale] = []
    skipped: list[str] = []
    for scale in scales:
        left = deadline - time.perf_counter()
        if results:
            prev = results[-1]
            predicted = prev.wall * scale / prev.scale
            if predicted > left:
                skipped.append(
                    f"{scale}x and above not run: predicted {predicted / 60:.0f} min (linear from "
                    f"{prev.scale}x's {prev.wall / 60:.1f} min), {max(left, 0) / 60:.0f} min of the "
                    f"{args.budget_minutes:.0f}-minute budget left"
                )
                print(skipped[-1], flush=True)
                break
        print(f"{datetime.now(UTC):%H:%M:%S} {scale}x: keel demo ...", flush=True)
        results.append(measure(scale, args))
        r = results[-1]
        print(
            f"{datetime.now(UTC):%H:%M:%S} {scale}x: {r.wall:.0f} s, {'ok' if r.ok else r.failure}",
            flush=True,
        )
        save(args, results, skipped)  # as it goes: a run stopped later keeps the scales done
        if not r.ok:
            break
    text = report(results, skipped)
    print(text)
    save(args, results, skipped, report=text)
    plot(results, Path(args.png))


if __name__ == "__main__":
    main()
