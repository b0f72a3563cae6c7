"""``app.tenants.is_benchmark_peer``: tenants that feed the peer benchmarks only.

The demo grows its world with lighter-weight copies of its businesses (``KEEL_DEMO_PEER_COPIES``) so
every industry has a like-for-like peer group. Those copies have no owners and get no forecasts,
evidence or plans: the ML assets skip tenants with ``is_benchmark_peer``, the benchmarks count them
like any other tenant. ``app.register_tenant`` (0008) takes the new field.

It also documents on ``ml.plans.status`` what a plan that does not fit the kind of business holds (the
console hides or explains those tabs): models_ml/optimization/tenant_plans.py, PLANS_NOT_FOR_KIND.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

REGISTER_TENANT = """
create or replace function app.register_tenant(
    p_tenant jsonb, p_app_verifier text, p_analyst_verifier text
) returns uuid
language plpgsql security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    t app.tenants;
begin
    t := jsonb_populate_record(null::app.tenants, p_tenant);
    if t.tenant_id is null then
        raise exception 'a tenant needs a tenant_id';
    end if;
    insert into app.tenants (tenant_id, slug, name, industry, naics_code, size_band, region, country,
                             timezone, currency, opened_on, is_demo, is_benchmark_peer)
    values (t.tenant_id, t.slug, t.name, t.industry, t.naics_code, t.size_band, t.region, t.country,
            coalesce(t.timezone, 'UTC'), coalesce(t.currency, 'USD'), t.opened_on, coalesce(t.is_demo, false),
            coalesce(t.is_benchmark_peer, false))
    on conflict (tenant_id) do update set
        slug = excluded.slug, name = excluded.name, industry = excluded.industry,
        naics_code = excluded.naics_code, size_band = excluded.size_band, region = excluded.region,
        country = excluded.country, timezone = excluded.timezone, currency = excluded.currency,
        opened_on = excluded.opened_on, is_demo = excluded.is_demo,
        is_benchmark_peer = excluded.is_benchmark_peer;
    perform app.ensure_tenant_roles(t.tenant_id, p_app_verifier, p_analyst_verifier);
    return t.tenant_id;
end
$$;
revoke all on function app.register_tenant(jsonb, text, text) from public;
grant execute on function app.register_tenant(jsonb, text, text) to keel_loader;
"""


def upgrade() -> None:
    op.execute(
        "alter table app.tenants add column if not exists is_benchmark_peer boolean not null default false"
    )
    op.execute(
        "comment on column app.tenants.is_benchmark_peer is "
        "'A tenant that feeds the peer benchmarks only (a demo peer copy): no owners, forecasts, evidence or plans'"
    )
    op.execute(REGISTER_TENANT)
    op.execute(PLAN_STATUS_COMMENT)


PLAN_STATUS_COMMENT = """
comment on column ml.plans.status is
    'optimal, feasible, infeasible, no_solution: a solved plan; error: building or solving failed; '
    'not_applicable: no plan, the explanation says why. A plan that does not fit the kind of business '
    '(marts.business_profile.business_kind: no stock for services, b2b and subscriptions; no shift staffing '
    'or shelf pricing for b2b and subscriptions) has an explanation starting "Not applicable to this kind of '
    'business: " and inputs {"business_kind": ..., "applies_to_kind": false}; any other not_applicable row '
    'lacks the data (no ads, no timecards, no forecast).'
"""


def downgrade() -> None:
    # 0008's function again (without the column), then the column
    op.execute(
        REGISTER_TENANT.replace(", is_benchmark_peer)", ")")
        .replace(",\n            coalesce(t.is_benchmark_peer, false))", ")")
        .replace(",\n        is_benchmark_peer = excluded.is_benchmark_peer;", ";")
    )
    op.execute("alter table app.tenants drop column if exists is_benchmark_peer")
    op.execute("comment on column ml.plans.status is null")
