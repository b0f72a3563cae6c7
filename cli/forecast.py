"""Reading one tenant's stored forecasts, and the ``keel forecast`` command that prints and plots them.

Everything here reads as ``keel_app`` scoped to the tenant (row-level security), from the tables the
Dagster assets in ``orchestration/defs/ml`` write: ``ml.forecasts`` (the chosen model's rows),
``ml.forecast_accuracy`` (its scores) and ``metrics.business_metrics_daily`` (the history). The
console's Forecasts page (``app/forecasts.py``) uses the same functions, so both show the same numbers
from the same run.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import psycopg
import typer
from psycopg import sql
from rich.console import Console
from rich.table import Table

from keel.errors import InvalidInput, KeelError
from keel.tenancy import tenant_id_for
from keel.warehouse import connect

#: Days of history the chart shows before the forecast.
HISTORY_DAYS = 120
RUN_THE_DEMO = "run `keel demo` to build the metrics and their forecasts"


class ForecastsNotStored(KeelError):
    """``ml.forecasts`` does not exist or holds nothing for this tenant and metric."""


@dataclass(frozen=True)
class StoredForecast:
    """One series' chosen forecast as stored, with its history and cross-validated scores."""

    tenant_id: uuid.UUID
    metric: str
    history: pl.DataFrame
    """``ds, y``: the metric's daily values, oldest first."""
    forecast: pl.DataFrame
    """``ds, model, point, lo_80, hi_80, lo_95, hi_95`` of the chosen model, by day."""
    chosen_model: str
    mase: float | None
    coverage_80: float | None
    coverage_95: float | None
    fallback_reason: str | None
    run_id: str


def resolve_tenant(tenant: str) -> uuid.UUID:
    """A tenant id from a slug or an id, confirmed in ``app.tenants`` as that tenant (RLS).

    A slug maps to its id as :func:`keel.tenancy.tenant_id_for` derives it; ``keel_app`` cannot list
    other tenants, so a tenant created with an explicit id is named by that id.
    """
    text = tenant.strip()
    try:
        tenant_id = uuid.UUID(text)
    except ValueError:
        tenant_id = tenant_id_for(text)
    with connect("keel_app", tenant_id=tenant_id) as conn:
        row = conn.execute(
            "select tenant_id from app.tenants where tenant_id = (select app.current_tenant_id())"
        ).fetchone()
    if row is None:
        raise InvalidInput(
            f"no tenant {text!r} in app.tenants", "pass a tenant slug or id (`keel demo` lists them)"
        )
    return tenant_id


