"""Keep what the expectations found: ``ml.quality_results`` and a sample of failing rows per failure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from ingestion.quality.run import QualityResult
from keel import warehouse


def _json(value: Any) -> str:
    def default(obj: Any) -> Any:
        if isinstance(obj, date | datetime):
            return obj.isoformat()
        if hasattr(obj, "item"):
            return obj.item()
        return str(obj)

    return json.dumps(value, default=default)


def store_results(tenant_id: str, run_id: str, results: Sequence[QualityResult]) -> int:
    """Write one tenant's results of one run (as the pipeline role); returns how many rows were written."""
    with warehouse.connect("keel_transformer") as conn:
        for result in results:
            row = conn.execute(
                """
                insert into ml.quality_results (tenant_id, run_id, asset_key, source, expectation,
                    expectation_type, column_name, severity, success, element_count, unexpected_count,
                    observed, owner_message)
                values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s)
                returning result_id
                """,
                (
                    tenant_id,
                    run_id,
                    result.asset_key,
                    result.source,
                    result.expectation,
                    result.expectation_type,
                    result.column,
                    result.severity,
                    result.success,
                    result.element_count,
                    result.unexpected_count,
                    _json(result.observed),
                    result.owner_message,
                ),
            ).fetchone()
            assert row is not None
            if result.failing_rows:
                with conn.cursor() as cursor:
                    cursor.executemany(
                        "insert into ml.quality_failures (tenant_id, result_id, row_number, failing_row) "
                        "values (%s, %s, %s, %s::jsonb)",
                        [(tenant_id, row[0], n, _json(r)) for n, r in enumerate(result.failing_rows, 1)],
                    )
    return len(results)
