"""The adversarial suite reuses the warehouse tests' two tenants (rows in every tenant-scoped table)."""

from tests.warehouse.conftest import two_tenants

__all__ = ["two_tenants"]
