"""Accuracy regression on real public series: Keel's defaults against bare statsforecast models.

The panel (``real_series``: co2 weekly, elnino and airpassengers monthly, realgdp, realcons, cpi and
woolyrnq quarterly, sunspots and lynx yearly) and its held-out tails are fixed, so the figures are
comparable from one change to the next. As in Nixtla's experiments, the scores are recorded: the
default configuration must stay below its recorded mean MASE, at least 5% below the better of bare
AutoETS and AutoTheta on the same tails (both are computed in the same run), and its 80% and 95%
intervals must cover within 5 points of nominal. Re-measure and re-record (with the date) when a
change is meant to move them; ``benchmarks/bench_forecasting_real.py`` prints the whole table.
"""

from __future__ import annotations

import pytest
from statsforecast.models import AutoETS, AutoTheta

from .real_series import MethodScore, load_real_panel, score_keel, score_statsforecast

# Recorded 2026-12-06 (statsforecast 2.1.1, mlforecast 1.1.0, lightgbm 4.7), 81 held-out points:
# Keel default mean MASE 0.965 (median 0.796), coverage 0.802 / 0.938; bare AutoETS 1.832, AutoTheta 1.388.
KEEL_MEAN_MASE_BOUND = 1.01
REQUIRED_GAIN = 0.05


@pytest.fixture(scope="module")
def scores() -> dict[str, MethodScore]:
    panel = load_real_panel()
    return {
        "keel": score_keel(panel),
        "AutoETS": score_statsforecast(panel, "AutoETS", lambda season: AutoETS(season_length=season)),
        "AutoTheta": score_statsforecast(panel, "AutoTheta", lambda season: AutoTheta(season_length=season)),
    }


def test_the_panel_is_exactly_the_recorded_one() -> None:
    panel = load_real_panel()
    sizes = {
        f: dict(frame.group_by("unique_id").len().sort("unique_id").rows()) for f, frame in panel.items()
    }
    assert sizes == {
        "weekly": {"co2": 2284 - 59},
        "monthly": {"airpassengers": 144, "elnino": 732},
        "quarterly": {"cpi": 203, "realcons": 203, "realgdp": 203, "woolyrnq": 119},
        "yearly": {"lynx": 114, "sunspots": 309},
    }


def test_default_configuration_beats_bare_statsforecast(scores: dict[str, MethodScore]) -> None:
    keel = scores["keel"]
    assert len(keel.series) == 9
    best_bare = min(scores["AutoETS"].mean_mase, scores["AutoTheta"].mean_mase)
    assert keel.mean_mase <= KEEL_MEAN_MASE_BOUND
    assert keel.mean_mase <= (1 - REQUIRED_GAIN) * best_bare


def test_default_intervals_cover_the_held_out_tails(scores: dict[str, MethodScore]) -> None:
    keel = scores["keel"]
    assert sum(s.n_points for s in keel.series) == 81
    assert abs(keel.coverage(80) - 0.80) <= 0.05
    assert abs(keel.coverage(95) - 0.95) <= 0.05
