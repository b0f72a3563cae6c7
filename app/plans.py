"""The Plans page: the tenant's inventory, staffing, pricing and marketing-budget plans, and a what-if.

Each plan comes from ``ml.plans`` (written by the ``ml_plans`` Dagster asset), read through :mod:`app.data`
as ``keel_app`` scoped to the signed-in user's tenant only: its expected impact in money against the current
policy, its explanation, the constraints that hold it back and what relaxing each is worth, and its
decisions. Next to each gain sits its downside; when the plan's inputs cannot back a gain (a weak or
extrapolated response curve, an assumed elasticity), the page shows "Not promised", the reasons and the
safe step instead. A plan the tenant's data does not support says why.

The what-if control moves one bound of the stored problem (the purchasing budget or storage, the service
level, the largest price change or the margin floor, the marketing budget) and solves it again here, with
the same library the asset used, showing the new impact next to the stored one. Nothing is written back.
"""

from __future__ import annotations

import dataclasses

import polars as pl
import streamlit as st

from app.data import cached
from app.session import require_user
from app.your_data import show_empty
from keel.errors import KeelError
from models_ml.optimization import (
    InventoryProblem,
    Plan,
    PricingProblem,
    SolverSettings,
    StaffingProblem,
    format_money,
    plan_budget,
    plan_inventory,
    plan_pricing,
    plan_staffing,
)
from models_ml.optimization.credibility import InputSupport
from models_ml.optimization.plan import describe_horizon
from models_ml.optimization.serialization import Problem, problem_from_dict
from serving.readers import StoredPlan

EMPTY_SUBJECT = "plans"
PLAN_TITLES = {
    "inventory": "Inventory",
    "staffing": "Staffing",
    "pricing": "Pricing",
    "budget": "Marketing budget",
}
#: Shown in place of the expected impact when the plan's inputs cannot back it.
NOT_PROMISED = "Not promised"
SUPPORT_WORDS = {"supported": "measured", "weak": "weak", "assumed": "assumed, not measured"}
#: What-if solves run while the owner waits: shorter limits than the nightly asset.
WHAT_IF_SETTINGS = SolverSettings(
    time_limit_seconds=5.0, max_valuation_seconds=1.0, max_diagnosis_solves=30, max_diagnosis_seconds=2.0
)
SOLVERS = {
    "inventory": plan_inventory,
    "staffing": plan_staffing,
    "pricing": plan_pricing,
    "budget": plan_budget,
}


def render() -> None:
    user = require_user()
    st.title("Plans")
    try:
        plans = [p for p in cached.plans(user) if p.plan_type in PLAN_TITLES]
    except KeelError as exc:
        st.error(str(exc))
        return
    if not plans:
        show_empty(EMPTY_SUBJECT, user)
        return
    by_type = {plan.plan_type: plan for plan in plans}
    order = [t for t in PLAN_TITLES if t in by_type]
    for tab, plan_type in zip(st.tabs([PLAN_TITLES[t] for t in order]), order, strict=True):
        with tab:
            _plan_section(by_type[plan_type])
    newest = max(plans, key=lambda p: p.created_at)
    st.caption(
        f"Worked out by Keel's planning run {newest.run_id} on {newest.created_at:%d %B %Y at %H:%M} UTC, "
        "from your forecasts, the measured effects of your actions and your data; "
        "what-if results are not saved."
    )


def _plan_section(stored: StoredPlan) -> None:
    title = PLAN_TITLES[stored.plan_type]
    if stored.status == "not_applicable":
        st.info(stored.explanation)
        return
    if stored.status == "error":
        st.warning(stored.explanation)
        return
    plan = stored.plan()
    if not stored.solved:
        st.warning(plan.explanation)
        if plan.conflicting_constraints:
            st.markdown("\n".join(f"- {c}" for c in plan.conflicting_constraints))
        _what_if(stored, plan)
        return
    _headline(plan, title)
    st.write(plan.explanation)
    _binding_constraints(plan)
    with st.expander("Decisions"):
        st.dataframe(plan.decisions, hide_index=True, width="stretch")
    for note in plan.notes:
        st.caption(note)
    _what_if(stored, plan)


