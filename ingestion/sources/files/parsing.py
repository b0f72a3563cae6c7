"""Reading an owner's CSV or Excel file, and reading its values as written in the owner's country.

The file formats are read by polars (CSV, with the delimiter sniffed by the standard library's
``csv.Sniffer`` and the encoding tried in turn: UTF-8, UTF-8 with a byte-order mark, Windows-1252,
Latin-1) and by ``polars.read_excel`` with the fastexcel (calamine) engine; every cell is kept as text,
so nothing is guessed before the owner has seen the mapping.

Values are read per column: a date column is day-first or month-first as its values show (a day above
12 settles it), or as the tenant's country writes dates when every value fits both; a number column
uses a decimal comma or point as its values show, or the country's habit (Babel's CLDR data). Money may
carry a currency symbol or code (``€``, ``$``, ``EUR 12,00``) and accounting negatives (``(12.00)``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from typing import Literal

import polars as pl

DateOrder = Literal["day_first", "month_first"]
DecimalMark = Literal[",", "."]

ENCODINGS = ("utf-8-sig", "utf-8", "cp1252", "latin-1")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
#: Excel's day zero (serial 1 is 1900-01-01, with its 1900 leap-year quirk folded in)
EXCEL_EPOCH = date(1899, 12, 30)


class FileReadError(ValueError):
    """The file cannot be read as a table; the message says why in plain words."""


@dataclass(frozen=True)
class RawTable:
    """A file's cells as text, as the owner sees them: header row, then one row per data line."""

    file_name: str
    frame: pl.DataFrame  # every column of type String
    file_format: str  # "CSV" or "Excel"
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None

    @property
    def columns(self) -> list[str]:
        return list(self.frame.columns)

    def describe(self) -> str:
        if self.file_format == "CSV":
            shown = {"\t": "tab", ",": "comma", ";": "semicolon"}.get(self.delimiter or "", self.delimiter)
            return f"CSV file, {shown}-separated, {self.encoding} text, {self.frame.height} rows"
        return f"Excel file (sheet {self.sheet!r}), {self.frame.height} rows"


