"""Daily series with a known process for the goal tests: a weekly pattern times a persistent AR(1) level.

The AR(1) part makes errors persist (a slow week is followed by more slow days), which is what makes a
sum over a period more uncertain than independent days; a goal model that ignored it would be overconfident.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

WEEKLY = np.array([0.9, 0.95, 1.0, 1.0, 1.1, 1.3, 0.75])


def known_process(
    days: int, *, level: float, rng: np.random.Generator, phi: float = 0.6, sd: float = 0.08
) -> np.ndarray:
    noise = np.zeros(days)
    shocks = rng.normal(0.0, sd, size=days)
    for t in range(1, days):
        noise[t] = phi * noise[t - 1] + shocks[t]
    return level * WEEKLY[np.arange(days) % 7] * np.exp(noise)


def frame(values: np.ndarray, end: date, column: str = "revenue_net") -> pl.DataFrame:
    first = end - timedelta(days=len(values) - 1)
    return pl.DataFrame({"ds": [first + timedelta(days=i) for i in range(len(values))], column: values})
