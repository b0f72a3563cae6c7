"""The Salesforce client: OAuth 2.0 tokens (web server flow with refresh, JWT bearer flow), SOQL through the
REST query endpoint page by page, and Bulk API 2.0 query jobs for large objects, within the org's daily
API allowance.

Requests go through dlt's retrying session (``dlt.sources.helpers.requests.Client``): timeouts, dropped
connections, 429 and 5xx answers are retried with exponential back-off, and so is Salesforce's
``403 REQUEST_LIMIT_EXCEEDED`` (too many concurrent long requests, or the org over its allowance). The
access token travels in the ``Authorization`` header only, never in a URL, so logs and error messages
cannot show it.

Authentication: the token endpoint (``/services/oauth2/token`` on the login host) gives an access token
and the org's ``instance_url``, where every API call goes. The web server flow's consent, code exchange
and refresh go through Keel's generic authorization-code flow (:mod:`ingestion.sources.oauth`, with
:func:`oauth_provider`); the JWT bearer grant, which that module does not make, is signed here. An
access token expires after the org's session timeout: an API call then answers ``401
INVALID_SESSION_ID``, and the client gets a new token once (a refresh-token grant, or a new signed JWT
assertion) and asks again. The token endpoint refusing
(``invalid_grant``: the refresh token was revoked, the user has not approved the app, the certificate
changed) raises :class:`ConnectorAuthError`: the owner must reconnect Salesforce.

API allowance: every answer carries ``Sforce-Limit-Info: api-usage=<used>/<max>`` (calls in the last 24
hours, for the whole org). Past ``API_SLOW_DOWN_SHARE`` of it the client waits between calls; past
``API_STOP_SHARE`` it stops with :class:`SalesforceApiLimitError`, which says so in the load's result,
so Keel never uses up what the owner's other tools need; the next run after the allowance recovers
carries on from the loaded cursor.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import logging
import re
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client.redaction import sanitize_url

from ingestion.sources.connector import ConnectorAuthError
from ingestion.sources.oauth import OAuthClient, OAuthProvider, refresh_tokens

from .settings import (
    API_SLOW_DOWN_SECONDS,
    API_SLOW_DOWN_SHARE,
    API_STOP_SHARE,
    API_VERSION,
    BULK_PAGE_RECORDS,
    BULK_POLL_SECONDS,
    BULK_TIMEOUT_SECONDS,
    LOGIN_URL,
    SCOPES,
    FieldType,
)

log = logging.getLogger(__name__)

LIMIT_HEADER: Final = "Sforce-Limit-Info"
LOCATOR_HEADER: Final = "Sforce-Locator"
JWT_GRANT: Final = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: How long a signed JWT assertion is valid: Salesforce accepts at most 3 minutes from now.
JWT_LIFETIME_SECONDS: Final = 180
#: How much of a bad body an error message keeps.
BODY_CHARS: Final = 300

_API_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class SalesforceApiError(requests.HTTPError):
    """Salesforce answered with an error status (after the retries that 429, 5xx and
    REQUEST_LIMIT_EXCEEDED get), or a Bulk API job failed."""


class SalesforcePayloadError(ValueError):
    """Salesforce answered 200 with something that is not the documented JSON (for example cut off)."""


class SalesforceApiLimitError(RuntimeError):
    """The org has used so much of its daily API allowance that Keel stopped loading to leave the rest."""


def _errors(response: requests.Response) -> tuple[str, str]:
    """(errorCode, message) of an API error: ``[{"message", "errorCode"}]`` or OAuth's
    ``{"error", "error_description"}``; ("", text) for anything else."""
    try:
        document = response.json()
    except ValueError:
        return "", response.text[:BODY_CHARS].strip() or response.reason or "no message"
    if isinstance(document, list) and document and isinstance(document[0], dict):
        return str(document[0].get("errorCode") or ""), str(document[0].get("message") or "")
    if isinstance(document, dict):
        if "error" in document:
            return str(document.get("error") or ""), str(document.get("error_description") or "")
        if "errorCode" in document:
            return str(document.get("errorCode") or ""), str(document.get("message") or "")
    return "", response.text[:BODY_CHARS].strip()


def should_retry(response: requests.Response | None, exception: BaseException | None) -> bool:
    """Also retry ``403 REQUEST_LIMIT_EXCEEDED`` (429, 5xx and timeouts are retried by the session)."""
    if response is None or response.status_code != 403:
        return False
    return _errors(response)[0] == "REQUEST_LIMIT_EXCEEDED"


def api_usage(header: str | None) -> tuple[int, int] | None:
    """(calls used, daily allowance) from ``Sforce-Limit-Info: api-usage=18/15000``; None if absent."""
    match = _API_USAGE.search(header or "")
    if not match:
        return None
    return int(match.group(1)), int(match.group(2))


def retrying_session(timeout: float, max_attempts: int, backoff_factor: float) -> requests.Session:
    """dlt's retrying session: 429, 5xx, REQUEST_LIMIT_EXCEEDED, timeouts and dropped connections."""
    return Client(
        raise_for_status=False,  # the client raises, with Salesforce's own error code and message
        request_timeout=timeout,
        request_max_attempts=max_attempts,
        request_backoff_factor=backoff_factor,
        request_max_retry_delay=60.0,
        respect_retry_after_header=True,
        retry_condition=should_retry,
    ).session


