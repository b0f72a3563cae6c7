"""What a question names: the period, an amount, a metric, a product, a weekday, a plan.

Dates and periods come from parsedatetime's phrase finder (``Calendar.nlp``: "last month", "in December",
"3 Oct 2026", "this week", with how precise each phrase is), turned into whole days, weeks, months or
years around the day the question is asked on; amounts from babel's number parser (``$40k``,
``40,000``, ``€1.5m``); metric, product and plan names by rapidfuzz against the owner's own names (the
metrics' labels and synonyms, the tenant's products), so "takings", "revnue" or "oat latte" are found
too. A few fixed phrases parsedatetime does not know ("Q3", "last 30 days", "year to date") are a word
table, not a pattern.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

import parsedatetime
from babel.numbers import NumberFormatError, parse_decimal
from rapidfuzz import fuzz, process, utils

from coach.metrics import METRICS

_CALENDAR = parsedatetime.Calendar(version=parsedatetime.VERSION_CONTEXT_STYLE)
_WEEKDAYS = {name.lower(): index for index, name in enumerate(calendar.day_name)}
_WEEKDAYS.update({f"{name}s": index for name, index in list(_WEEKDAYS.items())})
_MULTIPLIERS = {
    "k": Decimal(1_000),
    "thousand": Decimal(1_000),
    "m": Decimal(1_000_000),
    "million": Decimal(1_000_000),
}
_NUMBER_WORDS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "six": 6, "twelve": 12}
_SPAN_UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "month": 30, "months": 30}
_PLAN_WORDS = {
    "inventory": ("inventory", "stock", "order", "reorder", "restock", "purchasing", "storage"),
    "staffing": (
        "service",
        "staff",
        "staffing",
        "roster",
        "shift",
        "shifts",
        "barista",
        "baristas",
        "stylist",
        "stylists",
        "employees",
        "schedule",
        "people",
        "hire",
        "workers",
        "bakers",
        "clerks",
        "team",
    ),
    "pricing": ("price", "prices", "pricing", "discount", "charge", "margin floor"),
    "budget": ("marketing", "budget", "advertising", "ads", "ad", "channels", "channel", "spend"),
}


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    grain: str  # "day", "week", "month", "quarter", "year", "days"
    phrase: str = ""

    def shifted_years(self, years: int) -> Period:
        def move(day: dt.date) -> dt.date:
            try:
                return day.replace(year=day.year + years)
            except ValueError:  # 29 February
                return day.replace(year=day.year + years, day=28)

        return replace(self, start=move(self.start), end=move(self.end))


@dataclass(frozen=True)
class Entities:
    periods: tuple[Period, ...] = ()
    amount: float | None = None
    metric: str | None = None
    product: str | None = None
    weekday: int | None = None
    plan_type: str | None = None
    mentions_last_year: bool = False


def _month_period(year: int, month: int, phrase: str) -> Period:
    last = calendar.monthrange(year, month)[1]
    return Period(dt.date(year, month, 1), dt.date(year, month, last), "month", phrase)


def _quarter_period(year: int, quarter: int, phrase: str) -> Period:
    first = 3 * (quarter - 1) + 1
    end_month = first + 2
    return Period(
        dt.date(year, first, 1),
        dt.date(year, end_month, calendar.monthrange(year, end_month)[1]),
        "quarter",
        phrase,
    )


def _tokens(text: str) -> list[str]:
    return utils.default_process(text).split()


def _fixed_phrases(tokens: list[str], anchor: dt.date, future: bool) -> list[Period]:
    """Quarters, "last/next N days|weeks|months", "year to date": a word table over the tokens."""
    found: list[Period] = []
    for i, word in enumerate(tokens):
        if len(word) == 2 and word[0] == "q" and word[1] in "1234":
            quarter = int(word[1])
            year = anchor.year
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if nxt.isdigit() and len(nxt) == 4:
                year = int(nxt)
            elif not future and dt.date(year, 3 * (quarter - 1) + 1, 1) > anchor:
                year -= 1
            found.append(_quarter_period(year, quarter, f"Q{quarter}"))
        if word in ("quarter",) and i > 0 and tokens[i - 1] in ("this", "last", "next", "previous"):
            current = (anchor.month - 1) // 3 + 1
            year, quarter = anchor.year, current
            step = {"this": 0, "last": -1, "previous": -1, "next": 1}[tokens[i - 1]]
            quarter += step
            if quarter == 0:
                year, quarter = year - 1, 4
            if quarter == 5:
                year, quarter = year + 1, 1
            found.append(_quarter_period(year, quarter, f"{tokens[i - 1]} quarter"))
        if word in ("last", "past", "next") and i + 2 < len(tokens) and tokens[i + 2] in _SPAN_UNITS:
            count_word = tokens[i + 1]
            n = int(count_word) if count_word.isdigit() else _NUMBER_WORDS.get(count_word)
            if n:
                days = n * _SPAN_UNITS[tokens[i + 2]]
                if word == "next":
                    found.append(
                        Period(
                            anchor + dt.timedelta(days=1),
                            anchor + dt.timedelta(days=days),
                            "days",
                            " ".join(tokens[i : i + 3]),
                        )
                    )
                else:
                    found.append(
                        Period(
                            anchor - dt.timedelta(days=days - 1), anchor, "days", " ".join(tokens[i : i + 3])
                        )
                    )
        if word == "date" and i >= 2 and tokens[i - 2 : i] == ["year", "to"]:
            found.append(Period(dt.date(anchor.year, 1, 1), anchor, "year", "year to date"))
        if word == "date" and i >= 2 and tokens[i - 2 : i] == ["month", "to"]:
            found.append(Period(anchor.replace(day=1), anchor, "month", "month to date"))
    return found


def _from_parsed(
    moment: dt.datetime, accuracy: object, phrase: str, anchor: dt.date, future: bool
) -> Period | None:
    context = accuracy  # pdtContext
    text = phrase.strip().lower()
    day = moment.date()
    has_year = any(part.isdigit() and len(part) == 4 for part in text.split())
    relative = any(word in text.split() for word in ("last", "next", "this", "previous", "ago"))
    if getattr(context, "hasDateOrTime", False) is False:
        return None
    if context.accuracy & parsedatetime.pdtContext.ACU_DAY:  # type: ignore[attr-defined]
        if text.split()[-1] in _WEEKDAYS:
            return None  # a weekday names a kind of day, not one date (see Entities.weekday)
        if not has_year and not relative:
            # "3 October" means the last 3 October for a past question, the next one for a forecast
            day = day.replace(year=anchor.year)
            if not future and day > anchor:
                day = day.replace(year=anchor.year - 1)
            if future and day < anchor:
                day = day.replace(year=anchor.year + 1)
        return Period(day, day, "day", phrase.strip())
    if context.accuracy & parsedatetime.pdtContext.ACU_WEEK:  # type: ignore[attr-defined]
        if "last" in text or "previous" in text:
            start = anchor - dt.timedelta(days=anchor.weekday() + 7)
        elif "next" in text:
            start = anchor + dt.timedelta(days=7 - anchor.weekday())
        else:
            start = anchor - dt.timedelta(days=anchor.weekday())
        return Period(start, start + dt.timedelta(days=6), "week", phrase.strip())
    if context.accuracy & parsedatetime.pdtContext.ACU_MONTH:  # type: ignore[attr-defined]
        year, month = day.year, day.month
        if not has_year and not relative:
            year = anchor.year
            if not future and dt.date(year, month, 1) > anchor:
                year -= 1
            if future and dt.date(year, month, calendar.monthrange(year, month)[1]) < anchor:
                year += 1
        return _month_period(year, month, phrase.strip())
    if context.accuracy & parsedatetime.pdtContext.ACU_YEAR:  # type: ignore[attr-defined]
        year = day.year
        if "last" in text or "previous" in text:
            year = anchor.year - 1
        elif "this" in text:
            year = anchor.year
        return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), "year", phrase.strip())
    return None


def find_periods(question: str, anchor: dt.date, *, future: bool = False) -> tuple[Period, ...]:
    """The periods a question names, in the order it names them (none: the caller's default applies)."""
    tokens = _tokens(question)
    fixed = _fixed_phrases(tokens, anchor, future)
    if fixed:
        return tuple(fixed)
    parsed = _CALENDAR.nlp(question, sourceTime=dt.datetime.combine(anchor, dt.time(12)))
    periods: list[Period] = []
    for moment, context, _start, _end, phrase in parsed or ():
        if not any(ch.isalpha() for ch in phrase) and "-" not in phrase and "/" not in phrase:
            continue  # "1.5" of "1.5 million" is an amount, not a date
        period = _from_parsed(moment, context, phrase, anchor, future)
        if period is not None:
            periods.append(period)
    if (len(periods) == 2 and all(p.grain == "day" for p in periods) and " to " in question.lower()) or (
        len(periods) == 2 and all(p.grain == "day" for p in periods) and "between" in question.lower()
    ):
        first, second = sorted(periods, key=lambda p: p.start)
        return (Period(first.start, second.end, "days", f"{first.phrase} to {second.phrase}"),)
    return tuple(periods)


def find_amount(question: str) -> float | None:
    """The first amount in a question: "$40k", "40,000", "€1.5 million", "2000" (not a year or a date)."""
    words = question.replace("$", " $ ").replace("€", " € ").replace("£", " £ ").split()
    for i, raw in enumerate(words):
        word = raw.strip("?,.!;:()%").lower()
        suffix = ""
        for unit in ("thousand", "million", "k", "m"):
            if word.endswith(unit) and word[: -len(unit)].replace(",", "").replace(".", "").isdigit():
                word, suffix = word[: -len(unit)], unit
                break
        if not word or not word[0].isdigit():
            continue
        try:
            value = parse_decimal(word, locale="en_US", strict=False)
        except (NumberFormatError, InvalidOperation):
            continue
        after = words[i + 1].strip("?,.!").lower() if i + 1 < len(words) else ""
        before = words[i - 1].lower() if i > 0 else ""
        if not suffix and after in _MULTIPLIERS:
            suffix = after
        if suffix:
            value *= _MULTIPLIERS[suffix]
        money_sign = before in ("$", "€", "£")
        is_year = not suffix and not money_sign and value == value.to_integral() and 1990 <= value <= 2100
        is_day_of_month = (
            not suffix and not money_sign and (after[:3] in _MONTH_PREFIXES or before[:3] in _MONTH_PREFIXES)
        )
        if is_year or is_day_of_month:
            continue
        if after in ("days", "day", "weeks", "week", "months", "month") and not money_sign:
            continue
        return float(value)
    return None


_MONTH_PREFIXES = {name[:3].lower() for name in calendar.month_name if name}


def find_weekday(question: str) -> int | None:
    for token in _tokens(question):
        if token in _WEEKDAYS:
            return _WEEKDAYS[token]
    return None


def _best(query_tokens: Sequence[str], choices: dict[str, str], cutoff: float) -> str | None:
    """The choice whose name best matches a run of 1-3 words of the question (rapidfuzz)."""
    best: tuple[float, int, str] | None = None
    for size in (3, 2, 1):
        for i in range(len(query_tokens) - size + 1):
            phrase = " ".join(query_tokens[i : i + size])
            if len(phrase) < 3:
                continue
            match = process.extractOne(phrase, choices.keys(), scorer=fuzz.ratio, score_cutoff=cutoff)
            if match is not None:
                candidate = (match[1], len(match[0]), choices[match[0]])
                if best is None or candidate[:2] > best[:2]:
                    best = candidate
    return best[2] if best else None


_METRIC_NAMES: dict[str, str] = {}
for _spec in METRICS:
    _METRIC_NAMES[_spec.label] = _spec.name
    _METRIC_NAMES[_spec.name.replace("_", " ")] = _spec.name
    for _synonym in _spec.synonyms:
        _METRIC_NAMES[_synonym] = _spec.name


def find_metric(question: str, available: Iterable[str] | None = None) -> str | None:
    """The metric a question names ("takings" is net revenue), among ``available`` when given."""
    allowed = set(available) if available is not None else None
    names = {k: v for k, v in _METRIC_NAMES.items() if allowed is None or v in allowed}
    return _best(_tokens(question), names, cutoff=86)


def find_product(question: str, products: Iterable[str]) -> str | None:
    """A product (or intervention) of the tenant the question names, by its own name."""
    names = {utils.default_process(p): p for p in products if p}
    if not names:
        return None
    processed = utils.default_process(question)
    match = process.extractOne(processed, names.keys(), scorer=fuzz.partial_ratio, score_cutoff=85)
    return names[match[0]] if match else None


def find_plan_type(question: str) -> str | None:
    tokens = set(_tokens(question))
    scores = {plan: len(tokens & set(words)) for plan, words in _PLAN_WORDS.items()}
    plan, score = max(scores.items(), key=lambda item: item[1])
    return plan if score else None


def extract(
    question: str,
    anchor: dt.date,
    *,
    future: bool = False,
    metrics: Iterable[str] | None = None,
    products: Iterable[str] = (),
) -> Entities:
    tokens = _tokens(question)
    return Entities(
        periods=find_periods(question, anchor, future=future),
        amount=find_amount(question),
        metric=find_metric(question, metrics),
        product=find_product(question, products),
        weekday=find_weekday(question),
        plan_type=find_plan_type(question),
        mentions_last_year="last year" in " ".join(tokens) or "a year ago" in " ".join(tokens),
    )
