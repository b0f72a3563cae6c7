"""How far a plan's promise can be trusted: the support of its inputs, its downside, and a safe first step.

A plan is only as good as the numbers it rests on. A marketing split from a response curve that explains
a tenth of the variation in revenue, or that spends more than a channel has ever spent, or a price cut
from an elasticity that was assumed rather than measured, can show a large gain that the data do not
back. Every plan therefore carries a :class:`Credibility` record:

* one :class:`InputSupport` per input that drives the decisions: how well the data support it (the share
  of the variation a fitted curve explains, the grade of an elasticity, the observations behind it) and
  whether the plan moves it outside the range ever observed;
* a downside :class:`Scenario` next to the expected one, so the owner sees what the plan does if its
  inputs sit at their unfavourable end, not only in the prose;
* ``headline_supported``: False when an input the plan leans on is weak or extrapolated. The plan then
  presents no headline gain, says why (``reasons``) and offers a :class:`SafeStep` (for example: move a
  quarter of the way, within the spend ever observed, and compare).

The record is plain data, stored inside the plan's ``inputs`` (see :meth:`Plan.to_dict`) and rebuilt by
:meth:`Credibility.from_dict`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from models_ml.optimization.plan import format_money

#: ``supported``: measured, and the plan stays where it was measured; ``weak``: measured but explains
#: little, rests on few observations, or the plan leaves the observed range; ``assumed``: not measured
#: at all (a documented prior stands in for it).
SupportLevel = Literal["supported", "weak", "assumed"]
SUPPORT_LEVELS: tuple[str, ...] = ("supported", "weak", "assumed")

#: A fitted response curve must explain at least this share of the variation of its outcome...
MIN_FIT = 0.3
#: ...and rest on at least this many observations (days or weeks, whatever the curve was fitted on).
MIN_OBSERVATIONS = 12
#: A planned input more than this factor above the largest one observed is an extrapolation.
OBSERVED_RANGE_TOLERANCE = 1.05
#: Share of the way from today's policy to the plan that the safe step of a budget plan moves.
SAFE_STEP_SHARE = 0.25


@dataclass(frozen=True)
class InputSupport:
    """How well one input of the plan (a channel's curve, a product's elasticity, a forecast) is backed."""

    #: What the input belongs to, in the owner's words: "Search ads", "Oat milk latte".
    subject: str
    #: What the input is: "how revenue responds to spend", "how sales respond to price".
    quantity: str
    level: SupportLevel
    #: The support in plain words: "fitted on 52 weeks; explains 8% of the variation".
    evidence: str
    #: Share of the variation a fitted curve explains (None when nothing was fitted).
    fit: float | None = None
    #: Observations behind the input (None when not applicable).
    observations: int | None = None
    #: Range of this input ever observed, and the value the plan sets it to, in ``unit``.
    observed_low: float | None = None
    observed_high: float | None = None
    planned: float | None = None
    unit: str = ""
    #: False when the plan sets the input outside the observed range; None when there is no range.
    within_observed_range: bool | None = None

    def __post_init__(self) -> None:
        if self.level not in SUPPORT_LEVELS:
            raise ValueError(f"input support of {self.subject!r}: level must be one of {SUPPORT_LEVELS}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "quantity": self.quantity,
            "level": self.level,
            "evidence": self.evidence,
            "fit": self.fit,
            "observations": self.observations,
            "observed_low": self.observed_low,
            "observed_high": self.observed_high,
            "planned": self.planned,
            "unit": self.unit,
            "within_observed_range": self.within_observed_range,
        }


@dataclass(frozen=True)
class Scenario:
    """The plan's gain against the current policy under one reading of its inputs."""

    #: "expected" or "downside".
    name: str
    #: Money gained over the plan's horizon (negative: the plan loses money against today's policy).
    impact: float
    #: The reading in words: "if customers react at the unfavourable end of the evidence".
    description: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "impact": self.impact, "description": self.description}


@dataclass(frozen=True)
class SafeStep:
    """A smaller move the data do support, offered instead of a headline gain."""

    #: What to do, in words, with the amounts.
    description: str
    #: The step's gain by the same model, and under the same downside reading as the plan.
    expected_impact: float
    downside_impact: float
    #: What the step sets each input to that it changes (a channel's spend, a product's price), by name.
    values: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "expected_impact": self.expected_impact,
            "downside_impact": self.downside_impact,
            "values": dict(self.values),
        }


@dataclass(frozen=True)
class Credibility:
    """A plan's support, its expected and downside scenarios, and whether its gain is a headline."""

    supports: tuple[InputSupport, ...]
    expected: Scenario
    downside: Scenario
    #: Why the headline is withheld, in words (empty when it is supported).
    reasons: tuple[str, ...] = ()
    safe_step: SafeStep | None = None
    #: Anything else the owner should weigh (e.g. the service risk of a roster), in words.
    caveat: str = ""

    @property
    def headline_supported(self) -> bool:
        """The gain is a headline unless there is a reason to withhold it (withholding always says why)."""
        return not self.reasons

    @property
    def weak_inputs(self) -> tuple[InputSupport, ...]:
        return tuple(support for support in self.supports if support.level != "supported")

    def headline(self, currency: str, horizon_words: str) -> str:
        """The one sentence a page or the coach shows first: the gain, or why there is none to show."""
        if self.headline_supported:
            return (
                f"Expected gain over {horizon_words}: {format_money(self.expected.impact, currency)}; "
                f"{self.downside.description}: {_signed(self.downside.impact, currency)}."
            )
        text = "No gain is promised: " + "; ".join(self.reasons) + "."
        if self.safe_step is not None:
            text += f" Safe step: {self.safe_step.description}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "headline_supported": self.headline_supported,
            "supports": [support.to_dict() for support in self.supports],
            "expected": self.expected.to_dict(),
            "downside": self.downside.to_dict(),
            "reasons": list(self.reasons),
            "safe_step": None if self.safe_step is None else self.safe_step.to_dict(),
            "caveat": self.caveat,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Credibility:
        """The record :meth:`to_dict` wrote (as stored in ``ml.plans``)."""
        step = data.get("safe_step")
        if data.get("headline_supported") is False and not data.get("reasons"):
            raise ValueError("a plan whose headline is withheld must say why")
        return cls(
            supports=tuple(InputSupport(**support) for support in data.get("supports") or ()),
            expected=Scenario(**data["expected"]),
            downside=Scenario(**data["downside"]),
            reasons=tuple(data.get("reasons") or ()),
            safe_step=None if step is None else SafeStep(**step),
            caveat=str(data.get("caveat") or ""),
        )


def fit_level(fit: float | None, observations: int | None) -> SupportLevel:
    """``weak`` when a fitted curve explains less than :data:`MIN_FIT` or rests on too few observations."""
    if fit is None or fit != fit or fit < MIN_FIT:
        return "weak"
    if observations is not None and observations < MIN_OBSERVATIONS:
        return "weak"
    return "supported"


def within_range(planned: float, observed_high: float) -> bool:
    """A planned input no more than :data:`OBSERVED_RANGE_TOLERANCE` above the largest one observed."""
    return planned <= observed_high * OBSERVED_RANGE_TOLERANCE


def _signed(amount: float, currency: str) -> str:
    return ("+" if amount >= 0 else "") + format_money(amount, currency)
