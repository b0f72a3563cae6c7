"""Keel's HTTP API: what the console serves, for other clients (spreadsheets, automations, accountants).

FastAPI, versioned under ``/v1``, documented at ``/docs`` (OpenAPI at ``/openapi.json``); JSON, and CSV for
tabular endpoints on request (``Accept: text/csv`` or ``?format=csv``). Every request acts for the user of a
personal access token (``keel token create``) or, where configured, of an identity provider's bearer token,
and runs its queries as that user's tenant through :func:`keel.warehouse.connect` (``keel_app``, tenant
login): the database decides what it may see. The reads are :mod:`serving.readers`, shared with the
console; the writes go through the same libraries as the console and the CLI (``coach.goals``,
``coach.interventions``, ``coach.alerts.inbox``, ``keel.tenancy``). No Dagster, no Streamlit.
"""
