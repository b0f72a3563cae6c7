"""Domain folders of Keel's Dagster code location (warehouse today; ingestion, dbt, ml, coach later)."""
