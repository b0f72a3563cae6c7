"""Validation of forecast frames, shared by the library's tests and the Dagster asset checks.

:func:`check_forecasts` returns human-readable problems (an empty list means the frame is sound), so
an asset check can report them as metadata and a test can assert on them.
"""

from __future__ import annotations

import itertools

import polars as pl

BOUND_COLUMNS: tuple[str, ...] = ("lo_95", "lo_80", "point", "hi_80", "hi_95")
KEY_COLUMNS: tuple[str, ...] = ("tenant_id", "unique_id", "model", "ds")
_EXAMPLES = 3


def bound_columns(levels: tuple[int, ...]) -> tuple[str, ...]:
    """Bounds and point from the lowest to the highest for ``levels`` (``BOUND_COLUMNS`` by default)."""
    ordered = sorted(levels)
    return (
        *[f"lo_{v}" for v in reversed(ordered)],
        "point",
        *[f"hi_{v}" for v in ordered],
    )


def check_forecasts(frame: pl.DataFrame, levels: tuple[int, ...] = (80, 95)) -> list[str]:
    """Problems with an ``ml.forecasts`` frame: missing columns or values, unordered bounds, duplicates.

    Bounds must satisfy ``lo_95 <= lo_80 <= point <= hi_80 <= hi_95`` on every row (for the default
    ``levels``; a tolerance of 1e-9 relative absorbs a round trip through the database). With an
    ``is_chosen`` column, every series must have exactly one chosen model.
    """
    bounds = bound_columns(levels)
    missing = [c for c in (*KEY_COLUMNS, *bounds) if c not in frame.columns]
    if missing:
        return [f"missing column(s): {', '.join(missing)}"]
    problems: list[str] = []
    for column in (*KEY_COLUMNS, *bounds):
        nulls = frame[column].null_count()
        if column in bounds:
            nulls += frame.filter(~pl.col(column).is_finite()).height
        if nulls:
            problems.append(f"{column}: {nulls} missing or non-finite value(s)")

    finite = frame.drop_nulls(list(bounds)).filter(pl.all_horizontal([pl.col(c).is_finite() for c in bounds]))
    tolerance = 1e-9 * pl.max_horizontal(pl.lit(1.0), pl.col("point").abs())
    for lower, upper in itertools.pairwise(bounds):
        bad = finite.filter(pl.col(lower) > pl.col(upper) + tolerance)
        if bad.height:
            examples = ", ".join(
                f"{r['tenant_id']}/{r['unique_id']}/{r['model']} {r['ds']}"
                for r in bad.head(_EXAMPLES).iter_rows(named=True)
            )
            problems.append(f"{lower} > {upper} on {bad.height} row(s), e.g. {examples}")

    duplicates = frame.group_by(KEY_COLUMNS).len().filter(pl.col("len") > 1)
    if duplicates.height:
        problems.append(f"{duplicates.height} (tenant_id, unique_id, model, ds) key(s) appear more than once")

    if "is_chosen" in frame.columns:
        chosen = frame.group_by("tenant_id", "unique_id").agg(
            pl.col("model").filter(pl.col("is_chosen")).n_unique().alias("n_chosen")
        )
        wrong = chosen.filter(pl.col("n_chosen") != 1)
        if wrong.height:
            examples = ", ".join(
                f"{r['tenant_id']}/{r['unique_id']} ({r['n_chosen']})"
                for r in wrong.head(_EXAMPLES).iter_rows(named=True)
            )
            problems.append(f"{wrong.height} series without exactly one chosen model, e.g. {examples}")
    return problems
