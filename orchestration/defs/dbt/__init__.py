"""The dbt domain: every dbt model is an asset, every dbt test an asset check."""
