"""A synthetic world of peer groups for the benchmark and health score tests, built once per session.

30 tenants in NAICS codes that only these tests use (99110x), with three complete months of daily
metrics (January to March 2022, before any demo data), written into metrics.business_metrics_daily as
keel_transformer (the role dbt builds it with). Then `dbt build` runs the seeds, the benchmark and
health score models and their tests; one tenant leaves (deleted) and another improves its margins,
and the models are built again. Both states are read back into plain dicts.

Groups (size band / region in brackets):
- LONELY: one tenant alone in 991101; PAIR: two in 991102 (never published: fewer than 5);
- FIVE: five in 991103 (small, Test-East): published, until FIVE[0] leaves;
- CHAIN: 991104 with five small/North, five micro/North and one micro/South: the first two groups
  publish at industry x size x region, the lone micro/South tenant falls back to the industry (11);
- DIFF: 991105 with five small/East and one micro/East: the small/East group has 5 tenants but differs
  from its industry group by one tenant, so it is withheld (differencing rule) and all six use the
  industry group.
- ATTACK: five in 991106 built against the publication rule (evenly spaced margins, one dominant
  grower): the figures those produce must be withheld.
LONELY has no cost, labor or ad data (zeros, as for a business without those sources).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from dbt.cli.main import dbtRunnerResult
from dbt.contracts.results import RunExecutionResult

from keel import tenancy, warehouse
from keel.settings import KeelSettings
from tests.dbt_run import failures, run_dbt

FIRST_DAY, LAST_DAY = date(2022, 1, 1), date(2022, 3, 31)
MONTHS = (date(2022, 1, 1), date(2022, 2, 1), date(2022, 3, 1))
#: The models these tests build (with their tests); the marts upstream must exist already. The
#: tenants' table is rebuilt too (it must know the tenants created here), and FRED's staging views.
SELECTION = [
    "path:seeds",
    "int_tenants_classified",
    # views on int_tenants_classified (rebuilding it drops them) that the monthly models read
    "int_invoice_payments_applied",
    "int_subscription_periods",
    "int_tenant_business_kinds",
    "stg_fred__observations",
    "stg_fred__series",
    "business_metrics_monthly+",
    "int_tenant_months+",
    "reference_observations+",
]
UPSTREAM = [
    "marts.orders",
    "marts.order_lines",
    "marts.products",
    "marts.invoices",
    "staging.int_tenants_classified",
    "staging.int_subscription_periods",
]


@dataclass(frozen=True)
class PeerTenant:
    slug: str
    naics_code: str
    size_band: str
    region: str
    index: int
    has_costs: bool = True
    even_step: int | None = None  # ATTACK: evenly spaced cost of goods, one dominant growth

    @property
    def tenant_id(self) -> uuid.UUID:
        return tenancy.tenant_id_for(self.slug)


def _group(prefix: str, naics: str, size: str, region: str, count: int, start: int) -> list[PeerTenant]:
    return [PeerTenant(f"peer-{prefix}-{i}", naics, size, region, start + i) for i in range(count)]


LONELY = [PeerTenant("peer-lonely-0", "991101", "small", "Test-West", 0, has_costs=False)]
PAIR = _group("pair", "991102", "small", "Test-West", 2, 1)
FIVE = _group("five", "991103", "small", "Test-East", 5, 3)
CHAIN_SMALL = _group("chain-small", "991104", "small", "Test-North", 5, 8)
CHAIN_MICRO = _group("chain-micro", "991104", "micro", "Test-North", 5, 13)
CHAIN_LONE = _group("chain-lone", "991104", "micro", "Test-South", 1, 18)
DIFF = [
    *_group("diff-small", "991105", "small", "Test-East", 5, 19),
    *_group("diff-micro", "991105", "micro", "Test-East", 1, 24),
]
#: Five tenants built to attack the publication rule (991106, small, Test-West): their gross margins are
#: evenly spaced (0.70, 0.65, ... 0.50), so the group's mean is its middle member's margin; and one of
#: them grows 60 % a month while the others grow 0.1-0.5 %, so it dominates every growth cluster it is in.
ATTACK = [
    PeerTenant(f"peer-attack-{i}", "991106", "small", "Test-West", 25 + i, even_step=i) for i in range(5)
]
DOMINANT = ATTACK[4]
ALL = [*LONELY, *PAIR, *FIVE, *CHAIN_SMALL, *CHAIN_MICRO, *CHAIN_LONE, *DIFF, *ATTACK]
LEAVER = FIVE[0]
IMPROVER = CHAIN_SMALL[0]
APP_VIEWER = CHAIN_SMALL[1]
TENANT_RELATIONS = (
    "benchmarks.tenant_benchmarks",
    "metrics.health_score",
    "metrics.health_score_components",
    "metrics.monthly_revenue_in_context",
    "marts.business_profile",
)

#: One row per tenant and day; the rates come from spread(), so no two tenants share a value and every
#: metric ranks the tenants differently.
INSERT_SQL = """
    insert into metrics.business_metrics_daily (
        tenant_id, metric_date, currency, revenue_gross, discounts, refunds, revenue_net, orders,
        average_order_value, cogs, gross_margin, gross_margin_pct, new_customers, returning_customers,
        cash_in, cash_out, labor_hours, labor_cost, marketing_spend_total, marketing_spend_by_channel,
        stockout_product_days, dbt_invocation_id
    )
    select
        %(tenant_id)s, day::date, 'USD', revenue, 0, 0, revenue, %(orders)s,
        round(revenue / %(orders)s, 2), cogs, revenue - cogs, round((revenue - cogs) / revenue, 4),
        5, %(returning)s, round(revenue * 1.05, 2), round(revenue * %(cash_out_rate)s::numeric, 2),
        %(labor_hours)s::numeric, round(revenue * %(labor_rate)s::numeric, 2),
        round(revenue * %(ads_rate)s::numeric, 2),
        jsonb_build_object('search', round(revenue * %(ads_rate)s::numeric, 2)), 0, 'peer-world'
    from generate_series(%(first_day)s::date, %(last_day)s::date, interval '1 day') as day
    cross join lateral (
        select round(
            %(base)s::numeric * power(1 + %(growth)s::numeric, extract(month from day) - 1), 2
        ) as revenue
    ) as money
    cross join lateral (select round(revenue * %(cogs_rate)s::numeric, 2) as cogs) as cost
