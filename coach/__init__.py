"""The coach: LlamaIndex over the materialized assets, deterministic without an LLM."""
