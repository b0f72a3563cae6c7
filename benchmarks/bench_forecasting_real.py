"""Benchmark on real public series: Keel's default configuration against bare statsforecast models.

Run from the repository root:

    .venv/bin/python benchmarks/bench_forecasting_real.py              # Keel, AutoETS, AutoTheta, AutoARIMA
    .venv/bin/python benchmarks/bench_forecasting_real.py --no-arima   # without the slow AutoARIMA

The panel is the fixed one of ``tests/forecasting/real_series.py`` (co2 weekly; elnino and
airpassengers monthly; realgdp, realcons, cpi and woolyrnq quarterly; sunspots and lynx yearly), each
series' last periods held out (13 weeks, 12 months, 8 quarters, 6 years). Every method forecasts the
same histories in the same process and is scored alike: mean and median MASE (against the in-sample
seasonal naive MAE), share of the 81 held-out values inside the 80% and 95% intervals, wall seconds.
The bare models get statsforecast's own intervals and a season of one year of periods; their input
is the history on a complete calendar, gaps interpolated.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# The panel's loader lives with the tests that assert its figures; the repository root holds both.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

from tests.forecasting.real_series import (
    MethodScore,
    load_real_panel,
    score_keel,
    score_statsforecast,
    table,
)


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-arima", action="store_true", help="leave out bare AutoARIMA (minutes on co2)")
    args = parser.parse_args()

    panel = load_real_panel()
    results: list[MethodScore] = []
    progress("Keel default configuration")
    results.append(score_keel(panel))
    progress("bare AutoETS")
    results.append(score_statsforecast(panel, "AutoETS", lambda season: AutoETS(season_length=season)))
    progress("bare AutoTheta")
    results.append(score_statsforecast(panel, "AutoTheta", lambda season: AutoTheta(season_length=season)))
    if not args.no_arima:
        progress("bare AutoARIMA")
        results.append(
            score_statsforecast(panel, "AutoARIMA", lambda season: AutoARIMA(season_length=season))
        )

    print()
    print(table(results).to_markdown(index=False))
    print()
    print("MASE per series:")
    names = [s.unique_id for s in results[0].series]
    print("| series | " + " | ".join(r.method for r in results) + " |")
    print("| --- | " + " | ".join("---:" for _ in results) + " |")
    for i, name in enumerate(names):
        frequency = results[0].series[i].frequency
        cells = " | ".join(f"{r.series[i].mase:.3f}" for r in results)
        print(f"| {name} ({frequency}) | {cells} |")


if __name__ == "__main__":
    main()
