"""Models: pure-Python forecasting, evidence (causal inference) and optimization; no Dagster here."""
