"""Alerts that say what to do: triggers over the warehouse, an in-app inbox, and delivery through apprise.

- :mod:`coach.alerts.triggers` turns the tenant's goals, forecasts, health score, sources and data
  checks into :class:`~coach.alerts.model.Alert` objects, each saying what happened, why it matters for
  the owner's goals and what to do, with a link to the console page.
- :mod:`coach.alerts.inbox` keeps them in ``app.alerts``: one alert per cause until the cause changes.
- :mod:`coach.alerts.channels` keeps the tenant's apprise URLs (e-mail, Slack, Microsoft Teams,
  webhooks ...) encrypted, and :mod:`coach.alerts.delivery` sends the inbox to them: quiet hours,
  retries with back-off, every attempt recorded.
- :func:`coach.alerts.check.check_tenant` runs all of it for one tenant (the Dagster sensor and
  ``keel alerts check`` call it).

A library: no Dagster, no Streamlit. Every connection is the tenant's own ``keel_app`` login.
"""
