"""The number verifier: every number a model's reply states must be a fact of that turn's tool results.

A language model phrases the coach's answer, but it does not get to invent figures. :func:`verify`
finds every number in a reply (money, percentages, counts, plain numbers, dates, years, times of day)
and looks for a fact that supports it in the :class:`~coach.core.ToolResult` s of the same turn:

- Rounding and unit formatting are allowed: ``$40k`` and ``$40,000`` both stand for 39,870 (rounded at
  the precision the reply shows; round thousands like ``40,000`` may be off by at most 1%); ``9.6%``
  stands for a fact 0.096 (a share) or 9.6 (already in percent); ``$1.2M`` for 1,234,567.
- A hedge in front ("about", "around", "nearly", "over", "~", ...) widens that to 5%.
- Signs are not compared: "down 5%" may state a change of -0.05, "a loss of $300" a profit of -300.
- Dates must match a date fact on every part the reply names (``December 5``, ``Dec 2026``,
  ``2026-12-05``); a year alone must be the year of a date fact or a number fact.
- Ordinals ("your 2nd best product") may be ranks within a result's rows; numbered list markers at
  the start of a line ("1. ") are layout, not claims. Number words ("twelve") are not checked.

Numbers inside texts of the facts (a product called "Latte 12oz", a goal "Reach $40k") support the
same numbers in the reply, and so do the arguments the model passed to the tools of that turn (the
target it asked the goal tool about), which the tool's own result then answers for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from babel.numbers import get_currency_symbol

from coach.core import ToolResult

MentionKind = Literal["money", "percent", "number", "ordinal", "date", "year", "time"]

#: Relative slack of a hedged number ("about $40k"), and of round numbers written out ("40,000").
HEDGED_SLACK = 0.05
ROUND_SLACK = 0.01

_MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<{name}>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_SCALES = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
}
_CURRENCY_CODES = ("USD", "EUR", "GBP", "CAD", "AUD", "NZD", "CHF", "JPY", "SEK", "NOK", "DKK", "MXN")
_CURRENCY_SYMBOLS = sorted(
    {get_currency_symbol(code, locale="en_US") for code in _CURRENCY_CODES} | {"$", "€", "£", "¥"},
    key=len,
    reverse=True,
)
_CURRENCY = "|".join([*(re.escape(s) for s in _CURRENCY_SYMBOLS), *_CURRENCY_CODES])
_HEDGES = (
    "about",
    "around",
    "roughly",
    "approximately",
    "approx.",
    "nearly",
    "almost",
    "close to",
    "just over",
    "just under",
    "over",
    "under",
    "more than",
    "less than",
    "above",
    "below",
    "some",
    "~",
    "≈",
)

_DATE_PATTERNS = [
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(r"\b(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})\b"),
    re.compile(
        r"\b" + _MONTH.format(name="mon") + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>\d{4})\b)?",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?"
        + _MONTH.format(name="mon")
        + r"(?:,?\s+(?P<y>\d{4})\b)?",
        re.IGNORECASE,
    ),
    re.compile(r"\b" + _MONTH.format(name="mon") + r",?\s+(?P<y>\d{4})\b", re.IGNORECASE),
]
_TIME = re.compile(
    r"\b(?P<h>\d{1,2})(?::(?P<min>\d{2}))?\s*(?P<ampm>[ap]\.m\.|[ap]m)(?![a-z])|\b(?P<h24>\d{1,2}):(?P<min24>\d{2})\b",
    re.IGNORECASE,
)
_LIST_MARKER = re.compile(r"^[ \t]*(?:[-*•][ \t]*)?\d{1,2}[.)][ \t]+", re.MULTILINE)
_NUMBER = re.compile(
    r"(?P<cur>" + _CURRENCY + r")?\s?"
    r"[-+\u2212]?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?:\s?(?P<scale>thousand|million|billion|bn|mn|k|m|b)(?![a-z]))?"
    r"(?P<ord>st|nd|rd|th)?(?![a-z0-9])"
    r"(?:\s?(?P<pct>%|percent\b|per cent\b|percentage points?\b|pp\b|pts?\b))?"
    r"(?:\s?(?P<cur2>" + "|".join(_CURRENCY_CODES) + r")\b)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Mention:
    """One number the reply states."""

    text: str
    kind: MentionKind
    value: float | None = None  # the number as written, with its scale (40k -> 40000)
    tolerance: float = 0.0
    parts: tuple[int | None, int | None, int | None] = (None, None, None)  # year, month, day of a date
    start: int = 0


@dataclass
class Verification:
    """What :func:`verify` found: every number of the reply, and those no fact supports."""

    mentions: list[Mention] = field(default_factory=list)
    unsupported: list[Mention] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.unsupported

    def describe(self) -> str:
        """The unsupported numbers as the reply wrote them, for the repair prompt and the log."""
        return ", ".join(repr(m.text) for m in self.unsupported)


@dataclass
class _Facts:
    numbers: list[float] = field(default_factory=list)
    dates: set[tuple[int, int, int]] = field(default_factory=set)
    times: set[tuple[int, int]] = field(default_factory=set)
    max_rank: int = 0


def verify(
    text: str, results: Sequence[ToolResult], *, arguments: Iterable[Mapping[str, Any]] = ()
) -> Verification:
    """Check every number of ``text`` against the facts and rows of ``results`` and the tool ``arguments``."""
    facts = _collect(results, arguments)
    found = Verification(mentions=extract(text))
    found.unsupported = [m for m in found.mentions if not _supported(m, facts)]
    return found


# --------------------------------------------------------------------------------------------
# Finding the numbers of a text
# --------------------------------------------------------------------------------------------


def extract(text: str) -> list[Mention]:
    """Every number ``text`` states, as :class:`Mention` s in reading order (list markers left out)."""
    taken: list[tuple[int, int]] = [(m.start(), m.end()) for m in _LIST_MARKER.finditer(text)]
    mentions: list[Mention] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            if not free(*match.span()):
                continue
            groups = match.groupdict()
            month = _MONTHS[groups["mon"].lower().rstrip(".")] if groups.get("mon") else int(groups["m"])
            day = int(groups["d"]) if groups.get("d") else None
            year = int(groups["y"]) if groups.get("y") else None
            if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
                continue
            taken.append(match.span())
            mentions.append(Mention(match.group(0), "date", parts=(year, month, day), start=match.start()))
    for match in _TIME.finditer(text):
        if not free(*match.span()):
            continue
        hour = int(match.group("h") or match.group("h24"))
        minute = int(match.group("min") or match.group("min24") or 0)
        ampm = (match.group("ampm") or "").lower().replace(".", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        if hour > 24 or minute > 59:
            continue
        taken.append(match.span())
        mentions.append(Mention(match.group(0), "time", parts=(None, hour, minute), start=match.start()))
    for match in _NUMBER.finditer(text):
        span = (match.start("num"), match.end())
        if not free(*span) or _inside_word(text, match.start("num")):
            continue
        mention = _number_mention(text, match)
        if mention is not None:
            taken.append(span)
            mentions.append(mention)
    return sorted(mentions, key=lambda m: m.start)


def _inside_word(text: str, start: int) -> bool:
    """A digit glued to letters before it ("Q4", "B2B", "mp3") is part of a name, not a claim."""
    return start > 0 and (text[start - 1].isalpha() or text[start - 1] == "_")


def _number_mention(text: str, match: re.Match[str]) -> Mention | None:
    raw = match.group("num")
    value = float(raw.replace(",", ""))
    decimals = len(raw.split(".", 1)[1]) if "." in raw else 0
    scale_word = (match.group("scale") or "").lower()
    scale = _SCALES.get(scale_word, 1.0)
    currency = match.group("cur") or match.group("cur2")
    percent = match.group("pct")
    ordinal = match.group("ord")
    if match.group("scale") in ("m", "b") and not currency:
        # "5 m" may be metres or minutes: a lower-case m/b scales money only ("$1.2m"); "1.2M" is a million.
        scale = 1.0
    value *= scale
    kind: MentionKind
    if percent:
        kind = "percent"
    elif currency:
        kind = "money"
    elif ordinal:
        kind = "ordinal"
    elif decimals == 0 and scale == 1.0 and "," not in raw and 1900 <= value <= 2100:
        kind = "year"
    else:
        kind = "number"
    unit = 10.0 ** (-decimals) * scale
    tolerance = 0.5 * unit
    if decimals == 0 and ("," in raw or (scale == 1.0 and value >= 100)):
        trailing = len(raw.replace(",", "")) - len(raw.replace(",", "").rstrip("0"))
        if trailing:
            tolerance = max(tolerance, min(0.5 * 10.0**trailing, ROUND_SLACK * abs(value)))
    before = text[max(0, match.start() - 16) : match.start()].lower().rstrip()
    if any(before.endswith(hedge) for hedge in _HEDGES):
        tolerance = max(tolerance, HEDGED_SLACK * abs(value))
    tolerance += 1e-9 * max(1.0, abs(value))
    end = match.end()
    start = match.start("cur") if match.group("cur") else match.start("num")
    return Mention(text[start:end].strip(), kind, value=value, tolerance=tolerance, start=start)


# --------------------------------------------------------------------------------------------
# The facts of a turn
# --------------------------------------------------------------------------------------------


def _collect(results: Sequence[ToolResult], arguments: Iterable[Mapping[str, Any]]) -> _Facts:
    facts = _Facts()
    for result in results:
        _add(facts, result.facts)
        _add(facts, result.rows)
        facts.max_rank = max(facts.max_rank, len(result.rows))
        facts.numbers.append(float(len(result.rows)))
        for citation in result.citations:
            _add(facts, citation.data_through)
    for args in arguments:
        _add(facts, dict(args))
    return facts


def _add(facts: _Facts, value: Any) -> None:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, datetime):
        facts.dates.add((value.year, value.month, value.day))
        facts.times.add((value.hour, value.minute))
        facts.numbers.append(float(value.year))
    elif isinstance(value, date):
        facts.dates.add((value.year, value.month, value.day))
        facts.numbers.append(float(value.year))
    elif isinstance(value, int | float | Decimal):
        number = float(value)
        if math.isfinite(number):
            facts.numbers.append(number)
    elif isinstance(value, str):
        for mention in extract(value):
            if mention.kind in ("date",) and None not in mention.parts:
                year, month, day = mention.parts
                assert year is not None and month is not None and day is not None
                facts.dates.add((year, month, day))
                facts.numbers.append(float(year))
            elif mention.kind == "time":
                _, hour, minute = mention.parts
                assert hour is not None and minute is not None
                facts.times.add((hour, minute))
            elif mention.value is not None:
                facts.numbers.append(mention.value)
    elif isinstance(value, Mapping):
        for item in value.values():
            _add(facts, item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _add(facts, item)


def _supported(mention: Mention, facts: _Facts) -> bool:
    if mention.kind == "date":
        year, month, day = mention.parts
        return any(
            (year is None or y == year) and m == month and (day is None or d == day)
            for y, m, d in facts.dates
        )
    if mention.kind == "time":
        _, hour, minute = mention.parts
        if (hour, minute) in facts.times:
            return True
        return minute == 0 and any(_close(n, float(hour or 0), 1e-9) for n in facts.numbers)
    assert mention.value is not None
    value = abs(mention.value)
    if mention.kind == "year" and any(y == int(value) for y, _, _ in facts.dates):
        return True
    if mention.kind == "ordinal" and 1 <= value <= facts.max_rank:
        return True
    candidates = [abs(n) for n in facts.numbers]
    if mention.kind == "percent":
        # A share (0.096) or a figure already in percent (9.6).
        candidates = [*(c * 100 for c in candidates), *candidates]
    return any(_close(c, value, mention.tolerance) for c in candidates)


def _close(fact: float, stated: float, tolerance: float) -> bool:
    return abs(fact - stated) <= tolerance
