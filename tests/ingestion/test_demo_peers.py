"""The demo's benchmark peers: lighter-weight copies of its businesses (KEEL_DEMO_PEER_COPIES) that give
every demo industry a like-for-like peer group, deterministic, with their own ids, names and draws."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from ingestion.demo import simulate
from ingestion.demo.profiles import INDUSTRIES, PEER_TRADE_WORDS, TENANTS, TENANTS_BY_SLUG, peer_copies
from ingestion.demo.world import DemoConfigError
from keel.settings import KeelSettings

MIN_PEERS = 5  # dbt var benchmark_min_peers


def test_copies_keep_the_trade_size_and_place_and_get_their_own_identity() -> None:
    original = TENANTS_BY_SLUG["ledgerline-advisors"]
    copies = peer_copies(original, 4)
    assert [c.slug for c in copies] == [f"ledgerline-advisors-peer-{n}" for n in range(1, 5)]
    assert len({c.tenant_id for c in copies} | {original.tenant_id}) == 5
    assert len({c.name for c in copies} | {original.name}) == 5
    for copy in copies:
        assert copy.is_benchmark_peer and copy.copy_of == copy.behaviour_slug == original.slug
        assert (copy.industry, copy.naics_code, copy.size_band, copy.region, copy.currency) == (
            original.industry,
            original.naics_code,
            original.size_band,
            original.region,
            original.currency,
        )
    assert peer_copies(original, 4) == copies  # deterministic
    assert peer_copies(original, 0) == ()
    with pytest.raises(ValueError, match="0 or more"):
        peer_copies(original, -1)
    assert set(PEER_TRADE_WORDS) == set(INDUSTRIES)


def test_the_default_gives_every_demo_industry_at_least_five_businesses_of_one_size() -> None:
    """With the default number of copies, every industry, and every (industry, size) of the catalogue,
    has at least benchmark_min_peers businesses: a like-for-like group for each, even for the one-of-each
    test warehouse (tests/conftest.py: demo_warehouse)."""
    copies = KeelSettings().demo_peer_copies
    assert copies + 1 >= MIN_PEERS
    world = [t for p in TENANTS for t in (p, *peer_copies(p, copies))]
    by_industry = Counter(t.industry for t in world)
    assert all(by_industry[i] >= MIN_PEERS for i in INDUSTRIES), by_industry
    by_size = Counter((t.naics_code, t.size_band) for t in world)
    assert min(by_size.values()) >= MIN_PEERS, by_size


def test_peers_are_simulated_over_a_shorter_history_with_their_own_draws() -> None:
    end = date(2026, 10, 31)
    start, slug = date(2026, 8, 1), "the-barber-collective"
    world = simulate(start=start, end=end, tenants=[slug], peer_copies=2, peer_history_days=30)
    main, *peers = world.tenants
    assert [p.slug for p in peers] == ["the-barber-collective-peer-1", "the-barber-collective-peer-2"]
    assert world.run(main.slug).n_days == (end - start).days + 1
    for peer in peers:
        assert world.run(peer.slug).n_days == 30
        assert date.fromordinal(world.run(peer.slug).first_ordinal) == end - timedelta(days=29)
    charges = [
        sorted(r["amount"] for r in world.records("stripe", "charges", str(p.tenant_id)))[:50] for p in peers
    ]
    assert charges[0] and charges[1] and charges[0] != charges[1]  # their own random draws
    assert not [g for g in world.ground_truth if g.tenant_slug != main.slug]  # no interventions of peers
    with pytest.raises(DemoConfigError, match="peer_copies"):
        simulate(start=date(2026, 10, 1), end=end, tenants=["formwise"], peer_copies=-1)


def test_a_peer_lists_only_the_customers_who_buy_in_its_history() -> None:
    # A peer's history is its last weeks: its customers from before who buy nothing in them count in no
    # benchmark (those count buyers), and were most of its customer rows. The business itself lists all.
    end = date(2026, 10, 31)
    world = simulate(start=date(2026, 5, 1), end=end, tenants=["bluebird-coffee"], peer_copies=1)
    world_short = simulate(
        start=date(2026, 5, 1), end=end, tenants=["bluebird-coffee"], peer_copies=1, peer_history_days=30
    )
    for w in (world, world_short):
        business, peer = w.tenants
        listed = list(w.records("shopify", "customers", str(peer.tenant_id)))
        buyers = {
            r["customer"]["id"]
            for r in w.records("shopify", "orders", str(peer.tenant_id))
            if r.get("customer") is not None
        }
        assert listed and {r["id"] for r in listed} == buyers
        assert all(r["orders_count"] > 0 for r in listed)
    business_customers = list(world_short.records("shopify", "customers", str(business.tenant_id)))
    assert any(r["orders_count"] == 0 for r in business_customers)  # the business keeps its quiet ones
