"""Schemathesis fuzzes every operation of the API's OpenAPI document against the running API: no 500s.

Reads run with the cafe's read-only token over the demo warehouse's real figures; every operation (writes
too) runs with a read-write token of a business made for the fuzz and deleted afterwards, so the junk the
fuzzer writes goes with it. The default suite tries a few examples per operation; the benchmark marker
runs many more (``pytest -m benchmark tests/api/test_fuzz.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from api.limiting import reset_limits
from ingestion.demo_load import demo_owner_email
from keel import api_tokens, tenancy, warehouse
from tests.api.conftest import CAFE
from tests.conftest import pointing_at

FUZZ_SLUG = "api-fuzz-shop"
FEW = settings(
    max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
)
MANY = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@dataclass(frozen=True)
class FuzzTokens:
    cafe_read: str
    fuzz_write: str


@pytest.fixture(scope="module")
def fuzz_tokens(_demo_warehouse_built: str) -> Iterator[FuzzTokens]:
    with pointing_at(_demo_warehouse_built):
        reset_limits()
        cafe = tenancy.require_tenant(CAFE)
        _, cafe_read = api_tokens.create_token(
            cafe.tenant_id, demo_owner_email(CAFE), "test-api fuzz", ["read"]
        )
        shop = tenancy.create_tenant(FUZZ_SLUG, "API Fuzz Shop")
        tenancy.create_user(shop.tenant_id, "owner@api-fuzz.example", f"fuzz {uuid.uuid4()}")
        _, fuzz_write = api_tokens.create_token(
            shop.tenant_id, "owner@api-fuzz.example", "test-api fuzz", ["read", "write"]
        )
        try:
            yield FuzzTokens(cafe_read, fuzz_write)
        finally:
            with warehouse.connect("admin") as conn:
                conn.execute("delete from app.api_tokens where name = 'test-api fuzz'")
                conn.execute("delete from app.tenants where slug = %s", (FUZZ_SLUG,))
            reset_limits()


@pytest.fixture(scope="module")
def api_schema(api_url: str, fuzz_tokens: FuzzTokens) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_url(f"{api_url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


def _call(case: schemathesis.Case, api_url: str, token: str, _demo_warehouse_built: str) -> None:
    with pointing_at(_demo_warehouse_built):
        case.call_and_validate(
            base_url=api_url,
            headers={"Authorization": f"Bearer {token}"},
            checks=[not_a_server_error],
            excluded_checks=[c for c in schemathesis.checks.CHECKS.get_all() if c is not not_a_server_error],
        )


@schema.include(method="GET").parametrize()
@FEW
def test_reads_on_real_figures_never_fail(
    case: schemathesis.Case, api_url: str, fuzz_tokens: FuzzTokens, _demo_warehouse_built: str
) -> None:
    _call(case, api_url, fuzz_tokens.cafe_read, _demo_warehouse_built)


@schema.parametrize()
@FEW
def test_every_operation_never_fails(
    case: schemathesis.Case, api_url: str, fuzz_tokens: FuzzTokens, _demo_warehouse_built: str
) -> None:
    _call(case, api_url, fuzz_tokens.fuzz_write, _demo_warehouse_built)


@pytest.mark.benchmark
@schema.parametrize()
@MANY
def test_every_operation_never_fails_long(
    case: schemathesis.Case, api_url: str, fuzz_tokens: FuzzTokens, _demo_warehouse_built: str
) -> None:
    _call(case, api_url, fuzz_tokens.fuzz_write, _demo_warehouse_built)
