"""Alerts that say what to do: the in-app inbox, the channels it is sent to, and every delivery attempt.

- ``app.alert_channels``: where a tenant's alerts go, as apprise URLs (``mailto://``, ``slack://``,
  ``msteams://``, ``json://`` ...). The URL holds secrets (tokens, passwords), so it is stored as a Fernet
  token (``keel.secrets``); ``url_masked`` is what the console shows back.
- ``app.alert_preferences``: per tenant, the quiet hours (local time of ``app.tenants.timezone``) during
  which nothing is sent (held, sent after), and the thresholds of the triggers.
- ``app.alerts``: the inbox. ``cause_key`` names the cause (a goal, a metric, a source ...),
  ``fingerprint`` its state; a cause raises a new alert only when its state differs from its latest
  alert's, or when that alert was resolved (the trigger stopped firing: ``resolved_at``). Each alert says
  what happened, why it matters and what to do, with a link to a console page; the owner acknowledges it.
- ``app.alert_forecast_marks``: the forecast for each coming day as it stood before the day's data
  arrived (``ml.forecasts`` keeps only the latest run, which starts after the latest actual day): the
  anomaly trigger compares each day's actual value with the 95% interval noted here.
- ``app.alert_deliveries``: every attempt to send an alert to a channel (sent or failed, with the
  error), and the holds of quiet hours; a failed attempt is retried with back-off and stays recorded.

All tenant tables under row-level security (``app.enable_tenant_isolation``, migrations 0003 and
0008); the console and the alert sensor write them as the tenant's own ``keel_app`` login.

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-06
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLES = (
    "app.alert_channels",
    "app.alert_preferences",
    "app.alerts",
    "app.alert_deliveries",
    "app.alert_forecast_marks",
)


def upgrade() -> None:
    op.execute(
        """
        create table if not exists app.alert_channels (
            channel_id uuid primary key default gen_random_uuid(),
            tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
            name text not null check (length(name) between 1 and 100),
            service text not null,
            url_encrypted bytea not null,
            url_masked text not null,
            is_enabled boolean not null default true,
            created_at timestamptz not null default now(),
            created_by text,
            unique (tenant_id, name)
        );
        comment on column app.alert_channels.url_encrypted is
            'Fernet token (keel.secrets) of the apprise URL, which holds the channel''s secrets; never plain';

        create table if not exists app.alert_preferences (
            tenant_id uuid primary key references app.tenants (tenant_id) on delete cascade,
            quiet_hours_start time,
            quiet_hours_end time,
            health_drop_points double precision not null default 5 check (health_drop_points > 0),
            source_freshness_hours integer not null default 48 check (source_freshness_hours > 0),
            updated_at timestamptz not null default now(),
            check ((quiet_hours_start is null) = (quiet_hours_end is null))
        );

        create table if not exists app.alerts (
            alert_id uuid primary key default gen_random_uuid(),
            tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
            cause_key text not null check (length(cause_key) between 1 and 300),
            fingerprint text not null,
            kind text not null check (kind in ('goal', 'anomaly', 'health', 'freshness', 'data_check')),
            severity text not null check (severity in ('info', 'warning', 'critical')),
            title text not null,
            what_happened text not null,
            why_it_matters text not null,
            what_to_do text not null,
            link text not null,
            detail jsonb not null default '{}'::jsonb,
            created_at timestamptz not null default now(),
            acknowledged_at timestamptz,
            acknowledged_by text,
            resolved_at timestamptz
        );
        create index if not exists alerts_inbox_idx on app.alerts (tenant_id, acknowledged_at, created_at desc);
        create index if not exists alerts_cause_idx on app.alerts (tenant_id, cause_key, created_at desc);

        create table if not exists app.alert_deliveries (
            delivery_id bigint generated always as identity primary key,
            tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
            alert_id uuid not null references app.alerts (alert_id) on delete cascade,
            channel_id uuid not null references app.alert_channels (channel_id) on delete cascade,
            attempt integer not null check (attempt >= 0),
            status text not null check (status in ('sent', 'failed', 'held')),
            error text,
            attempted_at timestamptz not null default now()
        );
        create index if not exists alert_deliveries_pair_idx
            on app.alert_deliveries (tenant_id, alert_id, channel_id, attempted_at);

        create table if not exists app.alert_forecast_marks (
            tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
            metric text not null,
            ds date not null,
            point double precision not null,
            lo_95 double precision not null,
            hi_95 double precision not null,
            run_id text not null,
            noted_at timestamptz not null default now(),
            primary key (tenant_id, metric, ds)
        );
        """
    )
    for table in TABLES:
        op.execute(f"select app.enable_tenant_isolation('{table}')")
    op.execute(
        """
        grant select, insert, update, delete on app.alert_channels to keel_app;
        grant select, insert, update, delete on app.alert_preferences to keel_app;
        grant select, insert, update (acknowledged_at, acknowledged_by, resolved_at) on app.alerts to keel_app;
        grant select, insert on app.alert_deliveries to keel_app;
        grant select, insert, update, delete on app.alert_forecast_marks to keel_app;
        """
    )


def downgrade() -> None:
    op.execute(
        "drop table if exists app.alert_forecast_marks, app.alert_deliveries, app.alerts, "
        "app.alert_preferences, app.alert_channels"
    )
