"""Keel's optimization engine: the four weekly decisions of an SMB owner as optimal, explained plans.

* :func:`plan_inventory`: order quantities per product and period from forecast quantiles (stochastic
  MILP over demand scenarios, lost sales; HiGHS through OR-Tools).
* :func:`plan_staffing`: the least-cost shift roster covering forecast demand at a service level
  (CP-SAT).
* :func:`plan_pricing`: prices on a grid of price points maximizing expected profit under the evidence
  engine's elasticities, with a documented prior when the evidence is inconclusive (CP-SAT).
* :func:`plan_budget`: a marketing budget split under fitted diminishing-returns curves (piecewise-linear
  LP, GLOP, with shadow prices); :func:`fit_response_curves` fits the curves.

Each returns a :class:`Plan` (decisions, objective, impact against the current policy, binding
constraints with their value, solver status and time, explanation; infeasible inputs give a plan marked
infeasible that names the conflicting constraints). :func:`check_plan_constraints` re-checks a plan
against its problem. The library does not import Dagster.
"""

from models_ml.optimization.budget import (
    BudgetProblem,
    Channel,
    ResponseCurve,
    equal_marginal_allocation,
    fit_response_curve,
    fit_response_curves,
    plan_budget,
)
from models_ml.optimization.checks import check_plan_constraints
from models_ml.optimization.inventory import (
    InventoryProblem,
    InventoryProduct,
    critical_fractile,
    evaluate_orders,
    plan_inventory,
)
from models_ml.optimization.plan import (
    BindingConstraint,
    OptimizationInputError,
    Plan,
    PlanStatus,
    PlanType,
    SolverSettings,
    format_money,
)
from models_ml.optimization.pricing import (
    Elasticity,
    ElasticityGrade,
    PricedProduct,
    PricingProblem,
    plan_pricing,
)
from models_ml.optimization.scenarios import build_demand_scenarios, demand_quantiles_from_intervals
from models_ml.optimization.staffing import (
    Availability,
    Employee,
    ShiftAssignment,
    StaffingProblem,
    plan_staffing,
    required_staff_per_hour,
)

__all__ = [
    "Availability",
    "BindingConstraint",
    "BudgetProblem",
    "Channel",
    "Elasticity",
    "ElasticityGrade",
    "Employee",
    "InventoryProblem",
    "InventoryProduct",
    "OptimizationInputError",
    "Plan",
    "PlanStatus",
    "PlanType",
    "PricedProduct",
    "PricingProblem",
    "ResponseCurve",
    "ShiftAssignment",
    "SolverSettings",
    "StaffingProblem",
    "build_demand_scenarios",
    "check_plan_constraints",
    "critical_fractile",
    "demand_quantiles_from_intervals",
    "equal_marginal_allocation",
    "evaluate_orders",
    "fit_response_curve",
    "fit_response_curves",
    "format_money",
    "plan_budget",
    "plan_inventory",
    "plan_pricing",
    "plan_staffing",
    "required_staff_per_hour",
]
