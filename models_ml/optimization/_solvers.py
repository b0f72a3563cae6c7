"""Thin, uniform calls into OR-Tools: the linear solver (GLOP for LPs, HiGHS for MIPs) and CP-SAT.

Each call returns a :class:`SolveOutcome` with Keel's status words, the objective, the proven bound,
the relative gap and the wall time, so the planners never deal with solver-specific enums.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from keel import telemetry
from models_ml.optimization.plan import PlanStatus, SolverSettings

#: Solver of the inventory scenario model (its LP relaxation, and branching when that can pay off).
#: HiGHS ships with OR-Tools; its interior-point LP and its MIP beat SCIP and CBC on these models here
#: (see docs/benchmarks.md).
MIP_SOLVER = "HIGHS"
LP_SOLVER = "GLOP"

SOLVER_LABELS = {"HIGHS": "HiGHS", "GLOP": "GLOP", "SCIP": "SCIP", "CBC": "CBC"}


@dataclass(frozen=True)
class SolveOutcome:
    status: PlanStatus
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float

    @property
    def has_solution(self) -> bool:
        return self.status in ("optimal", "feasible")


def new_linear_solver(kind: str) -> pywraplp.Solver:
    solver = pywraplp.Solver.CreateSolver(kind)
    if solver is None:  # pragma: no cover - every OR-Tools wheel ships these solvers
        raise RuntimeError(f"OR-Tools was built without the {kind} solver")
    return solver


def solve_linear(solver: pywraplp.Solver, settings: SolverSettings, is_mip: bool, kind: str) -> SolveOutcome:
    """Solve a pywraplp model created as ``kind``; MIPs stop at ``settings.relative_gap``."""
    solver.SetTimeLimit(int(settings.time_limit_seconds * 1000))
    parameters = pywraplp.MPSolverParameters()
    if kind == "HIGHS":
        # HiGHS ignores the generic gap parameter and prints a banner unless told otherwise.
        # Its interior-point method solved the scenario LPs about twice as fast as its simplex (measured).
        method = "" if is_mip else "solver ipm\n"
        solver.SetSolverSpecificParametersAsString(
            f"output_flag false\nmip_rel_gap {settings.relative_gap}\n{method}"
        )
    elif is_mip:
        solver.SetNumThreads(settings.num_workers)
        parameters.SetDoubleParam(parameters.RELATIVE_MIP_GAP, settings.relative_gap)
    started = time.perf_counter()
    with telemetry.span("keel.solver", solver=kind, mip=is_mip) as current:
        code = solver.Solve(parameters)
        telemetry.set_attributes(current, status_code=int(code))
    seconds = time.perf_counter() - started
    if code == pywraplp.Solver.OPTIMAL:
        status: PlanStatus = "optimal"
    elif code == pywraplp.Solver.FEASIBLE:
        status = "feasible"
    elif code == pywraplp.Solver.INFEASIBLE:
        status = "infeasible"
    else:
        # UNBOUNDED cannot happen (every variable is bounded); ABNORMAL / NOT_SOLVED mean no answer in time.
        # Through this wrapper HiGHS reports a time-out as NOT_SOLVED even when it holds a plan, which is
        # why the inventory planner keeps its own incumbent.
        status = "no_solution"
    if status not in ("optimal", "feasible"):
        return SolveOutcome(status=status, objective=None, bound=None, gap=None, seconds=seconds)
    objective = float(solver.Objective().Value())
    bound = float(solver.Objective().BestBound()) if is_mip else objective
    gap = relative_gap(objective, bound)
    if status == "feasible" and gap <= settings.relative_gap:
        status = "optimal"
    return SolveOutcome(status=status, objective=objective, bound=bound, gap=gap, seconds=seconds)


def solve_cp(
    model: cp_model.CpModel, settings: SolverSettings, feasibility_only: bool = False
) -> tuple[cp_model.CpSolver, SolveOutcome]:
    """Solve a CP-SAT model; with ``feasibility_only`` it stops at the first solution."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = settings.time_limit_seconds
    solver.parameters.num_workers = settings.num_workers
    solver.parameters.random_seed = settings.random_seed
    solver.parameters.relative_gap_limit = settings.relative_gap
    # Full LP relaxation at every node: the roster and price models are LP-tight covering and
    # assignment models, and with it one worker proves optimality several times faster (measured).
    solver.parameters.linearization_level = 2
    if feasibility_only:
        solver.parameters.stop_after_first_solution = True
    started = time.perf_counter()
    with telemetry.span("keel.solver", solver="CP-SAT", feasibility_only=feasibility_only) as current:
        code = solver.solve(model)
        telemetry.set_attributes(current, status_code=int(code))
    seconds = time.perf_counter() - started
    if code == cp_model.OPTIMAL:
        status: PlanStatus = "optimal"
    elif code == cp_model.FEASIBLE:
        status = "feasible"
    elif code == cp_model.INFEASIBLE:
        status = "infeasible"
    elif code == cp_model.MODEL_INVALID:  # pragma: no cover - a bug in the model builder, not bad input
        raise RuntimeError(f"CP-SAT rejected the model: {model.validate()}")
    else:
        status = "no_solution"
    if status not in ("optimal", "feasible"):
        return solver, SolveOutcome(status=status, objective=None, bound=None, gap=None, seconds=seconds)
    if not model.has_objective():
        return solver, SolveOutcome(status="optimal", objective=0.0, bound=0.0, gap=0.0, seconds=seconds)
    objective = float(solver.objective_value)
    bound = float(solver.best_objective_bound)
    gap = relative_gap(objective, bound)
    if status == "feasible" and gap <= settings.relative_gap:
        status = "optimal"
    return solver, SolveOutcome(status=status, objective=objective, bound=bound, gap=gap, seconds=seconds)


def relative_gap(objective: float, bound: float) -> float:
    return abs(bound - objective) / max(1.0, abs(objective))
