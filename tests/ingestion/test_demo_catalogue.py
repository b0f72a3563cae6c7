"""The demo's catalogues are data files validated by a schema: a bad file is refused naming the file,
the entry and the field; the simulator's output is the same as when they were Python code."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from ingestion.demo import INTERVENTIONS, TENANTS, simulate
from ingestion.demo.behaviour import BEHAVIOURS, Behaviour
from ingestion.demo.catalogue import CATALOGUE_DIR, CatalogueError, load_list, load_one
from ingestion.demo.interventions import Intervention
from ingestion.demo.profiles import TenantProfile

from .demo_fingerprint import fingerprint

#: fingerprint(simulate(seed=42, start=2026-09-01)) of every tenant, computed from the catalogues when
#: they were still Python code (commit ce2c15d). A deliberate change of the simulator or of a catalogue
#: changes it: recompute with `python -m tests.ingestion.demo_fingerprint --start 2026-09-01`.
#: Recomputed on 2026-12-06 (session 5): the tenant profiles gained ``is_benchmark_peer`` (their repr is part
#: of the fingerprint); every resource's records were compared one by one with commit 7f5b324 and are equal.
FINGERPRINT_2026_09_TO_10 = "3d06f47b919a7036bbcb016f802c917169ffe7ac9fd3c910f47cbe8f94858181"
#: Resources added since, made from records that existed (stripe.balance_transactions: from the charges
#: and refunds; quickbooks items and accounts: the ones invoice and expense lines point at); leaving them
#: out shows that every record that existed is unchanged.
ADDED_SINCE = ("stripe.balance_transactions", "quickbooks.items", "quickbooks.accounts")


def test_the_simulator_output_is_unchanged_for_the_same_seed() -> None:
    world = simulate(seed=42, start=date(2026, 9, 1))
    assert fingerprint(world, skip=ADDED_SINCE) == FINGERPRINT_2026_09_TO_10


def test_every_tenant_has_a_behaviour_and_interventions_name_known_tenants() -> None:
    assert list(BEHAVIOURS) == [t.slug for t in TENANTS]
    assert {i.tenant_slug for i in INTERVENTIONS} <= set(BEHAVIOURS)
    shifts = [s for b in BEHAVIOURS.values() for role in b.staff for s in role.shifts]
    assert shifts and all(0 <= start < end <= 24 * 3600 for start, end in shifts)
    assert all(len(b.hourly) == 24 for b in BEHAVIOURS.values())


def copy_of(tmp_path: Path, relative: str) -> Path:
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(CATALOGUE_DIR / relative, path)
    return path


def test_a_wrong_value_names_the_file_the_entry_and_the_field(tmp_path: Path) -> None:
    path = copy_of(tmp_path, "behaviours/bluebird-coffee.yaml")
    path.write_text(path.read_text().replace("price: 325", "price: cheap", 1))
    with pytest.raises(CatalogueError) as error:
        load_one(path, Behaviour)
    message = str(error.value)
    assert "bluebird-coffee.yaml, entry 'bluebird-coffee': field products.0.price:" in message
    assert "valid integer" in message


def test_a_misspelt_field_and_a_bad_time_span_are_refused(tmp_path: Path) -> None:
    path = copy_of(tmp_path, "behaviours/bluebird-coffee.yaml")
    text = path.read_text().replace("noise_sigma:", "noise_sigmaa:", 1).replace("'06:15-14:30'", "'6am-2pm'")
    path.write_text(text)
    with pytest.raises(CatalogueError) as error:
        load_one(path, Behaviour)
    message = str(error.value)
    assert "field noise_sigmaa: Unexpected keyword argument" in message
    assert "field staff.0.shifts.0: Value error, a time span is written HH:MM-HH:MM, got '6am-2pm'" in message


def test_a_list_entry_is_named_by_its_key_and_duplicates_are_refused(tmp_path: Path) -> None:
    path = copy_of(tmp_path, "interventions.yaml")
    path.write_text(path.read_text().replace("kind: price_change", "kind: price_cut", 1))
    with pytest.raises(CatalogueError, match=r"entry 'bluebird-coffee/price/oat-milk-latte': field kind:"):
        load_list(path, Intervention, key="intervention_id")
    tenants = copy_of(tmp_path, "tenants.yaml")
    tenants.write_text(tenants.read_text().replace("slug: formwise", "slug: tidyshift"))
    with pytest.raises(CatalogueError, match=r"tenants.yaml, entry 'tidyshift': field slug: appears twice"):
        load_list(tenants, TenantProfile, key="slug")


def test_a_file_that_is_not_yaml_or_not_a_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tenants.yaml"
    path.write_text("- slug: [unclosed\n")
    with pytest.raises(CatalogueError, match=r"tenants\.yaml: not valid YAML"):
        load_list(path, TenantProfile, key="slug")
    path.write_text("slug: one\n")
    with pytest.raises(CatalogueError, match=r"tenants\.yaml: must be a list of entries, got dict"):
        load_list(path, TenantProfile, key="slug")
