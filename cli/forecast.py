"""The ``keel forecast`` command: print and plot one tenant's stored forecast.

It reads through the console's readers (:mod:`serving.readers`: ``ml.forecasts``, ``ml.forecast_accuracy``
and ``metrics.business_metrics_daily`` as ``keel_app`` scoped to the tenant), so the command and the
console's Forecasts page show the same numbers from the same run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from serving.readers import forecast_figure, load_forecast, resolve_tenant


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
