"""The tenants domain: every business Keel serves is a partition of the per-tenant assets."""
