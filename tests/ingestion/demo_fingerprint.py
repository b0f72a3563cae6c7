"""A fingerprint of a demo world: one SHA-256 over every record of every resource and tenant, the
daily truth, the ground truth and the injected defects. Two worlds with the same fingerprint are the
same output, byte for byte; refactors of `ingestion/demo` must leave it unchanged.

    .venv/bin/python -m tests.ingestion.demo_fingerprint [--start 2026-04-01] [--end 2026-10-31]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Iterable
from datetime import date
from typing import Any

from ingestion.demo import DEFAULT_END, INTERVENTIONS, TENANTS, DemoWorld, simulate


def _dump(value: Any) -> bytes:
    return json.dumps(value, default=repr, separators=(",", ":")).encode()  # key order counts too


def fingerprint(world: DemoWorld, skip: Iterable[str] = ()) -> str:
    """``skip``: qualified names of resources added after a fingerprint was taken (their records are new,
    so they would change it without changing any other record)."""
    digest = hashlib.sha256()
    for spec in world.resources():
        if spec.qualified_name in skip:
            continue
        for tenant in world.tenants:
            digest.update(f"{spec.qualified_name}/{tenant.slug}".encode())
            for record in world.records(spec.source, spec.name, tenant.tenant_id):
                digest.update(_dump(record))
    digest.update(world.daily_truth().write_csv().encode())
    digest.update(world.ground_truth_frame().write_csv().encode())
    digest.update(_dump([repr(row) for row in world.ground_truth]))
    digest.update(_dump([repr(defect) for defect in world.malformed]))
    digest.update(_dump([repr(tenant) for tenant in TENANTS]))
    digest.update(_dump([repr(intervention) for intervention in INTERVENTIONS]))
    digest.update(_dump([repr(gap) for gap in world.data_gaps]))
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 4, 1))
    parser.add_argument("--end", type=date.fromisoformat, default=DEFAULT_END)
    parser.add_argument("--tenants", nargs="*", default=None)
    args = parser.parse_args()
    world = simulate(seed=args.seed, start=args.start, end=args.end, tenants=args.tenants)
    print(fingerprint(world))


if __name__ == "__main__":
    main()
