"""KEEL_DEMO_SCALE: a demo of N times the selected businesses, copies 2..N full-weight tenants (owners,
interventions, forecasts, partitions), made by the same copier as the benchmark peers."""

from __future__ import annotations

from datetime import date

import pytest

from ingestion.demo import simulate
from ingestion.demo.profiles import TENANTS_BY_SLUG, demo_profile, demo_tenant_id, peer_copies, scale_copies
from ingestion.demo.world import DemoConfigError
from ingestion.demo_load import demo_world
from keel.settings import KeelSettings, get_settings


def test_scale_copies_are_full_weight_tenants_with_their_own_deterministic_identity() -> None:
    original = TENANTS_BY_SLUG["bluebird-coffee"]
    copies = scale_copies(original, 4)
    assert [c.slug for c in copies] == ["bluebird-coffee-x2", "bluebird-coffee-x3", "bluebird-coffee-x4"]
    assert [c.tenant_id for c in copies] == [demo_tenant_id(c.slug) for c in copies]
    peers = peer_copies(original, 4)
    assert len({c.tenant_id for c in (original, *copies, *peers)}) == 8
    assert len({c.name for c in (original, *copies)}) == 4
    for copy in copies:
        assert not copy.is_benchmark_peer and copy.full_weight
        assert copy.behaviour_slug == original.slug
        assert (copy.industry, copy.naics_code, copy.size_band, copy.region, copy.sources) == (
            original.industry,
            original.naics_code,
            original.size_band,
            original.region,
            original.sources,
        )
    assert scale_copies(original, 4) == copies  # deterministic
    assert scale_copies(original, 1) == ()
    assert repr(copies[0]) != repr(original) and "full_weight" not in repr(original)
    with pytest.raises(ValueError, match="1 or more"):
        scale_copies(original, 0)
    # a peer of a copy follows the catalogue business's behaviour, and stays a peer
    (peer,) = peer_copies(copies[0], 1)
    assert peer.slug == "bluebird-coffee-x2-peer-1" and peer.is_benchmark_peer
    assert peer.behaviour_slug == original.slug


def test_a_scaled_world_simulates_each_copy_with_its_own_draws_and_interventions() -> None:
    start, end = date(2026, 10, 1), date(2026, 10, 31)
    world = simulate(start=start, end=end, tenants=["bluebird-coffee", "bluebird-coffee-x2"], tenant_copies=2)
    original, copy = world.tenants
    assert copy.slug == "bluebird-coffee-x2" and not copy.is_benchmark_peer
    first, second = (world.daily_metric(t.slug, "net_revenue")["value"].to_list() for t in (original, copy))
    assert len(first) == len(second) == 31 and first != second  # their own random draws
    own, copied = world.run(original.slug).interventions, world.run(copy.slug).interventions
    assert own and len(copied) == len(own)
    assert [i.intervention_id for i in copied] == [
        "bluebird-coffee-x2" + i.intervention_id.removeprefix("bluebird-coffee") for i in own
    ]
    assert {i.tenant_slug for i in copied} == {copy.slug}
    with pytest.raises(DemoConfigError, match="bluebird-coffee-x3"):
        simulate(start=start, end=end, tenants=["bluebird-coffee-x3"], tenant_copies=2)
    with pytest.raises(DemoConfigError, match="tenant_copies"):
        simulate(start=start, end=end, tenants=["bluebird-coffee"], tenant_copies=0)


def test_the_setting_brings_the_copies_of_the_selected_businesses(monkeypatch: pytest.MonkeyPatch) -> None:
    assert KeelSettings().demo_scale == 1
    monkeypatch.setenv("KEEL_DEMO_TENANTS", '["formwise"]')
    monkeypatch.setenv("KEEL_DEMO_START", "2026-10-20")
    monkeypatch.setenv("KEEL_DEMO_PEER_COPIES", "1")
    monkeypatch.setenv("KEEL_DEMO_SCALE", "3")
    get_settings.cache_clear()
    try:
        world = demo_world()
        one = demo_world(tenants=["formwise-x3"], peers=False)
    finally:
        monkeypatch.delenv("KEEL_DEMO_SCALE")
        get_settings.cache_clear()
    assert [(t.slug, t.is_benchmark_peer) for t in world.tenants] == [
        ("formwise", False),
        ("formwise-x2", False),
        ("formwise-x3", False),
        ("formwise-peer-1", True),
        ("formwise-x2-peer-1", True),
        ("formwise-x3-peer-1", True),
    ]
    assert [t.slug for t in one.tenants] == ["formwise-x3"]
    with pytest.raises(ValueError, match="demo_scale"):
        KeelSettings(demo_scale=0)


def test_a_copy_slug_names_a_demo_business_up_to_the_scale() -> None:
    assert demo_profile("formwise") == TENANTS_BY_SLUG["formwise"]
    copy = demo_profile("formwise-x3", 3)
    assert copy is not None and copy == scale_copies(TENANTS_BY_SLUG["formwise"], 3)[-1]
    assert demo_profile("formwise-x3") == copy  # any scale
    assert demo_profile("formwise-x4", 3) is None
    for slug in ("formwise-x1", "formwise-x03", "formwise-peer-1", "nobody-x2", "formwise-x"):
        assert demo_profile(slug) is None, slug


def test_a_world_is_simulated_once_for_the_same_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    # a tenant's loads run asks for its world once per source: the second ask must not simulate again,
    # and any change of the settings must
    monkeypatch.setenv("KEEL_DEMO_TENANTS", '["formwise"]')
    monkeypatch.setenv("KEEL_DEMO_START", "2026-10-01")
    monkeypatch.setenv("KEEL_DEMO_END", "2026-10-20")
    get_settings.cache_clear()
    try:
        first = demo_world(tenants=["formwise"], peers=False)
        again = demo_world(tenants=["formwise"], peers=False)
        monkeypatch.setenv("KEEL_DEMO_END", "2026-10-21")
        get_settings.cache_clear()
        later = demo_world(tenants=["formwise"], peers=False)
    finally:
        get_settings.cache_clear()
    assert again is first
    assert later is not first
    assert (first.end, later.end) == (date(2026, 10, 20), date(2026, 10, 21))
    assert [t.slug for t in later.tenants] == ["formwise"]
