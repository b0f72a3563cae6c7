"""Who responds more, and by how much price moves demand: EconML double machine learning.

Two uses of EconML's ``LinearDML`` (cross-fitted, partially linear):

- **Segment effects** of an intervention: the treatment is the 0/1 intervention indicator, the
  effect modifiers X are segment dummies (weekday by default, or any label column of the panel),
  the controls W are the calendar (weekday, month, yearly season, trend) and the other recorded
  interventions. The result is one relative effect per segment with its interval: "flash sales
  lift Saturday orders by 20% but Tuesday orders by 6%".
- **Price elasticities** per product, log-log: Y = log units, T = log price, W = the calendar.
  The coefficient is the elasticity (-1.5: a 1% dearer price sells 1.5% fewer units). The
  interval uses Newey-West errors on EconML's cross-fitted residuals, since daily demand shocks
  are autocorrelated. Results come as :class:`Elasticity`, the shape the pricing optimizer takes.

Refuters run directly on the EconML estimator (DoWhy's wrapper would refit through pandas on
every simulation): a placebo treatment (treatment permuted across days, the effect should vanish)
and a data subset (random ``subset_fraction`` of the days, the effect should stay), each with
``settings.dml_refuter_simulations`` refits. Grades follow :mod:`models_ml.evidence.grading`; an
elasticity interval wider than ``max_elasticity_ci_width`` is inconclusive.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl
import statsmodels.api as sm

from models_ml.evidence.dowhy_flow import Refutation, quiet_numerics, simulation_refutation
from models_ml.evidence.effects import (
    SCATTERED_RUN_DAYS,
    data_problem,
    mean_run_length,
    prepare_frame,
)
from models_ml.evidence.errors import EvidenceInputError
from models_ml.evidence.grading import Grade, GradeInput, grade_evidence
from models_ml.evidence.panel import Intervention, calendar_controls, seasonal_coverage, validate_panel
from models_ml.evidence.records import EvidenceEdge, interval_label, product_mention, to_json
from models_ml.evidence.settings import EvidenceSettings

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _calendar_matrix(days: pl.Series, settings: EvidenceSettings) -> np.ndarray:
    """Weekday, month, yearly season and trend: the controls W of both DML uses."""
    controls = calendar_controls(days, yearly_harmonics=settings.yearly_harmonics).to_numpy()
    month = days.dt.month().to_numpy()
    months = np.column_stack([(month == number).astype(float) for number in range(2, 13)])
    return np.column_stack([controls, months])


# --------------------------------------------------------------------------------------------
# Price elasticities


@dataclass(frozen=True)
class Elasticity:
    """Price elasticity of a product's demand with its 95% interval and grade.

    The pricing optimizer (``models_ml.optimization.pricing.Elasticity``) takes the same fields.
    Only conclusive elasticities are built; inconclusive products are reported with their reason
    in :class:`ElasticityReport` instead, so no uncertain number reaches the optimizer.
    """

    product_id: str
    estimate: float
    ci_low: float
    ci_high: float
    grade: Grade

    def __post_init__(self) -> None:
        values = (self.estimate, self.ci_low, self.ci_high)
        if not all(math.isfinite(v) for v in values):
            raise EvidenceInputError(
                f"elasticity of {self.product_id!r}: numbers must be finite, got {values}"
            )
        if not self.ci_low <= self.estimate <= self.ci_high:
            raise EvidenceInputError(
                f"elasticity of {self.product_id!r}: estimate outside its interval {values}"
            )


@dataclass(frozen=True)
class ElasticityResult:
    """One product's elasticity estimate: the :class:`Elasticity`, or the reason there is none."""

    product_id: str
    elasticity: Elasticity | None
    grade: Grade
    reason: str | None
    note: str | None
    p_value: float | None
    refutations: tuple[Refutation, ...]
    settings: dict[str, Any]
    n_days: int