def _tables_exist(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute(
        "select to_regclass('ml.forecasts') is not null and to_regclass('ml.forecast_accuracy') is not null"
    ).fetchone()
    return bool(row and row[0])


def forecast_metrics(tenant_id: uuid.UUID) -> list[str]:
    """Metrics with a stored forecast for the tenant, sorted; empty when nothing is stored yet."""
    with connect("keel_app", tenant_id=tenant_id) as conn:
        if not _tables_exist(conn):
            return []
        rows = conn.execute(
            "select distinct metric from ml.forecasts where tenant_id = (select app.current_tenant_id()) "
            "order by metric"
        ).fetchall()
    return [r[0] for r in rows]


def load_forecast(tenant_id: uuid.UUID, metric: str) -> StoredForecast:
    """The tenant's stored forecast of ``metric`` with its history; raises :class:`ForecastsNotStored`."""
    with connect("keel_app", tenant_id=tenant_id) as conn:
        if not _tables_exist(conn):
            raise ForecastsNotStored(
                "no forecasts are stored yet (ml.forecasts does not exist)", RUN_THE_DEMO
            )
        rows = conn.execute(
            "select ds, model, point, lo_80, hi_80, lo_95, hi_95, run_id from ml.forecasts "
            "where tenant_id = (select app.current_tenant_id()) and metric = %s and is_chosen order by ds",
            (metric,),
        ).fetchall()
        if not rows:
            stored = forecast_metrics(tenant_id)
            hint = f"stored metrics: {', '.join(stored)}" if stored else RUN_THE_DEMO
            raise ForecastsNotStored(f"no forecast of {metric!r} is stored for this tenant", hint)
        scores = conn.execute(
            "select chosen_model, mase, coverage_80, coverage_95, fallback_reason from ml.forecast_accuracy "
            "where tenant_id = (select app.current_tenant_id()) and metric = %s and is_chosen "
            "order by created_at desc limit 1",
            (metric,),
        ).fetchone()
        history_rows = conn.execute(
            sql.SQL(
                "select metric_date, {}::double precision from metrics.business_metrics_daily "
                "where tenant_id = (select app.current_tenant_id()) order by metric_date"
            ).format(sql.Identifier(metric))
        ).fetchall()
    forecast = pl.DataFrame(
        [r[:7] for r in rows],
        schema={
            "ds": pl.Date,
            "model": pl.String,
            "point": pl.Float64,
            "lo_80": pl.Float64,
            "hi_80": pl.Float64,
            "lo_95": pl.Float64,
            "hi_95": pl.Float64,
        },
        orient="row",
    )
    history = pl.DataFrame(history_rows, schema={"ds": pl.Date, "y": pl.Float64}, orient="row")
    chosen, mase, cover_80, cover_95, reason = scores or (forecast["model"][0], None, None, None, None)
    return StoredForecast(
        tenant_id=tenant_id,
        metric=metric,
        history=history.drop_nulls("y"),
        forecast=forecast,
        chosen_model=str(chosen or forecast["model"][0]),
        mase=_finite(mase),
        coverage_80=_finite(cover_80),
        coverage_95=_finite(cover_95),
        fallback_reason=reason,
        run_id=str(rows[0][7]),
    )


def _finite(value: float | None) -> float | None:
    """A score as shown: NaN (a fallback series has no cross-validated score) becomes None."""
    return value if value is not None and math.isfinite(value) else None


def forecast_figure(stored: StoredForecast, history_days: int | None = HISTORY_DAYS) -> Any:
    """The ``plot_forecast`` chart of a stored forecast (a matplotlib Figure)."""
    from models_ml.forecasting import plot_forecast

    return plot_forecast(
        stored.history,
        stored.forecast,
        title=f"{stored.metric}: {stored.chosen_model} forecast with 80% and 95% intervals",
        history_days=history_days,
        ylabel=stored.metric,
    )


def _fmt(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if percent else f"{value:,.2f}"


def forecast_command(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant slug or id.")],
    metric: Annotated[str, typer.Option("--metric", help="Metric, e.g. revenue_net, orders, new_customers.")],
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write the chart (history, forecast, 80/95% bands) here.")
    ] = None,
    days: Annotated[int, typer.Option("--days", min=1, help="Days ahead to print.")] = 14,
) -> None:
    """Print a tenant's stored forecast of one metric (point, 80% and 95% bounds); optionally plot it."""
    tenant_id = resolve_tenant(tenant)
    stored = load_forecast(tenant_id, metric)
    last_actual: dt.date | None = stored.history["ds"].max() if stored.history.height else None  # type: ignore[assignment]
    table = Table(
        title=f"{metric} for {tenant}: next {min(days, stored.forecast.height)} days ({stored.chosen_model})"
    )
    for column in ("day", "point", "80% low", "80% high", "95% low", "95% high"):
        table.add_column(column, justify="left" if column == "day" else "right")
    for row in stored.forecast.head(days).iter_rows(named=True):
        table.add_row(
            row["ds"].isoformat(),
            *(_fmt(row[c]) for c in ("point", "lo_80", "hi_80", "lo_95", "hi_95")),
        )
    console = Console()
    console.print(table)
    coverage = f"{_fmt(stored.coverage_80, True)} (80%) / {_fmt(stored.coverage_95, True)} (95%)"
    fallback = f"; fallback: {stored.fallback_reason}" if stored.fallback_reason else ""
    console.print(
        f"cross-validated MASE {_fmt(stored.mase)}, interval coverage {coverage}{fallback}; "
        f"last actual {last_actual.isoformat() if last_actual else '-'}; "
        f"from ml.forecasts run {stored.run_id}",
        highlight=False,
        soft_wrap=True,
    )
    if plot is not None:
        plot.parent.mkdir(parents=True, exist_ok=True)
        forecast_figure(stored).savefig(plot, dpi=110)
        console.print(f"chart written to {plot}", highlight=False)
