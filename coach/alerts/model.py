"""What an alert is, and the failed data checks the Dagster sensor hands in."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["goal", "anomaly", "health", "freshness", "data_check"]
Severity = Literal["info", "warning", "critical"]
KINDS: tuple[Kind, ...] = ("goal", "anomaly", "health", "freshness", "data_check")


@dataclass(frozen=True)
class Alert:
    """One alert as the owner reads it; ``cause_key`` and ``fingerprint`` decide whether it is new.

    ``cause_key`` names the cause (``goal:<id>``, ``anomaly:revenue_net``, ``source:<id>`` ...) and
    ``fingerprint`` its state (the goal's status, the direction of the surprise ...): the same cause in the
    same state raises no second alert; a changed state raises a new one.
    """

    kind: Kind
    cause_key: str
    state: Any
    severity: Severity
    title: str
    what_happened: str
    why_it_matters: str
    what_to_do: str
    link: str
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        text = json.dumps(self.state, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class FailedCheck:
    """A data check that failed (from Dagster's asset check results), and which tenants it concerns.

    ``tenant_ids`` None: the check covers every tenant's data (a dbt test over a whole table).
    """

    asset: str
    check_name: str
    description: str
    tenant_ids: frozenset[uuid.UUID] | None = None

    def concerns(self, tenant_id: uuid.UUID) -> bool:
        return self.tenant_ids is None or tenant_id in self.tenant_ids
