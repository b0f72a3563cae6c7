"""Bring a business in: ``keel tenant add|list``, ``keel user add``, ``keel source add|list|remove`` and
``keel ingest run|status|demo``.

Every command is safe to repeat: adding what exists already says so and changes nothing that was not
asked for. Secrets go only to :func:`keel.tenancy.save_data_source` (encrypted at rest) and are never
printed; the console and these commands show their masked hints only.
"""

from __future__ import annotations

import re
import secrets
import sys
import unicodedata
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from babel.dates import format_timedelta
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from keel import tenancy
from keel.errors import InvalidInput, KeelError

console = Console()

user_app = typer.Typer(help="The people who sign in to a business's console.", no_args_is_help=True)
source_app = typer.Typer(
    help="A business's connected services (Shopify, Stripe...): settings, encrypted credentials.",
    no_args_is_help=True,
)
ingest_app = typer.Typer(
    help="Load data into the warehouse and see how the loads went.", no_args_is_help=True
)


EVERY_BUSINESS = "Slug of one business (default: every business)."


def slug_from_name(name: str) -> str:
    """``Corner Café & Co.`` -> ``corner-cafe-co``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:63]


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """``2 hours ago`` (``never`` for None)."""
    if moment is None:
        return "never"
    delta = moment - (now or datetime.now(UTC))
    return format_timedelta(delta, add_direction=True, locale="en")


# ------------------------------------------------------------------------------------------------
# Tenants and users
# ------------------------------------------------------------------------------------------------


def tenant_add(
    name: Annotated[str, typer.Option(help="The business's name, as its owner writes it.")],
    industry: Annotated[str, typer.Option(help="What it does: cafe, bakery, retail_shop, online_store...")],
    currency: Annotated[str, typer.Option(help="ISO 4217 code of the money it reports in, e.g. USD, EUR.")],
    timezone: Annotated[str, typer.Option(help="IANA time zone of its days, e.g. Europe/Berlin.")],
    naics: Annotated[
        str | None, typer.Option(help="NAICS code (2-6 digits); default: looked up from the industry.")
    ] = None,
    country: Annotated[str | None, typer.Option(help="ISO 3166 country code, e.g. US, DE.")] = None,
    region: Annotated[
        str | None, typer.Option(help="Region for peer benchmarks, e.g. West, Midwest.")
    ] = None,
    size_band: Annotated[
        str | None, typer.Option(help="micro (under 10 people), small (under 50) or medium (under 250).")
    ] = None,
    slug: Annotated[str | None, typer.Option(help="Short name in commands; default: from the name.")] = None,
) -> None:
    """Add a business (safe to repeat: the same slug and name update its profile)."""
    from ingestion.demo.profiles import INDUSTRIES, industry_naics_codes, naics_for_industry

    if slug is None:
        slug = slug_from_name(name)
        if len(slug) < 2:
            raise InvalidInput(f"cannot make a slug from the name {name!r}", "give one with --slug")
    currency, country = currency.strip().upper(), country.strip().upper() if country else None
    industry = industry.strip().lower()
    naics_code = naics.strip() if naics else naics_for_industry(industry)
    if naics_code is None:
        raise InvalidInput(
            f"industry {industry!r} is unknown",
            f"use one of {', '.join(INDUSTRIES)}, or give its NAICS code with --naics",
        )
    tenancy.check_tenant_fields(
        slug=slug,
        name=name,
        naics_code=naics_code,
        size_band=size_band,
        country=country,
        timezone=timezone,
        currency=currency,
    )
    existing = tenancy.find_tenant(slug)
    if existing is not None and existing.name != name:
        raise InvalidInput(
            f"the slug {slug!r} is taken by {existing.name!r}",
            "pick another with --slug, or give that business's exact name to update it",
        )
    tenant = tenancy.create_tenant(
        slug,
        name,
        industry=industry,
        naics_code=naics_code,
        size_band=size_band,
        region=region,
        country=country,
        timezone=timezone,
        currency=currency,
        tenant_id=existing.tenant_id if existing else None,
    )
    verb = "updated" if existing else "added"
    console.print(
        f"[green]✓[/green] {verb} {tenant.name} as [bold]{tenant.slug}[/bold] (id {tenant.tenant_id})"
    )
    from cli.jobs import add_tenant_partition

    if add_tenant_partition(tenant.slug):
        console.print(f"  its loads run as partition {tenant.slug!r} of the tenants in Dagster")
    codes = industry_naics_codes(industry)
    if naics is None and len(naics_code) < 6 and codes:
        examples = "; ".join(f"{code} {title}" for code, title in sorted(codes.items()))
        console.print(
            f"  NAICS {naics_code} from the industry; a closer code gives closer peers (--naics): {examples}"
        )
    console.print(f"Next: keel user add --tenant {tenant.slug} --email you@example.com")


def tenant_list() -> None:
    """Every business: slug, name, industry, currency, users, sources, last load."""
    from ingestion.run import latest_loads

    with _loader_conn() as conn:
        rows = conn.execute(
            "select tenant_id, slug, name, industry, currency, is_demo from app.tenants order by slug"
        ).fetchall()
    last_load: dict[uuid.UUID, datetime] = {}
    for status in latest_loads():
        seen = last_load.get(status.tenant_id)
        last_load[status.tenant_id] = max(seen, status.finished_at) if seen else status.finished_at
    table = Table("slug", "name", "industry", "currency", "users", "sources", "last load")
    for tenant_id, slug, name, industry, currency, is_demo in rows:
        tenant = uuid.UUID(str(tenant_id))
        users = len(tenancy.list_users(tenant))
        sources = ", ".join(f"{s.source_type}:{s.name}" for s in tenancy.list_data_sources(tenant))
        if is_demo:
            sources = sources or "demo"
        table.add_row(
            slug, name, industry or "-", currency, str(users), sources or "-", ago(last_load.get(tenant))
        )
    console.print(table)
    if not rows:
        console.print(
            "No businesses yet: keel tenant add --name ... --industry ... --currency ... --timezone ..."
        )


def _loader_conn() -> Any:
    from keel import warehouse

    return warehouse.connect("keel_loader")


@user_app.command("add")
def user_add(
    tenant: Annotated[str, typer.Option(help="Slug of the business.")],
    email: Annotated[str, typer.Option(help="The person's e-mail address (their sign-in name).")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    role: Annotated[str, typer.Option(help="owner, member or viewer.")] = "owner",
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="Name shown in the console.")
    ] = None,
) -> None:
    """Let someone sign in to a business's console; prints a one-time password unless one is given."""
    business = tenancy.require_tenant(tenant)
    existing = tenancy.find_user(business.tenant_id, email)
    if existing is not None:
        console.print(f"{existing.email} is already a user of {business.name}; nothing changed")
        return
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        generated = False
    else:
        password = secrets.token_urlsafe(12)
        generated = True
    tenancy.create_user(business.tenant_id, email, password, display_name=display_name, role=role)
    console.print(f"[green]✓[/green] {email.strip().lower()} can sign in to {business.name} as {role}")
    if generated:
        console.print(f"One-time password (shown only now): [bold]{password}[/bold]", highlight=False)


