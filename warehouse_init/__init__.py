"""Versioned, idempotent migrations that build Keel's warehouse: schemas, roles, tenancy tables,
row-level security and time partitioning. Applied with Alembic by ``keel init`` and, implicitly, by
any Keel process that connects (:func:`keel.warehouse.ensure_warehouse`)."""
