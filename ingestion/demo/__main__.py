"""Summary of a demo world: `python -m ingestion.demo [--seed 42] [--scale 1.0] [--start ...] [--end ...]`.

Prints how long the simulation, the ground truth and building every record take, the record count per
resource, and the ground-truth table. Meant for checking volumes and effects by eye, not for loading.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

from .world import DEFAULT_END, DEFAULT_START, simulate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ingestion.demo", description=__doc__)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--start", type=date.fromisoformat, default=DEFAULT_START)
    parser.add_argument("--end", type=date.fromisoformat, default=DEFAULT_END)
    args = parser.parse_args(argv)

    began = time.perf_counter()
    world = simulate(seed=args.seed, start=args.start, end=args.end, scale=args.scale)
    simulated = time.perf_counter()
    truth = world.ground_truth
    truthed = time.perf_counter()
    counts = world.record_counts()
    built = time.perf_counter()

    print(
        f"simulate: {simulated - began:.1f} s, ground truth: {truthed - simulated:.1f} s, "
        f"all records: {built - truthed:.1f} s"
    )
    print(f"{'resource':32s} {'records':>9s}")
    for name, count in counts.items():
        print(f"{name:32s} {count:9d}")
    print(f"{'total':32s} {sum(counts.values()):9d}")
    print()
    print(f"{'intervention':58s} {'metric':24s} {'days':>5s} {'true rel':>9s} {'naive rel':>9s}")
    for row in truth:
        naive = (
            f"{row.naive_before_after_rel:+9.3f}" if row.naive_before_after_rel is not None else f"{'-':>9s}"
        )
        print(
            f"{row.intervention_id:58s} {row.target_metric:24s} {row.active_days:5d} "
            f"{row.true_effect_rel:+9.3f} {naive}"
        )


if __name__ == "__main__":
    main()
