"""The health score on the synthetic peer groups (tests/dbt/peer_world.py): 0-100, monotone in the
tenant's percentiles (a better margin never lowers the score), a confidence that drops with thin data
and few peers, drivers in plain words, row-level security; and the formula's macros on a grid."""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from keel import warehouse
from keel.settings import KeelSettings

from .peer_world import CHAIN_LONE, CHAIN_SMALL, IMPROVER, LONELY, MONTHS, PeerWorld, failures, run_dbt

pytestmark = pytest.mark.dbt_build

COMPONENTS = ("growth", "profitability", "liquidity", "efficiency", "customers")


def score_of(rows: list[dict[str, Any]], tenant_id: Any, month: Any) -> dict[str, Any]:
    found = [r for r in rows if r["tenant_id"] == tenant_id and r["metric_month"] == month]
    assert len(found) == 1, found
    return found[0]


def test_every_scored_month_lies_in_0_100_with_a_confidence(peer_world: PeerWorld) -> None:
    scores = peer_world.before.scores
    assert len(scores) >= 24 * len(MONTHS)
    for row in scores:
        assert Decimal(0) <= row["health_score"] <= Decimal(100)
        assert Decimal(0) <= row["confidence"] <= Decimal(1)
        assert row["confidence_label"] in {"high", "medium", "low"}
        for component in COMPONENTS:
            value = row[f"{component}_score"]
            assert value is None or Decimal(0) <= value <= Decimal(100)


def test_a_better_margin_never_lowers_the_score(peer_world: PeerWorld) -> None:
    """IMPROVER halved its cost of goods in March: its margin percentile and profitability rise, the
    other components stay, and the score does not fall."""
    march = MONTHS[-1]
    before = score_of(peer_world.before.scores, IMPROVER.tenant_id, march)
    after = score_of(peer_world.after.scores, IMPROVER.tenant_id, march)
    assert after["profitability_score"] > before["profitability_score"]
    for component in ("growth", "liquidity", "efficiency", "customers"):
        assert after[f"{component}_score"] == before[f"{component}_score"], component
    assert after["health_score"] >= before["health_score"]
    # and no other tenant of its group gained from it
    for tenant in CHAIN_SMALL[1:]:
        was = score_of(peer_world.before.scores, tenant.tenant_id, march)["profitability_score"]
        assert score_of(peer_world.after.scores, tenant.tenant_id, march)["profitability_score"] <= was


def test_confidence_drops_with_missing_data_and_few_peers(peer_world: PeerWorld) -> None:
    march = MONTHS[-1]
    lonely = score_of(peer_world.before.scores, LONELY[0].tenant_id, march)  # no costs, 25 peers
    small_group = score_of(peer_world.before.scores, CHAIN_SMALL[1].tenant_id, march)  # 5 peers
    wide_group = score_of(peer_world.before.scores, CHAIN_LONE[0].tenant_id, march)  # 6 micro peers
    # LONELY has no cost, labor or ad data: no profitability, efficiency from nothing
    assert lonely["profitability_score"] is None and lonely["efficiency_score"] is None
    assert lonely["weight_coverage"] == Decimal("0.650") and small_group["weight_coverage"] == Decimal(
        "1.000"
    )
    assert small_group["min_peer_count"] == 5 and wide_group["min_peer_count"] == 6
    assert small_group["confidence"] < wide_group["confidence"]
    # one month of history is worth less than three
    first = score_of(peer_world.before.scores, CHAIN_LONE[0].tenant_id, MONTHS[0])
    assert first["complete_months"] == 1 and wide_group["complete_months"] == 3
    assert first["confidence"] < wide_group["confidence"]