def decode(data: bytes) -> tuple[str, str]:
    """The text of ``data`` and the encoding that read it (UTF-8 first; Latin-1 reads anything)."""
    for encoding in ENCODINGS:
        if encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            continue
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise FileReadError("the file is not text")  # unreachable: latin-1 decodes every byte


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab, whichever splits the first lines into the same number of columns."""
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {d: header.count(d) for d in ("\t", ";", ",")}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_table(data: bytes, file_name: str, *, sheet: str | None = None) -> RawTable:
    """The file's cells as text. CSV or Excel by the file name's suffix (or by content: xlsx is a zip)."""
    if not data:
        raise FileReadError(f"{file_name} is empty")
    is_excel = file_name.lower().endswith(EXCEL_SUFFIXES) or data[:2] == b"PK"
    if is_excel:
        return _read_excel(data, file_name, sheet)
    text, encoding = decode(data)
    delimiter = sniff_delimiter(text)
    try:
        frame = pl.read_csv(
            text.encode("utf-8"),
            separator=delimiter,
            infer_schema=False,
            truncate_ragged_lines=True,
        )
    except pl.exceptions.PolarsError as exc:
        raise FileReadError(f"{file_name} cannot be read as a CSV file: {str(exc).splitlines()[0]}") from None
    return RawTable(file_name, _clean(frame, file_name), "CSV", delimiter=delimiter, encoding=encoding)


def _read_excel(data: bytes, file_name: str, sheet: str | None) -> RawTable:
    try:
        frame = pl.read_excel(
            io.BytesIO(data),
            engine="calamine",
            sheet_name=sheet,
            infer_schema_length=0,  # every cell as text: the owner's values are read per column later
        )
    except Exception as exc:  # fastexcel raises its own error types for broken workbooks
        raise FileReadError(
            f"{file_name} cannot be read as an Excel workbook: {str(exc).splitlines()[0]}"
        ) from None
    if isinstance(frame, dict):  # several sheets asked for: take the first
        sheet, frame = next(iter(frame.items()))
    return RawTable(file_name, _clean(frame, file_name), "Excel", sheet=sheet or "first sheet")


def _clean(frame: pl.DataFrame, file_name: str) -> pl.DataFrame:
    """Header names trimmed, text columns everywhere, rows with nothing in them dropped."""
    if frame.width == 0:
        raise FileReadError(f"{file_name} has no columns")
    names = [str(name).strip() for name in frame.columns]
    # polars renames a repeated header "x" to "x_duplicated_0"
    renamed = {re.sub(r"_duplicated_\d+$", "", n) for n in names if re.search(r"_duplicated_\d+$", n)}
    if len(set(names)) != len(names) or renamed & set(names):
        twice = sorted({n for n in names if names.count(n) > 1} | (renamed & set(names)))
        raise FileReadError(f"{file_name} has the column {', '.join(map(repr, twice))} more than once")
    frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
    frame = frame.select(
        pl.col(name).cast(pl.String).str.strip_chars().replace("", None).alias(name) for name in names
    )
    return frame.filter(~pl.all_horizontal(pl.all().is_null()))


# --------------------------------------------------------------------------------------------
# Local formats
# --------------------------------------------------------------------------------------------


@cache
def country_habits(country: str | None) -> tuple[DateOrder, DecimalMark]:
    """How people in ``country`` (ISO 3166 alpha-2) write short dates and decimals (CLDR via Babel)."""
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(f"und_{(country or 'US').upper()}")
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en_US")
    pattern = locale.date_formats["short"].pattern
    order: DateOrder = "day_first" if pattern.find("d") < pattern.find("M") else "month_first"
    mark = locale.number_symbols.get("latn", locale.number_symbols).get("decimal", ".")
    return order, ("," if mark == "," else ".")


_SLASHED = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})(?:[ T].*)?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?.*)?$")
_SERIAL = re.compile(r"^\d{4,5}(?:\.\d+)?$")


def date_order(values: Iterable[str | None], country: str | None) -> tuple[DateOrder, str]:
    """Day-first or month-first for one column of dates, and how that was decided, in words."""
    day_first = month_first = 0
    for value in values:
        match = _SLASHED.match(value or "")
        if not match:
            continue
        first, second = int(match.group(1)), int(match.group(2))
        day_first += first > 12 >= second
        month_first += second > 12 >= first
    if day_first and not month_first:
        return "day_first", "day first (a day above 12 comes first, e.g. 31/12/2025)"
    if month_first and not day_first:
        return "month_first", "month first (a day above 12 comes second, e.g. 12/31/2025)"
    order, _ = country_habits(country)
    words = "day first" if order == "day_first" else "month first"
    if day_first and month_first:
        return order, f"{words}, as written in your country (the column mixes both ways)"
    return order, f"{words}, as written in your country (no value settles it)"


@lru_cache(maxsize=65_536)  # a file repeats its dates: each is read once
def parse_date(value: str, order: DateOrder) -> date:
    """A date as written in a file: 2025-12-31, 31/12/2025, 12/31/2025, 31.12.25, or an Excel serial day."""
    text = value.strip()
    iso = _ISO.match(text)
    try:
        if iso:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        slashed = _SLASHED.match(text)
        if slashed:
            first, second, year = int(slashed.group(1)), int(slashed.group(2)), int(slashed.group(3))
            if year < 100:
                year += 2000
            day, month = (first, second) if order == "day_first" else (second, first)
            return date(year, month, day)
        if _SERIAL.match(text) and 20_000 <= float(text) <= 80_000:  # 1954 .. 2119
            return EXCEL_EPOCH + timedelta(days=int(float(text)))
    except ValueError:
        raise ValueError(f"{value!r}, not a real date") from None
    raise ValueError(f"{value!r}, not a date")


_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?$")


def parse_time(value: str) -> time:
    """A time of day: 09:30, 9.30, 21:30:15, 9:30 PM, an Excel fraction of a day, or a date-time's time."""
    text = value.strip()
    if " " in text and _ISO.match(text):  # "1899-12-31 09:30:00" from an Excel time cell
        text = text.split(" ", 1)[1]
    match = _TIME.match(text)
    if match:
        hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
        suffix = (match.group(4) or "").lower()
        if suffix == "pm" and hour < 12:
            hour += 12
        elif suffix == "am" and hour == 12:
            hour = 0
        try:
            return time(hour, minute, second)
        except ValueError:
            raise ValueError(f"{value!r}, not a time of day") from None
    try:
        fraction = float(text)
    except ValueError:
        raise ValueError(f"{value!r}, not a time of day") from None
    if 0 <= fraction < 1:
        seconds = round(fraction * 86_400)
        return (datetime.min + timedelta(seconds=seconds)).time()
    raise ValueError(f"{value!r}, not a time of day")


