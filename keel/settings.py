"""Keel's one settings object: everything a user can configure, read from the environment.

No other module reads ``os.environ``; they call :func:`get_settings`. Variables are ``KEEL_*``
plus the conventional ``DATABASE_URL``. A ``.env`` file in the working directory is read too.
"""

from __future__ import annotations

import hashlib
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The roles Keel's components log in as (created by ``warehouse_init``), and who uses each.
ROLES: dict[str, str] = {
    "keel_loader": "dlt ingestion: writes raw_* schemas",
    "keel_transformer": "dbt and ML assets: reads raw, writes staging/marts/metrics/benchmarks/ml",
    "keel_app": "console and coach: reads marts/ml under row-level security, writes app/coach state",
    "keel_analyst": "analysts: read-only marts under row-level security",
    "keel_auth": "console sign-in only: checks passwords, throttles guessing, keeps sessions (functions)",
}


class KeelSettings(BaseSettings):
    """Configuration for every Keel process (CLI, dlt, dbt, Dagster, Streamlit)."""

    model_config = SettingsConfigDict(
        env_prefix="KEEL_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "KEEL_DATABASE_URL"),
        description=(
            "PostgreSQL 15+ server with pgvector, as an admin user that may create roles and schemas. "
            "Unset: Keel starts its own embedded PostgreSQL under KEEL_HOME."
        ),
    )
    home: Path = Field(
        default=Path(".keel"),
        description="Where Keel keeps local state: the embedded database, the secret key, Dagster's home.",
    )
    database_name: str = Field(
        default="keel",
        description="Database that holds the warehouse on the embedded server.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description=(
            "Fernet key that encrypts connector secrets at rest. Unset: one is generated once under "
            "KEEL_HOME/secret.key (mode 0600). Several keys, comma separated, rotate: the first encrypts."
        ),
    )
    role_password: SecretStr | None = Field(
        default=None,
        description=(
            "Secret from which every Keel role's own password is derived (HMAC per role name). Required "
            "with DATABASE_URL, so every machine that runs Keel derives the same passwords; change it and "
            "run `keel db rotate-passwords` to rotate them. Unset on the embedded server: a random secret "
            "is kept in KEEL_HOME/role.key (mode 0600) and `keel db rotate-passwords` replaces it."
        ),
    )
    debug: bool = Field(default=False, description="Show full tracebacks from the CLI.")
    demo_seed: int = Field(default=42, ge=0, description="Seed of the demo businesses' simulator.")
    demo_tenants: list[str] = Field(
        default_factory=list,
        description="Demo tenant slugs to simulate and load (empty: all of them). A smaller demo for trials.",
    )
    demo_start: date | None = Field(
        default=None,
        description="First simulated day of the demo (default: the simulator's, three years back).",
    )
    demo_peer_copies: int = Field(
        default=4,
        ge=0,
        le=1000,
        description=(
            "Benchmark peers per demo business: lighter-weight copies (same trade, size and place; their own "
            "seed, name and id; a shorter history; no owners, forecasts, evidence or plans) so every demo "
            "industry has a like-for-like peer group of at least 5 businesses. 0: none."
        ),
    )
    demo_scale: int = Field(
        default=1,
        ge=1,
        le=1000,
        description=(
            "How many times each selected demo business is in the demo (the growth benchmark's knob): "
            "copies 2..N are full-weight tenants of their own (same trade, size and place; their own seed, "
            "name, id, owner login, forecasts, evidence and plans), slugs `<slug>-x<n>`. 1: the demo as is."
        ),
    )
    demo_peer_history_days: int = Field(
        default=75,
        ge=1,
        description=(
            "Days of history the demo's benchmark peers get (the last ones of the demo's range): two "
            "complete calendar months when the range ends on a month's last day, enough for the latest "
            "month's benchmarks and growth."
        ),
    )
    demo_end: date | None = Field(
        default=None,
        description="Last simulated day of the demo businesses (default: the simulator's fixed end date). "
        "Moving it forward and loading again loads only the new and changed records.",
    )

    # 2 by default, one per core of a small machine: each tenant's pipeline stages its merges in a schema of
    # its own (ingestion.loader.staging_dataset_name), so two tenants' merges never touch each other's rows
    # (through one shared staging schema, a full demo lost a tenant's bill payments and purchases), and a
    # load whose table creation races another's is loaded again (tests/ingestion/test_parallel_loads.py).
    parallel_tenants: int = Field(
        default=2,
        ge=1,
        le=64,
        description=(
            "Tenants whose loads run at the same time: the size of `keel demo`'s pool of tenant runs and "
            "the limit of Dagster's keel_tenant_loads pool (runs the schedules launch), which protects "
            "the warehouse from too many writers at once. One per CPU core is a good start; each load "
            "also keeps a PostgreSQL connection busy."
        ),
    )

    failed_load_retention_days: int = Field(
        default=7,
        ge=0,
        description=(
            "dlt load packages that finished with failed jobs (copies of tenants' records) are kept this "
            "many days for a look at what failed, then deleted. Completed packages are deleted at once; "
            "packages not loaded yet stay until the next run loads them."
        ),
    )
    rejected_record_retention_days: int = Field(
        default=30,
        ge=0,
        description=(
            "Records a load set aside (rejected_records) keep their full payload this many days for a fix; "
            "then personal fields (e-mail, name, phone, address, ...) are masked and the rest kept."
        ),
    )
    embedded_max_wal_size_mb: int = Field(
        default=128,
        ge=64,
        description=(
            "Embedded server only: the write-ahead log may grow to about this size between checkpoints "
            "(PostgreSQL's 1 GB default left 1.1 GB of WAL after the demo, 256 MB left 268 MB; a single-node "
            "server that is not replicated needs the WAL only for crash recovery)."
        ),
    )
    embedded_checkpoint_timeout_s: int = Field(
        default=300,
        ge=30,
        le=86400,
        description="Embedded server only: the longest time between two checkpoints (seconds).",
    )
    telemetry_exporter: Literal["file", "console", "otlp", "none"] = Field(
        default="file",
        description=(
            "Where OpenTelemetry traces go. file: one JSON object per span, appended to "
            "KEEL_HOME/telemetry/spans.jsonl (nothing else needed); console: printed to stderr; otlp: sent "
            "over OTLP/HTTP to telemetry_otlp_endpoint (Jaeger, Grafana Tempo or an OpenTelemetry "
            "Collector); none: off. Metrics are always written in Prometheus text format under "
            "KEEL_HOME/telemetry/metrics/ (unless none)."
        ),
    )
    telemetry_otlp_endpoint: str = Field(
        default="http://localhost:4318",
        description="Base URL of an OTLP/HTTP receiver (traces go to <url>/v1/traces) for the otlp exporter.",
    )
    analyst_login: SecretStr | None = Field(
        default=None,
        description=(
            "An analyst's own warehouse login URL (from `keel db url --tenant SLUG`) for `keel sql`: it "
            "decides which business's Parquet files the analyst may query."
        ),
    )
    sign_in_max_failures: int = Field(
        default=5,
        ge=1,
        description=(
            "Failed sign-ins in a row, for one account or one client address, before it is locked for a "
            "while; each further failure doubles the lock (exponential back-off)."
        ),
    )
    sign_in_lockout_seconds: int = Field(
        default=60,
        ge=1,
        description="First lock after sign_in_max_failures failures; doubles with every further failure.",
    )
    sign_in_max_lockout_seconds: int = Field(
        default=3600, ge=1, description="Longest lock after repeated failed sign-ins."
    )
    session_idle_minutes: int = Field(
        default=30, ge=1, description="A console session with no page load for this long signs out."
    )
    session_max_hours: int = Field(
        default=12, ge=1, description="A console session ends this long after sign-in, however active."
    )
    session_cookie_name: str = Field(
        default="keel_session",
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Name of the console's signed session cookie (survives a browser refresh).",
    )

    fred_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("KEEL_FRED_API_KEY", "FRED_API_KEY"),
        description=(
            "API key of the St. Louis Fed's FRED API (free: https://fredaccount.stlouisfed.org/apikeys). "
            "Unset: the public-series load is skipped and says so; nothing else needs it."
        ),
    )
    fred_base_url: str = Field(
        default="https://api.stlouisfed.org",
        description="Root of the FRED API (a test or a proxy may point it elsewhere).",
    )
    fred_series: list[str] = Field(
        default_factory=lambda: [
            "CPIAUCSL",  # consumer prices, all urban consumers (deflates revenue)
            "RSXFS",  # retail sales excluding food services
            "PAYEMS",  # total nonfarm employment
            "UNRATE",  # unemployment rate
            "USTRADE",  # employment: retail trade
            "USLAH",  # employment: leisure and hospitality
            "USPBS",  # employment: professional and business services
            "USINFO",  # employment: information
            "USSERV",  # employment: other services (personal care)
        ],
        description='FRED series ids to load (JSON list, e.g. \'["CPIAUCSL","UNRATE"]\').',
    )
    fred_observation_start: date = Field(
        default=date(2000, 1, 1),
        description="First observation date of a series' first load; later loads are incremental.",
    )
    fred_revision_window_days: int = Field(
        default=730,
        ge=0,
        description=(
            "An incremental FRED load asks again for the observations of this many days before the last "
            "one loaded, so revised values replace old ones (payroll benchmark and CPI seasonal revisions "
            "reach back about two years). 0: ask only from the last loaded date on."
        ),
    )

    quickbooks_client_id: str | None = Field(
        default=None,
        description=(
            "Client ID of your Intuit developer app (developer.intuit.com > your app > Keys and "
            "credentials). Needed to connect QuickBooks Online; one app serves every business of this Keel."
        ),
    )
    quickbooks_client_secret: SecretStr | None = Field(
        default=None, description="Client secret of the same Intuit app (never shown, never logged)."
    )
    quickbooks_environment: Literal["production", "sandbox"] = Field(
        default="production",
        description=(
            "Which QuickBooks Online the app's keys belong to: production (real companies) or sandbox "
            "(Intuit's test companies, https://sandbox-quickbooks.api.intuit.com)."
        ),
    )
    quickbooks_redirect_uri: str = Field(
        default="http://127.0.0.1:8765/callback",
        description=(
            "Where Intuit sends the owner back after consent; Keel listens there on this machine while it "
            "connects. Register exactly this address as a redirect URI of the Intuit app. It must be a "
            "loopback address (localhost or 127.0.0.1) with a port."
        ),
    )
    quickbooks_authorize_url: str = Field(
        default="https://appcenter.intuit.com/connect/oauth2",
        description="Intuit's consent page (a test may point it elsewhere).",
    )
    quickbooks_token_url: str = Field(
        default="https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
        description="Intuit's token endpoint: codes and refresh tokens are exchanged there.",
    )
    quickbooks_revoke_url: str = Field(
        default="https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
        description=(
            "Intuit's token revocation endpoint: `keel source remove quickbooks` revokes Keel's tokens there."
        ),
    )

    console_url: str = Field(
        default="http://localhost:8501",
        description="Address of the console as owners reach it: e-mailed and chat alerts link to its pages.",
    )
    alert_max_attempts: int = Field(
        default=5,
        ge=1,
        description="Attempts to send one alert to one channel before giving up (each attempt is recorded).",
    )
    alert_retry_seconds: int = Field(
        default=60,
        ge=0,
        description="Wait before the first retry of a failed alert delivery; it doubles after every failure.",
    )
    coach_llm_provider: Literal["none", "openai", "openai_like", "ollama", "vllm", "anthropic"] = Field(
        default="none",
        description=(
            "Language model that phrases the coach's answers (it chooses the coach's tools; every number it "
            "states is checked against their results). none: the coach answers offline from templates. "
            "openai_like, ollama and vllm speak the OpenAI chat-completions API at coach_llm_base_url."
        ),
    )
    coach_llm_model: str | None = Field(
        default=None,
        description="The model's name at the provider (e.g. gpt-4o-mini, llama3.1, claude-sonnet-4-6).",
    )
    coach_llm_base_url: str | None = Field(
        default=None,
        description=(
            "Root of the provider's API (…/v1 for OpenAI-compatible servers). Unset: the provider's own "
            "(OpenAI, Anthropic) or the local default (Ollama http://localhost:11434/v1, vLLM "
            "http://localhost:8000/v1)."
        ),
    )
    coach_llm_api_key: SecretStr | None = Field(
        default=None,
        description=(
            "API key of the coach's language model. Prefer `keel coach configure`, which keeps it encrypted "
            "under KEEL_HOME (coach_llm.key); this variable wins when both are set."
        ),
    )
    coach_llm_timeout_seconds: float = Field(
        default=30.0, gt=0, description="How long the coach waits for one reply of the language model."
    )
    forecast_engine: Literal["local", "dask"] = Field(
        default="local",
        description="Where the forecasting assets fit their statistical models: `local` (this machine's "
        "cores) or `dask` (a Dask cluster through statsforecast's Fugue backend; same forecasts).",
    )
    dask_address: str | None = Field(
        default=None,
        description="With KEEL_FORECAST_ENGINE=dask: the scheduler of a running Dask cluster "
        "(tcp://host:8786); unset starts a local cluster of one worker process per core.",
    )
    coach_rate_limit: str = Field(
        default="30/minute",
        description="Questions one user may ask the coach (limits notation: '30/minute', '500/day').",
    )

    api_host: str = Field(default="127.0.0.1", description="Address the HTTP API (`keel api`) listens on.")
    api_port: int = Field(default=8000, ge=1, le=65535, description="Port of the HTTP API.")
    api_token_default_days: int = Field(
        default=90, ge=1, description="Days a new API access token lasts unless its creator says otherwise."
    )
    api_token_max_days: int = Field(default=365, ge=1, description="Longest life of an API access token.")
    api_rate_limit_per_token: str = Field(
        default="600/minute",
        description="Requests one API token (or identity-provider user) may make (limits notation).",
    )
    api_rate_limit_per_address: str = Field(
        default="1200/minute",
        description="Requests one client address may make to the API, signed in or not (limits notation).",
    )
    api_max_body_bytes: int = Field(
        default=65_536, ge=1024, description="Largest request body the API accepts (bytes); larger: 413."
    )
    api_oidc_issuer: str | None = Field(
        default=None,
        description=(
            "OAuth2/OIDC issuer whose bearer tokens (JWTs) the API accepts besides Keel's own access tokens "
            "(its `iss` claim). Unset: only Keel's access tokens."
        ),
    )
    api_oidc_audience: str | None = Field(
        default=None, description="The `aud` claim the identity provider puts in tokens meant for Keel."
    )
    api_oidc_jwks_url: str | None = Field(
        default=None, description="Where the identity provider publishes its signing keys (JWKS)."
    )
    api_oidc_email_claim: str = Field(
        default="email",
        description="Claim of the identity provider's token that holds the Keel user's e-mail.",
    )

    @field_validator("database_url")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @property
    def embedded(self) -> bool:
        """True when Keel runs its own PostgreSQL (no DATABASE_URL)."""
        return self.database_url is None

    @property
    def home_dir(self) -> Path:
        home = self.home.expanduser()
        # a relative KEEL_HOME follows the working directory, so only an absolute one is remembered
        return _resolved(home) if home.is_absolute() else home.resolve()

    @property
    def pgdata_dir(self) -> Path:
        return self.home_dir / "pgdata"

    @property
    def secret_key_file(self) -> Path:
        return self.home_dir / "secret.key"

    @property
    def role_key_file(self) -> Path:
        """Secret of the embedded server's role passwords (generated once, mode 0600)."""
        return self.home_dir / "role.key"

    @property
    def coach_llm_key_file(self) -> Path:
        """The coach's LLM API key, encrypted with the secret key (written by `keel coach configure`)."""
        return self.home_dir / "coach_llm.key"

    @property
    def dlt_pipelines_dir(self) -> Path:
        """dlt's local pipeline state, one folder per warehouse database: a pipeline's incremental cursors
        belong to the database it loads, and one KEEL_HOME may point at several (the tests do)."""
        return self.home_dir / "dlt" / self._database_folder

    @property
    def _database_folder(self) -> str:
        """A folder name for the warehouse database (state that belongs to one database lives under it)."""
        if self.database_url is None:
            return self.database_name
        # the URL may hold a password: name the folder by its digest
        return hashlib.sha256(self.database_url.encode()).hexdigest()[:16]

    @property
    def telemetry_dir(self) -> Path:
        """Local traces (spans.jsonl) and metrics (metrics/*.prom) written by keel.telemetry."""
        return self.home_dir / "telemetry"

    @property
    def lake_dir(self) -> Path:
        """The analysts' Parquet lake of the warehouse database: marts and metrics per table, tenant and
        month (keel.lake)."""
        return self.home_dir / "lake" / self._database_folder

    @property
    def dagster_home(self) -> Path:
        return self.home_dir / "dagster"


@lru_cache(maxsize=64)
def _resolved(path: Path) -> Path:
    """The absolute ``path`` resolved (remembered: processes that connect often ask a lot)."""
    return path.resolve()


@lru_cache(maxsize=1)
def get_settings() -> KeelSettings:
    """The process-wide settings; call ``get_settings.cache_clear()`` after changing the environment."""
    return KeelSettings()


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a child process Keel starts (dagster dev, streamlit): this one's plus ``extra``."""
    import os

    return {**os.environ, **extra}


def adopt_environment(environment: dict[str, str]) -> None:
    """Make ``environment`` this process's whole environment, and its settings those of it (a worker
    process taking the environment of the process that gave it work, see ``cli.jobs``)."""
    import os

    os.environ.clear()
    os.environ.update(environment)
    get_settings.cache_clear()