@dataclass(frozen=True)
class ElasticityReport:
    """Elasticities of every product; ``elasticities`` holds only the conclusive ones."""

    results: tuple[ElasticityResult, ...]

    @property
    def elasticities(self) -> tuple[Elasticity, ...]:
        return tuple(r.elasticity for r in self.results if r.elasticity is not None)

    @property
    def inconclusive(self) -> dict[str, str]:
        return {r.product_id: r.reason or "" for r in self.results if r.elasticity is None}

    def to_edges(self, tenant_id: str) -> list[EvidenceEdge]:
        edges = []
        for result in self.results:
            e = result.elasticity
            product = product_mention(result.product_id)
            if e is None:
                explanation = f"Cannot tell how {product}'s price moves its sales: {result.reason}."
            else:
                explanation = (
                    f"A 1% higher price of {product} changes its units sold by {e.estimate:+.2f}% "
                    f"({interval_label(result.settings['alpha'])} {e.ci_low:+.2f}% to {e.ci_high:+.2f}%), "
                    f"graded {e.grade}" + (f" ({result.note})." if result.note else ".")
                )
            edges.append(
                EvidenceEdge(
                    tenant_id=tenant_id,
                    cause=f"{result.product_id}.price",
                    effect=f"{result.product_id}.units",
                    method="econml_linear_dml_log_log",
                    estimand="price elasticity: % change in units sold per 1% change in price",
                    estimate=None if e is None else e.estimate,
                    ci_low=None if e is None else e.ci_low,
                    ci_high=None if e is None else e.ci_high,
                    p_value=result.p_value,
                    refutations=to_json([r.as_dict() for r in result.refutations]),
                    grade=result.grade,
                    assumptions=(
                        "Price changes are as good as random once "
                        "weekday, month, yearly season and trend are "
                        "accounted for (no unrecorded promotion or "
                        "competitor move drives both); demand responds "
                        "to price with one constant elasticity."
                    ),
                    reason=result.reason if e is None else None,
                    explanation=explanation,
                    settings=to_json({**result.settings, "n_days": result.n_days}),
                )
            )
        return edges


def _dml_continuous(y: np.ndarray, t: np.ndarray, w: np.ndarray, settings: EvidenceSettings) -> Any:
    from econml.dml import LinearDML
    from sklearn.linear_model import LinearRegression

    # Linear nuisance models: the calendar enters additively in logs, and five folds keep the
    # cross-fitting noise small (three folds widened the error more than the interval showed).
    model = LinearDML(
        model_y=LinearRegression(), model_t=LinearRegression(), cv=5, random_state=settings.random_seed
    )
    model.fit(y, t, W=w, cache_values=True)
    return model