def test_the_drivers_speak_plainly(peer_world: PeerWorld) -> None:
    row = score_of(peer_world.before.scores, CHAIN_SMALL[2].tenant_id, MONTHS[-1])
    assert 1 <= len(row["score_drivers"]) <= 3
    for sentence in row["score_drivers"]:
        assert ("lifts your score by" in sentence) or ("holds your score back by" in sentence), sentence
        group = "5 businesses in your industry of your size in your region (Test-North)"
        assert f"% of the {group}." in sentence, sentence
    # the same rates every month: nothing changed from February to March...
    assert row["change_drivers"] == []
    # ...but growth (month over month) can first be measured in February
    february = score_of(peer_world.before.scores, CHAIN_SMALL[2].tenant_id, MONTHS[1])
    assert any(
        s.startswith("Growth counts in your score this month for the first time")
        for s in february["change_drivers"]
    )
    first = score_of(peer_world.before.scores, CHAIN_SMALL[2].tenant_id, MONTHS[0])
    assert first["change_drivers"] == [] and first["health_score_change"] is None
    # IMPROVER's better margin in March is the change, in words
    improved = score_of(peer_world.after.scores, IMPROVER.tenant_id, MONTHS[-1])
    assert improved["change_drivers"][0].startswith("Profitability raised your score by "), improved
    assert improved["health_score_change"] > 0
    # the points of the score drivers are the components' pull away from 50, largest first
    points = [abs(float(s.split(" by ")[1].split(" points")[0])) for s in row["score_drivers"]]
    assert points == sorted(points, reverse=True)


def test_the_score_is_the_weighted_mean_of_its_components(peer_world: PeerWorld) -> None:
    with warehouse.connect("admin") as conn:
        weights = {
            c: float(w)
            for c, w in conn.execute("select component, weight from benchmarks.health_score_weights")
        }
    assert set(weights) == set(COMPONENTS)
    for row in peer_world.before.scores:
        present = {c: float(row[f"{c}_score"]) for c in COMPONENTS if row[f"{c}_score"] is not None}
        expected = sum(weights[c] * s for c, s in present.items()) / sum(weights[c] for c in present)
        assert abs(float(row["health_score"]) - expected) <= 0.051, (row, expected)


def test_the_formula_is_monotone_on_a_grid(
    peer_world: PeerWorld, settings: KeelSettings, tmp_path: Path
) -> None:
    """The macros themselves: raising one metric's percentile never lowers its component score, and
    raising a component never lowers the total, whatever the others are."""
    grid = [0.05, 0.3, 0.5, 0.7, 0.95]
    rows = ", ".join(f"({a}, {b})" for a, b in itertools.product(grid, grid))
    sql = (
        "with pairs (a, b) as (values " + rows + "), "
        "scored as (select a, b, "
        "(select {{ health_component_score('p') }} from (values (a), (b)) as m (p)) as component, "
        "(select {{ health_total_score('w', 's') }} "
        "from (values (0.25, 100 * a), (0.2, 100 * b)) as c (w, s)) as total from pairs) "
        "select string_agg(a || ':' || b || ':' || component || ':' || total, ';') from scored"
    )
    warehouse.write_dbt_profiles(tmp_path / "profiles", settings)
    result = run_dbt(tmp_path, "show", "--inline", sql, "--output", "json", "--limit", "1")
    assert result.success, failures(result)
    text = result.result.results[0].agate_table.rows[0][0]  # type: ignore[union-attr]
    table = {}
    for item in text.split(";"):
        a, b, component, total = item.split(":")
        table[(float(a), float(b))] = (float(component), float(total))
    for (a, b), (component, total) in table.items():
        for better in (g for g in grid if g > a):
            higher_component, higher_total = table[(better, b)]
            assert higher_component >= component and higher_total >= total, (a, b, better)
    assert table[(0.95, 0.95)][0] == 95.0 and table[(0.05, 0.05)][1] == 5.0


def test_the_models_have_the_columns_the_health_page_reads(peer_world: PeerWorld) -> None:
    from serving.readers import BENCHMARK_COLUMNS, SCORE_COLUMNS

    with warehouse.connect("admin") as conn:
        for relation, columns in (
            ("metrics.health_score", SCORE_COLUMNS),
            ("benchmarks.tenant_benchmarks", BENCHMARK_COLUMNS),
        ):
            schema, table = relation.split(".")
            found = {
                row[0]
                for row in conn.execute(
                    "select column_name from information_schema.columns where table_schema = %s "
                    "and table_name = %s",
                    (schema, table),
                )
            }
            assert set(columns) <= found, (relation, set(columns) - found)
