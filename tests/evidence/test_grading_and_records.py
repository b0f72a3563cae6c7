"""The grading rule and the evidence-edge validator that the asset checks reuse."""

from __future__ import annotations

import math
from dataclasses import replace

import polars as pl
import pytest

from models_ml.evidence import (
    EDGE_SCHEMA,
    EvidenceEdge,
    GradeInput,
    check_evidence,
    edges_frame,
    grade_evidence,
)
from models_ml.evidence.records import node_labels, product_mention, relabel, relabel_edges


def _grade(**kwargs: object) -> tuple[str, str | None]:
    values = {"estimate": 0.10, "ci_low": 0.05, "ci_high": 0.15, "identification": "design"}
    values.update(kwargs)
    decision = grade_evidence(GradeInput(**values), max_relative_ci_width=1.0)  # type: ignore[arg-type]
    return decision.grade, decision.reason


@pytest.mark.parametrize(
    ("kwargs", "grade", "fragment"),
    [
        ({"refuters_passed": [True, True, True], "placebo_passed": True}, "strong", None),
        ({"data_problem": "only 3 treated days"}, "inconclusive", "only 3 treated days"),
        ({"estimate": math.nan}, "inconclusive", "could not be computed"),
        ({"ci_low": -0.6, "ci_high": 0.7}, "inconclusive", "too wide"),
        ({"identification": "baseline"}, "weak", "adjusts for nothing"),
        ({"refuters_passed": [False, True, True], "placebo_passed": False}, "weak", "placebo"),
        ({"refuters_passed": [True, False, False], "placebo_passed": True}, "weak", "2 refuters failed"),
        ({"ci_low": -0.02}, "weak", "contains zero"),
        ({"refuters_passed": [True, True, False], "placebo_passed": True}, "moderate", "one refuter failed"),
        ({"designs_disagree": True}, "moderate", "another design disagrees"),
        ({"identification": "predictive"}, "moderate", "Granger"),
        ({"cap": "weak", "cap_reason": "one window"}, "weak", "one window"),
    ],
)
def test_grading_rule(kwargs: dict[str, object], grade: str, fragment: str | None) -> None:
    got, reason = _grade(**kwargs)
    assert got == grade
    if fragment is None:
        assert reason is None
    else:
        assert reason is not None and fragment in reason


def test_structure_without_size_is_weak_and_accounting_is_strong() -> None:
    assert _grade(estimate=None, ci_low=None, ci_high=None, identification="structure")[0] == "weak"
    assert _grade(identification="accounting")[0] == "strong"


def _edge(**changes: object) -> EvidenceEdge:
    edge = EvidenceEdge(
        tenant_id="t1",
        cause="spring_promotion",
        effect="revenue",
        method="its_seasonal_regression",
        estimand="relative change in revenue",
        estimate=0.06,
        ci_low=0.02,
        ci_high=0.10,
        p_value=0.01,
        refutations='[{"name": "placebo_treatment", "passed": true}]',
        grade="strong",
        assumptions="no other change",
        reason=None,
        explanation="Spring promotion changed revenue by +6%.",
        settings="{}",
    )
    return replace(edge, **changes)  # type: ignore[arg-type]


def test_valid_edges_and_rows_pass() -> None:
    good = [_edge(), _edge(grade="inconclusive", estimate=None, ci_low=None, ci_high=None, reason="no data")]
    assert check_evidence(good) == []
    assert check_evidence([edge.as_row() for edge in good]) == []
    frame = edges_frame(good)
    assert frame.columns == list(EDGE_SCHEMA)
    assert frame.schema["estimate"] == pl.Float64
    # Rows read back from a table (NaN for missing numbers) pass too.
    assert check_evidence(frame.to_dicts()) == []


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"ci_low": 0.12, "ci_high": 0.02, "estimate": 0.05}, "reversed"),
        ({"estimate": 0.5}, "outside its interval"),
        ({"grade": "very strong"}, "is not one of"),
        ({"grade": "inconclusive", "reason": "too few days"}, "carries a number"),
        ({"grade": "inconclusive", "estimate": None, "ci_low": None, "ci_high": None}, "without a reason"),
        ({"ci_low": None, "ci_high": None}, "estimate without an interval"),
        ({"ci_high": None}, "only one end"),
        ({"p_value": 1.5}, "outside [0, 1]"),
        ({"refutations": "{not json"}, "not valid JSON"),
        ({"tenant_id": ""}, "tenant_id is empty"),
        ({"estimate": math.inf, "ci_high": math.inf}, "not finite"),
    ],
)
def test_bad_edges_are_reported(changes: dict[str, object], fragment: str) -> None:
    problems = check_evidence([_edge(), _edge(**changes)])
    assert problems, changes
    assert all(problem.startswith("edge 1 ") for problem in problems)
    assert any(fragment in problem for problem in problems), problems


