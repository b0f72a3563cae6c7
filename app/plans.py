"""The Plans page: "What should I do?": the tenant's inventory, staffing, pricing and marketing-budget plans,
and a what-if.

Each plan is drawn from its ``ml.plans`` row as stored (written by the ``ml_plans`` Dagster asset) and read
through :mod:`app.data` as ``keel_app`` scoped to the signed-in user's tenant: its expected impact in money
against what the owner does today, its explanation, what holds it back and what relaxing that is worth, and
its decisions. Next to each gain sits its downside; when the plan's inputs cannot back a gain the page says
"Not promised", why, and the safe step. A plan that does not fit the kind of business is not a tab: one
sentence says why. Drawing stored plans imports no optimization library.

The what-if moves one bound of the stored problem (the purchasing budget or storage, the service level, the
largest price change or the margin floor, the marketing budget). Its inputs sit in a form: they are checked
before anything is solved (a negative or absurd value is refused with the reason and the allowed range), and
the result shown is always the result of the inputs shown; a refused input clears the earlier result.
Only then is the optimization library imported and the problem solved again, with shorter limits than the
nightly run. Nothing is written back.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl
import streamlit as st

from app import words
from app.data import cached
from app.exports import export_buttons
from app.page_parts import show_freshness
from app.session import require_user
from app.your_data import show_empty
from keel.errors import KeelError
from serving.readers import StoredPlan

if TYPE_CHECKING:
    from models_ml.optimization import Plan

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
#: What a what-if bound may be set to, as a multiple of the stored value: beyond it the plan's inputs
#: (forecasts, response curves) say nothing, and the solver's numbers would only look precise.
MAX_FACTOR = 10.0
#: Decision columns in the owner's words, by plan type; the others stay for analysts.
DECISION_COLUMNS = {
    "inventory": {
        "product_name": "Product",
        "period_label": "Order in",
        "arrival_label": "Arrives",
        "order_units": "Units",
        "order_cases": "Cases",
        "order_cost": "Cost",
        "in_stock_probability": "Chance of staying in stock",
    },
    "staffing": {
        "employee_name": "Who",
        "day_label": "Day",
        "start_hour": "From (hour)",
        "end_hour": "To (hour)",
        "hours": "Hours",
        "wage_cost": "Wages",
    },
    "pricing": {
        "product_name": "Product",
        "current_price": "Price today",
        "new_price": "New price",
        "change_pct": "Change",
        "expected_units": "Expected units",
        "expected_profit": "Expected profit",
    },
    "budget": {
        "channel_name": "Channel",
        "current_spend": "Spend today",
        "planned_spend": "Planned spend",
        "change": "Change",
        "expected_outcome_value": "Expected return",
    },
}
MONEY_DECISIONS = frozenset(
    {"order_cost", "wage_cost", "current_price", "new_price", "expected_profit", "current_spend",
     "planned_spend", "change", "expected_outcome_value"}
)  # fmt: skip
SHARE_DECISIONS = frozenset({"in_stock_probability", "change_pct"})


@dataclass(frozen=True)
class Money:
    """How the page writes money: the tenant's currency code and locale."""

    currency: str
    locale: str

    def __call__(self, amount: float | None) -> str:
        if amount is None or not math.isfinite(amount):
            return "-"
        return words.money(amount, self.currency, self.locale)


# --------------------------------------------------------------------------------------------
# A stored plan as its row says it
# --------------------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def is_money_unit(unit: str, money: Money) -> bool:
    """The stored plans write money units as a symbol ("$", "CA$", "€") or the currency code."""
    return unit == money.currency or (bool(unit) and unit[-1] in "$€£¥")


def relaxed_by(amount: float, unit: str) -> str:
    """``4 hours a week``; a share of customers (a service level) as percentage points."""
    if "level" in unit and 0 < amount < 1:
        return f"{amount * 100:.0f} percentage points of {unit}"
    return f"{amount:,.2f}".rstrip("0").rstrip(".") + f" {unit}"