def _elasticity_for_product(
    product_id: str, frame: pl.DataFrame, price: str, quantity: str, settings: EvidenceSettings
) -> ElasticityResult:
    frame = frame.filter((pl.col(price) > 0) & (pl.col(quantity) > 0)).sort("ds")
    n_days = frame.height
    base_settings: dict[str, Any] = {
        "nuisance_models": "linear regression",
        "cv_folds": 5,
        "controls": ["weekday", "month", "yearly_season", "trend"],
        "interval": "newey_west",
        "maxlags": settings.hac_max_lags,
        "alpha": settings.alpha,
        "refuter_simulations": settings.dml_refuter_simulations,
    }

    def inconclusive(reason: str, extra: dict[str, Any] | None = None) -> ElasticityResult:
        return ElasticityResult(
            product_id,
            None,
            "inconclusive",
            reason,
            None,
            None,
            (),
            {**base_settings, **(extra or {})},
            n_days,
        )

    if n_days < settings.min_pre_days:
        return inconclusive(
            f"only {n_days} days with sales and a price (at least {settings.min_pre_days} needed)"
        )
    log_price = np.log(frame[price].cast(pl.Float64).to_numpy())
    log_units = np.log(frame[quantity].cast(pl.Float64).to_numpy())
    price_spread = float(log_price.std())
    if price_spread < settings.min_log_price_std:
        return inconclusive(
            f"the price hardly changed (standard deviation of log price {price_spread:.4f}, "
            f"at least {settings.min_log_price_std} needed)",
            {"log_price_std": price_spread},
        )
    controls = _calendar_matrix(frame["ds"], settings)
    with quiet_numerics(settings):
        model = _dml_continuous(log_units, log_price, controls, settings)
        y_res, t_res, _, _ = model.residuals_
        y_res, t_res = np.ravel(y_res), np.ravel(t_res)
        free_spread = float(t_res.std())
        if free_spread < settings.min_log_price_std / 2:
            return inconclusive(
                f"the price moved only with the calendar (left-over standard deviation {free_spread:.4f})",
                {"log_price_std": price_spread, "residual_log_price_std": free_spread},
            )
        fit = sm.OLS(y_res, t_res).fit(cov_type="HAC", cov_kwds={"maxlags": settings.hac_max_lags})
        estimate = float(fit.params[0])
        se = float(fit.bse[0])
        rng = np.random.default_rng(settings.random_seed)
        placebo, subset = [], []
        for _ in range(settings.dml_refuter_simulations):
            shuffled = rng.permutation(log_price)
            placebo.append(float(_dml_continuous(log_units, shuffled, controls, settings).effect()[0]))
            keep = rng.uniform(size=n_days) < settings.subset_fraction
            subset.append(
                float(_dml_continuous(log_units[keep], log_price[keep], controls[keep], settings).effect()[0])
            )
    refutations = (
        simulation_refutation("placebo_treatment", estimate, placebo, 0.0, se),
        simulation_refutation("data_subset", estimate, subset, estimate, se),
    )
    from scipy import stats

    q = stats.norm.ppf(1 - settings.alpha / 2)
    ci_low, ci_high = estimate - q * se, estimate + q * se
    decision = grade_evidence(
        GradeInput(
            estimate=estimate,
            ci_low=ci_low,
            ci_high=ci_high,
            identification="design",
            refuters_passed=[r.passed for r in refutations],
            placebo_passed=refutations[0].passed,
        ),
        max_relative_ci_width=settings.max_elasticity_ci_width,
    )
    extra = {"log_price_std": price_spread, "residual_log_price_std": free_spread}
    if decision.grade == "inconclusive":
        return replace(inconclusive(decision.reason or "inconclusive", extra), refutations=refutations)
    return ElasticityResult(
        product_id=product_id,
        elasticity=Elasticity(product_id, estimate, float(ci_low), float(ci_high), decision.grade),
        grade=decision.grade,
        reason=None,
        note=decision.reason,
        p_value=float(2 * stats.norm.sf(abs(estimate) / se)) if se > 0 else None,
        refutations=refutations,
        settings={**base_settings, **extra},
        n_days=n_days,
    )


def estimate_price_elasticities(
    product_sales: pl.DataFrame,
    *,
    product_column: str = "product_id",
    price_column: str = "price",
    quantity_column: str = "units",
    settings: EvidenceSettings | None = None,
) -> ElasticityReport:
    """Log-log DML elasticity of units sold to price, for every product of a daily sales frame.

    ``product_sales`` has one row per product and day: ``ds``, the product id, its average price
    that day and the units sold. Products whose price never moved, or moved only with the
    calendar, are inconclusive with that reason.
    """
    settings = settings or EvidenceSettings()
    if not isinstance(product_sales, pl.DataFrame):
        raise EvidenceInputError(
            f"product_sales must be a polars DataFrame, got {type(product_sales).__name__}"
        )
    for column in ("ds", product_column, price_column, quantity_column):
        if column not in product_sales.columns:
            raise EvidenceInputError(
                f"product_sales has no column {column!r} (columns: {product_sales.columns})"
            )
    results = []
    for (product_id,), frame in sorted(
        product_sales.partition_by(product_column, as_dict=True).items(), key=lambda item: str(item[0][0])
    ):
        frame = validate_panel(
            frame.drop(product_column),
            name=f"product_sales[{product_id!r}]",
            required=[price_column, quantity_column],
        )
        results.append(
            _elasticity_for_product(str(product_id), frame, price_column, quantity_column, settings)
        )
    return ElasticityReport(tuple(results))


# --------------------------------------------------------------------------------------------
# Segment effects


@dataclass(frozen=True)
class SegmentEffect:
    """The relative effect of an intervention within one segment (0.10 = +10%)."""

    segment: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    grade: Grade
    reason: str | None
    note: str | None
    n_treated: int


