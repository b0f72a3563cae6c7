"""Definitions of the tenants domain: the sensor that keeps the tenant partitions in line with app.tenants."""

import dagster as dg

from orchestration.defs.tenants.partitions import tenant_partitions

defs = dg.Definitions(sensors=[tenant_partitions])
