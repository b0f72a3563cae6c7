"""Keel's entry points: the ``keel`` command and the job runner behind ``keel demo`` and ``keel ui``."""