# ------------------------------------------------------------------------------------------------
# Sources
# ------------------------------------------------------------------------------------------------


def _connector(source: str) -> Any:
    from ingestion.sources import connectors

    found = connectors()
    if source not in found:
        known = ", ".join(sorted(found)) or "none yet"
        raise InvalidInput(f"Keel has no connector for {source!r}", f"connectors: {known}")
    return found[source]


def _parse_field_options(args: list[str], fields: list[str]) -> dict[str, str]:
    """``--shop x --access-token y`` (or ``--token y``, a unique end of a field's name) -> field values."""
    values: dict[str, str] = {}
    index = 0
    while index < len(args):
        token = args[index]
        if not token.startswith("--"):
            raise InvalidInput(f"unexpected argument {token!r}", "give settings as --name value")
        key, _, inline = token[2:].partition("=")
        if inline or "=" in token:
            value = inline
            index += 1
        elif index + 1 < len(args):
            value = args[index + 1]
            index += 2
        else:
            raise InvalidInput(f"--{key} has no value", f"give it as --{key} VALUE")
        key = key.replace("-", "_")
        matches = [f for f in fields if f == key] or [f for f in fields if f.endswith(f"_{key}")]
        if len(matches) != 1:
            options = ", ".join(f"--{f.replace('_', '-')}" for f in fields)
            raise InvalidInput(f"--{key.replace('_', '-')} is not a setting of this source", f"use {options}")
        values[matches[0]] = value
    return values


