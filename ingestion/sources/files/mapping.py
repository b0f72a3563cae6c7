"""Which column of an owner's file holds which of Keel's fields: proposed by name, confirmed by the owner.

:func:`propose_mapping` matches each header to a field's name and synonyms ("Order #", "Invoice No.",
"Datum", "Betrag", "Total (€)") with rapidfuzz, weighs in whether the column's first values read as
the field's type (dates, money, numbers), and says per field what it guessed and how sure it is. The
owner confirms or corrects it; a confirmed mapping is saved per tenant, kind and header signature
(:func:`header_signature`) and reused for the next file with the same headers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from ingestion.sources.files import parsing
from ingestion.sources.files.kinds import KINDS, Field, Kind
from ingestion.sources.files.kinds import kind as get_kind

#: Below this a header is not proposed for a field: the owner picks it.
MIN_SCORE = 72.0


@dataclass(frozen=True)
class Guess:
    field: str
    column: str
    confidence: float  # 0..1
    how: str  # in words, for the preview


@dataclass
class MappingProposal:
    kind: str
    mapping: dict[str, str | None]  # Keel field -> the file's column (None: not in the file)
    guesses: list[Guess] = field(default_factory=list)
    saved: bool = False  # taken from a mapping the owner confirmed before

    @property
    def missing_required(self) -> list[Field]:
        return [f for f in get_kind(self.kind).required if not self.mapping.get(f.name)]

    @property
    def unsure(self) -> list[Guess]:
        return [g for g in self.guesses if g.confidence < 0.9]


def normalize_header(name: str) -> str:
    """Lower case, currency marks and brackets removed, spaces collapsed: 'Total (€)' -> 'total'."""
    text = name.lower().replace("\ufeff", "")
    text = re.sub(r"\((?:[€$£¥]|[a-z]{3})\)", " ", text)
    text = re.sub(r"[€$£¥]", " ", text)
    text = re.sub(r"[_\-/]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip(" .:")
    return text


def header_signature(columns: Sequence[str]) -> str:
    """Same headers (in any order, any case) -> same signature."""
    names = sorted({normalize_header(c) for c in columns})
    return hashlib.sha256("\x1f".join(names).encode()).hexdigest()[:32]


def _name_score(header: str, target: Field) -> tuple[float, str]:
    normal = normalize_header(header)
    candidates = (target.name.replace("_", " "), target.label.lower(), *target.synonyms)
    best, best_name = 0.0, ""
    for candidate in candidates:
        candidate = normalize_header(candidate)
        if normal == candidate:
            return 100.0, candidate
        score = max(fuzz.ratio(normal, candidate), fuzz.token_sort_ratio(normal, candidate))
        if score > best:
            best, best_name = score, candidate
    return best, best_name


def _type_fit(target: Field, values: Sequence[str | None]) -> float:
    """The share of a column's first non-empty values that read as ``target``'s type (1 for text)."""
    present = [v for v in values if v][:20]
    if not present or target.type == "text":
        return 1.0
    good = 0
    for value in present:
        try:
            if target.type == "date":
                parsing.parse_date(value, "day_first")
            elif target.type == "time":
                parsing.parse_time(value)
            else:
                parsing.parse_number(value, "," if parsing._vote(value) == "," else ".")
            good += 1
        except ValueError:
            # a day-first reading can fail where a month-first one works (12/31/2025)
            if target.type == "date":
                try:
                    parsing.parse_date(value, "month_first")
                    good += 1
                except ValueError:
                    pass
    return good / len(present)


def propose_mapping(
    kind: str, columns: Sequence[str], sample: Mapping[str, Sequence[str | None]] | None = None
) -> MappingProposal:
    """Keel's fields of ``kind`` matched to the file's ``columns`` (``sample``: first values per column)."""
    spec = get_kind(kind)
    sample = sample or {}
    scored: list[tuple[float, float, str, str, str]] = []  # (score, fit, field, column, matched name)
    for target in spec.fields:
        for column in columns:
            score, matched = _name_score(column, target)
            fit = _type_fit(target, sample.get(column, ()))
            combined = score * (0.6 + 0.4 * fit)
            scored.append((combined, fit, target.name, column, matched))
    scored.sort(key=lambda item: item[0], reverse=True)
    mapping: dict[str, str | None] = {f.name: None for f in spec.fields}
    used: set[str] = set()
    guesses: list[Guess] = []
    for combined, fit, name, column, matched in scored:
        if combined < MIN_SCORE or mapping[name] is not None or column in used:
            continue
        mapping[name] = column
        used.add(column)
        if combined >= 99.5:
            how = "same name"
        elif normalize_header(column) == matched:
            how = "a name owners use for it"
        else:
            how = f"similar to {matched!r}"
        if fit < 1.0:
            how += f"; {round(fit * 100)}% of its first values read as {spec.field(name).type}"
        guesses.append(Guess(name, column, round(min(combined, 100.0) / 100, 2), how))
    return MappingProposal(kind, mapping, guesses)


def guess_kind(columns: Sequence[str], file_name: str = "") -> tuple[str, float]:
    """The kind whose required fields the headers match best (the file name breaks ties), and how sure."""
    best, best_score = "orders", -1.0
    stem = normalize_header(re.sub(r"\.[a-z0-9]+$", "", file_name.lower()))
    for spec in KINDS.values():
        proposal = propose_mapping(spec.name, columns)
        required = spec.required
        found = sum(1 for f in required if proposal.mapping.get(f.name))
        mapped = sum(1 for v in proposal.mapping.values() if v)
        score = found / len(required) + 0.02 * mapped
        if any(word in stem.split() or stem == word for word in spec.synonyms):
            score += 0.5
        if score > best_score:
            best, best_score = spec.name, score
    return best, round(min(best_score, 1.0), 2)


def validate_mapping(kind: Kind, mapping: Mapping[str, str | None], columns: Sequence[str]) -> None:
    """A clear error when the mapping names a column the file lacks, or leaves a required field out."""
    unknown = [f for f in mapping if f not in {x.name for x in kind.fields}]
    if unknown:
        raise ValueError(f"{kind.label} have no field {', '.join(map(repr, unknown))}")
    absent = [c for c in mapping.values() if c and c not in columns]
    if absent:
        raise ValueError(f"the file has no column {', '.join(map(repr, absent))}")
    chosen = [c for c in mapping.values() if c]
    twice = sorted({c for c in chosen if chosen.count(c) > 1})
    if twice:
        raise ValueError(f"the column {', '.join(map(repr, twice))} is chosen for more than one field")
    missing = [f.label for f in kind.required if not mapping.get(f.name)]
    if missing:
        raise ValueError(f"{kind.label} need a column for: {', '.join(missing)}")
