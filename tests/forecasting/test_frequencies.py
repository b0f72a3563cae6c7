"""Any regular frequency: monthly, quarterly, weekly and yearly series are forecast in their own periods.

The issue's failures, each reproduced: a monthly panel with ``horizon=12`` crashed inside mlforecast
(months interpolated day by day); a 72-month and a 56-quarter series were "short"; the outlier cleaner
flattened every December of a seasonal monthly series; calendar features were applied to months.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from models_ml.forecasting import ForecastConfig, ForecastInputError, check_forecasts, forecast_panel
from models_ml.forecasting.frequency import MONTHLY, QUARTERLY, WEEKLY, YEARLY, parse_frequency
from models_ml.forecasting.prepare import prepare_panel

FAST = ("AutoETS", "AutoTheta", "SeasonalNaive", "LightGBM")


def month_starts(n: int, start: date = date(2019, 1, 1), step: int = 1) -> list[date]:
    return [
        date(start.year + (start.month - 1 + i * step) // 12, (start.month - 1 + i * step) % 12 + 1, 1)
        for i in range(n)
    ]


def december_peaks(n_months: int, seed: int = 0) -> np.ndarray:
    """Monthly sales with a December about six times a normal month (a strongly seasonal shop)."""
    rng = np.random.default_rng(seed)
    months = np.arange(n_months) % 12
    level = 13_000 * (1 + 0.01 * np.arange(n_months))
    return level * np.where(months == 11, 6.0, 1.0) * rng.normal(1, 0.04, n_months)


def monthly_panel() -> pl.DataFrame:
    return pl.concat(
        [
            pl.DataFrame(
                {"tenant_id": "shop", "unique_id": "sales", "ds": month_starts(72), "y": december_peaks(72)}
            ),
            pl.DataFrame(
                {
                    "tenant_id": "shop",
                    "unique_id": "customers",
                    "ds": month_starts(72),
                    "y": 500 + 5 * np.arange(72) + 40 * np.sin(2 * np.pi * np.arange(72) / 12),
                }
            ),
        ]
    )


@pytest.fixture(scope="module")
def monthly_run() -> tuple[pl.DataFrame, object]:
    panel = monthly_panel()
    return panel, forecast_panel(panel, config=ForecastConfig(horizon=12, models=FAST))


def test_a_monthly_panel_is_forecast_twelve_months_ahead(monthly_run: tuple[pl.DataFrame, object]) -> None:
    _, run = monthly_run
    chosen = run.chosen_forecasts()  # type: ignore[attr-defined]
    assert check_forecasts(run.forecasts) == []  # type: ignore[attr-defined]
    sales = chosen.filter(pl.col("unique_id") == "sales").sort("ds")
    assert sales["ds"].to_list() == month_starts(12, start=date(2025, 1, 1))
    accuracy = run.accuracy.filter(pl.col("is_chosen"))  # type: ignore[attr-defined]
    # 72 months are plenty for three 12-month windows: regular series, full model choice.
    assert accuracy["series_class"].to_list() == ["regular", "regular"]
    assert accuracy["fallback_reason"].null_count() == 2
    assert set(run.accuracy["model"].to_list()) >= {"AutoETS", "AutoTheta", "LightGBM"}  # type: ignore[attr-defined]


def test_december_peaks_are_not_outliers_and_are_forecast(monthly_run: tuple[pl.DataFrame, object]) -> None:
    panel, run = monthly_run
    profile = run.profile.filter(pl.col("unique_id") == "sales")  # type: ignore[attr-defined]
    assert profile["n_outliers"][0] == 0
    sales = run.chosen_forecasts().filter(pl.col("unique_id") == "sales").sort("ds")  # type: ignore[attr-defined]
    december = sales.filter(pl.col("ds").dt.month() == 12)["point"][0]
    others = sales.filter(pl.col("ds").dt.month() != 12)["point"].mean()
    assert december > 4 * others  # type: ignore[operator]
    last_december = panel.filter((pl.col("unique_id") == "sales") & (pl.col("ds") == date(2024, 12, 1)))["y"][
        0
    ]
    assert abs(december / last_december - 1) < 0.2


def test_a_true_december_outlier_is_still_cleaned() -> None:
    values = december_peaks(72)
    values[40] *= 5  # a May with five times its usual sales
    frame = pl.DataFrame({"tenant_id": "s", "unique_id": "sales", "ds": month_starts(72), "y": values})
    prepared = prepare_panel(frame, ForecastConfig(horizon=12))
    assert prepared.profile["n_outliers"][0] == 1
    assert "1 outlier months replaced by their seasonal median" in prepared.profile["data_notes"][0]


def test_month_end_dates_come_back_as_month_ends() -> None:
    frame = monthly_panel().with_columns(pl.col("ds").dt.month_end())
    run = forecast_panel(frame, config=ForecastConfig(horizon=3, models=("AutoETS", "SeasonalNaive")))
    days = run.chosen_forecasts().filter(pl.col("unique_id") == "sales").sort("ds")["ds"].to_list()
    assert days == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31)]
    assert run.accuracy["history_end"].unique().to_list() == [date(2024, 12, 31)]


def test_a_56_quarter_series_is_regular_and_gaps_are_filled_per_quarter() -> None:
    quarters = month_starts(56, start=date(2011, 1, 1), step=3)
    rng = np.random.default_rng(3)
    values = 1000 + 10 * np.arange(56) + 80 * np.tile([0, 1, 3, -2], 14) + rng.normal(0, 10, 56)
    frame = pl.DataFrame({"tenant_id": "t", "unique_id": "gdp", "ds": quarters, "y": values})
    frame = frame.filter(pl.col("ds") != date(2015, 4, 1))  # one missing quarter
    run = forecast_panel(frame, config=ForecastConfig(horizon=8, models=FAST))
    row = run.accuracy.filter(pl.col("is_chosen")).row(0, named=True)
    assert row["series_class"] == "regular"
    assert row["data_notes"] == "1 missing quarters filled by linear interpolation"
    assert run.profile["n_obs"][0] == 56
    days = run.chosen_forecasts()["ds"].to_list()
    assert days == month_starts(8, start=date(2025, 1, 1), step=3)


def test_weekly_and_yearly_series() -> None:
    start = date(2018, 1, 6)  # a Saturday
    weeks = [start + timedelta(weeks=i) for i in range(260)]
    t = np.arange(260)
    weekly = pl.DataFrame(
        {"tenant_id": "w", "unique_id": "visits", "ds": weeks, "y": 200 + 30 * np.sin(2 * np.pi * t / 52) + t}
    )
    run = forecast_panel(
        weekly, config=ForecastConfig(horizon=13, models=("AutoETS", "AutoTheta", "SeasonalNaive"))
    )
    days = run.chosen_forecasts()["ds"].to_list()
    assert days[0] == weeks[-1] + timedelta(weeks=1) and len(days) == 13
    assert {d.weekday() for d in days} == {5}

    years = [date(1900 + i, 1, 1) for i in range(60)]
    yearly = pl.DataFrame({"tenant_id": "y", "unique_id": "harvest", "ds": years, "y": 50 + np.arange(60.0)})
    run = forecast_panel(yearly, config=ForecastConfig(horizon=5, models=("AutoETS", "SeasonalNaive")))
    assert run.chosen_forecasts()["ds"].to_list() == [date(1960 + i, 1, 1) for i in range(5)]
    assert run.accuracy.filter(pl.col("is_chosen"))["series_class"][0] == "regular"


def test_frequency_aliases_and_inference() -> None:
    assert parse_frequency("MS") is MONTHLY
    assert parse_frequency("ME") is MONTHLY
    assert parse_frequency("QS-DEC") is QUARTERLY
    assert parse_frequency("W-SAT") is WEEKLY
    assert parse_frequency("1y") is YEARLY
    with pytest.raises(ForecastInputError, match="not a frequency Keel forecasts"):
        ForecastConfig(freq="5min")


def test_irregular_dates_raise_an_error_naming_the_series() -> None:
    # Every other day or so: gaps of 2, 4 and 6 days fit no daily, weekly or monthly calendar.
    days = [date(2024, 1, 1) + timedelta(days=d) for d in (0, 2, 4, 10, 14, 20, 30)]
    frame = pl.DataFrame({"tenant_id": "acme", "unique_id": "visits", "ds": days, "y": np.arange(7.0)})
    with pytest.raises(ForecastInputError, match="acme/visits has dates that are not on a regular monthly"):
        forecast_panel(pl.concat([frame, monthly_panel()]))
    with pytest.raises(ForecastInputError, match="cannot tell the frequency of series acme/visits"):
        forecast_panel(frame)
    # A daily series with gaps is still daily, and in a monthly panel it is named.
    daily = frame.with_columns(pl.Series("ds", [date(2024, 1, 1) + timedelta(days=d) for d in range(7)]))
    with pytest.raises(ForecastInputError, match="acme/visits \\(daily\\) is not monthly"):
        forecast_panel(pl.concat([daily, monthly_panel()]))


def test_mixed_frequencies_raise_an_error_naming_the_odd_series() -> None:
    quarterly = pl.DataFrame(
        {"tenant_id": "shop", "unique_id": "rent", "ds": month_starts(24, step=3), "y": np.arange(24.0)}
    )
    with pytest.raises(ForecastInputError, match="shop/rent \\(quarterly\\) is not monthly"):
        forecast_panel(pl.concat([monthly_panel(), quarterly]), config=ForecastConfig(horizon=12))


def test_levels_are_a_parameter() -> None:
    frame = monthly_panel().filter(pl.col("unique_id") == "customers")
    config = ForecastConfig(horizon=6, levels=(50, 90), models=("AutoETS", "SeasonalNaive"))
    run = forecast_panel(frame, config=config)
    assert {"lo_50", "hi_50", "lo_90", "hi_90"} <= set(run.forecasts.columns)
    assert "lo_80" not in run.forecasts.columns
    assert {"coverage_50", "coverage_90"} <= set(run.accuracy.columns)
    assert check_forecasts(run.forecasts, levels=(50, 90)) == []
    assert set(run.checks["regular"].coverage_by_level) == {50, 90}
    with pytest.raises(ForecastInputError, match="levels"):
        ForecastConfig(levels=(80, 100))


def test_goal_probability_refuses_a_monthly_history_clearly() -> None:
    from models_ml.forecasting import goal_probability

    history = monthly_panel().filter(pl.col("unique_id") == "sales").select("ds", "y")
    with pytest.raises(
        ForecastInputError, match="goal probabilities need a daily history; this one is monthly"
    ):
        goal_probability(history, target=1e6, deadline=date(2025, 6, 30))


def test_a_named_frequency_must_fit_every_series() -> None:
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(30)]
    frame = pl.DataFrame({"tenant_id": "acme", "unique_id": "visits", "ds": days, "y": np.arange(30.0)})
    with pytest.raises(ForecastInputError, match="acme/visits has dates that are not on a regular weekly"):
        forecast_panel(frame, config=ForecastConfig(freq="W", horizon=4))
    run = forecast_panel(
        frame.gather_every(7), config=ForecastConfig(freq="W", horizon=2, models=("SeasonalNaive",))
    )
    assert run.chosen_forecasts()["ds"].to_list() == [date(2024, 2, 5), date(2024, 2, 12)]