@source_app.command("add", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def source_add(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="The service: shopify, stripe...")],
    tenant: Annotated[str, typer.Option(help="Slug of the business.")],
    name: Annotated[
        str | None, typer.Option(help="Your name for this connection (default: the service).")
    ] = None,
) -> None:
    """Connect a service; its settings as --options (e.g. --shop, --token). Secrets not given are asked for.

    Safe to repeat: the same source and name update the settings and credentials.
    """
    connector = _connector(source)
    business = tenancy.require_tenant(tenant)
    config_fields = list(connector.config_model.model_fields)
    given = _parse_field_options(list(ctx.args), [*config_fields, *connector.secret_fields])
    secret_values = {k: _secret_value(v) for k, v in given.items() if k in connector.secret_fields}
    config = {k: v for k, v in given.items() if k in config_fields}
    if connector.needs_consent(config, secret_values):
        consent = connector.consent
        for field in consent.asked_secrets:
            if not secret_values.get(field):
                secret_values[field] = _ask_secret(connector, field)
        _add_with_consent(connector, business, name, config, secret_values)
        return
    try:
        settings = connector.parse_config(config)
    except ValueError as exc:
        raise InvalidInput(str(exc), "fix the settings and run the command again") from None
    for field in connector.secrets_for(settings):  # a sign-in flow may need only some of the secrets
        if field not in secret_values:
            secret_values[field] = _ask_secret(connector, field)
    label = name or source
    tenancy.save_data_source(
        business.tenant_id, source, label, settings.model_dump(mode="json"), secret_values
    )
    hints = ", ".join(f"{k} {tenancy_mask(v)}" for k, v in secret_values.items())
    console.print(
        f"[green]✓[/green] {connector.title} connected for {business.name} as {label!r}"
        + (f" (stored encrypted: {hints})" if hints else ""),
        highlight=False,
    )
    console.print(f"Next: keel ingest run --tenant {business.slug} --source {source}")


def _ask_secret(connector: Any, field: str) -> str:
    """A secret not given as an option, asked for in a terminal (never echoed)."""
    if not sys.stdin.isatty():
        raise InvalidInput(
            f"{connector.title} needs --{field.replace('_', '-')}",
            "give it as an option (@path reads a file), or run in a terminal",
        )
    return str(click.prompt(f"{connector.title} {field.replace('_', ' ')}", hide_input=True))