def credibility_of(row: dict[str, Any]) -> dict[str, Any] | None:
    return (row.get("inputs") or {}).get("credibility")


def headline_supported(row: dict[str, Any]) -> bool:
    credibility = credibility_of(row)
    feasible = row.get("status") in ("optimal", "feasible")
    return feasible and (credibility is None or not credibility.get("reasons"))


def horizon_words(row: dict[str, Any]) -> str:
    horizon, period = int(row.get("horizon") or 1), str(row.get("period") or "week")
    return f"the {period} it covers" if horizon == 1 else f"the {horizon} {period}s it covers"


def dated(text: str, row: dict[str, Any]) -> str:
    """A stored sentence with "this week" replaced by the plan's own week (the data's, not today's)."""
    decisions = row.get("decisions") or []
    if row.get("plan_type") == "staffing" and decisions and decisions[0].get("day_label"):
        return text.replace("this week", f"the week starting {decisions[0]['day_label']}")
    return text


def takeaway(plans: list[StoredPlan], money: Money) -> str:
    """The one sentence at the top: the largest gain the data back, or why none is promised."""
    backed = [
        (impact, plan)
        for plan in plans
        if plan.solved
        and headline_supported(plan.row)
        and (impact := _number(plan.row.get("expected_impact"))) is not None
        and impact > 0.5
    ]
    if backed:
        impact, best = max(backed, key=lambda pair: pair[0])
        return (
            f"Start with the {PLAN_TITLES[best.plan_type].lower()} plan: following it should gain you about "
            f"{money(impact)} over {horizon_words(best.row)}, the largest gain your data back."
        )
    if any(plan.solved for plan in plans):
        return (
            "No plan has a gain Keel can promise yet: each one below says why, and what small step is safe."
        )
    return "None of the plans could be worked out from your data yet: each one below says why."


def render() -> None:
    user = require_user()
    st.title("What should I do?")
    try:
        plans = [p for p in cached.plans(user) if p.plan_type in PLAN_TITLES]
        profile = cached.tenant_profile(user)
    except KeelError as exc:
        st.error(str(exc))
        return
    show_freshness(user)
    if not plans:
        show_empty(EMPTY_SUBJECT, user)
        return
    money = Money(profile.currency, words.locale_for(profile.country))
    applicable = [p for p in plans if p.status != "not_applicable"]
    st.markdown(f"**{takeaway(applicable, money)}**")
    by_type = {plan.plan_type: plan for plan in applicable}
    order = [t for t in PLAN_TITLES if t in by_type]
    if order:
        for tab, plan_type in zip(st.tabs([PLAN_TITLES[t] for t in order]), order, strict=True):
            with tab:
                _plan_section(by_type[plan_type], money)
    for plan in plans:
        if plan.status == "not_applicable":
            st.info(f"No {PLAN_TITLES[plan.plan_type].lower()} plan: {_unprefixed(plan.explanation)}")
    newest = max(plans, key=lambda p: p.created_at)
    st.caption(
        f"Worked out on {words.moment(newest.created_at)} UTC from your forecasts, the measured effects of "
        "your actions and your data; what-if results are not saved."
    )
    with st.expander("For analysts"):
        st.markdown(
            f"Source: `ml.plans`, run `{newest.run_id}`; "
            + "; ".join(
                f"{p.plan_type}: status `{p.status}`, solver `{p.row.get('solver') or '-'}` in "
                f"{float(p.row.get('solve_seconds') or 0):.1f} s"
                for p in plans
            )
        )


def _unprefixed(explanation: str) -> str:
    """ "No staffing plan: no timecards" -> "no timecards" (the page names the plan itself)."""
    head, sep, rest = explanation.partition(": ")
    return rest if sep and head.lower().startswith("no ") and " plan" in head.lower() else explanation