def test_owners_read_product_names_and_metric_meanings_not_ids() -> None:
    products = [("t1", "4468901", "Trail Runner Shoe"), ("t1", "4468902", None), ("t2", "9", "Mug")]
    labels = node_labels(products)
    assert labels["t1"]["4468901.units"] == "Trail Runner Shoe (units sold)"
    assert labels["t1"]["4468901.price"] == "Trail Runner Shoe (price)"
    assert "4468902.units" not in labels["t1"]  # no name: the id stays
    assert "4468901.units" not in labels["t2"]  # one tenant's products never label another's
    text = (
        "TH price change changed 4468901.units by +51.5%; a 1% higher price of product 4468901 changes its "
        "units; "
        "other causes of revenue_net moved mean daily revenue_net; 44689011.units and orders_per_day stay"
    )
    assert relabel(text, labels["t1"]) == (
        "TH price change changed Trail Runner Shoe (units sold) by +51.5%; a 1% higher price of Trail Runner "
        "Shoe changes its units; other causes of net revenue moved mean daily net revenue; 44689011.units "
        "and orders_per_day stay"
    )
    assert relabel(None, labels["t1"]) == ""


def test_short_quickbooks_ids_never_replace_numbers() -> None:
    """Issue 18: QuickBooks product ids are short numbers ("1", "2", "5"); numbers in a sentence that
    equal one (a 5% price change, 2,740.18, 1120-S, 0.5) stay numbers, and only the places that name a
    product by id get its name."""
    labels = node_labels(
        [
            ("t1", "1", "Monthly Bookkeeping & Advisory"),
            ("t1", "2", "Business Tax Return (Form 1120-S)"),
            ("t1", "5", "Audit Support"),
        ]
    )["t1"]
    text = (
        "A 1% higher price of product 1 changes its units sold by -0.52% (95% interval -1.10% to +0.06%); "
        "revenue moved by -2,740.18 over 5 days, 2 weeks after the 1120-S deadline; 5.units fell 0.5%; "
        "A 5% higher price of product 5 changes 2.units; Cannot tell how product 2's price moves its sales."
    )
    assert relabel(text, labels) == (
        "A 1% higher price of Monthly Bookkeeping & Advisory changes its units sold by -0.52% (95% interval "
        "-1.10% to +0.06%); revenue moved by -2,740.18 over 5 days, 2 weeks after the 1120-S deadline; "
        "Audit Support (units sold) fell 0.5%; A 5% higher price of Audit Support changes Business Tax "
        "Return (Form 1120-S) (units sold); Cannot tell how Business Tax Return (Form 1120-S)'s price "
        "moves its sales."
    )


def test_elasticity_sentences_name_the_product_after_relabel() -> None:
    """The elasticity text names products through product_mention, which relabel resolves."""
    labels = node_labels([("t1", "7", "Latte")])["t1"]
    text = f"A 1% higher price of {product_mention('7')} changes its units sold by -7.00%"
    assert relabel(text, labels) == "A 1% higher price of Latte changes its units sold by -7.00%"
    assert relabel(f"A 1% higher price of {product_mention('8')} changes", labels) == (
        "A 1% higher price of product 8 changes"  # no name known: the owner still reads a product
    )


def test_stored_edges_say_product_names_but_keep_ids_as_keys() -> None:
    labels = node_labels([("t1", "4468901", "Trail Runner Shoe")])["t1"]
    edge = _edge(
        cause="price change",
        effect="4468901.units",
        explanation="price change changed 4468901.units by +6%.",
        assumptions="no other change to revenue_net",
    )
    (relabeled,) = relabel_edges([edge], labels)
    assert (relabeled.cause, relabeled.effect) == ("price change", "4468901.units")
    assert relabeled.explanation == "price change changed Trail Runner Shoe (units sold) by +6%."
    assert relabeled.assumptions == "no other change to net revenue"
    assert relabeled.reason is None
