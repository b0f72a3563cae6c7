"""Alembic environment: one transaction for the whole upgrade, serialized by an advisory lock.

PostgreSQL's DDL is transactional, so an upgrade that fails half-way leaves the database at the
version it started from. The advisory lock makes concurrent Keel processes (Dagster, Streamlit, the
CLI) that all try to migrate at start-up wait for each other instead of racing.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from keel.warehouse import sqlalchemy_url

config = context.config
url = config.attributes.get("url") or sqlalchemy_url("admin", config.attributes.get("settings"))

engine = create_engine(url, poolclass=NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        connection.execute(text("select pg_advisory_xact_lock(hashtext('keel.warehouse_init'))"))
        context.run_migrations()