def _add_with_consent(
    connector: Any,
    business: tenancy.Tenant,
    name: str | None,
    given: dict[str, str],
    typed: dict[str, str],
) -> None:
    """Connect a service whose owner grants access in the browser (OAuth 2.0, the connector's
    ``Consent``): print the consent link, open a browser where there is one, wait for the service to send
    the browser back to this machine, and store the tokens (encrypted) with the settings the consent
    brought (QuickBooks: the company id; Salesforce: the org's address)."""
    from ingestion.sources import oauth
    from ingestion.sources.connector import ConnectorAuthError, ConnectorConfigError

    def show(url: str) -> None:
        console.print(
            f"Open this link, sign in to {connector.title} and approve Keel's read access "
            f"(waiting up to {oauth.CALLBACK_TIMEOUT / 60:.0f} minutes):"
        )
        console.print(url, highlight=False, soft_wrap=True)

    try:
        settings, secret_values = oauth.connect_in_browser(
            connector, given, typed, show_url=show, open_browser=oauth.open_in_browser
        )
    except ConnectorConfigError as exc:
        raise InvalidInput(str(exc), "set them and run the command again") from None
    except (oauth.OAuthError, ConnectorAuthError, ValueError) as exc:
        again = f"run `keel source add {connector.source} --tenant {business.slug}` again"
        raise InvalidInput(f"{connector.title} was not connected: {exc}", again) from None
    label = name or connector.source
    tenancy.save_data_source(
        business.tenant_id, connector.source, label, settings.model_dump(mode="json"), secret_values
    )
    fields = type(settings).model_fields
    shown = ", ".join(  # what the owner gave and what the consent brought: the settings off their defaults
        f"{k} {v}" for k, v in settings.model_dump().items() if v is not None and v != fields[k].default
    )
    hints = ", ".join(f"{k} {tenancy_mask(v)}" for k, v in secret_values.items() if "token" not in k)
    stored = "access tokens" + (f" and {hints}" if hints else "")
    console.print(
        f"[green]✓[/green] {connector.title} connected for {business.name} as {label!r} ({shown}; "
        f"{stored} stored encrypted)",
        highlight=False,
    )
    console.print(f"Next: keel ingest run --tenant {business.slug} --source {connector.source}")


def _revoke_consent(business: tenancy.Tenant, source: str, label: str) -> None:
    """For a service the owner approved in the browser (OAuth): ask it to revoke Keel's tokens, and say
    whether it did (the owner can always disconnect Keel on the service's side)."""
    from ingestion.run import configured_sources
    from ingestion.sources import connectors, oauth

    connector = connectors().get(source)
    if connector is None or connector.consent is None:
        return
    found = [c for c in configured_sources(business.tenant_id, source) if c.name == label]
    token = found[0].secrets.get("refresh_token") or found[0].secrets.get("access_token") if found else None
    if not token:
        return
    try:
        app = connector.consent.app(found[0].config, found[0].secrets)
        revoked = oauth.revoke(app.provider, app.client, token, session=app.session)
    except Exception:  # no app keys, or the service unreachable: said below; the removal goes on
        revoked = False
    if revoked:
        console.print(f"{connector.title} revoked Keel's access.")
    else:
        console.print(
            f"{connector.title} could not be asked to revoke Keel's access; disconnect Keel in "
            f"{connector.title}'s connected apps too."
        )


def _secret_value(value: str) -> str:
    """A secret given as an option; ``@path`` reads it from a file (a PEM private key spans lines)."""
    if not value.startswith("@"):
        return value
    path = Path(value[1:]).expanduser()
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(
            f"cannot read {path}: {exc.strerror}", "give the path of a readable file"
        ) from None


def tenancy_mask(value: str) -> str:
    from keel.secrets import mask

    return mask(value)


@source_app.command("list")
def source_list(tenant: Annotated[str, typer.Option(help="Slug of the business.")]) -> None:
    """A business's connected services: settings, masked credentials, last load."""
    business = tenancy.require_tenant(tenant)
    sources = tenancy.list_data_sources(business.tenant_id)
    if not sources:
        console.print(
            f"{business.name} has no connected services: keel source add shopify --tenant {tenant} ..."
        )
        return
    table = Table("source", "name", "settings", "credentials", "enabled", "last loaded")
    for s in sources:
        table.add_row(
            s.source_type,
            s.name,
            ", ".join(f"{k}={v}" for k, v in s.config.items()) or "-",
            ", ".join(f"{k} {v}" for k, v in s.secrets_hint.items()) or "-",
            "yes" if s.is_enabled else "no",
            ago(s.last_loaded_at),
        )
    console.print(table)


