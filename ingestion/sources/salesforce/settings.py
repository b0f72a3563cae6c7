"""Salesforce: the CRM objects Keel loads, with their keys, cursors and write dispositions, and the REST
and Bulk API 2.0 endpoints, fields and defaults that the connector reads them with.

Every provider of salesforce records (the connector, the demo simulator) goes through these contracts.
SOQL has no ``SELECT *``: each object's fields are listed here, with the type each has in Salesforce's
describe, so that a Bulk API 2.0 CSV (where every value is text) is read back into the JSON types the
REST query endpoint sends.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Final, Literal

from ingestion.sources.spec import (
    MERGE_IMMUTABLE,
    MERGE_MUTABLE,
    ResourceSpec,
    SourceContract,
    tenant_resource,
)

resource = partial(tenant_resource, "salesforce")

#: Why every Salesforce object merges: deletions arrive as the same record with ``IsDeleted`` true.
_DELETED = "; a deleted record is merged again with IsDeleted = true (kept, marked deleted)"

RESOURCES: tuple[ResourceSpec, ...] = (
    resource(
        "campaigns",
        ("Id",),
        "SystemModstamp",
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (status, costs and dates are edited)" + _DELETED,
        (),
        "Marketing campaigns that leads and opportunities are attributed to.",
    ),
    resource(
        "accounts",
        ("Id",),
        "SystemModstamp",
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (a prospect becomes a customer: Type changes)" + _DELETED,
        (),
        "Companies: prospects and customers.",
    ),
    resource(
        "contacts",
        ("Id",),
        "SystemModstamp",
        "iso8601",
        "merge",
        MERGE_MUTABLE + _DELETED,
        (),
        "People at the accounts.",
    ),
    resource(
        "leads",
        ("Id",),
        "SystemModstamp",
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (status changes, conversion sets IsConverted)" + _DELETED,
        (),
        "Prospects not yet qualified; a converted lead points at its account, contact and opportunity.",
    ),
    resource(
        "opportunities",
        ("Id",),
        "SystemModstamp",
        "iso8601",
        "merge",
        MERGE_MUTABLE + " (stage, amount, probability and close date move until it closes)" + _DELETED,
        (),
        "Deals: amount, stage, probability, close date, won or lost.",
    ),
    resource(
        "opportunity_history",
        ("Id",),
        "SystemModstamp",
        "iso8601",
        "merge",
        MERGE_IMMUTABLE + " (one row per stage, amount or close date change)" + _DELETED,
        (),
        "Stage history: each change of an opportunity's stage, amount, probability or close date.",
    ),
)

#: Per resource: the Salesforce object it is read from.
OBJECTS: Final[dict[str, str]] = {
    "campaigns": "Campaign",
    "accounts": "Account",
    "contacts": "Contact",
    "leads": "Lead",
    "opportunities": "Opportunity",
    "opportunity_history": "OpportunityHistory",
}

FieldType = Literal["id", "string", "double", "int", "boolean", "date", "datetime"]

_AUDIT: dict[str, FieldType] = {
    "CreatedDate": "datetime",
    "LastModifiedDate": "datetime",
    "SystemModstamp": "datetime",
    "IsDeleted": "boolean",
}

#: Per object, the fields Keel asks for and their types (Salesforce's describe: currency and percent
#: fields are doubles). Standard fields only, so the same query works in every org and edition.
FIELDS: Final[dict[str, dict[str, FieldType]]] = {
    "Campaign": {
        "Id": "id",
        "Name": "string",
        "Type": "string",
        "Status": "string",
        "StartDate": "date",
        "EndDate": "date",
        "BudgetedCost": "double",
        "ActualCost": "double",
        "ExpectedRevenue": "double",
        "IsActive": "boolean",
        "OwnerId": "id",
        **_AUDIT,
    },
    "Account": {
        "Id": "id",
        "Name": "string",
        "Type": "string",
        "Industry": "string",
        "BillingCity": "string",
        "BillingState": "string",
        "BillingCountry": "string",
        "AnnualRevenue": "double",
        "NumberOfEmployees": "int",
        "AccountSource": "string",
        "OwnerId": "id",
        **_AUDIT,
    },
    "Contact": {
        "Id": "id",
        "AccountId": "id",
        "FirstName": "string",
        "LastName": "string",
        "Email": "string",
        "Title": "string",
        "LeadSource": "string",
        "OwnerId": "id",
        **_AUDIT,
    },
    "Lead": {
        "Id": "id",
        "FirstName": "string",
        "LastName": "string",
        "Company": "string",
        "Email": "string",
        "Status": "string",
        "LeadSource": "string",
        "IsConverted": "boolean",
        "ConvertedDate": "date",
        "ConvertedAccountId": "id",
        "ConvertedContactId": "id",
        "ConvertedOpportunityId": "id",
        "OwnerId": "id",
        **_AUDIT,
    },
    "Opportunity": {
        "Id": "id",
        "AccountId": "id",
        "CampaignId": "id",
        "Name": "string",
        "Type": "string",
        "LeadSource": "string",
        "StageName": "string",
        "ForecastCategory": "string",
        "Amount": "double",
        "Probability": "double",
        "ExpectedRevenue": "double",
        "IsClosed": "boolean",
        "IsWon": "boolean",
        "CloseDate": "date",
        "OwnerId": "id",
        **_AUDIT,
    },
    "OpportunityHistory": {
        "Id": "id",
        "OpportunityId": "id",
        "StageName": "string",
        "ForecastCategory": "string",
        "Amount": "double",
        "ExpectedRevenue": "double",
        "Probability": "double",
        "CloseDate": "date",
        "CreatedById": "id",
        "CreatedDate": "datetime",
        "SystemModstamp": "datetime",
        "IsDeleted": "boolean",
    },
}
#: Objects that carry CurrencyIsoCode in an org with multiple currencies enabled (the setting
#: ``multi_currency``); in other orgs asking for the field is an INVALID_FIELD error.
CURRENCY_OBJECTS: Final = frozenset({"Campaign", "Account", "Opportunity", "OpportunityHistory"})

#: The REST API version asked for unless a source's settings name another (Salesforce supports each
#: version for years; v62.0 is Winter '25).
API_VERSION: Final = "62.0"
#: Where the OAuth endpoints live: production orgs and Developer Edition; sandboxes use test.salesforce.com.
LOGIN_URL: Final = "https://login.salesforce.com"
#: The connected app's Callback URL Keel listens on for an owner's approval (web server flow); it must be
#: registered with the app exactly so.
REDIRECT_URI: Final = "http://localhost:1717/OauthRedirect"
#: Scopes Keel asks for in the web server flow: the REST/Bulk APIs, and a refresh token to keep loading.
SCOPES: Final = ("api", "refresh_token")
#: How far before the latest loaded SystemModstamp each run asks again: a transaction that commits
#: late can carry a SystemModstamp before records already read. Merging on Id makes the overlap harmless.
LOOKBACK: Final = timedelta(minutes=15)
#: Records a REST query page holds (Salesforce's default and the most it sends for most queries).
QUERY_BATCH_SIZE: Final = 2000
#: An object with at least this many records to read goes through a Bulk API 2.0 query job (one job,
#: CSV pages of up to ``BULK_PAGE_RECORDS``) rather than 2,000-record REST pages: fewer API calls.
BULK_THRESHOLD: Final = 50_000
BULK_PAGE_RECORDS: Final = 50_000
#: Seconds between polls of a Bulk API 2.0 job's state, and how long a job may take.
BULK_POLL_SECONDS: Final = 2.0
BULK_TIMEOUT_SECONDS: Final = 3600.0
#: Share of the org's daily API allowance (``Sforce-Limit-Info: api-usage=used/max``) above which a
#: load slows down, and above which it stops, leaving the rest to the owner's other integrations.
API_SLOW_DOWN_SHARE: Final = 0.8
API_STOP_SHARE: Final = 0.9
#: Seconds a load waits between calls once it has slowed down.
API_SLOW_DOWN_SECONDS: Final = 1.0

#: What every record must satisfy before it loads (checked by field name; ingestion.contracts).
CONTRACT = SourceContract(
    numeric=frozenset(
        {
            "Amount",
            "Probability",
            "ExpectedRevenue",
            "AnnualRevenue",
            "NumberOfEmployees",
            "BudgetedCost",
            "ActualCost",
        }
    ),
    non_negative=frozenset(
        {"Probability", "NumberOfEmployees", "BudgetedCost", "ActualCost", "AnnualRevenue", "Amount"}
    ),
    currency=frozenset({"CurrencyIsoCode"}),
)
