"""Definitions of the alerts domain: the alert sensor."""

import dagster as dg

from orchestration.defs.alerts.sensors import keel_alerts

defs = dg.Definitions(sensors=[keel_alerts])