def _headline(plan: Plan, title: str) -> None:
    """The plan's gain with its downside beside it; if the data cannot back the gain, why, and a safe step."""
    credibility = plan.credibility
    impact, downside, value, current = st.columns(4)
    if plan.headline_supported:
        impact.metric(
            f"{title}: expected impact",
            _money(plan.expected_impact, plan.currency),
            help="Money gained over the plan's horizon by following it instead of what you do today.",
        )
    else:
        impact.metric(
            f"{title}: expected impact",
            NOT_PROMISED,
            help="Your data do not back a gain from this plan well enough to promise one; see why below.",
        )
    if credibility is not None:
        description = credibility.downside.description
        downside.metric(
            f"{title}: downside",
            _money(credibility.downside.impact, plan.currency),
            help=f"The plan's gain {description}.",
        )
    value.metric(f"{plan.objective_name.capitalize()} (plan)", _money(plan.objective_value, plan.currency))
    current.metric(
        f"{plan.objective_name.capitalize()} (today)",
        _money(plan.current_policy_value, plan.currency),
    )
    quality = "best possible" if plan.status == "optimal" else "good, not proven best"
    st.caption(f"Solved in {plan.solve_seconds:.1f} s ({quality}).")
    if credibility is None:
        return
    if not credibility.headline_supported:
        st.warning(credibility.headline(plan.currency, describe_horizon(plan.horizon, plan.period)))
        step = credibility.safe_step
        if step is not None:
            gain, loss = st.columns(2)
            gain.metric(f"{title}: safe step, expected", _money(step.expected_impact, plan.currency))
            loss.metric(f"{title}: safe step, downside", _money(step.downside_impact, plan.currency))
    with st.expander("How well your data support this plan"):
        st.dataframe(
            pl.DataFrame([_support_row(support, plan.currency) for support in credibility.supports]),
            hide_index=True,
            width="stretch",
        )
        if credibility.caveat:
            st.caption(credibility.caveat)


def _support_row(support: InputSupport, currency: str) -> dict[str, str]:
    def amount(value: float | None) -> str:
        if value is None:
            return "-"
        if support.unit == "price":
            return format_money(value, currency)
        if support.unit.startswith(f"{currency} "):  # money per something, e.g. "$ a day"
            return format_money(value, currency) + support.unit.removeprefix(currency)
        return f"{value:,.0f} {support.unit}".strip()

    observed = (
        "not recorded"
        if support.observed_low is None or support.observed_high is None
        else f"{amount(support.observed_low)} to {amount(support.observed_high)}"
    )
    return {
        "Input": support.subject,
        "What": support.quantity,
        "Support": SUPPORT_WORDS[support.level],
        "Evidence": support.evidence,
        "Ever observed": observed,
        "In the plan": amount(support.planned),
    }


