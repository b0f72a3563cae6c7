"""What a raw record must satisfy before it is loaded, per source, checked by field name.

Real APIs (and the demo simulator) send the odd broken record: an id missing, "free" where a price
belongs, a negative quantity, a currency code nobody issues, text with a broken encoding. Such a record
must not stop the load, nor take good records down with it: :func:`problems` names what is wrong, the
loader sets the record aside in ``raw_<source>.rejected_records`` with those words, and loads the rest.

Checks go by field name anywhere in the record (nested objects and lists included), because each
source's API names its money, quantity and currency fields consistently. Each source declares its
:class:`~ingestion.sources.spec.SourceContract` as ``CONTRACT`` in ``ingestion/sources/<source>/settings.py``,
beside its resources; this module applies them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import import_module
from typing import Any, Final

import orjson

from ingestion.sources.spec import SourceContract

#: FRED observations: "value" is a decimal string, or "." where the series has no value that day.
FRED_CONTRACT = SourceContract(
    numeric=frozenset({"value"}),
    non_negative=frozenset(),
    currency=frozenset(),
    missing_markers=frozenset({"."}),
)


@cache
def contract_for(source: str) -> SourceContract | None:
    """What the records of ``source`` must satisfy: ``CONTRACT`` in ``ingestion/sources/<source>/settings.py``
    (FRED's is here); None for a source without one."""
    if source == "fred":
        return FRED_CONTRACT
    try:
        module = import_module(f"ingestion.sources.{source}.settings")
    except ModuleNotFoundError:
        return None
    contract = getattr(module, "CONTRACT", None)
    return contract if isinstance(contract, SourceContract) else None


@cache
def iso_currencies() -> frozenset[str]:
    """ISO 4217 codes (Babel's CLDR list, which includes historic codes; fine for telling real from bogus)."""
    from babel.numbers import list_currencies

    return frozenset(code.upper() for code in list_currencies())


def _as_number(value: Any) -> float | None:
    """The number a field holds (None when the field is empty); raises ValueError when it holds none."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError
        return float(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError from None
        if not number.is_finite():
            raise ValueError
        return float(number)
    raise ValueError


def parse_cursor(value: Any, cursor_type: str) -> datetime | date | int:
    """The comparable value of a cursor field (ISO timestamps compare as instants, not as text)."""
    if cursor_type == "unix_seconds":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{value!r} is not unix seconds")
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an ISO-8601 string")
    if cursor_type == "date":
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD): {exc}") from None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return parsed


def get_path(record: Mapping[str, Any], dotted: str) -> Any:
    node: Any = record
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


_ORJSON_OPTIONS: Final = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def json_text(value: Any) -> str:
    """JSON text of a record or a nested value, as ``json.dumps(value, ensure_ascii=False, default=str)``
    writes it apart from spacing and non-finite floats (null), several times faster (orjson, a dependency
    of dlt). Text with a broken encoding and integers beyond 64 bits, which orjson refuses, take the
    standard library's path."""
    try:
        return orjson.dumps(value, default=str, option=_ORJSON_OPTIONS).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, default=str)


_PLAIN_INT = re.compile(r"-?[0-9]+")
_QUOTED_DECIMAL = re.compile(r'"-?[0-9]+(?:\.[0-9]+)?"')
_STRING = r'"(?:[^"\\]|\\.)*"'
_SCALAR = rf"(?:{_STRING}|-?[0-9][0-9.eE+-]*|true|false|null|NaN|-?Infinity)"


@cache
def _patterns(source: str) -> tuple[re.Pattern[str], re.Pattern[str] | None, re.Pattern[str] | None]:
    """Regexes over a record's JSON text: numeric fields, currency fields, currency reference objects.

    Scanning the JSON text (made by C code) is several times faster than walking nested dicts in Python,
    and the loader needs that text anyway for the nested columns.
    """
    contract = contract_for(source)
    assert contract is not None
    numeric = re.compile(rf'"({"|".join(map(re.escape, sorted(contract.numeric)))})": ?({_SCALAR})')
    currency = (
        re.compile(rf'"({"|".join(map(re.escape, sorted(contract.currency)))})": ?({_SCALAR})')
        if contract.currency
        else None
    )
    parent_names = "|".join(map(re.escape, sorted(contract.currency_parents)))
    parents = (
        re.compile(rf'"({parent_names})": ?\{{[^{{}}]*?"value": ?({_SCALAR})')
        if contract.currency_parents
        else None
    )
    return numeric, currency, parents


def _json_scalar(token: str) -> Any:
    """The value of one JSON scalar token; plain strings (the common case) without the JSON decoder."""
    if len(token) >= 2 and token[0] == '"' == token[-1] and "\\" not in token:
        return token[1:-1]
    return json.loads(token)


def problems(
    record: Any,
    source: str,
    primary_key: tuple[str, ...],
    cursor_field: str,
    cursor_type: str,
    resource: str | None = None,
) -> list[str]:
    """Everything wrong with one record (of ``resource``, when known), in words; an empty list means it
    may be loaded."""
    if not isinstance(record, Mapping):
        return [f"record is a {type(record).__name__}, not an object"]
    found: list[str] = []
    for key in primary_key:
        if record.get(key) in (None, ""):
            found.append(f"primary key field {key!r} is missing")
    cursor = get_path(record, cursor_field)
    if cursor is None:
        found.append(f"cursor field {cursor_field!r} is missing")
    else:
        try:
            parse_cursor(cursor, cursor_type)
        except ValueError as exc:
            found.append(f"cursor field {cursor_field!r}: {exc}")
    text = json_text(record)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        found.append("text is not valid UTF-8 (broken encoding)")
    for key, value in record.items():  # orjson writes NaN and infinities as null: name them here
        if isinstance(value, float) and not math.isfinite(value):
            found.append(f"{key!r} should be a number, got {value!r}")
    contract = contract_for(source)
    if contract is None:
        return found
    numeric, currency, parents = _patterns(source)
    non_negative = frozenset() if resource in contract.signed_resources else contract.non_negative
    for key, raw in numeric.findall(text):
        if raw == "null":
            continue
        if _PLAIN_INT.fullmatch(raw):  # the common cases, without decoding JSON
            if int(raw) < 0 and key in non_negative:
                found.append(f"{key!r} should not be negative, got {int(raw)}")
            continue
        if not contract.integers_only and _QUOTED_DECIMAL.fullmatch(raw):
            if raw.startswith('"-') and key in non_negative and float(raw[1:-1]) != 0:
                found.append(f"{key!r} should not be negative, got {raw}")
            continue
        value = _json_scalar(raw) if raw not in ("NaN", "Infinity", "-Infinity") else float(raw)
        if isinstance(value, str) and value in contract.missing_markers:
            continue
        if contract.integers_only and (isinstance(value, bool) or not isinstance(value, int)):
            found.append(f"{key!r} should be an integer amount in minor units, got {value!r}")
            continue
        try:
            number = _as_number(value)
        except ValueError:
            found.append(f"{key!r} should be a number, got {value!r}")
            continue
        if number is not None and number < 0 and key in non_negative:
            found.append(f"{key!r} should not be negative, got {value!r}")
    currencies = iso_currencies()
    for pattern, label in ((currency, None), (parents, "value")):
        if pattern is None:
            continue
        for key, token in pattern.findall(text):
            value = _json_scalar(token)
            if value is not None and (not isinstance(value, str) or value.upper() not in currencies):
                found.append(f"{label or key!r} is not an ISO 4217 currency code: {value!r}")
    return list(dict.fromkeys(found))  # the standard library's path can name a NaN twice
