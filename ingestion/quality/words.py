"""What the latest quality checks found, in an owner's words (for the console and the coach).

Reads only ``ml.quality_results`` under the tenant's own login; never imports great-expectations.
"""

from __future__ import annotations

from keel import warehouse

#: The rows of the latest check of each of the tenant's assets (under the tenant's own login).
LATEST_RESULTS = """
    with latest as (
        select asset_key, max(run_id) filter (where checked_at = last_at) as run_id
        from (
            select asset_key, run_id, checked_at,
                   max(checked_at) over (partition by asset_key) as last_at
            from ml.quality_results
        ) runs
        group by asset_key
    )
    select r.* from ml.quality_results r join latest using (asset_key, run_id)
"""


def owner_summary(tenant_id: str, *, limit: int = 5) -> list[str]:
    """Sentences about the tenant's data problems found by the latest check of each asset, errors first
    ("3 days of sales are missing from Shopify since Tuesday"); empty when the latest checks all passed."""
    with warehouse.connect("keel_app", tenant_id=tenant_id) as conn:
        rows = conn.execute(
            f"""
            select distinct severity, owner_message from ({LATEST_RESULTS}) r
            where not success and owner_message is not null
            order by severity, owner_message
            limit %s
            """,
            (limit,),
        ).fetchall()
    return [message for _severity, message in rows]


def errors_holding_models(tenant_id: str) -> list[str]:
    """What the latest checks of the tenant's data found at severity error, in words (or the expectation and
    asset where no sentence was written): while there is any, the tenant's own models are held."""
    with warehouse.connect("keel_app", tenant_id=tenant_id) as conn:
        rows = conn.execute(
            f"""
            select distinct coalesce(owner_message, expectation || ' failed on ' || asset_key)
            from ({LATEST_RESULTS}) r
            where not success and severity = 'error'
            order by 1
            """
        ).fetchall()
    return [row[0] for row in rows]
