"""dlt and dbt connect to the warehouse with the settings keel.warehouse gives them, as their own roles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dlt

from keel import warehouse
from keel.settings import KeelSettings

ROOT = Path(__file__).resolve().parents[2]


def test_dlt_loads_as_the_loader_and_merge_adds_no_duplicates(settings: KeelSettings, tmp_path: Path) -> None:
    @dlt.resource(name="things", primary_key="id", write_disposition="merge")
    def things():  # type: ignore[no-untyped-def]
        yield from ({"id": i, "name": f"thing {i}"} for i in range(5))

    pipeline = dlt.pipeline(
        pipeline_name="keel_smoke",
        destination=dlt.destinations.postgres(credentials=warehouse.dlt_credentials("keel_loader")),
        dataset_name="raw_smoke",
        pipelines_dir=str(tmp_path),
    )
    for _ in range(2):
        pipeline.run(things())
    with warehouse.connect("admin") as conn:
        assert conn.execute("select count(*), count(distinct id) from raw_smoke.things").fetchone() == (5, 5)
        owner = conn.execute(
            "select tableowner from pg_tables where schemaname = 'raw_smoke' and tablename = 'things'"
        ).fetchone()
    assert owner == ("keel_loader",)
    with warehouse.connect("keel_transformer") as conn:  # default privileges let dbt read what dlt wrote
        assert conn.execute("select count(*) from raw_smoke.things").fetchone() == (5,)


def test_dbt_connects_as_the_transformer(settings: KeelSettings, tmp_path: Path) -> None:
    profiles_dir = warehouse.write_dbt_profiles(tmp_path)
    dbt = Path(sys.executable).with_name("dbt")
    out = subprocess.run(
        [str(dbt), "debug", "--project-dir", str(ROOT / "dbt_project"), "--profiles-dir", str(profiles_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-3000:]
    assert "All checks passed" in out.stdout
    assert "user: keel_transformer" in out.stdout