def _binding_constraints(plan: Plan) -> None:
    if not plan.binding_constraints:
        st.caption("No constraint holds this plan back: relaxing any of them would not improve it.")
        return
    st.subheader("What holds the plan back", divider=False)
    table = pl.DataFrame(
        [
            {
                "Constraint": b.description,
                "Relaxed by": f"{b.relax_by:g} {b.relax_unit}",
                "Worth": format_money(b.value_of_relaxing, plan.currency),
                "How valued": "shadow price" if b.method == "lp_dual" else "re-solved",
            }
            for b in plan.binding_constraints
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")


# --------------------------------------------------------------------------------------------
# What-if
# --------------------------------------------------------------------------------------------


def _what_if(stored: StoredPlan, plan: Plan) -> None:
    """One bound of the stored problem, changed and solved again in the page."""
    if stored.row["problem"] is None:
        return
    problem = problem_from_dict(stored.row["problem"])
    plan_type = stored.plan_type
    key = f"whatif_{plan_type}"
    st.subheader("What if", divider=False)
    changes = _what_if_controls(problem, key, plan.currency)
    if st.button("Re-solve", key=f"{key}_solve"):
        try:
            result = _solve(dataclasses.replace(problem, **changes))  # type: ignore[arg-type]
        except ValueError as exc:
            st.error(f"The what-if could not be solved: {exc}")
            return
        st.session_state[f"{key}_result"] = (stored.run_id, changes, result)
    outcome = st.session_state.get(f"{key}_result")
    if outcome is None or outcome[0] != stored.run_id:
        return
    _, used, result = outcome
    title = PLAN_TITLES[plan_type]
    if not result.feasible:
        st.warning(result.explanation)
        return
    stored_impact = plan.expected_impact if plan.headline_supported else None
    new_impact = result.expected_impact if result.headline_supported else None
    new, downside, old = st.columns(3)
    new.metric(
        f"{title}: what-if impact",
        _money(new_impact, result.currency) if result.headline_supported else NOT_PROMISED,
        delta=None
        if stored_impact is None or new_impact is None
        else format_money(new_impact - stored_impact, result.currency),
        help="Against the same current policy; the delta is against the stored plan's impact.",
    )
    if result.credibility is not None:
        downside.metric(
            f"{title}: what-if downside", _money(result.credibility.downside.impact, result.currency)
        )
    old.metric(
        f"{title}: stored impact",
        _money(stored_impact, plan.currency)
        if plan.headline_supported or not plan.feasible
        else NOT_PROMISED,
    )
    st.caption(
        "What-if with " + ", ".join(f"{name.replace('_', ' ')} = {value:g}" for name, value in used.items())
    )
    if result.credibility is not None and not result.credibility.headline_supported:
        st.warning(
            result.credibility.headline(result.currency, describe_horizon(result.horizon, result.period))
        )
    st.write(result.explanation)


def _what_if_controls(problem: Problem, key: str, currency: str) -> dict[str, float]:
    """The bounds the owner may move for this kind of plan, as widgets; their values by field name."""
    changes: dict[str, float] = {}
    if isinstance(problem, InventoryProblem):
        left, right = st.columns(2)
        if problem.purchasing_budget is not None:
            changes["purchasing_budget"] = left.number_input(
                f"Purchasing budget ({currency})",
                min_value=0.0,
                value=float(problem.purchasing_budget),
                step=100.0,
                key=f"{key}_purchasing_budget",
            )
        if problem.storage_capacity is not None:
            changes["storage_capacity"] = right.number_input(
                "Storage capacity (units)",
                min_value=0.0,
                value=float(problem.storage_capacity),
                step=10.0,
                key=f"{key}_storage_capacity",
            )
    elif isinstance(problem, StaffingProblem):
        changes["service_level"] = st.slider(
            "Service level (share of customers who find enough staff)",
            min_value=0.5,
            max_value=0.99,
            value=float(problem.service_level),
            step=0.01,
            key=f"{key}_service_level",
        )
    elif isinstance(problem, PricingProblem):
        left, right = st.columns(2)
        changes["max_change"] = left.slider(
            "Largest price change",
            min_value=0.0,
            max_value=0.5,
            value=float(problem.max_change),
            step=0.01,
            key=f"{key}_max_change",
        )
        changes["margin_floor"] = right.slider(
            "Margin floor",
            min_value=0.0,
            max_value=0.9,
            value=float(problem.margin_floor),
            step=0.01,
            key=f"{key}_margin_floor",
        )
    else:
        changes["budget"] = st.number_input(
            f"Marketing budget ({currency})",
            min_value=0.0,
            value=float(problem.budget),
            step=50.0,
            key=f"{key}_budget",
        )
    return changes


def _solve(problem: Problem) -> Plan:
    if isinstance(problem, InventoryProblem):
        return plan_inventory(problem, WHAT_IF_SETTINGS)
    if isinstance(problem, StaffingProblem):
        return plan_staffing(problem, WHAT_IF_SETTINGS)
    if isinstance(problem, PricingProblem):
        return plan_pricing(problem, WHAT_IF_SETTINGS)
    return plan_budget(problem, WHAT_IF_SETTINGS)


def _money(amount: float | None, currency: str) -> str:
    return "-" if amount is None else format_money(amount, currency)
