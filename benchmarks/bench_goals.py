"""Benchmark of goal probabilities: of goals given probability p, how many are reached?

Run from the repository root:

    .venv/bin/python benchmarks/bench_goals.py --series 300 --targets 3

For each process of ``tests/goals/synthetic.py`` (``local_level``: a weekly pattern on a level that drifts
as a random walk; ``ar1``: the same pattern with mean-reverting AR(1) noise), ``--series`` series of 120
days, each with ``--targets`` random targets for the sum of the next 28 days (0.9x to 1.1x the recent run
rate), scored by :func:`models_ml.forecasting.goal_outcomes` (what ``ml_goal_evaluations`` uses). Prints
the reliability table (bins of 0.1: mean probability given, share reached, goals), the Brier score
against always saying the overall rate, and the seconds per goal. docs/benchmarks.md ("## Goals") records
the figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.goals.synthetic import calibration_trial, reliability


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=300)
    parser.add_argument("--targets", type=int, default=3)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    for process in ("local_level", "ar1"):
        started = time.perf_counter()
        probabilities, reached = calibration_trial(args.series, args.targets, seed=args.seed, process=process)
        seconds = time.perf_counter() - started
        table = reliability(probabilities, reached, 10)
        brier = float(np.mean((probabilities - reached) ** 2))
        climatology = float(np.mean((reached.mean() - reached) ** 2))
        worst = max((abs(g - s) for g, s, n in table if n >= 30), default=float("nan"))
        print(f"process {process}: {len(reached)} goals on {args.series} series, {seconds:.0f} s")
        print("  given  reached  goals")
        for given, share, count in table:
            print(f"  {given:5.3f}  {share:7.3f}  {count:5d}")
        print(f"  largest gap in bins of 30+ goals: {worst:.3f}; Brier {brier:.4f} vs {climatology:.4f}")


if __name__ == "__main__":
    main()
