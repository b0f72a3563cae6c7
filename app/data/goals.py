"""The Goals page's reads and writes, for the signed-in user, through the owners' goal API (``coach.goals``).

Every function takes the :class:`~keel.tenancy.SignedInUser` that sign-in stored, so no page can pass a
tenant id; ``coach.goals`` runs as that tenant's ``keel_app`` role under row-level security and records
every change in the goal's history. Nothing is cached: the owner changes goals on the same page and must
see the change at once.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from coach import goals as owner_goals
from coach.goals import FEELINGS, GoalDraft, GoalInputError
from coach.interventions import list_interventions
from keel.tenancy import SignedInUser
from models_ml.goals import CATALOG, GoalProposal

__all__ = [
    "CATALOG",
    "FEELINGS",
    "GoalDraft",
    "GoalInputError",
    "abandon",
    "check_in",
    "create",
    "goal",
    "goals",
    "interventions",
    "propose",
]


def goals(user: SignedInUser) -> list[dict[str, Any]]:
    """The tenant's goals with their latest evaluation's headline numbers."""
    return owner_goals.list_goals(user.tenant_id)


def goal(user: SignedInUser, goal_id: uuid.UUID | str) -> dict[str, Any]:
    """One goal with its evaluation (levers, plan, pace), history and check-ins."""
    return owner_goals.get_goal(user.tenant_id, goal_id)


def propose(
    user: SignedInUser, metric: str, aggregation: str, starts_on: date, deadline: date, targets: list[float]
) -> GoalProposal:
    return owner_goals.propose(user.tenant_id, metric, aggregation, starts_on, deadline, targets)


def create(user: SignedInUser, draft: GoalDraft, proposal: GoalProposal | None = None) -> dict[str, Any]:
    return owner_goals.create_goal(user.tenant_id, draft, actor=user.email, proposal=proposal)


def check_in(
    user: SignedInUser, goal_id: uuid.UUID | str, did: str, feeling: str, intervention_id: uuid.UUID | None
) -> dict[str, Any]:
    return owner_goals.check_in(
        user.tenant_id, goal_id, did, feeling, intervention_id=intervention_id, actor=user.email
    )


def abandon(user: SignedInUser, goal_id: uuid.UUID | str, reason: str) -> dict[str, Any]:
    return owner_goals.abandon_goal(user.tenant_id, goal_id, reason, actor=user.email)


def interventions(user: SignedInUser) -> list[tuple[uuid.UUID, str]]:
    """The changes the owner recorded (id and name), newest first, to link a check-in to."""
    return [(i.intervention_id, i.name) for i in list_interventions(user.tenant_id)]