@dataclass(frozen=True)
class SegmentEffects:
    """Per-segment effects of one intervention, from EconML's LinearDML."""

    intervention: Intervention
    metric: str
    segment_by: str
    segments: tuple[SegmentEffect, ...]
    refutations: tuple[Refutation, ...]
    settings: dict[str, Any]

    def ranked(self) -> list[SegmentEffect]:
        """Conclusive segments from the largest effect to the smallest, then the inconclusive ones."""
        conclusive = [s for s in self.segments if s.estimate is not None]
        rest = [s for s in self.segments if s.estimate is None]
        return sorted(conclusive, key=lambda s: -(s.estimate or 0.0)) + rest

    def to_edges(self, tenant_id: str) -> list[EvidenceEdge]:
        name = self.intervention.name
        edges = []
        for segment in self.segments:
            if segment.estimate is None:
                explanation = (
                    f"Cannot tell how {name} moved {self.metric} on {segment.segment}: {segment.reason}."
                )
            else:
                explanation = (
                    f"On {segment.segment}, {name.replace('_', ' ')} changed {self.metric} by "
                    f"{segment.estimate:+.1%} ({interval_label(self.settings['alpha'])} "
                    f"{segment.ci_low:+.1%} to {segment.ci_high:+.1%}), "
                    f"graded {segment.grade}" + (f" ({segment.note})." if segment.note else ".")
                )
            edges.append(
                EvidenceEdge(
                    tenant_id=tenant_id,
                    cause=name,
                    effect=f"{self.metric} ({segment.segment})",
                    method="econml_linear_dml_segments",
                    estimand=(
                        f"relative change in {self.metric} on treated days where "
                        f"{self.segment_by} is {segment.segment}"
                    ),
                    estimate=segment.estimate,
                    ci_low=segment.ci_low,
                    ci_high=segment.ci_high,
                    p_value=segment.p_value,
                    refutations=to_json([r.as_dict() for r in self.refutations]),
                    grade=segment.grade,
                    assumptions=(
                        "Within each segment, treated and untreated days "
                        "are comparable once weekday, month, yearly "
                        "season, trend and the other recorded interventions "
                        "are accounted for; the effect differs "
                        "between segments only (constant within a segment)."
                    ),
                    reason=segment.reason,
                    explanation=explanation,
                    settings=to_json(
                        {**self.settings, "segment": segment.segment, "n_treated": segment.n_treated}
                    ),
                    is_primary=False,
                )
            )
        return edges


