"""Rows of the evidence graph (``ml.evidence_nodes``, ``ml.evidence_edges``) and their validator.

Every result object of the engine converts to :class:`EvidenceEdge` rows; the Dagster assets only
add the run id and write them. :func:`check_evidence` is the invariant check that the asset checks
reuse: intervals ordered, grade in the allowed set, inconclusive rows with a reason and no number.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from models_ml.evidence.grading import GRADES

#: Column order and types of ``ml.evidence_edges`` (the asset adds ``run_id``).
EDGE_SCHEMA: dict[str, Any] = {
    "tenant_id": pl.String,
    "cause": pl.String,
    "effect": pl.String,
    "method": pl.String,
    "estimand": pl.String,
    "estimate": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "p_value": pl.Float64,
    "refutations": pl.String,
    "grade": pl.String,
    "assumptions": pl.String,
    "reason": pl.String,
    "explanation": pl.String,
    "settings": pl.String,
    "is_primary": pl.Boolean,
}

#: Column order and types of ``ml.evidence_nodes``.
NODE_SCHEMA: dict[str, Any] = {
    "tenant_id": pl.String,
    "node": pl.String,
    "kind": pl.String,
    "label": pl.String,
}

NODE_KINDS: frozenset[str] = frozenset({"metric", "intervention", "driver", "segment", "product"})


@dataclass(frozen=True)
class EvidenceEdge:
    """One "cause → effect" claim with its size, interval, tests, grade and assumptions.

    ``estimand`` says what the number measures (for example "relative change in orders on treated
    days"); ``refutations`` and ``settings`` are JSON text so they store as they are.
    ``is_primary`` marks the headline edge of each cause/effect pair; other rows are cross-checks.
    """

    tenant_id: str
    cause: str
    effect: str
    method: str
    estimand: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    refutations: str
    grade: str
    assumptions: str
    reason: str | None
    explanation: str
    settings: str
    is_primary: bool = True

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EvidenceNode:
    """A node of the evidence graph: a metric, an intervention, a driver, a segment or a product."""

    tenant_id: str
    node: str
    kind: str
    label: str

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EvidenceGraph:
    """Nodes and edges of one tenant's evidence run, ready to be written."""

    nodes: tuple[EvidenceNode, ...]
    edges: tuple[EvidenceEdge, ...]
    problems: tuple[str, ...] = field(default_factory=tuple)

    def edges_frame(self) -> pl.DataFrame:
        return edges_frame(self.edges)

    def nodes_frame(self) -> pl.DataFrame:
        return nodes_frame(self.nodes)


#: Owner-facing names of metric nodes whose column name does not read well with "_" as a space.
METRIC_LABELS: dict[str, str] = {
    "revenue_net": "net revenue",
    "other causes of revenue_net": "other causes of net revenue",
}


def node_labels(products: Iterable[tuple[str, str, str | None]]) -> dict[str, dict[str, str]]:
    """Per tenant, the owner-facing label of each node: products by name, a few metrics by their meaning.

    ``products`` are ``(tenant_id, product_id, product_name)`` rows; a product without a name keeps its id.
    """
    labels: dict[str, dict[str, str]] = {}
    for tenant_id, product_id, name in products:
        tenant = labels.setdefault(tenant_id, dict(METRIC_LABELS))
        if name:
            tenant[f"{product_id}.units"] = f"{name} (units sold)"
            tenant[f"{product_id}.price"] = f"{name} (price)"
    return labels


#: How evidence sentences mention a product by its id ("a 1% higher price of product 44689000000001"):
#: `relabel` puts the product's name in place of exactly this phrase, nothing else. A bare number is
#: never taken for a product: QuickBooks ids are short ("5"), and "a 5% higher price" must stay a number.
PRODUCT_MENTION = "product {product_id}"


def product_mention(product_id: str) -> str:
    """The phrase a sentence uses for a product it knows only by id (see PRODUCT_MENTION)."""
    return PRODUCT_MENTION.format(product_id=product_id)


def relabel(text: str | None, labels: Mapping[str, str]) -> str:
    """``text`` with node ids (``44689000000001.units``, ``revenue_net``) replaced by their labels.

    Only whole tokens are replaced: a node id inside a longer word or number (``15.units`` for node
    ``5.units``, ``2,740.18``) is left alone. A product mentioned by id (``product 44689000000001``, see
    `product_mention`) becomes its name; a number that happens to equal a product id is never touched.
    """
    if not text:
        return ""
    names = {node: label for node, label in labels.items() if label != node}
    products: dict[str, str] = {}
    for node, label in labels.items():
        stem, _, part = node.rpartition(".")
        if part == "units" and label.endswith(" (units sold)"):
            products[product_mention(stem)] = label.removesuffix(" (units sold)")
    replacements = {**names, **products}
    if not replacements:
        return text
    alternatives = "|".join(re.escape(n) for n in sorted(replacements, key=len, reverse=True))
    # not inside a word or a number: no letter, digit, "_", "." or "," glued on either side
    pattern = re.compile(r"(?<![\w.,])(" + alternatives + r")(?![\w]|[.,]\w)")
    return pattern.sub(lambda m: replacements[m.group(1)], text)


def relabel_edges(edges: Iterable[EvidenceEdge], labels: Mapping[str, str]) -> tuple[EvidenceEdge, ...]:
    """The edges with their sentences (explanation, reason, assumptions) in the owner's words.

    ``cause`` and ``effect`` stay ids: they are keys, and ``ml.evidence_nodes`` holds their labels.
    """
    return tuple(
        dataclasses.replace(
            edge,
            explanation=relabel(edge.explanation, labels),
            reason=None if edge.reason is None else relabel(edge.reason, labels),
            assumptions=relabel(edge.assumptions, labels),
        )
        for edge in edges
    )


def to_json(value: Any) -> str:
    """JSON text with non-finite floats as null, so Postgres ``jsonb`` accepts it."""

    def clean(item: Any) -> Any:
        if isinstance(item, float) and not math.isfinite(item):
            return None
        if isinstance(item, Mapping):
            return {str(k): clean(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [clean(v) for v in item]
        if hasattr(item, "item") and callable(item.item):  # numpy scalars
            return clean(item.item())
        return item

    return json.dumps(clean(value), sort_keys=True, default=str)


def interval_label(alpha: float) -> str:
    """Name of an interval's level ("95% interval" for alpha 0.05), for explanations."""
    return f"{round(100 * (1 - alpha))}% interval"


def edges_frame(edges: Iterable[EvidenceEdge]) -> pl.DataFrame:
    """Polars frame of edges with the ``ml.evidence_edges`` columns and types."""
    return pl.DataFrame([edge.as_row() for edge in edges], schema=EDGE_SCHEMA, orient="row")


def nodes_frame(nodes: Iterable[EvidenceNode]) -> pl.DataFrame:
    """Polars frame of nodes with the ``ml.evidence_nodes`` columns and types."""
    return pl.DataFrame([node.as_row() for node in nodes], schema=NODE_SCHEMA, orient="row")


def nodes_for_edges(
    edges: Sequence[EvidenceEdge], kinds: Mapping[str, str], labels: Mapping[str, str] | None = None
) -> tuple[EvidenceNode, ...]:
    """The nodes that the edges mention, each once, with a kind from ``kinds`` (default "metric")."""
    labels = labels or {}
    seen: dict[tuple[str, str], EvidenceNode] = {}
    for edge in edges:
        for name in (edge.cause, edge.effect):
            key = (edge.tenant_id, name)
            if key not in seen:
                kind = kinds.get(name, "metric")
                seen[key] = EvidenceNode(edge.tenant_id, name, kind, labels.get(name, name.replace("_", " ")))
    return tuple(seen.values())


def _number(row: Mapping[str, Any], key: str) -> float | None:
    value = row.get(key)
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def check_evidence(edges: Iterable[EvidenceEdge | Mapping[str, Any]]) -> list[str]:
    """Problems with evidence edges (objects or rows); an empty list means all hold.

    Checked on every row: tenant, cause, effect and method present; grade in the allowed set;
    ``ci_low <= estimate <= ci_high`` wherever those are numbers, and an estimate never without
    its interval; p-value within [0, 1]; refutations and settings valid JSON. Inconclusive rows
    must carry a reason and no estimate or interval (no confident number).
    """
    problems: list[str] = []
    for index, edge in enumerate(edges):
        row: Mapping[str, Any] = edge.as_row() if isinstance(edge, EvidenceEdge) else edge
        where = f"edge {index} ({row.get('cause')} -> {row.get('effect')}, {row.get('method')})"
        for key in ("tenant_id", "cause", "effect", "method"):
            if not row.get(key):
                problems.append(f"{where}: {key} is empty")
        grade = row.get("grade")
        if grade not in GRADES:
            problems.append(f"{where}: grade {grade!r} is not one of {list(GRADES)}")
        try:
            estimate, ci_low, ci_high = (_number(row, k) for k in ("estimate", "ci_low", "ci_high"))
            p_value = _number(row, "p_value")
        except (TypeError, ValueError):
            problems.append(f"{where}: estimate, interval or p-value is not a number")
            continue
        numbers = {"estimate": estimate, "ci_low": ci_low, "ci_high": ci_high, "p_value": p_value}
        for key, value in numbers.items():
            if value is not None and not math.isfinite(value):
                problems.append(f"{where}: {key} is not finite ({value})")
        if grade == "inconclusive":
            if not row.get("reason"):
                problems.append(f"{where}: inconclusive without a reason")
            if any(v is not None for v in (estimate, ci_low, ci_high)):
                problems.append(f"{where}: inconclusive but carries a number")
        else:
            if estimate is not None and (ci_low is None or ci_high is None):
                problems.append(f"{where}: estimate without an interval")
            if (ci_low is None) != (ci_high is None):
                problems.append(f"{where}: only one end of the interval is set")
        if ci_low is not None and ci_high is not None and ci_low > ci_high:
            problems.append(f"{where}: interval is reversed ({ci_low} > {ci_high})")
        inside = estimate is None or ci_low is None or ci_high is None or ci_low <= estimate <= ci_high
        if not inside:
            problems.append(f"{where}: estimate {estimate} lies outside its interval [{ci_low}, {ci_high}]")
        if p_value is not None and not 0.0 <= p_value <= 1.0:
            problems.append(f"{where}: p-value {p_value} is outside [0, 1]")
        for key in ("refutations", "settings"):
            text = row.get(key)
            if text is None:
                continue
            try:
                json.loads(text) if isinstance(text, str) else json.dumps(text)
            except (TypeError, ValueError):
                problems.append(f"{where}: {key} is not valid JSON")
    return problems
