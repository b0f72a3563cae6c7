"""The Evidence page: what drove the tenant's metrics, each effect with its interval, grade and one sentence.

The rows come from ``ml.evidence_edges`` (written by the ``ml_evidence`` Dagster asset in
``orchestration/defs/ml/evidence.py``), read through :mod:`app.data` as ``keel_app`` scoped to the
signed-in user's tenant only; the caption names the run.

Sections, most actionable first: the effects of what the owner did (recorded interventions), price
elasticities, what moved last month's revenue (an exact split), and drivers between metrics (Granger,
PC). Everything the data cannot answer is listed with its reason, never as a number.
"""

from __future__ import annotations

import math

import polars as pl
import streamlit as st

from app.data import cached
from app.session import require_user
from app.your_data import show_empty
from keel.errors import KeelError

EMPTY_SUBJECT = "evidence"
#: Methods whose estimate is a relative change (0.10 = +10%).
RELATIVE_METHODS = frozenset(
    {
        "its_seasonal_regression",
        "synthetic_control",
        "did_comparable_periods",
        "propensity_score_weighting",
        "propensity_score_matching",
        "naive_before_after",
        "econml_linear_dml_segments",
        "dowhy_gcm_distribution_change",
    }
)
ELASTICITY_METHOD = "econml_linear_dml_log_log"
ROOT_CAUSE_METHODS = frozenset({"shapley_decomposition", "dowhy_gcm_distribution_change"})
DRIVER_METHODS = frozenset({"granger_causality", "causal_learn_pc"})
GRADE_BADGES = {
    "strong": ":green-badge[strong]",
    "moderate": ":blue-badge[moderate]",
    "weak": ":orange-badge[weak]",
    "inconclusive": ":gray-badge[inconclusive]",
}


def format_value(method: str, value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    if method in RELATIVE_METHODS:
        return f"{value:+.1%}"
    return f"{value:+,.2f}"


def interval_text(method: str, low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "-"
    return f"{format_value(method, low)} to {format_value(method, high)}"


def render() -> None:
    user = require_user()
    st.title("Evidence")
    try:
        stored = cached.evidence(user)
    except KeelError as exc:
        st.error(str(exc))
        return
    if stored is None:
        show_empty(
            EMPTY_SUBJECT,
            user,
            "Keel estimates what your promotions and price changes did once it has a few months of it.",
        )
        return
    edges = stored.edges
    st.caption(
        "What caused the changes in your numbers, and how sure Keel is. Each effect has a 95% interval and "
        "a grade: strong (the interval is narrow, clearly away from zero, and every test of the method "
        "passed), moderate, weak, "
        "or inconclusive (the data cannot tell, and Keel says why instead of guessing)."
    )
    labels = stored.labels
    _section(
        "What your actions did",
        edges.filter(pl.col("is_intervention") & pl.col("is_primary")),
        "No recorded promotions, price, staffing or marketing changes yet.",
        labels,
    )
    _section(
        "How price moves sales",
        edges.filter((pl.col("method") == ELASTICITY_METHOD) & (pl.col("grade") != "inconclusive")),
        "No product's price moved enough to measure how its sales respond.",
        labels,
    )
    _section(
        "What moved last month's revenue",
        edges.filter(pl.col("method").is_in(list(ROOT_CAUSE_METHODS))),
        "Not enough history to compare the last two full months.",
        labels,
    )
    _section(
        "Drivers between your metrics",
        edges.filter(pl.col("method").is_in(list(DRIVER_METHODS)) & (pl.col("grade") != "inconclusive")),
        "No metric was found to lead another.",
        labels,
    )
    unanswered = edges.filter(
        (pl.col("grade") == "inconclusive") & (pl.col("is_primary") | pl.col("is_intervention").not_())
    )
    if unanswered.height:
        with st.expander(f"What the data cannot tell yet ({unanswered.height})"):
            for row in unanswered.iter_rows(named=True):
                cause = labels.get(row["cause"], row["cause"])
                effect = labels.get(row["effect"], row["effect"])
                st.markdown(f"- **{cause} → {effect}**: {row['reason']}")
    st.caption(
        f"Worked out by Keel's evidence run {stored.run_id} from your daily numbers and the actions you "
        "recorded; every estimate is re-checked by tests that try to break it before it is graded."
    )


def _section(title: str, rows: pl.DataFrame, empty: str, labels: dict[str, str]) -> None:
    st.subheader(title)
    if rows.is_empty():
        st.caption(empty)
        return
    for row in rows.iter_rows(named=True):
        st.markdown(f"{GRADE_BADGES.get(row['grade'], row['grade'])} {row['explanation']}")
        if row["naive_estimate"] is not None and row["estimate"] is not None:
            st.caption(
                f"A simple before/after comparison would have said "
                f"{format_value('naive_before_after', row['naive_estimate'])}: it also counts whatever else "
                "changed at the same time (season, trend, other actions)."
            )
    table = rows.select(
        pl.col("cause").replace(labels).alias("Cause"),
        pl.col("effect").replace(labels).alias("Effect"),
        pl.struct("method", "estimate")
        .map_elements(lambda r: format_value(r["method"], r["estimate"]), return_dtype=pl.String)
        .alias("Estimate"),
        pl.struct("method", "ci_low", "ci_high")
        .map_elements(lambda r: interval_text(r["method"], r["ci_low"], r["ci_high"]), return_dtype=pl.String)
        .alias("95% interval"),
        pl.col("grade").alias("Grade"),
        pl.col("method").alias("Method"),
        pl.col("assumptions").alias("Assumptions"),
    )
    st.dataframe(table, hide_index=True, width="stretch")