"""


def spread(index: int, salt: float) -> float:
    """A number in [0, 1) that orders the tenants differently for every salt and is never evenly
    spaced (the fractional part of a multiple of an irrational), so no tenant's value is the mean of
    its neighbours by construction."""
    return (index * 0.6180339887 + salt * 0.7548776662 + (index * salt) ** 0.5 * 0.1) % 1.0


def insert_params(tenant: PeerTenant) -> dict[str, Any]:
    i = tenant.index
    costs = tenant.has_costs
    return {
        "tenant_id": tenant.tenant_id,
        "first_day": FIRST_DAY,
        "last_day": LAST_DAY,
        "base": round(800 + 3000 * spread(i, 1), 2),
        "growth": round(0.005 + 0.18 * spread(i, 2), 6),
        "orders": 20 + int(40 * spread(i, 3)),
        "cogs_rate": round(0.25 + 0.33 * spread(i, 4), 6) if costs else 0,
        "cash_out_rate": round(0.7 + 0.28 * spread(i, 5), 6),
        "labor_hours": round(10 + 8 * spread(i, 6), 2) if costs else 0,
        "labor_rate": round(0.2 + 0.23 * spread(i, 7), 6) if costs else 0,
        "ads_rate": round(0.03 + 0.05 * spread(i, 8), 6) if costs else 0,
        "returning": 3 + int(12 * spread(i, 9)),
    } | (_attack_params(tenant.even_step) if tenant.even_step is not None else {})


def _attack_params(step: int) -> dict[str, Any]:
    return {
        "cogs_rate": round(0.30 + 0.05 * step, 2),
        "growth": 0.6 if step == 4 else round(0.001 + 0.001 * step, 3),
    }


@dataclass
class Snapshot:
    """What the models hold for the world's tenants after one build."""

    result: dbtRunnerResult
    tenant_benchmarks: list[dict[str, Any]] = field(default_factory=list)
    peer_benchmarks: list[dict[str, Any]] = field(default_factory=list)
    values: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)
    in_context: list[dict[str, Any]] = field(default_factory=list)
    profiles: list[dict[str, Any]] = field(default_factory=list)
    #: relation -> tenant ids keel_app sees when scoped to APP_VIEWER, and rows it sees unscoped
    app_view: dict[str, set[uuid.UUID]] = field(default_factory=dict)
    app_view_unscoped: dict[str, int] = field(default_factory=dict)
    app_published_991104: int = 0


@dataclass(frozen=True)
class PeerWorld:
    before: Snapshot  # all 30 tenants
    after: Snapshot  # LEAVER gone, IMPROVER's cost of goods halved in March
    work_dir: Path


def node_kinds(result: dbtRunnerResult) -> set[str]:
    results = list(result.result.results) if isinstance(result.result, RunExecutionResult) else []
    return {str(r.node.resource_type) for r in results}