# -- OAuth 2.0 ------------------------------------------------------------------------------------------


def oauth_provider(login_url: str = LOGIN_URL) -> OAuthProvider:
    """Salesforce's authorization server on ``login_url`` for Keel's generic authorization-code flow
    (:mod:`ingestion.sources.oauth`): client id and secret in the form body, ``prompt=login consent`` so
    a reconnect shows the approval again."""
    root = login_url.rstrip("/")
    return OAuthProvider(
        title="Salesforce",
        authorize_url=f"{root}/services/oauth2/authorize",
        token_url=f"{root}/services/oauth2/token",
        scopes=SCOPES,
        client_auth="body",
        revoke_url=f"{root}/services/oauth2/revoke",
        revoke_format="form",
        authorize_params={"prompt": "login consent"},
    )


_PEM = re.compile(r"^(-----BEGIN [A-Z ]+-----)(.*?)(-----END [A-Z ]+-----)$", re.DOTALL)


def pem_lines(text: str) -> str:
    """A PEM key with its line breaks back: a one-line form field (the console) joins them with spaces."""
    match = _PEM.match(text.strip())
    if not match:
        return text
    body = re.sub(r"\s+", "", match.group(2))
    return "\n".join(
        [match.group(1), *(body[i : i + 64] for i in range(0, len(body), 64)), match.group(3), ""]
    )


