"""Keel's core: settings, the warehouse connection helper, tenancy, secrets and errors.

The bottom layer: it imports no other Keel package (the ``keel`` command lives in ``cli/``; the
allowed import directions are drawn in docs/architecture.md and checked by tests/test_project_rules.py).
"""
