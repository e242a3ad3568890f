"""UK financial-year and quarter arithmetic: the only place dates are turned into years and quarters.

Financial years run 1 April to 31 March and are written ``2022/23``; quarters are ``2022/23 Q1``
(April-June) to ``Q4`` (January-March). Months are ``YYYY-MM`` strings, which sort correctly and
mean the same on every database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_FY_RE = re.compile(r"^\s*(\d{4})\s*/\s*(\d{2})\s*$")
_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*/\s*(\d{2})\s+Q([1-4])\s*$", re.IGNORECASE)
_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


def fy_start_year(d: date) -> int:
    """Calendar year in which the financial year containing ``d`` starts."""
    return d.year if d.month >= 4 else d.year - 1


def fy_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def financial_year(d: date) -> str:
    return fy_label(fy_start_year(d))


def fiscal_quarter(d: date) -> int:
    """1 for April-June ... 4 for January-March."""
    return (d.month - 4) % 12 // 3 + 1


def parse_fy(label: str) -> int:
    """``'2022/23'`` -> 2022; rejects labels whose two halves are not consecutive years."""
    m = _FY_RE.match(label or "")
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ValueError(f"not a financial year like 2022/23: {label!r}")
    return int(m.group(1))


def parse_period(period: str) -> date:
    """``'2022-07'`` -> date(2022, 7, 1); anything else raises ValueError."""
    m = _PERIOD_RE.match(period or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"not a month like 2022-07: {period!r}")
    return date(int(m.group(1)), int(m.group(2)), 1)


def period_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def add_months(period: str, n: int) -> str:
    d = parse_period(period)
    index = d.year * 12 + d.month - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Inclusive list of months from ``first`` to ``last`` (empty when last < first)."""
    out: list[str] = []
    current = first
    while current <= last:
        out.append(current)
        current = add_months(current, 1)
    return out


@dataclass(frozen=True, order=True)
class Quarter:
    """A financial quarter such as 2022/23 Q3."""

    fy_start: int
    number: int

    @classmethod
    def parse(cls, label: str) -> Quarter:
        m = _QUARTER_RE.match(label or "")
        if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
            raise ValueError(f"not a quarter like '2022/23 Q3': {label!r}")
        return cls(int(m.group(1)), int(m.group(3)))

    @classmethod
    def of(cls, d: date) -> Quarter:
        return cls(fy_start_year(d), fiscal_quarter(d))

    @property
    def fy(self) -> str:
        return fy_label(self.fy_start)

    @property
    def label(self) -> str:
        return f"{self.fy} Q{self.number}"

    @property
    def first_month(self) -> str:
        return add_months(f"{self.fy_start:04d}-04", 3 * (self.number - 1))

    @property
    def last_month(self) -> str:
        return add_months(self.first_month, 2)

    @property
    def months(self) -> list[str]:
        return months_between(self.first_month, self.last_month)

    def previous_year(self) -> Quarter:
        return Quarter(self.fy_start - 1, self.number)

    def __str__(self) -> str:
        return self.label


def fy_months(label: str) -> list[str]:
    """The twelve months of a financial year, April first."""
    start = parse_fy(label)
    return months_between(f"{start:04d}-04", f"{start + 1:04d}-03")


def fy_of_period(period: str) -> str:
    return financial_year(parse_period(period))


def quarter_of_period(period: str) -> int:
    return fiscal_quarter(parse_period(period))


def share_of_year_elapsed(label: str, data_runs_to: str) -> float:
    """Fraction of the financial year's months up to and including ``data_runs_to`` (0..1).

    Used for pro-rata targets: a year whose data run to September is half elapsed.
    """
    months = fy_months(label)
    done = sum(1 for m in months if m <= data_runs_to)
    return done / 12.0
