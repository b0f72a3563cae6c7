"""Ingestion: dlt sources that load SMB data (and the demo simulator) into raw_<source> schemas."""