def jwt_assertion(client_id: str, username: str, private_key_pem: str, audience: str, now: float) -> str:
    """A JWT bearer assertion signed with the connected app's certificate key (RS256): issuer the
    consumer key, subject the Salesforce user name, audience the login host, valid three minutes."""
    try:
        key = serialization.load_pem_private_key(pem_lines(private_key_pem).encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ConnectorAuthError(
            "The private key stored for Salesforce's server-to-server connection is not an unencrypted "
            f"PEM RSA key ({exc}). Reconnect Salesforce with the key of the connected app's certificate."
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConnectorAuthError(
            "The private key stored for Salesforce is not an RSA key; Salesforce signs with RS256. "
            "Reconnect Salesforce with the RSA key of the connected app's certificate."
        )

    def part(value: Mapping[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    claims = {"iss": client_id, "sub": username, "aud": audience, "exp": int(now) + JWT_LIFETIME_SECONDS}
    signing_input = f"{part({'alg': 'RS256'})}.{part(claims)}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def jwt_audience(login_url: str) -> str:
    """The ``aud`` of a JWT bearer assertion: Salesforce accepts its login hosts, not a My Domain, even
    when the token request goes to the My Domain (a sandbox's, ``.sandbox.my.salesforce.com``, is
    test.salesforce.com)."""
    host = urlsplit(login_url).netloc.lower()
    if host.endswith(".sandbox.my.salesforce.com"):
        return "https://test.salesforce.com"
    if host.endswith(".my.salesforce.com"):
        return LOGIN_URL
    return login_url.rstrip("/")


@dataclass
class Token:
    """What the token endpoint gave: the access token and the org's own host for API calls."""

    access_token: str
    instance_url: str
    refresh_token: str | None = None


def _token_request(session: requests.Session, login_url: str, form: Mapping[str, str], what: str) -> Token:
    """POST the token endpoint with a JWT bearer assertion (a grant :mod:`ingestion.sources.oauth` does not
    make); :class:`ConnectorAuthError` when Salesforce refuses it."""
    url = f"{login_url.rstrip('/')}/services/oauth2/token"
    response = session.post(url, data=dict(form), headers={"Accept": "application/json"})
    if response.status_code in (400, 401, 403):
        code, message = _errors(response)
        raise ConnectorAuthError(
            f"Salesforce refused Keel's {what} ({code or response.status_code}: {message}). The "
            "connection needs reconnecting: connect Salesforce again from the console's Your data page "
            "or with `keel source add salesforce`."
        )
    if response.status_code >= 400:
        code, message = _errors(response)
        raise SalesforceApiError(
            f"Salesforce's token endpoint answered {response.status_code}: {code} {message}".strip(),
            response=response,
        )
    try:
        document = response.json()
    except ValueError:
        raise SalesforcePayloadError("Salesforce's token endpoint did not answer JSON") from None
    token = document.get("access_token") if isinstance(document, dict) else None
    instance = document.get("instance_url") if isinstance(document, dict) else None
    if not isinstance(token, str) or not isinstance(instance, str):
        raise SalesforcePayloadError("Salesforce's token answer has no access_token or instance_url")
    refresh = document.get("refresh_token")
    return Token(token, instance.rstrip("/"), refresh if isinstance(refresh, str) else None)


class SalesforceAuth:
    """Gets and renews one org's access token, by the refresh-token grant or by the JWT bearer flow."""

    def __init__(
        self,
        session: requests.Session,
        *,
        flow: str,
        login_url: str,
        client_id: str,
        client_secret: str | None = None,
        refresh_token: str | None = None,
        username: str | None = None,
        private_key: str | None = None,
        access_token: str | None = None,
        instance_url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if flow not in ("web_server", "jwt_bearer"):
            raise ValueError(f"unknown Salesforce flow {flow!r}")
        self.session = session
        self.flow = flow
        self.login_url = login_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.username = username
        self.private_key = private_key
        self.clock = clock
        self.token: Token | None = (
            Token(access_token, instance_url.rstrip("/")) if access_token and instance_url else None
        )
        self.renewals = 0

    def current(self) -> Token:
        if self.token is None:
            self.renew()
        assert self.token is not None
        return self.token

    def renew(self) -> Token:
        """A new access token (and the instance URL the org answers on)."""
        self.renewals += 1
        if self.flow == "web_server":
            try:
                granted = refresh_tokens(
                    oauth_provider(self.login_url),
                    OAuthClient(self.client_id, self.client_secret or ""),
                    self.refresh_token,
                    session=self.session,
                )
            except ConnectorAuthError as exc:
                raise ConnectorAuthError(
                    f"{exc} The connection needs reconnecting: connect Salesforce again from the console's "
                    "Your data page or with `keel source add salesforce`."
                ) from None
            instance = granted.extra.get("instance_url")
            if not instance:
                raise SalesforcePayloadError("Salesforce's token answer has no instance_url")
            token = Token(granted.access_token, instance.rstrip("/"), granted.refresh_token)
        else:
            assertion = jwt_assertion(
                self.client_id,
                self.username or "",
                self.private_key or "",
                jwt_audience(self.login_url),
                self.clock(),
            )
            form = {"grant_type": JWT_GRANT, "assertion": assertion}
            token = _token_request(self.session, self.login_url, form, "JWT sign-in")
        if token.refresh_token:  # an org with refresh token rotation issues a new one on every refresh
            self.refresh_token = token.refresh_token
        self.token = token
        return token


# -- the APIs -------------------------------------------------------------------------------------------


@dataclass
class ApiUsage:
    """The org's API calls in the last 24 hours, as the latest answer reported them."""

    used: int = 0
    allowance: int = 0
    slowed: bool = False

    @property
    def share(self) -> float:
        return self.used / self.allowance if self.allowance else 0.0


class SalesforceClient:
    """Reads one org's REST and Bulk 2.0 APIs; one instance per load."""

    def __init__(
        self,
        auth: SalesforceAuth,
        *,
        api_version: str = API_VERSION,
        slow_down_share: float = API_SLOW_DOWN_SHARE,
        stop_share: float = API_STOP_SHARE,
        slow_down_seconds: float = API_SLOW_DOWN_SECONDS,
        bulk_page_records: int = BULK_PAGE_RECORDS,
        bulk_poll_seconds: float = BULK_POLL_SECONDS,
        bulk_timeout_seconds: float = BULK_TIMEOUT_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.auth = auth
        self.session = auth.session
        self.api_version = api_version
        self.slow_down_share = slow_down_share
        self.stop_share = stop_share
        self.slow_down_seconds = slow_down_seconds
        self.bulk_page_records = bulk_page_records
        self.bulk_poll_seconds = bulk_poll_seconds
        self.bulk_timeout_seconds = bulk_timeout_seconds
        self.sleep = sleep
        self.usage = ApiUsage()
        self.last_total_size = 0  # totalSize of the latest query's first page

    @property
    def data_path(self) -> str:
        return f"/services/data/v{self.api_version}"

    # -- one call ----------------------------------------------------------------------------------

    def _pace(self) -> None:
        """Before a call: stop, or slow down, by the allowance the last answer reported."""
        usage = self.usage
        if not usage.allowance:
            return
        if usage.share >= self.stop_share:
            raise SalesforceApiLimitError(
                f"Salesforce's daily API allowance is nearly used up ({usage.used:,} of {usage.allowance:,} "
                f"calls in the last 24 hours); Keel stopped loading at {self.stop_share:.0%} so your other "
                "tools keep working. The next load, once the allowance has recovered, carries on from here."
            )
        if usage.share >= self.slow_down_share:
            if not usage.slowed:
                log.warning(
                    "Salesforce API usage %s of %s: slowing down to one call every %.1f s",
                    usage.used,
                    usage.allowance,
                    self.slow_down_seconds,
                )
                usage.slowed = True
            self.sleep(self.slow_down_seconds)

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        accept: str = "application/json",
    ) -> requests.Response:
        """One API call with the current token; a 401 INVALID_SESSION_ID renews the token once."""
        for attempt in (1, 2):
            self._pace()
            token = self.auth.current()
            url = path_or_url if "://" in path_or_url else f"{token.instance_url}{path_or_url}"
            response = self.session.request(
                method,
                url,
                params=dict(params) if params else None,
                json=json_body,
                headers={"Authorization": f"Bearer {token.access_token}", "Accept": accept},
            )
            usage = api_usage(response.headers.get(LIMIT_HEADER))
            if usage is not None:
                self.usage.used, self.usage.allowance = usage
            if response.status_code == 401 and attempt == 1:
                log.info("Salesforce session expired or invalid: getting a new access token")
                self.auth.renew()
                continue
            self._check(response)
            return response
        raise AssertionError("unreachable")

    def _check(self, response: requests.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        url = sanitize_url(response.url)
        code, message = _errors(response)
        if status == 401 or (status == 403 and code in ("INSUFFICIENT_ACCESS", "API_DISABLED_FOR_ORG")):
            raise ConnectorAuthError(
                f"Salesforce refused Keel's access ({status} {code}: {message}). The connection needs "
                "reconnecting, by a user whose profile has 'API Enabled' and read access to accounts, "
                "contacts, leads, campaigns and opportunities."
            )
        if code == "REQUEST_LIMIT_EXCEEDED":
            raise SalesforceApiLimitError(
                f"Salesforce refused more API calls ({message}); Keel tried again with growing pauses. "
                "The next load, once the org's allowance has recovered, carries on from here."
            )
        raise SalesforceApiError(
            f"Salesforce answered {status} {code} for {url}: {message}", response=response
        )

    def _json(self, response: requests.Response) -> dict[str, Any]:
        try:
            document = response.json()
        except ValueError:
            raise SalesforcePayloadError(  # no part of the body: it may hold people's details
                f"Salesforce's answer for {sanitize_url(response.url)} is not complete JSON "
                f"({len(response.content)} bytes); the load stops here and the next run resumes"
            ) from None
        if not isinstance(document, dict):
            raise SalesforcePayloadError(
                f"Salesforce's answer for {sanitize_url(response.url)} is not an object"
            )
        return document

    # -- REST query --------------------------------------------------------------------------------

    def query(self, soql: str, *, include_deleted: bool = False) -> Generator[list[Any], None, None]:
        """The records of a SOQL query, one list per page, following ``nextRecordsUrl``; ``queryAll``
        (deleted and archived records too) when ``include_deleted``."""
        endpoint = "queryAll" if include_deleted else "query"
        response = self.request("GET", f"{self.data_path}/{endpoint}", params={"q": soql})
        first = True
        while True:
            document = self._json(response)
            if first:
                total = document.get("totalSize")
                self.last_total_size = total if isinstance(total, int) and not isinstance(total, bool) else 0
                first = False
            records = document.get("records")
            done = document.get("done")
            if not isinstance(records, list) or not isinstance(done, bool):
                raise SalesforcePayloadError(
                    f"Salesforce's query page from {sanitize_url(response.url)} has no records list "
                    "or no done flag"
                )
            yield [_without_attributes(record) for record in records]
            next_url = document.get("nextRecordsUrl")
            if done or not next_url:
                return
            response = self.request("GET", str(next_url))

    # -- Bulk API 2.0 ------------------------------------------------------------------------------

    def bulk_query(self, soql: str, fields: Mapping[str, FieldType]) -> Iterator[list[dict[str, Any]]]:
        """The records of a SOQL query through a Bulk API 2.0 query job: create it, wait for
        ``JobComplete``, read the CSV results page by page (``Sforce-Locator``), typed as the REST API
        would send them. A job that fails raises :class:`SalesforceApiError` with Salesforce's message."""
        jobs = f"{self.data_path}/jobs/query"
        created = self._json(
            self.request(
                "POST",
                jobs,
                json_body={"operation": "query", "query": soql, "contentType": "CSV", "lineEnding": "LF"},
            )
        )
        job_id = created.get("id")
        if not isinstance(job_id, str):
            raise SalesforcePayloadError("Salesforce's new bulk query job has no id")
        started = time.monotonic()
        while True:
            job = self._json(self.request("GET", f"{jobs}/{job_id}"))
            state = job.get("state")
            if state == "JobComplete":
                break
            if state in ("Failed", "Aborted"):
                raise SalesforceApiError(
                    f"Salesforce's bulk query job {job_id} {str(state).lower()}: "
                    f"{job.get('errorMessage') or 'no message'}"
                )
            if time.monotonic() - started > self.bulk_timeout_seconds:
                raise SalesforceApiError(f"Salesforce's bulk query job {job_id} did not finish in time")
            self.sleep(self.bulk_poll_seconds)
        locator: str | None = None
        while True:
            params: dict[str, Any] = {"maxRecords": self.bulk_page_records}
            if locator:
                params["locator"] = locator
            response = self.request("GET", f"{jobs}/{job_id}/results", params=params, accept="text/csv")
            yield read_csv(response.text, fields)
            locator = response.headers.get(LOCATOR_HEADER)
            if not locator or locator == "null":
                return


def _without_attributes(record: Any) -> Any:
    """A record without its ``attributes`` (its type and URL: what Keel knows already)."""
    if isinstance(record, dict) and "attributes" in record:
        return {key: value for key, value in record.items() if key != "attributes"}
    return record


def read_csv(text: str, fields: Mapping[str, FieldType]) -> list[dict[str, Any]]:
    """Bulk API 2.0 CSV rows as the REST API's JSON records: empty means null; booleans, numbers and
    integers typed by the object's describe. A value that does not parse stays text (the loader's
    contract check sets such a record aside)."""
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        record: dict[str, Any] = {}
        for name, raw in row.items():
            if name is None:
                continue
            record[name] = _typed(raw, fields.get(name, "string"))
        rows.append(record)
    return rows


def _typed(raw: str | None, kind: FieldType) -> Any:
    if raw is None or raw == "":
        return None
    try:
        if kind == "boolean":
            return {"true": True, "false": False}[raw.lower()]
        if kind == "double":
            return float(raw)
        if kind == "int":
            return int(float(raw))
    except (KeyError, ValueError):
        return raw
    return raw


def soql_datetime(moment: datetime) -> str:
    """A SOQL datetime literal (UTC, no quotes): ``2025-01-15T10:30:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def instance_host(url: str) -> str:
    """The host of an instance URL, for messages (``acme.my.salesforce.com``)."""
    return urlsplit(url).netloc or url
