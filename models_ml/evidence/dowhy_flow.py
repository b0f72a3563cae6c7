"""DoWhy's identify → estimate → refute flow, shared by every design of the engine.

Each design (seasonal regression, synthetic control, comparable periods, propensity scores) turns
its data into one table with a binary ``treated`` column, an outcome and the common causes to
adjust for, and a causal graph over them (common causes → treatment, common causes → outcome,
treatment → outcome). This module builds the :class:`dowhy.CausalModel`, identifies the effect by
backdoor adjustment, estimates it, and runs DoWhy's refuters (placebo treatment, random common
cause, data subset) with a small, stated number of simulations.

Fresh copies. DoWhy's propensity estimators write a ``propensity_score`` column (and weight
columns) into the frame they are given, and reuse that column when it is already there. A refuter
handed that frame re-estimates with the original treatment's propensity: the random common cause
then returns the original estimate exactly and the placebo treatment is weighted by the real
treatment's propensity. So the model is built on a copy, :attr:`DoWhyRun.data` stays the clean
input, and every refuter gets its own copy of it.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from models_ml.evidence.settings import EvidenceSettings

TREATMENT = "treated"


@dataclass(frozen=True)
class Refutation:
    """One refuter's result on the scale of the estimate (log change for metrics).

    ``passed``: for the random common cause and the data subset, DoWhy's significance test of the
    refuter, except that a shift of the estimate smaller than a quarter of its standard error never
    counts as a failure (with few simulations DoWhy's normal test can flag shifts too small to
    matter). For the placebo treatment, whether the placebos' mean effect is compatible with zero.
    For the placebo outcome (plain tables), whether the effect on an outcome the treatment cannot
    have moved is compatible with zero.
    """

    name: str
    original_effect: float
    new_effect: float
    p_value: float | None
    passed: bool
    num_simulations: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "original_effect": self.original_effect,
            "new_effect": self.new_effect,
            "p_value": self.p_value,
            "passed": self.passed,
            "num_simulations": self.num_simulations,
        }


@contextmanager
def quiet_numerics(settings: EvidenceSettings) -> Iterator[None]:
    """Silence DoWhy/EconML chatter, pin BLAS threads and seed NumPy's global generator.

    DoWhy's bootstrap draws from NumPy's global generator, so it is seeded here and restored after;
    BLAS threads are pinned because oversubscribed threads made one refuter ten times slower on
    a shared two-core machine.
    """
    state = np.random.get_state()
    dowhy_logger = logging.getLogger("dowhy")
    level = dowhy_logger.level
    dowhy_logger.setLevel(logging.ERROR)
    np.random.seed(settings.random_seed)
    try:
        with warnings.catch_warnings(), threadpool_limits(limits=settings.blas_threads):
            warnings.simplefilter("ignore")
            yield
    finally:
        dowhy_logger.setLevel(level)
        np.random.set_state(state)


def backdoor_graph(common_causes: Sequence[str], outcome: str) -> nx.DiGraph:
    """Graph with every common cause pointing at the treatment and the outcome."""
    graph = nx.DiGraph()
    graph.add_nodes_from([TREATMENT, outcome, *common_causes])
    graph.add_edge(TREATMENT, outcome)
    for cause in common_causes:
        graph.add_edge(cause, TREATMENT)
        graph.add_edge(cause, outcome)
    return graph


@dataclass
class DoWhyRun:
    """A fitted DoWhy model, its identified estimand and one estimate."""

    model: Any
    estimand: Any
    estimate: Any
    #: The clean input (no columns added by an estimator); refuters get copies of it.
    data: pd.DataFrame
    outcome: str
    common_causes: list[str]

    @property
    def value(self) -> float:
        return float(self.estimate.value)


def identify_and_estimate(
    data: pd.DataFrame,
    outcome: str,
    common_causes: Sequence[str],
    method_name: str,
    *,
    target_units: str = "ate",
    method_params: dict[str, Any] | None = None,
) -> DoWhyRun:
    """Build the CausalModel from the backdoor graph, identify, and estimate with ``method_name``.

    Identification uses DoWhy's "maximal-adjustment" backdoor set: the graph is a plain
    confounding graph, and the default exhaustive search takes tens of seconds on 30 nodes.
    """
    from dowhy import CausalModel

    causes = list(common_causes)
    clean = data.copy()
    model = CausalModel(
        data=data.copy(), treatment=TREATMENT, outcome=outcome, graph=backdoor_graph(causes, outcome)
    )
    estimand = model.identify_effect(proceed_when_unidentifiable=True, method_name="maximal-adjustment")
    estimate = model.estimate_effect(
        estimand, method_name=method_name, target_units=target_units, method_params=method_params
    )
    return DoWhyRun(model, estimand, estimate, clean, outcome, causes)


def refute(run: DoWhyRun, settings: EvidenceSettings, standard_error: float) -> tuple[Refutation, ...]:
    """DoWhy's placebo treatment (permuted), random common cause and data subset refuters.

    Every refuter gets its own copy of the clean data (see the module docstring).
    """
    from dowhy.causal_refuters.data_subset_refuter import refute_data_subset
    from dowhy.causal_refuters.placebo_treatment_refuter import PlaceboType, refute_placebo_treatment
    from dowhy.causal_refuters.random_common_cause import refute_random_common_cause

    simulations = settings.refuter_simulations
    seed = settings.random_seed
    # A RandomState object, not an int: DoWhy's data-subset refuter reuses an int seed for every
    # simulation and would draw the same subset each time.
    common = {"target_estimand": run.estimand, "estimate": run.estimate}
    results = (
        (
            "placebo_treatment",
            refute_placebo_treatment(
                data=run.data.copy(),
                **common,
                treatment_names=[TREATMENT],
                num_simulations=simulations,
                placebo_type=PlaceboType.PERMUTE,
                random_state=np.random.RandomState(seed),
            ),
        ),
        (
            "random_common_cause",
            refute_random_common_cause(
                data=run.data.copy(),
                **common,
                num_simulations=simulations,
                random_state=np.random.RandomState(seed + 1),
            ),
        ),
        (
            "data_subset",
            refute_data_subset(
                data=run.data.copy(),
                **common,
                subset_fraction=settings.subset_fraction,
                num_simulations=simulations,
                random_state=np.random.RandomState(seed + 2),
            ),
        ),
    )
    refutations = []
    for name, result in results:
        significance = result.refutation_result or {}
        p_value = significance.get("p_value")
        failed = bool(significance.get("is_statistically_significant", False))
        new_effect = float(result.new_effect)
        if name == "placebo_treatment":
            # The placebo's mean effect is compared with zero, not with the estimate: each placebo
            # draw spreads about like the estimate (one standard error), so their mean over the
            # simulations should lie within 2.58 standard errors / sqrt(simulations) of zero (a 1%
            # test: a failed placebo demotes a grade to weak, so false alarms are kept rare).
            # (DoWhy's own test asks whether the real estimate stands out from the placebos, which
            # a real effect makes "significant".)
            spread = max(standard_error, 1e-12)
            failed = abs(new_effect) > max(2.58 * spread / np.sqrt(simulations), 0.25 * spread)
            p_value = float(2.0 * stats.norm.sf(abs(new_effect) * np.sqrt(simulations) / spread))
        else:
            failed = failed and abs(new_effect - run.value) > 0.25 * standard_error
        refutations.append(
            Refutation(
                name=name,
                original_effect=run.value,
                new_effect=new_effect,
                p_value=None if p_value is None else float(p_value),
                passed=not failed,
                num_simulations=simulations,
            )
        )
    return tuple(refutations)


def simulation_refutation(
    name: str,
    original: float,
    simulations: Sequence[float] | np.ndarray,
    reference: float,
    standard_error: float,
) -> Refutation:
    """A refuter result from re-estimates, judged like DoWhy's normal test.

    ``reference`` is the value the simulations should be compatible with: zero for a placebo, the
    original estimate for a data subset. Fails when the reference is unlikely under the simulated
    distribution (p <= 0.05) and differs from the simulations' mean by more than a quarter of the
    estimate's standard error.
    """
    values = np.asarray(simulations, dtype=float)
    mean, spread = float(values.mean()), float(values.std())
    if spread > 0:
        z = abs(reference - mean) / spread
        p_value = float(stats.norm.sf(z))
    else:
        p_value = 1.0 if reference == mean else 0.0
    failed = p_value <= 0.05 and abs(reference - mean) > 0.25 * standard_error
    return Refutation(
        name=name,
        original_effect=original,
        new_effect=mean,
        p_value=p_value,
        passed=not failed,
        num_simulations=int(values.size),
    )