_SYMBOLS = {
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "$": None,
    "US$": "USD",
    "A$": "AUD",
    "C$": "CAD",
    "CHF": "CHF",
    "Fr.": "CHF",
    "kr": None,
    "zł": "PLN",
}
_CODE = re.compile(r"\b([A-Z]{3})\b")
_NUMBER_DOT = re.compile(r"^\d{1,3}(?:[,' \u00a0\u202f]\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$|^\.\d+$")
_NUMBER_COMMA = re.compile(r"^\d{1,3}(?:[.' \u00a0\u202f]\d{3})+(?:,\d+)?$|^\d+(?:,\d+)?$|^,\d+$")


_SYMBOLS_LONGEST_FIRST = sorted(_SYMBOLS, key=len, reverse=True)
_NO_CURRENCY = re.compile(r"^[0-9.,'\s()+\-\u2212\u00a0\u202f]*$")


def split_currency(value: str) -> tuple[str, str | None]:
    """The amount's text without its currency, and the currency code it names (None: the tenant's own)."""
    text = value.strip()
    if _NO_CURRENCY.match(text):  # the common case: digits and separators only
        return text, None
    found: str | None = None
    code = _CODE.search(text)
    if code:
        from ingestion.contracts import iso_currencies

        if code.group(1) in iso_currencies():
            found = code.group(1)
            text = text.replace(code.group(1), "")
    for symbol in _SYMBOLS_LONGEST_FIRST:
        if symbol in text:
            found = found or _SYMBOLS[symbol]
            text = text.replace(symbol, "")
    return text.strip(), found


def _vote(text: str) -> DecimalMark | None:
    digits = text.lstrip("-+(").rstrip(")-")
    if "," in digits and "." in digits:
        return "," if digits.rfind(",") > digits.rfind(".") else "."
    for mark, other in ((",", "."), (".", ",")):
        if mark in digits:
            if digits.count(mark) > 1:
                return "." if other == "." else ","  # 1.234.567: the mark separates thousands
            tail = digits.rsplit(mark, 1)[1]
            if len(tail) != 3:  # 12,5 / 12,50 / 0,1234: a decimal mark; 1,234 could be either
                return "," if mark == "," else "."
    return None


def decimal_mark(values: Iterable[str | None], country: str | None) -> tuple[DecimalMark, str]:
    """Comma or point for one column of numbers, and how that was decided, in words."""
    votes = {",": 0, ".": 0}
    for value in values:
        if value:
            vote = _vote(split_currency(value)[0].replace(" ", ""))
            if vote:
                votes[vote] += 1
    if votes[","] > votes["."]:
        return ",", "decimal comma (e.g. 1.234,56)"
    if votes["."] > votes[","]:
        return ".", "decimal point (e.g. 1,234.56)"
    _, mark = country_habits(country)
    words = "decimal comma" if mark == "," else "decimal point"
    return mark, f"{words}, as written in your country (no value settles it)"


@lru_cache(maxsize=65_536)  # amounts repeat too (0,00, prices)
def parse_number(value: str, mark: DecimalMark) -> tuple[Decimal, str | None]:
    """A number as written, with its currency if any: 1.234,56 / 1,234.56 / € 12 / EUR 12,00 / (12.00)."""
    text, currency = split_currency(value)
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    if text.startswith("-") or text.startswith("\u2212"):
        negative, text = not negative, text[1:].strip()
    elif text.endswith("-"):
        negative, text = not negative, text[:-1].strip()
    text, more = split_currency(text)  # "-€12" / "(EUR 12)"
    currency = currency or more
    text = text.lstrip("+").strip()
    pattern = _NUMBER_COMMA if mark == "," else _NUMBER_DOT
    if not text or not pattern.match(text):
        raise ValueError(f"{value!r}, not a number")
    thousands = "." if mark == "," else ","
    plain = re.sub(r"[ '\u00a0\u202f]", "", text).replace(thousands, "").replace(mark, ".")
    try:
        number = Decimal(plain)
    except InvalidOperation:
        raise ValueError(f"{value!r}, not a number") from None
    return (-number if negative else number), currency