def _plan_section(stored: StoredPlan, money: Money) -> None:
    title = PLAN_TITLES[stored.plan_type]
    row = stored.row
    if stored.status == "error":
        st.warning(stored.explanation)
        return
    if not stored.solved:
        st.warning(dated(stored.explanation, row))
        conflicts = row.get("conflicting_constraints") or []
        if conflicts:
            st.markdown("\n".join(f"- {c}" for c in conflicts))
        _what_if(stored, money)
        return
    _headline(row, title, money)
    st.markdown(dated(stored.explanation, row))
    _binding_constraints(row, money)
    decisions = decision_table(row, money)
    with st.expander("The plan, line by line"):
        st.dataframe(decisions, hide_index=True, width="stretch")
        export_buttons(decisions, f"plan-{stored.plan_type}", key=f"plan_export_{stored.plan_type}")
    for note in row.get("notes") or []:
        st.caption(dated(note, row))
    _what_if(stored, money)


def decision_table(row: dict[str, Any], money: Money) -> pl.DataFrame:
    columns = DECISION_COLUMNS.get(row["plan_type"], {})
    records = []
    for decision in row.get("decisions") or []:
        record = {}
        for name, label in columns.items():
            if name not in decision:
                continue
            value = decision[name]
            if name in MONEY_DECISIONS:
                value = money(_number(value))
            elif name in SHARE_DECISIONS:
                number = _number(value)
                value = "-" if number is None else words.percent(number, 0)
            record[label] = value
        records.append(record)
    return pl.DataFrame(records)


def _headline(row: dict[str, Any], title: str, money: Money) -> None:
    """The plan's gain with its downside beside it; if the data cannot back the gain, why, and a safe step."""
    credibility = credibility_of(row)
    supported = headline_supported(row)
    impact, downside, value, current = st.columns(4)
    impact.metric(
        f"{title}: expected impact",
        money(_number(row.get("expected_impact"))) if supported else NOT_PROMISED,
        help="Money gained over the plan's weeks by following it instead of what you do today."
        if supported
        else "Your data do not back a gain from this plan well enough to promise one; see why below.",
    )
    if credibility is not None:
        downside.metric(
            f"{title}: downside",
            money(_number(credibility["downside"]["impact"])),
            help=f"The plan's gain {credibility['downside']['description']}.",
        )
    objective = str(row.get("objective_name") or "result").capitalize()
    value.metric(f"{objective} (plan)", money(_number(row.get("objective_value"))))
    current.metric(f"{objective} (today)", money(_number(row.get("current_policy_value"))))
    if credibility is None:
        return
    if not supported:
        text = "No gain is promised: " + "; ".join(credibility.get("reasons") or ()) + "."
        step = credibility.get("safe_step")
        if step is not None:
            text += f" Safe step: {step['description']}"
        st.warning(text)
        if step is not None:
            gain, loss = st.columns(2)
            gain.metric(f"{title}: safe step, expected", money(_number(step["expected_impact"])))
            loss.metric(f"{title}: safe step, downside", money(_number(step["downside_impact"])))
    with st.expander("How well your data support this plan"):
        st.dataframe(
            pl.DataFrame([_support_row(support, money) for support in credibility.get("supports") or ()]),
            hide_index=True,
            width="stretch",
        )
        if credibility.get("caveat"):
            st.caption(credibility["caveat"])


def _support_row(support: dict[str, Any], money: Money) -> dict[str, str]:
    unit = str(support.get("unit") or "")
    head, _, rest = unit.partition(" ")

    def amount(value: float | None) -> str:
        if value is None:
            return "-"
        if unit == "price":
            return money(value)
        if is_money_unit(head, money):  # money per something, e.g. "$ a day"
            return f"{money(value)} {rest}".strip()
        return f"{value:,.0f} {unit}".strip()

    low, high = support.get("observed_low"), support.get("observed_high")
    return {
        "Input": support["subject"],
        "What": support["quantity"],
        "Support": SUPPORT_WORDS.get(support["level"], support["level"]),
        "Evidence": support["evidence"],
        "Ever observed": "not recorded"
        if low is None or high is None
        else f"{amount(low)} to {amount(high)}",
        "In the plan": amount(support.get("planned")),
    }


