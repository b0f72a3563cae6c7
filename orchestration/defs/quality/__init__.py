"""Data-quality checks: great-expectations suites run per tenant as Dagster asset checks."""
