"""Versioned, idempotent migrations that build Keel's warehouse: schemas, roles, tenancy tables,
row-level security and time partitioning. Applied with Alembic by ``keel init`` (and `keel demo`'s set-up
step) through :func:`warehouse_init.migrate.prepare_warehouse`, the only code that connects as the
administrator besides ``keel db rotate-passwords`` and ``keel db url --tenant``."""
