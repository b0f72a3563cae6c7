"""Dagster orchestration: every part of Keel as an asset in one lineage graph.

``definitions.py`` is thin; each domain folder under ``defs/`` owns its assets, resources, partitions,
schedules and sensors.
"""
