"""Inputs of the evidence engine: a tenant's daily metric panel and its recorded interventions.

The panel is one polars frame per tenant with a ``ds`` date column and one numeric column per
metric (revenue, orders, aov, marketing_spend, ...), plus optional 0/1 intervention indicators
and covariates. Peer tenants' panels have the same shape. This module validates them and builds
the calendar controls (weekday, yearly season, trend) that every design adjusts for.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from models_ml.evidence.errors import EvidenceInputError

#: Kinds of interventions an owner records; "other" keeps the engine open to new ones.
INTERVENTION_KINDS: frozenset[str] = frozenset(
    {"promotion", "price_change", "staffing_change", "marketing_change", "marketing_campaign", "other"}
)

_DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Intervention:
    """Something the owner did, when, and which metric it was meant to move.

    ``end`` is the last day in effect (inclusive); ``None`` means still in effect (a permanent
    price or staffing change). With ``indicator_column`` the treated days are the panel rows where
    that column is 1 between ``start`` and ``end`` (scattered flash-sale days, for example);
    without it every day from ``start`` to ``end`` is treated. ``weekdays`` (Monday = 0) keeps
    only those weekdays (a weekend-only hire, a Tuesday offer). ``evaluation_days`` limits the
    estimated effect to the first days from ``start`` (the demo's ground-truth window); treated
    days after it are adjusted for separately rather than mixed into the estimate.
    """

    name: str
    kind: str
    start: date
    end: date | None
    target_metric: str
    indicator_column: str | None = None
    weekdays: tuple[int, ...] | None = None
    evaluation_days: int | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise EvidenceInputError("intervention.name must not be empty")
        if self.kind not in INTERVENTION_KINDS:
            raise EvidenceInputError(
                f"intervention {self.name!r}: kind must be one of "
                f"{sorted(INTERVENTION_KINDS)}, got {self.kind!r}"
            )
        if self.end is not None and self.end < self.start:
            raise EvidenceInputError(
                f"intervention {self.name!r}: end {self.end} is before start {self.start}"
            )
        if not self.target_metric:
            raise EvidenceInputError(f"intervention {self.name!r}: target_metric must not be empty")
        if self.weekdays is not None and (
            not self.weekdays or any(not isinstance(d, int) or not 0 <= d <= 6 for d in self.weekdays)
        ):
            raise EvidenceInputError(
                f"intervention {self.name!r}: weekdays must be numbers 0 (Monday) to 6, got {self.weekdays}"
            )
        if self.evaluation_days is not None and self.evaluation_days < 1:
            raise EvidenceInputError(
                f"intervention {self.name!r}: evaluation_days must be at least 1, got {self.evaluation_days}"
            )

    @property
    def is_permanent(self) -> bool:
        return self.end is None


def validate_panel(panel: pl.DataFrame, *, name: str = "panel", required: Sequence[str] = ()) -> pl.DataFrame:
    """Check a daily metric panel and return it sorted by ``ds`` with ``ds`` as a Date column.

    Raises :class:`EvidenceInputError` naming the panel and the problem: not a polars frame, no
    ``ds`` column, ``ds`` not a date, repeated days, or a required metric missing or not numeric.
    """
    if not isinstance(panel, pl.DataFrame):
        raise EvidenceInputError(f"{name} must be a polars DataFrame, got {type(panel).__name__}")
    if "ds" not in panel.columns:
        raise EvidenceInputError(f"{name} has no 'ds' column (columns: {panel.columns})")
    ds_type = panel.schema["ds"]
    if ds_type == pl.Datetime or isinstance(ds_type, pl.Datetime):
        panel = panel.with_columns(pl.col("ds").dt.date())
    elif ds_type != pl.Date:
        raise EvidenceInputError(f"{name}.ds must be a Date or Datetime column, got {ds_type}")
    if panel.height == 0:
        raise EvidenceInputError(f"{name} has no rows")
    if panel["ds"].null_count() > 0:
        raise EvidenceInputError(f"{name}.ds has {panel['ds'].null_count()} missing dates")
    if panel["ds"].n_unique() != panel.height:
        raise EvidenceInputError(f"{name}.ds repeats days: one row per day is expected")
    for column in required:
        if column not in panel.columns:
            raise EvidenceInputError(f"{name} has no column {column!r} (columns: {panel.columns})")
        if not panel.schema[column].is_numeric():
            raise EvidenceInputError(f"{name}.{column} must be numeric, got {panel.schema[column]}")
    return panel.sort("ds")


def treated_mask(panel: pl.DataFrame, intervention: Intervention) -> np.ndarray:
    """Boolean array over the panel's rows: True on the days the intervention was in effect."""
    days = panel["ds"]
    in_window = (days >= intervention.start).to_numpy()
    if intervention.end is not None:
        in_window &= (days <= intervention.end).to_numpy()
    if intervention.weekdays is not None:
        in_window &= np.isin(days.dt.weekday().to_numpy() - 1, intervention.weekdays)
    if intervention.indicator_column is None:
        return in_window
    column = intervention.indicator_column
    if column not in panel.columns:
        raise EvidenceInputError(
            f"intervention {intervention.name!r}: indicator column {column!r} is not in the panel"
        )
    indicator = panel[column].fill_null(0).to_numpy().astype(float)
    if not np.all(np.isin(indicator, (0.0, 1.0))):
        raise EvidenceInputError(
            f"intervention {intervention.name!r}: indicator column {column!r} must hold only 0 and 1"
        )
    return in_window & (indicator == 1.0)


def calendar_controls(days: pl.Series, *, yearly_harmonics: int, include_yearly: bool = True) -> pl.DataFrame:
    """Weekday dummies (Monday is the base), a linear trend in years, and yearly sine/cosine terms.

    These are the common causes of "when an owner acts" and "how the metric moves" in one
    business's history: owners run promotions in slow weeks and hire before the busy season.
    """
    weekday = days.dt.weekday().to_numpy()  # 1 = Monday ... 7 = Sunday
    ordinal = np.array([d.toordinal() for d in days.to_list()], dtype=float)
    columns: dict[str, np.ndarray] = {
        f"weekday_{number}": (weekday == number).astype(float) for number in range(2, 8)
    }
    columns["trend_years"] = (ordinal - ordinal.min()) / _DAYS_PER_YEAR
    if include_yearly:
        phase = 2.0 * math.pi * ordinal / _DAYS_PER_YEAR
        for harmonic in range(1, yearly_harmonics + 1):
            columns[f"year_sin_{harmonic}"] = np.sin(harmonic * phase)
            columns[f"year_cos_{harmonic}"] = np.cos(harmonic * phase)
    return pl.DataFrame(columns)


def seasonal_coverage(days: Sequence[date] | pl.Series, treated: np.ndarray, *, match_days: int) -> float:
    """Share of treated days with an untreated day at the same time of year in another year.

    Without such days the yearly season and the intervention are confounded in the data itself:
    no model of the season can be checked against them, so the design must say "inconclusive".
    """
    ordinal = np.array([d.toordinal() for d in days], dtype=float)
    treated_days = ordinal[treated]
    control_days = np.sort(ordinal[~treated])
    if treated_days.size == 0 or control_days.size == 0:
        return 0.0
    covered = np.zeros(treated_days.size, dtype=bool)
    years = int((ordinal.max() - ordinal.min()) / _DAYS_PER_YEAR) + 1
    for shift in range(-years, years + 1):
        if shift == 0:
            continue
        # Untreated days within match_days of the same day of the year, ``shift`` years away.
        centre = treated_days + shift * _DAYS_PER_YEAR
        low = np.searchsorted(control_days, centre - match_days, side="left")
        high = np.searchsorted(control_days, centre + match_days, side="right")
        covered |= high > low
    return float(covered.mean())


def metric_names(panel: pl.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    """Numeric columns of a panel other than ``ds`` and the ones listed in ``exclude``."""
    skip = {"ds", *exclude}
    return [c for c in panel.columns if c not in skip and panel.schema[c].is_numeric()]


def validate_peers(peers: Mapping[str, pl.DataFrame] | None, metric: str) -> dict[str, pl.DataFrame]:
    """Validate peer tenants' panels for one metric; an empty mapping when there are none."""
    if peers is None:
        return {}
    if not isinstance(peers, Mapping):
        raise EvidenceInputError(f"peers must map peer tenant id to a panel, got {type(peers).__name__}")
    return {
        str(peer_id): validate_panel(frame, name=f"peers[{peer_id!r}]", required=[metric])
        for peer_id, frame in peers.items()
    }