def _binding_constraints(row: dict[str, Any], money: Money) -> None:
    binding = row.get("binding_constraints") or []
    if not binding:
        st.caption("Nothing holds this plan back: relaxing any limit would not improve it.")
        return
    st.markdown("**What holds the plan back**")
    table = pl.DataFrame(
        [
            {
                "Limit": b["description"],
                "If relaxed by": money(float(b["relax_by"]))
                if is_money_unit(str(b["relax_unit"]), money)
                else relaxed_by(float(b["relax_by"]), str(b["relax_unit"])),
                "Worth": money(_number(b.get("value_of_relaxing"))),
            }
            for b in binding
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")


# --------------------------------------------------------------------------------------------
# What-if
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bound:
    """One bound the owner may move: its field in the problem, its label, its unit and its allowed range."""

    field: str
    label: str
    unit: str  # "money", "units", "share"
    low: float
    high: float
    stored: float

    def describe(self, value: float, money: Money) -> str:
        if self.unit == "money":
            return money(value)
        if self.unit == "share":
            return words.percent(value, 0)
        return f"{value:,.0f} units"

    def refusal(self, value: float, money: Money) -> str | None:
        """Why ``value`` is refused, with the allowed range; None when it is allowed."""
        if not math.isfinite(value):
            return f"{self.label}: enter a number."
        if self.low <= value <= self.high:
            return None
        reason = "cannot be negative" if value < 0 <= self.low else "is outside what the plan can work with"
        return (
            f"{self.label} {self.describe(value, money)} {reason}: enter a value from "
            f"{self.describe(self.low, money)} to {self.describe(self.high, money)}."
        )


def bounds_of(problem: dict[str, Any]) -> list[Bound]:
    """The bounds the owner may move for this kind of plan, with their allowed ranges."""
    plan_type = problem.get("plan_type")

    def up_to(value: float) -> float:
        return max(value * MAX_FACTOR, 1.0)

    if plan_type == "inventory":
        found = []
        if problem.get("purchasing_budget") is not None:
            budget = float(problem["purchasing_budget"])
            found.append(Bound("purchasing_budget", "Purchasing budget", "money", 0.0, up_to(budget), budget))
        if problem.get("storage_capacity") is not None:
            storage = float(problem["storage_capacity"])
            found.append(Bound("storage_capacity", "Storage capacity", "units", 0.0, up_to(storage), storage))
        return found
    if plan_type == "staffing":
        return [Bound("service_level", "Service level", "share", 0.5, 0.99, float(problem["service_level"]))]
    if plan_type == "pricing":
        return [
            Bound("max_change", "Largest price change", "share", 0.0, 0.5, float(problem["max_change"])),
            Bound("margin_floor", "Margin floor", "share", 0.0, 0.9, float(problem["margin_floor"])),
        ]
    if plan_type == "budget":
        budget = float(problem["budget"])
        return [Bound("budget", "Marketing budget", "money", 0.0, up_to(budget), budget)]
    return []


def _what_if(stored: StoredPlan, money: Money) -> None:
    """One bound of the stored problem, checked, then changed and solved again in the page."""
    problem = stored.row.get("problem")
    if not problem:
        return
    bounds = bounds_of(problem)
    if not bounds:
        return
    key = f"whatif_{stored.plan_type}"
    result_key = f"{key}_result"
    st.markdown("**What if**")
    with st.form(f"{key}_form", border=False):
        values = {bound.field: _control(bound, key, money) for bound in bounds}
        submitted = st.form_submit_button("Work it out again", key=f"{key}_solve")
    if submitted:
        refusals = [r for bound in bounds if (r := bound.refusal(values[bound.field], money))]
        if refusals:
            st.session_state.pop(result_key, None)  # never show a result of other inputs than these
            for refusal in refusals:
                st.error(refusal)
            return
        try:
            result = _solve(problem, values)
        except ValueError as exc:
            st.session_state.pop(result_key, None)
            st.error(f"The what-if could not be worked out: {exc}")
            return
        st.session_state[result_key] = (stored.run_id, values, result)
    outcome = st.session_state.get(result_key)
    if outcome is None or outcome[0] != stored.run_id:
        return
    _, used, result = outcome
    _what_if_result(stored, result, used, bounds, money)


def _control(bound: Bound, key: str, money: Money) -> float:
    widget_key = f"{key}_{bound.field}"
    if bound.unit == "share":
        percent = st.slider(
            f"{bound.label} (%)",
            min_value=round(bound.low * 100),
            max_value=round(bound.high * 100),
            value=round(bound.stored * 100),
            step=1,
            format="%d%%",
            key=widget_key,
        )
        return float(percent) / 100
    label = f"{bound.label} ({money.currency})" if bound.unit == "money" else f"{bound.label} (units)"
    # No min/max on the widget: the browser would keep the old value silently; the page says why instead.
    return float(
        st.number_input(
            label,
            value=float(bound.stored),
            step=100.0 if bound.unit == "money" else 10.0,
            key=widget_key,
            help=f"From {bound.describe(bound.low, money)} to {bound.describe(bound.high, money)}.",
        )
    )


def _solve(problem: dict[str, Any], values: dict[str, float]) -> Plan:
    # Imported on demand: the optimization library (OR-Tools) loads only when an owner asks for a what-if.
    from models_ml.optimization import (
        SolverSettings,
        plan_budget,
        plan_inventory,
        plan_pricing,
        plan_staffing,
    )
    from models_ml.optimization.serialization import problem_from_dict

    settings = SolverSettings(
        time_limit_seconds=5.0, max_valuation_seconds=1.0, max_diagnosis_solves=30, max_diagnosis_seconds=2.0
    )
    solvers = {
        "inventory": plan_inventory,
        "staffing": plan_staffing,
        "pricing": plan_pricing,
        "budget": plan_budget,
    }
    changed = dataclasses.replace(problem_from_dict(problem), **values)  # type: ignore[arg-type]
    solver: Any = solvers[problem["plan_type"]]
    plan: Plan = solver(changed, settings)
    return plan


def _what_if_result(
    stored: StoredPlan, result: Plan, used: dict[str, float], bounds: list[Bound], money: Money
) -> None:
    title = PLAN_TITLES[stored.plan_type]
    inputs = ", ".join(f"{b.label.lower()} {b.describe(used[b.field], money)}" for b in bounds)
    st.caption(f"Worked out with {inputs}.")
    if not result.feasible:
        st.warning(result.explanation)
        return
    stored_supported = headline_supported(stored.row)
    stored_impact = _number(stored.row.get("expected_impact")) if stored_supported else None
    new_impact = result.expected_impact if result.headline_supported else None
    delta = None
    if stored_impact is not None and new_impact is not None and abs(new_impact - stored_impact) >= 0.5:
        delta = words.signed_money(new_impact - stored_impact, money.currency, money.locale)
    new, downside, old = st.columns(3)
    new.metric(
        f"{title}: what-if impact",
        money(new_impact) if result.headline_supported else NOT_PROMISED,
        delta=delta,
        help="Against what you do today; the change is against the stored plan's impact.",
    )
    if result.credibility is not None:
        downside.metric(f"{title}: what-if downside", money(result.credibility.downside.impact))
    old.metric(
        f"{title}: stored impact",
        money(stored_impact) if stored_supported or not stored.solved else NOT_PROMISED,
    )
    if result.credibility is not None and not result.credibility.headline_supported:
        text = "No gain is promised: " + "; ".join(result.credibility.reasons) + "."
        if result.credibility.safe_step is not None:
            text += f" Safe step: {result.credibility.safe_step.description}"
        st.warning(text)
    st.markdown(
        dated(result.explanation, {"plan_type": stored.plan_type, "decisions": result.decision_records()})
    )
