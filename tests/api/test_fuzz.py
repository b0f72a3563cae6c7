"""Schemathesis fuzzes every operation of the API's OpenAPI document against the running API: no 500s.

Reads run with the cafe's read-only token over the demo warehouse's real figures; every operation (writes
too) runs with a read-write token of a business made for the fuzz and deleted afterwards, so the junk the
fuzzer writes goes with it. The default suite tries a few examples per operation; the benchmark marker
runs 50 per operation (``pytest -m benchmark tests/api/test_fuzz.py``; over 10 minutes on a loaded machine).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from api.limiting import reset_limits
from ingestion.demo_load import demo_owner_email
from keel import api_tokens, tenancy, warehouse
from tests.api.conftest import CAFE
from tests.conftest import pointing_at

FUZZ_SLUG = "api-fuzz-shop"
FEW = settings(
    max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
)
ALL_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
MANY = settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), database=None)


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


def fuzz(url: str, token: str, *, methods: set[str], examples: settings) -> list[str]:
    """Every operation of the OpenAPI document (of ``methods``) with generated cases; the server errors."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    errors: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        if operation.method.upper() not in methods:
            continue

        @examples
        @given(case=operation.as_strategy())
        def call(case: schemathesis.Case) -> None:
            response = case.call(base_url=url, headers={"Authorization": f"Bearer {token}"})
            if response.status_code >= 500:
                errors.append(f"{case.method} {case.formatted_path} {case.query} -> {response.status_code}")

        call()
    assert len(operations) >= 20
    return errors


def test_reads_on_real_figures_never_fail(
    api_url: str, fuzz_tokens: FuzzTokens, _demo_warehouse_built: str
) -> None:
    with pointing_at(_demo_warehouse_built):
        errors = fuzz(api_url, fuzz_tokens.cafe_read, methods={"GET"}, examples=FEW)
    assert errors == []


def test_every_operation_never_fails(
    api_url: str, fuzz_tokens: FuzzTokens, _demo_warehouse_built: str
) -> None:
    with pointing_at(_demo_warehouse_built):
        errors = fuzz(api_url, fuzz_tokens.fuzz_write, methods=ALL_METHODS, examples=FEW)
    assert errors == []


@pytest.mark.benchmark
@pytest.mark.timeout(3600)
def test_every_operation_never_fails_long(
    api_url: str, fuzz_tokens: FuzzTokens, _demo_warehouse_built: str
) -> None:
    with pointing_at(_demo_warehouse_built):
        errors = fuzz(api_url, fuzz_tokens.fuzz_write, methods=ALL_METHODS, examples=MANY)
    assert errors == []