@source_app.command("remove")
def source_remove(
    source: Annotated[str, typer.Argument(help="The service: shopify, stripe...")],
    tenant: Annotated[str, typer.Option(help="Slug of the business.")],
    name: Annotated[str | None, typer.Option(help="The connection's name (default: the service).")] = None,
) -> None:
    """Disconnect a service and forget its credentials (the data it loaded stays)."""
    business = tenancy.require_tenant(tenant)
    label = name or source
    _revoke_consent(business, source, label)
    if tenancy.remove_data_source(business.tenant_id, source, label):
        console.print(
            f"[green]✓[/green] removed {source} {label!r} of {business.name}; its loaded data stays"
        )
    else:
        console.print(f"{business.name} has no {source} connection named {label!r}; nothing changed")


# ------------------------------------------------------------------------------------------------
# Ingest
# ------------------------------------------------------------------------------------------------


def _reconnect_hint(source: str, slug: str, name: str | None = None) -> str:
    """What to do about a connection the service refused; ``--name`` when it is not the default one, so
    that connecting again replaces it instead of adding another."""
    named = f" --name {name!r}" if name and name != source else ""
    return (
        f"needs reconnecting: the service refused the stored credentials; give new ones with "
        f"`keel source add {source} --tenant {slug}{named}` (with its settings) or on the console's Your "
        "data page"
    )


@ingest_app.command("run")
def ingest_run(
    tenant: Annotated[
        str | None, typer.Option(help="Slug of one business (default: every business).")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Only this service (shopify, stripe...).")] = None,
) -> None:
    """Load the connected services of one business or of all; a progress bar per resource."""
    with _loader_conn() as conn:
        if tenant is None:
            rows = conn.execute(
                "select t.tenant_id, t.slug, t.name from app.tenants t where exists (select 1 from "
                "app.data_sources d where d.tenant_id = t.tenant_id and d.is_enabled) order by t.slug"
            ).fetchall()
            businesses = [tenancy.Tenant(uuid.UUID(str(r[0])), r[1], r[2]) for r in rows]
        else:
            businesses = [tenancy.require_tenant(tenant)]
    if not businesses:
        console.print("No business has a connected service yet: keel source add SERVICE --tenant SLUG ...")
        return
    results: list[tuple[tenancy.Tenant, Any]] = []
    broken: list[str] = []
    for business in businesses:
        try:
            results += [(business, run) for run in _run_business(business, source)]
        except KeelError as exc:  # one business's failure (its login, its settings) never stops the next
            console.print(f"[red]✗[/red] {business.slug}: {exc}", highlight=False)
            broken.append(business.slug)
    failed = [(b, r) for b, r in results if not r.ok]
    if results:
        console.print(f"{len(results) - len(failed)} of {len(results)} source loads succeeded")
    if failed or broken:
        names = ", ".join([*(f"{b.slug} {r.source} {r.name!r}" for b, r in failed), *broken])
        raise KeelError(
            f"{len(failed) + len(broken)} source loads failed: {names}", "see `keel ingest status` for each"
        )


def _run_business(business: tenancy.Tenant, source: str | None) -> list[Any]:
    """One business's sources with a progress bar per resource, and a line per source."""
    from ingestion.run import ConfiguredSource, SourceRun, run_tenant_sources

    tasks: dict[tuple[str, str], TaskID] = {}
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,.0f} records"),
        TimeElapsedColumn(),
        console=console,
    ) as bars:

        def progress(configured: ConfiguredSource, resource: str, count: int) -> None:
            key = (configured.name, resource)
            if key not in tasks:
                label = f"{business.slug} · {configured.source} {configured.name!r} · {resource}"
                tasks[key] = bars.add_task(label, total=None)
            bars.update(tasks[key], completed=count)

        def finished(run: SourceRun) -> None:
            for (name, _), task in tasks.items():
                if name == run.name:
                    bars.update(task, total=bars.tasks[task].completed)

        runs = run_tenant_sources(business.tenant_id, source, progress=progress, finished=finished)
    if not runs:
        console.print(f"{business.name} has no connected {source or 'services'} to load")
    for run in runs:
        load = run.load
        where = f"{business.slug} {run.source} {run.name!r}"
        if run.ok:
            console.print(
                f"[green]✓[/green] {where}: {sum(load.rows.values()):,} rows new or changed, "
                f"{load.rejected:,} set aside, {load.seconds:.1f} s",
                highlight=False,
            )
        else:
            what = (
                _reconnect_hint(run.source, business.slug, run.name) if load.needs_reconnect else load.error
            )
            console.print(f"[red]✗[/red] {where}: {what}", highlight=False)
    return runs


