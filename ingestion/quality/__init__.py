"""Data you can trust: great-expectations suites over each tenant's raw data and key marts.

Each source defines its suite next to it (``ingestion/sources/<source>/expectations.py``), the key marts
in :mod:`ingestion.quality.marts`: expectations on the rows (value ranges, currency, timezone, references
across resources and sources) and, for resources that should arrive every business day, on the tenant's
daily volume (no day missing beyond the days the business is usually closed, each day's count within the
range the tenant's own history predicts). :func:`run_suite` validates one tenant's data with
great-expectations; :func:`store_results` keeps results and failing rows in ``ml.quality_results`` /
``ml.quality_failures``; :func:`owner_summary` says what is wrong in an owner's words.

great-expectations takes seconds to import: only this package's run module imports it, and nothing the
console or the coach imports at start-up imports that module.
"""

from ingestion.quality.suites import Check, DailyVolume, Reference, ResourceSuite, SourceSuite
from ingestion.quality.words import owner_summary

__all__ = ["Check", "DailyVolume", "Reference", "ResourceSuite", "SourceSuite", "owner_summary"]
