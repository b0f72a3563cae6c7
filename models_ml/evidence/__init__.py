"""Keel's evidence engine: causal effects, drivers and root causes that an owner can trust.

Pure Python (no Dagster). Inputs are polars frames: a tenant's daily metric panel, peer tenants'
panels, product sales, and the recorded interventions. Every result converts to rows of
``ml.evidence_edges`` / ``ml.evidence_nodes`` (:mod:`models_ml.evidence.records`), and
:func:`check_evidence` validates those rows for the asset checks. Grades follow one documented
rule (:mod:`models_ml.evidence.grading`).

Main entry points:

- :func:`run_evidence`: everything for one tenant.
- :func:`estimate_effect`: "did this work?" on a plain table (units, a binary treatment, an outcome,
  confounders; ATE or ATT), in the outcome's own units, graded like every other effect.
- :func:`estimate_intervention_effects`: DoWhy identify → estimate → refute per intervention.
- :func:`estimate_segment_effects`, :func:`estimate_price_elasticities`: EconML double ML.
- :func:`granger_drivers`, :func:`discover_structure`: Granger tests and PC with time order.
- :func:`attribute_revenue_change`, :func:`attribute_price_volume_mix`: exact Shapley splits.
- :func:`attribute_change_gcm`: DoWhy gcm attribution of a change over a causal graph.
"""

from models_ml.evidence.attribution_gcm import GcmAttribution, attribute_change_gcm
from models_ml.evidence.drivers import (
    GrangerResult,
    GrangerTest,
    StructureResult,
    discover_structure,
    granger_drivers,
)
from models_ml.evidence.effects import (
    InterventionEffect,
    MethodEstimate,
    estimate_intervention_effect,
    estimate_intervention_effects,
)
from models_ml.evidence.errors import EvidenceInputError
from models_ml.evidence.estimates import RawEstimate
from models_ml.evidence.grading import GRADES, Grade, GradeInput, grade_evidence
from models_ml.evidence.heterogeneity import (
    Elasticity,
    ElasticityReport,
    SegmentEffect,
    SegmentEffects,
    estimate_price_elasticities,
    estimate_segment_effects,
)
from models_ml.evidence.panel import Intervention
from models_ml.evidence.records import (
    EDGE_SCHEMA,
    NODE_SCHEMA,
    EvidenceEdge,
    EvidenceGraph,
    EvidenceNode,
    check_evidence,
    edges_frame,
    nodes_frame,
)
from models_ml.evidence.root_cause import (
    ChangeAttribution,
    Contribution,
    attribute_price_volume_mix,
    attribute_revenue_change,
    shapley_decomposition,
)
from models_ml.evidence.run import EvidenceRun, run_evidence
from models_ml.evidence.settings import EvidenceSettings
from models_ml.evidence.tabular import TableEffect, estimate_effect, overlap_diagnostics

__all__ = [
    "EDGE_SCHEMA",
    "GRADES",
    "NODE_SCHEMA",
    "ChangeAttribution",
    "Contribution",
    "Elasticity",
    "ElasticityReport",
    "EvidenceEdge",
    "EvidenceGraph",
    "EvidenceInputError",
    "EvidenceNode",
    "EvidenceRun",
    "EvidenceSettings",
    "GcmAttribution",
    "Grade",
    "GradeInput",
    "GrangerResult",
    "GrangerTest",
    "Intervention",
    "InterventionEffect",
    "MethodEstimate",
    "RawEstimate",
    "SegmentEffect",
    "SegmentEffects",
    "StructureResult",
    "TableEffect",
    "attribute_change_gcm",
    "attribute_price_volume_mix",
    "attribute_revenue_change",
    "check_evidence",
    "discover_structure",
    "edges_frame",
    "estimate_effect",
    "estimate_intervention_effect",
    "estimate_intervention_effects",
    "estimate_price_elasticities",
    "estimate_segment_effects",
    "grade_evidence",
    "granger_drivers",
    "nodes_frame",
    "overlap_diagnostics",
    "run_evidence",
    "shapley_decomposition",
]
