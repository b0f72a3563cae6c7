"""Keel's core: settings, the warehouse connection helper, tenancy, secrets and the ``keel`` CLI."""
