"""The Evidence page: "What worked?": what drove the tenant's metrics, each effect with its interval, grade
and one sentence, under one takeaway sentence built from the strongest finding.

The rows come from ``ml.evidence_edges`` (written by the ``ml_evidence`` Dagster asset in
``orchestration/defs/ml/evidence.py``), read through :mod:`app.data` as ``keel_app`` scoped to the
signed-in user's tenant only; the caption names the run.

Sections, most actionable first: the effects of what the owner did (recorded interventions), price
elasticities, what moved last month's revenue (an exact split), and drivers between metrics (Granger,
PC). Everything the data cannot answer is listed with its reason, never as a number. The stored sentences
are shown in the owner's words: a metric's column name becomes its name, a method's name a description, a
p-value a sentence about chance; the methods, assumptions and the run stay in "For analysts".
"""

from __future__ import annotations

import math
import re

import polars as pl
import streamlit as st

from app import words
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
#: Column names of the daily metrics in the owner's words, for the stored sentences.
METRIC_WORDS = {
    "revenue_net": "revenue",
    "revenue_gross": "revenue before refunds and discounts",
    "average_order_value": "average order value",
    "gross_margin_pct": "gross margin share",
    "gross_margin": "gross margin",
    "new_customers": "new customers",
    "returning_customers": "returning customers",
    "marketing_spend_total": "marketing spend",
    "stockout_product_days": "out-of-stock days",
    "labor_hours": "staff hours",
    "labor_cost": "staff cost",
    "cash_in": "money in",
    "cash_out": "money out",
}
METHOD_WORDS = {
    "its_seasonal_regression": "a before/after comparison that allows for the season",
    "synthetic_control": "a comparison with similar businesses",
    "did_comparable_periods": "a comparison with similar periods",
    "propensity_score_weighting": "a comparison of similar days",
    "propensity_score_matching": "a comparison of matched days",
    "naive_before_after": "a simple before/after comparison",
    "econml_linear_dml_segments": "a comparison by customer group",
    "econml_linear_dml_log_log": "a price response estimate",
    "dowhy_gcm_distribution_change": "a breakdown of what changed",
    "shapley_decomposition": "an exact breakdown of the change",
    "granger_causality": "a test of which figure moves first",
    "causal_learn_pc": "a search for links between figures",
}
_P_VALUE = re.compile(r"\(?\bp\s*(?:=|<)\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\)?")
_NAMES = re.compile(r"\b(" + "|".join(sorted({*METRIC_WORDS, *METHOD_WORDS}, key=len, reverse=True)) + r")\b")
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
        return "about 0%" if abs(value) < 0.0005 else f"{value:+.1%}"
    return f"{value:+,.2f}"


def interval_text(method: str, low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "-"
    return f"{format_value(method, low)} to {format_value(method, high)}"


def plain(text: str | None) -> str:
    """A stored sentence in the owner's words: names of columns and methods replaced, p-values as chance."""
    if not text:
        return ""
    text = _P_VALUE.sub(
        lambda m: ("({})" if m.group(0).startswith("(") else "{}").format(words.chance(float(m.group(1)))),
        text,
    )
    text = _NAMES.sub(lambda m: METRIC_WORDS.get(m.group(1)) or METHOD_WORDS[m.group(1)], text)
    return re.sub(r"[+-]0\.0+%", "about 0%", text)


GRADE_ORDER = {"strong": 0, "moderate": 1, "weak": 2, "inconclusive": 3}


def takeaway(edges: pl.DataFrame) -> str:
    """The page's first sentence: the best-graded effect of the owner's own actions, else of anything."""
    graded = edges.filter(pl.col("grade").is_in(["strong", "moderate"]) & pl.col("is_primary"))
    for rows in (graded.filter(pl.col("is_intervention")), graded):
        if rows.height:
            best = rows.with_columns(pl.col("grade").replace_strict(GRADE_ORDER).alias("_order")).sort(
                "_order", pl.col("estimate").abs(), descending=[False, True], nulls_last=True
            )
            row = best.row(0, named=True)
            return f"The clearest finding ({row['grade']} evidence): {plain(row['explanation'])}"
    return (
        "Nothing Keel measured is clear enough yet to act on: the sections below say what was tried and what "
        "more data would settle."
    )


def render() -> None:
    user = require_user()
    st.title("What worked?")
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
    st.markdown(f"**{takeaway(edges)}**")
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
                st.markdown(f"- **{plain(cause)} → {plain(effect)}**: {plain(row['reason'])}")
    st.caption(
        "Worked out from your daily numbers and the actions you recorded; every estimate is re-checked by "
        "tests that try to break it before it is graded."
    )
    with st.expander("For analysts"):
        st.markdown(f"Source: `ml.evidence_edges`, run `{stored.run_id}`.")
        st.dataframe(
            edges.select(
                "cause",
                "effect",
                "method",
                "estimate",
                "ci_low",
                "ci_high",
                "p_value",
                "grade",
                "assumptions",
            ),
            hide_index=True,
            width="stretch",
        )


def _section(title: str, rows: pl.DataFrame, empty: str, labels: dict[str, str]) -> None:
    st.subheader(title)
    if rows.is_empty():
        st.caption(empty)
        return
    for row in rows.iter_rows(named=True):
        st.markdown(f"{GRADE_BADGES.get(row['grade'], row['grade'])} {plain(row['explanation'])}")
        if row["naive_estimate"] is not None and row["estimate"] is not None:
            st.caption(
                f"A simple before/after comparison would have said "
                f"{format_value('naive_before_after', row['naive_estimate'])}: it also counts whatever else "
                "changed at the same time (season, trend, other actions)."
            )
    table = rows.select(
        pl.col("cause").replace(labels).map_elements(plain, return_dtype=pl.String).alias("Cause"),
        pl.col("effect").replace(labels).map_elements(plain, return_dtype=pl.String).alias("Effect"),
        pl.struct("method", "estimate")
        .map_elements(lambda r: format_value(r["method"], r["estimate"]), return_dtype=pl.String)
        .alias("Estimate"),
        pl.struct("method", "ci_low", "ci_high")
        .map_elements(lambda r: interval_text(r["method"], r["ci_low"], r["ci_high"]), return_dtype=pl.String)
        .alias("95% interval"),
        pl.col("grade").alias("Grade"),
        pl.col("method").replace(METHOD_WORDS).alias("How it was measured"),
    )
    st.dataframe(table, hide_index=True, width="stretch")
