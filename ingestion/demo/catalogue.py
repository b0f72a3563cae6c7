"""The demo's catalogues as data: tenants, behaviours and interventions are YAML files under
``ingestion/demo/catalogue/`` (shipped in the wheel), validated against the dataclasses the simulator
uses (``TenantProfile``, ``Behaviour`` and what it holds, ``Intervention``) by pydantic.

    catalogue/tenants.yaml               a list of tenant profiles
    catalogue/behaviours/<slug>.yaml     one behaviour per tenant
    catalogue/interventions.yaml         a list of interventions

A file that does not fit is refused with a ``CatalogueError`` naming the file, the entry and the field.
Fields left out take the dataclass's default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import TypeAdapter, ValidationError

CATALOGUE_DIR = Path(__file__).resolve().with_name("catalogue")

T = TypeVar("T")

_SPAN = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class CatalogueError(ValueError):
    """A catalogue file is missing, not YAML, or an entry does not fit its schema."""


def time_span(value: Any) -> Any:
    """``"06:15-14:30"`` as (start, end) seconds of the day; anything else is left to the schema."""
    if not isinstance(value, str):
        return value
    match = _SPAN.match(value.strip())
    if not match:
        raise ValueError(f"a time span is written HH:MM-HH:MM, got {value!r}")
    start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
    if start_h > 24 or end_h > 24 or start_m > 59 or end_m > 59:
        raise ValueError(f"{value!r} is not a time of day")
    return start_h * 3600 + start_m * 60, end_h * 3600 + end_m * 60


def hourly_weights(value: Any) -> Any:
    """``{hour: weight}`` (hours left out weigh 0) as the 24 weights of hours 0 to 23."""
    if not isinstance(value, Mapping):
        return value
    wrong = [hour for hour in value if not isinstance(hour, int) or not 0 <= hour <= 23]
    if wrong:
        raise ValueError(f"hours are whole numbers from 0 to 23, got {wrong}")
    return tuple(float(value.get(hour, 0.0)) for hour in range(24))


def of_length(length: int) -> Any:
    """A check that a sequence has exactly ``length`` items (7 weekdays, 12 months)."""

    def check(value: tuple[Any, ...]) -> tuple[Any, ...]:
        if len(value) != length:
            raise ValueError(f"needs {length} values, got {len(value)}")
        return value

    return check


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(CATALOGUE_DIR.parent))
    except ValueError:
        return str(path)


def read(path: Path) -> Any:
    """The parsed YAML of a catalogue file."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogueError(f"{_relative(path)}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{_relative(path)}: not valid YAML: {exc}") from None


def validate(path: Path, entry: str, schema: type[T], data: Any) -> T:
    """One entry as the dataclass ``schema``, or a CatalogueError naming the file, entry and fields."""
    try:
        return TypeAdapter(schema).validate_python(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"field {'.'.join(str(part) for part in error['loc']) or '(the entry itself)'}: {error['msg']}"
            for error in exc.errors()
        )
        raise CatalogueError(f"{_relative(path)}, entry {entry}: {problems}") from None


def load_one(path: Path, schema: type[T]) -> T:
    """A file holding one entry (a behaviour)."""
    return validate(path, repr(path.stem), schema, read(path))


def load_list(path: Path, schema: type[T], key: str) -> tuple[T, ...]:
    """A file holding a list of entries, each named by its ``key`` field, which must be unique."""
    data = read(path)
    if not isinstance(data, list):
        raise CatalogueError(f"{_relative(path)}: must be a list of entries, got {type(data).__name__}")
    entries: list[T] = []
    seen: set[Any] = set()
    for index, item in enumerate(data):
        name = item.get(key) if isinstance(item, Mapping) else None
        entry = repr(name) if name is not None else f"#{index + 1}"
        if name is not None and name in seen:
            raise CatalogueError(f"{_relative(path)}, entry {entry}: field {key}: appears twice")
        seen.add(name)
        entries.append(validate(path, entry, schema, item))
    return tuple(entries)
