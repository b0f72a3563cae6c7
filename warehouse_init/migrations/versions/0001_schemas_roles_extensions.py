"""Schemas, login roles with least privilege, default privileges, and the vector extension.

Roles (cluster-wide, so created only when missing and re-asserted every time):
- keel_loader: dlt; creates and owns its raw_* schemas (and dlt's *_staging ones), nothing else.
- keel_transformer: dbt and ML assets; reads what the loader wrote, builds staging/marts/metrics/
  benchmarks/ml/coach tables, which it owns.
- keel_app: console and coach; reads marts/metrics/benchmarks/ml/coach and app tables, always under
  row-level security; writes only app and coach state tables granted to it table by table.
- keel_analyst: read-only on marts/metrics/benchmarks/ml, under row-level security too.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ROLES = ("keel_loader", "keel_transformer", "keel_app", "keel_analyst")
#: Schemas that dbt and the ML assets build, and who may read them besides the transformer.
BUILT_SCHEMAS = {
    "staging": (),
    "marts": ("keel_app", "keel_analyst"),
    "metrics": ("keel_app", "keel_analyst"),
    "benchmarks": ("keel_app", "keel_analyst"),
    "ml": ("keel_app", "keel_analyst"),
    "coach": ("keel_app",),
}


def upgrade() -> None:
    op.execute("create extension if not exists vector")

    for role in ROLES:
        # CREATE ROLE has no IF NOT EXISTS; a concurrent creator is fine too.
        op.execute(
            f"""
            do $$ begin
              create role {role} login;
            exception when duplicate_object then null;
            end $$;
            """
        )
        # Re-assert the attributes, so a role that someone widened by hand is narrowed again.
        op.execute(f"alter role {role} login nosuperuser nocreatedb nocreaterole noreplication nobypassrls")
    # Each role's own password is set by `keel init` after the migrations (keel.warehouse.apply_role_passwords).

    # Nobody but the owner creates objects in public (PostgreSQL 15+ default; older servers upgraded).
    op.execute("revoke create on schema public from public")
    op.execute(
        """
        do $$ begin
          execute format('revoke all on database %I from public', current_database());
          execute format('grant connect, temporary on database %I to keel_loader, keel_transformer, '
                         'keel_app, keel_analyst', current_database());
          -- dlt creates its dataset schemas (raw_<source>, raw_<source>_staging); dbt issues
          -- `create schema if not exists` for every schema it builds in.
          execute format('grant create on database %I to keel_loader, keel_transformer', current_database());
        end $$;
        """
    )

    for schema, readers in BUILT_SCHEMAS.items():
        op.execute(f"create schema if not exists {schema}")
        op.execute(f"grant usage, create on schema {schema} to keel_transformer")
        if readers:
            who = ", ".join(readers)
            op.execute(f"grant usage on schema {schema} to {who}")
            op.execute(
                f"alter default privileges for role keel_transformer in schema {schema} "
                f"grant select on tables to {who}"
            )
    op.execute("create schema if not exists app")
    op.execute("grant usage on schema app to keel_app, keel_transformer, keel_loader")

    # What the loader writes, the transformer may read, wherever dlt put it.
    op.execute("alter default privileges for role keel_loader grant usage on schemas to keel_transformer")
    op.execute("alter default privileges for role keel_loader grant select on tables to keel_transformer")


def downgrade() -> None:
    op.execute("alter default privileges for role keel_loader revoke select on tables from keel_transformer")
    op.execute("alter default privileges for role keel_loader revoke usage on schemas from keel_transformer")
    for schema, readers in BUILT_SCHEMAS.items():
        if readers:
            op.execute(
                f"alter default privileges for role keel_transformer in schema {schema} "
                f"revoke select on tables from {', '.join(readers)}"
            )
        op.execute(f"drop schema if exists {schema} cascade")
    op.execute("drop schema if exists app cascade")
    op.execute(
        """
        do $$ begin
          execute format('revoke all on database %I from keel_loader, keel_transformer, keel_app, '
                         'keel_analyst', current_database());
        end $$;
        """
    )
    # The roles are shared by every database on the server, so they stay.