def _rows(conn: Any, sql: str, *params: Any) -> list[dict[str, Any]]:
    with conn.cursor() as cur:
        cur.execute(sql, params or None)
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def snapshot(result: dbtRunnerResult) -> Snapshot:
    """Everything the tests look at, read now: the session's other dbt builds rebuild these tables
    without the world's tenants (their rows are deleted once both builds are read)."""
    assert result.success, failures(result)
    ids = [t.tenant_id for t in ALL]
    months = "metric_month between '2022-01-01' and '2022-03-01'"
    app_view: dict[str, set[uuid.UUID]] = {}
    app_view_unscoped: dict[str, int] = {}
    with warehouse.connect("keel_app", tenant_id=APP_VIEWER.tenant_id) as conn:
        for relation in TENANT_RELATIONS:
            app_view[relation] = {row[0] for row in conn.execute(f"select tenant_id from {relation}")}
        published = conn.execute(
            "select count(*) from benchmarks.peer_benchmarks where naics_code = '991104'"
        ).fetchone()[0]  # type: ignore[index]
    with warehouse.connect("keel_app") as conn:  # no tenant chosen
        for relation in TENANT_RELATIONS:
            app_view_unscoped[relation] = conn.execute(f"select count(*) from {relation}").fetchone()[0]  # type: ignore[index]
    with warehouse.connect("admin") as conn:
        return Snapshot(
            result,
            app_view=app_view,
            app_view_unscoped=app_view_unscoped,
            app_published_991104=published,
            in_context=_rows(
                conn,
                "select * from metrics.monthly_revenue_in_context where tenant_id = any(%s) "
                "order by metric_month",
                ids,
            ),
            tenant_benchmarks=_rows(
                conn, "select * from benchmarks.tenant_benchmarks where tenant_id = any(%s)", ids
            ),
            profiles=_rows(conn, "select * from marts.business_profile where tenant_id = any(%s)", ids),
            # every published group of these months: the world's groups, and 'all' groups it shares
            peer_benchmarks=_rows(conn, f"select * from benchmarks.peer_benchmarks where {months}"),
            values=_rows(
                conn, "select * from staging.int_tenant_metric_values where tenant_id = any(%s)", ids
            ),
            components=_rows(
                conn, "select * from metrics.health_score_components where tenant_id = any(%s)", ids
            ),
            scores=_rows(conn, "select * from metrics.health_score where tenant_id = any(%s)", ids),
        )


def _insert(tenants: list[PeerTenant]) -> None:
    with warehouse.connect("keel_transformer") as conn:
        for tenant in tenants:
            conn.execute(INSERT_SQL, insert_params(tenant))


def _delete_metrics(tenants: list[PeerTenant]) -> None:
    with warehouse.connect("keel_transformer") as conn:
        conn.execute(
            "delete from metrics.business_metrics_daily where tenant_id = any(%s)",
            ([t.tenant_id for t in tenants],),
        )


@pytest.fixture(scope="session")
def peer_world(settings: KeelSettings, tmp_path_factory: pytest.TempPathFactory) -> PeerWorld:
    work_dir = tmp_path_factory.mktemp("peer_world")
    warehouse.write_dbt_profiles(work_dir / "profiles", settings)
    with warehouse.connect("admin") as conn:
        missing = [t for t in UPSTREAM if conn.execute("select to_regclass(%s)", (t,)).fetchone()[0] is None]  # type: ignore[index]
    if missing:  # a session that has not built the marts yet: build them (empty or not) first
        built = run_dbt(
            work_dir,
            "run",
            "--select",
            "+int_tenant_months",
            "+business_profile",
            "--exclude",
            "business_metrics_daily",
            "int_tenant_months+",
            "business_metrics_monthly+",
        )
        assert built.success, failures(built)
    for tenant in ALL:
        tenancy.create_tenant(
            tenant.slug,
            f"Peer {tenant.slug}",
            industry="peer test",
            naics_code=tenant.naics_code,
            size_band=tenant.size_band,
            region=tenant.region,
            country="US",
            opened_on=date(2015, 1, 1),
        )
    _delete_metrics(ALL)
    try:
        _insert(ALL)
        before = snapshot(run_dbt(work_dir, "build", "--select", *SELECTION))
        # LEAVER leaves Keel; IMPROVER halves its cost of goods in March
        _delete_metrics([LEAVER])
        with warehouse.connect("admin") as conn:
            conn.execute("delete from app.tenants where tenant_id = %s", (LEAVER.tenant_id,))
        with warehouse.connect("keel_transformer") as conn:
            conn.execute(
                "update metrics.business_metrics_daily set cogs = round(cogs / 2, 2), "
                "gross_margin = revenue_net - round(cogs / 2, 2) "
                "where tenant_id = %s and metric_date >= '2022-03-01'",
                (IMPROVER.tenant_id,),
            )
        after = snapshot(run_dbt(work_dir, "build", "--select", *SELECTION))
        return PeerWorld(before, after, work_dir)
    finally:
        # Nothing of the world stays for the session's other tests (metrics without marts would
        # fail the project's singular tests); the built tables hold it until the next build.
        _delete_metrics(ALL)
        with warehouse.connect("admin") as conn:
            conn.execute("delete from app.tenants where tenant_id = any(%s)", ([t.tenant_id for t in ALL],))
