"""Interventions as an owner records them (``app.interventions``), turned into the engine's inputs.

An owner says what they did and when: the kind, a name, the first and last day (none for a lasting
price or staffing change), the weekdays it applied to, the metric it was meant to move and, for a
price change, the product. Optionally how many days from the start to judge it over (a lasting change
is judged on its first weeks, while later changes pile up). They never say what the effect was: that
is the engine's job.

The metric panel names a product's series ``<product>.<metric>`` (``4711.units``), the names that
the evidence edges and the pricing optimizer use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from models_ml.evidence.errors import EvidenceInputError
from models_ml.evidence.panel import Intervention
from models_ml.evidence.records import EvidenceEdge, to_json

#: Kinds an owner can record (the ``app.interventions.kind`` check constraint allows these).
RECORDED_KINDS: tuple[str, ...] = (
    "promotion",
    "price_change",
    "staffing_change",
    "marketing_change",
    "other",
)


def product_series(product: str, metric: str) -> str:
    """Panel column of one product's series: ``<product>.<metric>``."""
    return f"{product}.{metric}"


@dataclass(frozen=True)
class RecordedIntervention:
    """One row of ``app.interventions``: what the owner did, when, and what it was meant to move."""

    name: str
    kind: str
    starts_on: date
    ends_on: date | None
    target_metric: str
    target_product: str | None = None
    weekdays: tuple[int, ...] | None = None
    evaluate_days: int | None = None
    notes: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in RECORDED_KINDS:
            raise EvidenceInputError(
                f"intervention {self.name!r}: kind must be one of {list(RECORDED_KINDS)}, got {self.kind!r}"
            )
        if not self.target_metric:
            raise EvidenceInputError(f"intervention {self.name!r}: target_metric must not be empty")

    @property
    def series(self) -> str:
        """The panel column whose change this intervention is judged on."""
        if self.target_product:
            return product_series(self.target_product, self.target_metric)
        return self.target_metric

    def to_intervention(self, product_id: str | None = None) -> Intervention:
        """The engine's :class:`Intervention`; ``product_id`` replaces the recorded product (a sku)."""
        series = (
            product_series(product_id, self.target_metric)
            if product_id is not None and self.target_product
            else self.series
        )
        return Intervention(
            name=self.name,
            kind=self.kind,
            start=self.starts_on,
            end=self.ends_on,
            target_metric=series,
            weekdays=self.weekdays,
            evaluation_days=self.evaluate_days,
        )

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RecordedIntervention:
        """From a mapping with the ``app.interventions`` column names."""
        weekdays = row.get("weekdays")
        return cls(
            name=str(row["name"]),
            kind=str(row["kind"]),
            starts_on=row["starts_on"],
            ends_on=row.get("ends_on"),
            target_metric=str(row.get("target_metric") or ""),
            target_product=row.get("target_product") or None,
            weekdays=tuple(int(d) for d in weekdays) if weekdays else None,
            evaluate_days=row.get("evaluate_days"),
            notes=row.get("notes"),
        )


def recorded_interventions(rows: Sequence[Mapping[str, Any]]) -> list[RecordedIntervention]:
    """Rows of ``app.interventions`` as :class:`RecordedIntervention`, names checked to be unique."""
    recorded = [RecordedIntervention.from_row(row) for row in rows]
    names = [r.name for r in recorded]
    if len(set(names)) != len(names):
        raise EvidenceInputError(f"intervention names must be unique per tenant, got {names}")
    return recorded


def unresolved_edge(tenant_id: str, recorded: RecordedIntervention, reason: str) -> EvidenceEdge:
    """The "inconclusive" row of an intervention the engine could not even set up (its metric is unknown).

    Every recorded intervention gets a row in the evidence graph: an owner who recorded something sees
    why Keel cannot judge it instead of nothing.
    """
    return EvidenceEdge(
        tenant_id=tenant_id,
        cause=recorded.name,
        effect=recorded.series,
        method="not_estimated",
        estimand=f"relative change in {recorded.series} on the days {recorded.name} was in effect",
        estimate=None,
        ci_low=None,
        ci_high=None,
        p_value=None,
        refutations="[]",
        grade="inconclusive",
        assumptions="No estimate: the data cannot answer (see reason).",
        reason=reason,
        explanation=f"Cannot tell whether {recorded.name} moved {recorded.series}: {reason}.",
        settings=to_json(
            {
                "kind": recorded.kind,
                "start": recorded.starts_on.isoformat(),
                "end": None if recorded.ends_on is None else recorded.ends_on.isoformat(),
            }
        ),
        is_primary=True,
    )
