"""The ingestion domain: dlt assets that load each source's raw_<source> tables for every tenant."""