def estimate_segment_effects(
    panel: pl.DataFrame,
    intervention: Intervention,
    *,
    other_interventions: Sequence[Intervention] = (),
    segment_by: str = "weekday",
    settings: EvidenceSettings | None = None,
) -> SegmentEffects:
    """Effect of ``intervention`` on its target metric within each segment (weekday by default).

    ``segment_by`` is "weekday" or the name of a text column of the panel that labels each day.
    Segments with fewer than ``min_treated_days`` treated days are inconclusive. A single
    contiguous window is capped at weak: its days share shocks that per-segment intervals ignore.
    """
    from econml.dml import LinearDML
    from sklearn.linear_model import LinearRegression, LogisticRegression

    settings = settings or EvidenceSettings()
    metric = intervention.target_metric
    panel = validate_panel(panel, required=[metric])
    if segment_by != "weekday" and segment_by not in panel.columns:
        raise EvidenceInputError(f"segment_by must be 'weekday' or a panel column, got {segment_by!r}")
    frame = prepare_frame(panel, intervention, other_interventions, ())
    days = pl.Series("ds", frame.days, dtype=pl.Date)
    if segment_by == "weekday":
        labels = np.array([_WEEKDAYS[d.weekday()] for d in frame.days])
        order = [w for w in _WEEKDAYS if w in set(labels.tolist())]
    else:
        # The frame keeps the panel's order, so a semi join lines the labels up with its days.
        kept = panel.join(pl.DataFrame({"ds": days}), on="ds", how="semi")
        labels = kept[segment_by].cast(pl.String).fill_null("unknown").to_numpy().astype(str)
        order = sorted(set(labels.tolist()))
    settings_used: dict[str, Any] = {
        "segment_by": segment_by,
        "nuisance_models": "linear regression (outcome), logistic regression (treatment)",
        "cv_folds": 5,
        "alpha": settings.alpha,
        "refuter_simulations": settings.dml_refuter_simulations,
    }

    def all_inconclusive(reason: str) -> SegmentEffects:
        segments = tuple(
            SegmentEffect(
                s, None, None, None, None, "inconclusive", reason, None, int(frame.treated[labels == s].sum())
            )
            for s in order
        )
        return SegmentEffects(intervention, metric, segment_by, segments, (), settings_used)

    problem = data_problem(frame, intervention, settings)
    if problem:
        return all_inconclusive(problem)
    coverage = seasonal_coverage(frame.days, frame.treated, match_days=settings.seasonal_match_days)
    if coverage < settings.min_overlap_share:
        return all_inconclusive(
            f"only {coverage:.0%} of treated days have untreated "
            "days at the same time of year in another year"
        )
    if len(order) < 2:
        return all_inconclusive(f"only one {segment_by} segment in the data")
    rest = order[1:]  # the first segment is the base of the dummies
    modifiers = np.column_stack([(labels == s).astype(float) for s in rest])
    others = [frame.others[name] for name in sorted(frame.others)]
    controls = (
        np.column_stack([_calendar_matrix(days, settings), *others])
        if others
        else _calendar_matrix(days, settings)
    )
    treatment = frame.treated.astype(int)

    def fit(y: np.ndarray, t: np.ndarray, x: np.ndarray, w: np.ndarray) -> Any:
        model = LinearDML(
            model_y=LinearRegression(),
            model_t=LogisticRegression(max_iter=2000),
            discrete_treatment=True,
            cv=5,
            random_state=settings.random_seed,
        )
        return model.fit(y, t, X=x, W=w)

    points = np.vstack([np.zeros(len(rest)), np.eye(len(rest))])
    rng = np.random.default_rng(settings.random_seed)
    with quiet_numerics(settings):
        model = fit(frame.log_y, treatment, modifiers, controls)
        log_effects = np.ravel(model.effect(points))
        low, high = (np.ravel(v) for v in model.effect_interval(points, alpha=settings.alpha))
        placebo, subset = [], []
        for _ in range(settings.dml_refuter_simulations):
            placebo.append(
                np.ravel(fit(frame.log_y, rng.permutation(treatment), modifiers, controls).effect(points))
            )
            keep = rng.uniform(size=frame.n) < settings.subset_fraction
            subset.append(
                np.ravel(
                    fit(frame.log_y[keep], treatment[keep], modifiers[keep], controls[keep]).effect(points)
                )
            )
    from scipy import stats

    q = stats.norm.ppf(1 - settings.alpha / 2)
    standard_errors = (high - low) / (2 * q)
    placebo_matrix, subset_matrix = np.array(placebo), np.array(subset)
    contiguous = mean_run_length(frame.treated) >= SCATTERED_RUN_DAYS
    segments = []
    all_refutations: list[Refutation] = []
    for index, segment in enumerate(order):
        n_treated = int(frame.treated[labels == segment].sum())
        se = float(standard_errors[index])
        refutations = (
            simulation_refutation(
                f"placebo_treatment[{segment}]", float(log_effects[index]), placebo_matrix[:, index], 0.0, se
            ),
            simulation_refutation(
                f"data_subset[{segment}]",
                float(log_effects[index]),
                subset_matrix[:, index],
                float(log_effects[index]),
                se,
            ),
        )
        all_refutations.extend(refutations)
        problem = None
        if n_treated < settings.min_treated_days:
            problem = f"only {n_treated} treated {segment} days (at least {settings.min_treated_days} needed)"
        estimate, ci_low, ci_high = (math.expm1(float(v[index])) for v in (log_effects, low, high))
        decision = grade_evidence(
            GradeInput(
                estimate=estimate,
                ci_low=ci_low,
                ci_high=ci_high,
                identification="design",
                data_problem=problem,
                refuters_passed=[r.passed for r in refutations],
                placebo_passed=refutations[0].passed,
                cap="weak" if contiguous else None,
                cap_reason="one contiguous window: its days share shocks the segment intervals ignore",
            ),
            max_relative_ci_width=settings.max_relative_ci_width,
        )
        conclusive = decision.grade != "inconclusive"
        segments.append(
            SegmentEffect(
                segment=segment,
                estimate=estimate if conclusive else None,
                ci_low=ci_low if conclusive else None,
                ci_high=ci_high if conclusive else None,
                p_value=float(2 * stats.norm.sf(abs(log_effects[index]) / se))
                if conclusive and se > 0
                else None,
                grade=decision.grade,
                reason=None if conclusive else decision.reason,
                note=decision.reason if conclusive else None,
                n_treated=n_treated,
            )
        )
    return SegmentEffects(
        intervention, metric, segment_by, tuple(segments), tuple(all_refutations), settings_used
    )
