"""Owners' file uploads: the column mappings they confirmed, and the log of what each upload did.

- ``app.file_mappings``: per tenant, kind of file (orders, customers, ...) and header signature (the
  file's headers, normalized and sorted, hashed), the mapping of Keel's fields to the file's columns
  the owner confirmed; the next file with the same headers reuses it without asking again.
- ``app.file_uploads``: one row per upload: file name, SHA-256 of its bytes, kind, rows read, loaded
  (new or changed), unchanged (already loaded with the same values), rejected (with row numbers and
  reasons), who uploaded it and when.

Both are tenant tables with row-level security like ``app.data_sources``: the console (``keel_app``,
as the tenant's own role) and the loader read and write them; a tenant sees only its own rows.
The rows themselves load into ``raw_files.<kind>`` through dlt, which creates those tables on the first
upload (staging reads a table not there yet as empty: dbt macro ``keel_source``).

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-06
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = ("app.file_mappings", "app.file_uploads")


def upgrade() -> None:
    op.execute(
        """
        create table if not exists app.file_mappings (
            tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
            kind text not null check (kind ~ '^[a-z][a-z_]{1,40}$'),
            header_signature text not null,
            columns jsonb not null,
            mapping jsonb not null,
            confirmed_by text,
            confirmed_at timestamptz not null default now(),
            primary key (tenant_id, kind, header_signature)
        );
        comment on table app.file_mappings is
            'Column mappings of uploaded files that an owner confirmed, per tenant, kind and headers';
        create table if not exists app.file_uploads (
            upload_id bigint generated always as identity primary key,
            tenant_id uuid not null references app.tenants (tenant_id) on delete cascade,
            file_name text not null,
            file_sha256 text,
            kind text not null,
            header_signature text not null,
            rows_read integer not null check (rows_read >= 0),
            rows_loaded integer not null check (rows_loaded >= 0),
            rows_unchanged integer not null default 0 check (rows_unchanged >= 0),
            rows_rejected integer not null check (rows_rejected >= 0),
            rejected_rows jsonb not null default '[]'::jsonb,
            uploaded_by text,
            uploaded_at timestamptz not null default now()
        );
        create index if not exists file_uploads_tenant_idx on app.file_uploads (tenant_id, uploaded_at);
        comment on table app.file_uploads is
            'Every file upload: rows read, loaded, unchanged and rejected (row numbers and reasons)';
        """
    )
    for table in TABLES:
        op.execute(f"select app.enable_tenant_isolation('{table}'::regclass)")
    op.execute(
        """
        grant select, insert, update, delete on app.file_mappings to keel_app;
        grant select, insert on app.file_uploads to keel_app;
        grant select, insert, update on app.file_mappings, app.file_uploads to keel_loader;
        """
    )


def downgrade() -> None:
    op.execute("drop table if exists app.file_uploads, app.file_mappings")
