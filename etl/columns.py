"""Column types shared by every reader: forgiving about form, strict about meaning.

Each column parses a whole pandas Series at once (vectorised, so a million rows take a second) and
returns the clean values plus a mask of the rows it could not accept and why. Blank strings are
missing values; surrounding spaces, letter case of codes and thousands separators are forgiven.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from etl.dates import outside_dates, outside_financial_years, outside_periods
from etl.dates import reason as date_window_reason

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def normalise_header(name: object) -> str:
    """'Crime ID', 'crime_id', ' Crime-Id ' all become 'crime_id'."""
    text = str(name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s_\-]+", "_", text).strip("_")


def blank_cells(raw: pd.Series) -> np.ndarray:
    """True where a cell is empty or only spaces (each distinct cell looked at once)."""
    codes, distinct = pd.factorize(raw, use_na_sentinel=False)
    blank = np.fromiter((_is_blank(v) for v in distinct), dtype=bool, count=len(distinct))
    return blank[codes]


def _is_blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


@dataclass
class Parsed:
    """Result of parsing one column: values, the rows refused and the reason for each."""

    values: pd.Series
    bad: pd.Series  # bool mask
    reasons: pd.Series  # reason text where bad


def _ok(values: pd.Series) -> Parsed:
    bad = pd.Series(False, index=values.index)
    return Parsed(values, bad, pd.Series("", index=values.index, dtype=object))


def _fail(values: pd.Series, bad: pd.Series, reason: str | pd.Series) -> Parsed:
    reasons = reason if isinstance(reason, pd.Series) else pd.Series(reason, index=values.index, dtype=object)
    return Parsed(values, bad.fillna(False).astype(bool).astype(bool), reasons.where(bad, ""))


@dataclass
class Column:
    """A column of an input file. Subclasses define ``parse`` for non-blank cells."""

    name: str
    required: bool = True  # a value must be given in every row
    default: object = ""
    description: str = ""
    header_required: bool = True  # the column must be present in the header row

    def parse_cells(self, raw: pd.Series) -> Parsed:
        # Files repeat the same codes, months and small counts over and over: a million rows hold a
        # few thousand distinct cells. Parse each distinct cell once and spread the result back.
        codes, distinct = pd.factorize(raw, use_na_sentinel=False)
        parsed = self._parse_distinct(pd.Series(distinct, dtype=object))
        return Parsed(
            pd.Series(parsed.values.to_numpy(dtype=object)[codes], index=raw.index, dtype=object),
            pd.Series(parsed.bad.to_numpy(dtype=bool)[codes], index=raw.index, dtype=bool),
            pd.Series(parsed.reasons.to_numpy(dtype=object)[codes], index=raw.index, dtype=object),
        )

    def _parse_distinct(self, raw: pd.Series) -> Parsed:
        text = raw.astype("string").fillna("").str.strip()
        blank = text == ""
        parsed = self.parse(text.where(~blank, None).astype(object))
        values = parsed.values.astype(object).where(~blank, self.default)
        bad = parsed.bad & ~blank
        reasons = parsed.reasons.where(bad, "")
        if self.required:
            bad = bad | blank
            reasons = reasons.where(~blank, "required value is missing")
        return Parsed(values, bad, reasons)

    def parse(self, text: pd.Series) -> Parsed:  # text: non-blank stripped strings, None where blank
        return _ok(text)


@dataclass
class Text(Column):
    max_length: int = 200

    def parse(self, text: pd.Series) -> Parsed:
        too_long = text.str.len() > self.max_length
        return _fail(text, too_long, f"longer than {self.max_length} characters")


@dataclass
class Email(Column):
    """An email address: something, an @, and a domain with a dot; kept as typed (stripped)."""

    def parse(self, text: pd.Series) -> Parsed:
        bad = ~text.str.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$").fillna(False).astype(bool) & text.notna()
        return _fail(text, bad, "not an email address (it needs a name, an @ and a domain, like name@example.org)")


@dataclass
class Code(Column):
    """An identifier such as a GSS, project or metric code: upper-cased, checked against a lookup."""

    lookup: str = ""  # name of the reference set in the validation context
    pattern: str = r"^[A-Z0-9][A-Z0-9_\-]{0,39}$"

    def parse(self, text: pd.Series) -> Parsed:
        values = text.str.upper()
        bad = ~values.str.match(self.pattern).fillna(False).astype(bool)
        return _fail(values, bad, "not a valid code")


@dataclass
class Choice(Column):
    """One of a fixed list; matched ignoring case and spaces, stored in its canonical spelling."""

    choices: tuple[str, ...] = ()

    def parse(self, text: pd.Series) -> Parsed:
        canon = {re.sub(r"\s+", " ", c.lower()): c for c in self.choices}
        key = text.str.lower().str.replace(r"\s+", " ", regex=True)
        values = key.map(canon)
        bad = values.isna() & text.notna()
        return _fail(values, bad, "must be one of: " + ", ".join(self.choices))


def _numbers(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    cleaned = text.str.replace("£", "", regex=False).str.strip()
    with_commas = cleaned.str.match(_THOUSANDS.pattern).fillna(False).astype(bool)
    cleaned = cleaned.where(~with_commas, cleaned.str.replace(",", "", regex=False))
    numbers = pd.to_numeric(cleaned, errors="coerce")
    not_number = numbers.isna() & text.notna()
    return numbers, not_number


@dataclass
class Number(Column):
    """A non-negative quantity; ``integer`` for counts, ``decimals`` for money."""

    integer: bool = False
    decimals: int | None = None
    allow_negative: bool = False

    def parse(self, text: pd.Series) -> Parsed:
        numbers, not_number = _numbers(text)
        reasons = pd.Series("not a number", index=text.index, dtype=object)
        bad = not_number.copy()
        finite = np.isfinite(numbers.fillna(0.0).astype(float))
        reasons = reasons.where(finite, "not a finite number")
        bad |= ~finite
        if not self.allow_negative:
            negative = (numbers < 0).fillna(False).astype(bool)
            reasons = reasons.where(~negative | bad, "must not be negative")
            bad |= negative
        if self.integer:
            fractional = ((numbers % 1) != 0).fillna(False).astype(bool) & ~bad
            reasons = reasons.where(~fractional, "must be a whole number")
            bad |= fractional
        if self.decimals is not None:
            scaled = numbers * 10**self.decimals
            too_precise = ((scaled - scaled.round()).abs() > 1e-6).fillna(False).astype(bool) & ~bad
            reasons = reasons.where(~too_precise, f"at most {self.decimals} decimal places")
            bad |= too_precise
        return _fail(numbers, bad, reasons)


@dataclass
class DateCol(Column):
    planned: bool = False  # a planned date may lie further ahead (etl.dates)

    def parse(self, text: pd.Series) -> Parsed:
        shaped = text.str.match(r"^\d{4}-\d{2}-\d{2}$").fillna(False).astype(bool)
        outside = shaped & outside_dates(text.where(shaped), self.planned)
        dates = pd.to_datetime(text.where(shaped & ~outside), format="%Y-%m-%d", errors="coerce")
        malformed = dates.isna() & text.notna() & ~outside
        reasons = pd.Series("not a date in the form YYYY-MM-DD", index=text.index, dtype=object)
        reasons = reasons.where(~outside, date_window_reason(self.planned))
        return _fail(dates.dt.date.astype(object), malformed | outside, reasons)


@dataclass
class Period(Column):
    planned: bool = False

    def parse(self, text: pd.Series) -> Parsed:
        ok = text.str.match(r"^\d{4}-(0[1-9]|1[0-2])$").fillna(False).astype(bool)
        outside = ok & outside_periods(text.where(ok), self.planned)
        reasons = pd.Series("not a month in the form YYYY-MM", index=text.index, dtype=object)
        reasons = reasons.where(~outside, date_window_reason(self.planned))
        return _fail(text, (~ok & text.notna()) | outside, reasons)


@dataclass
class FinancialYear(Column):
    planned: bool = True  # targets and funding are set for years ahead

    def parse(self, text: pd.Series) -> Parsed:
        parts = text.str.extract(r"^(\d{4})\s*/\s*(\d{2})$")
        start = pd.to_numeric(parts[0], errors="coerce")
        end = pd.to_numeric(parts[1], errors="coerce")
        ok = ((start + 1) % 100 == end).fillna(False).astype(bool)
        values = parts[0] + "/" + parts[1]
        outside = ok & outside_financial_years(values.where(ok), self.planned)
        reasons = pd.Series("not a financial year like 2022/23", index=text.index, dtype=object)
        reasons = reasons.where(~outside, date_window_reason(self.planned))
        return _fail(values, (~ok & text.notna()) | outside, reasons)


@dataclass
class Flag(Column):
    def parse(self, text: pd.Series) -> Parsed:
        mapping = {"true": True, "yes": True, "y": True, "1": True, "false": False, "no": False, "n": False, "0": False}
        values = text.str.lower().map(mapping)
        return _fail(values, values.isna() & text.notna(), "must be true or false")


@dataclass
class CodeList(Column):
    """Semicolon-separated codes, stored normalised as 'A;B'."""

    lookup: str = ""

    def parse(self, text: pd.Series) -> Parsed:
        values = text.str.upper().str.replace(r"\s*;\s*", ";", regex=True).str.strip(";")
        ok = values.str.match(r"^[A-Z0-9_\-]+(;[A-Z0-9_\-]+)*$").fillna(False).astype(bool)
        return _fail(values, ~ok & text.notna(), "must be codes separated by semicolons")


@dataclass
class Schema:
    """The columns of one file kind, in the order the contract lists them."""

    columns: list[Column] = field(default_factory=list)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.header_required]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]