@ingest_app.command("status")
def ingest_status(
    tenant: Annotated[
        str | None, typer.Option(help="Slug of one business (default: every business).")
    ] = None,
) -> None:
    """Each source's latest load per resource: when, rows, set aside, cursor, error."""
    from ingestion.run import latest_loads

    business = tenancy.require_tenant(tenant) if tenant else None
    statuses = latest_loads(business.tenant_id if business else None)
    if not statuses:
        console.print("No loads yet: keel ingest run --tenant SLUG (or keel ingest demo)")
        return
    table = Table("business", "source", "resource", "last load", "rows", "set aside", "cursor", "state")
    now = datetime.now(UTC)
    reconnect: dict[tuple[str, str, str], str] = {}
    for s in statuses:
        if s.needs_reconnect:
            state = "[red]needs reconnecting[/red]"
            label = s.source if s.source_name in (None, s.source) else f"{s.source} {s.source_name!r}"
            reconnect[(s.tenant_slug, s.source, label)] = _reconnect_hint(
                s.source, s.tenant_slug, s.source_name
            )
        elif s.error:
            state = f"[red]failed: {s.error}[/red]"
        else:
            state = "[green]ok[/green]"
        source = s.source if s.source_name in (None, s.source) else f"{s.source} {s.source_name!r}"
        table.add_row(
            s.tenant_slug,
            source + ("" if s.provider == "connector" else f" ({s.provider})"),
            s.resource,
            f"{ago(s.finished_at, now)} ({s.finished_at:%Y-%m-%d %H:%M} UTC)",
            f"{s.rows:,}",
            f"{s.rejected:,}",
            f"{s.cursor:%Y-%m-%d %H:%M:%S}" if s.cursor else "-",
            state,
        )
    console.print(table)
    for (slug, _, label), hint in sorted(reconnect.items()):
        console.print(f"{slug} {label} {hint}", highlight=False)


@ingest_app.command("demo")
def ingest_demo() -> None:
    """Load the demo businesses' raw data (the demo is one provider of records); no models are built."""
    from ingestion.demo_load import demo_world, load_demo
    from ingestion.loader import TenantLoad
    from keel.settings import get_settings
    from warehouse_init.migrate import prepare_warehouse

    prepare_warehouse(get_settings())
    world = demo_world()
    slugs = {str(t.tenant_id): t.slug for t in world.tenants}

    def progress(result: TenantLoad, index: int, total: int) -> None:
        state = "[green]✓[/green]" if result.ok else f"[red]✗ {result.error}[/red]"
        console.print(
            f"{state} {result.source} [{index}/{total}] {slugs.get(result.tenant_id, result.tenant_id)}: "
            f"{sum(result.rows.values()):,} rows, {result.rejected:,} set aside, {result.seconds:.1f} s",
            highlight=False,
        )

    outcome = load_demo(world, progress=progress)
    failed = [r for r in outcome.loads if not r.ok]
    console.print(
        f"{outcome.tenants} demo businesses, {len(outcome.loads) - len(failed)} of {len(outcome.loads)} "
        f"source loads succeeded, {outcome.ground_truth} true effects, {outcome.interventions} interventions"
    )
    if failed:
        raise KeelError(
            f"{len(failed)} demo loads failed", "see the lines above; `keel ingest demo` is safe to repeat"
        )
