"""The view filters every page, API endpoint and export takes, validated in one place.

Filters arrive from URLs and from callbacks, which anyone can call with any JSON, so parsing is
strict: an unknown value becomes "no filter" for codes that fail their pattern, and an error for
malformed periods, rather than reaching SQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, fields, replace
from urllib.parse import urlencode

from analysis.fiscal import Quarter, fy_label, fy_months, parse_fy, parse_period

_CODE = re.compile(r"^[A-Za-z0-9_\-]{1,40}$")
ALL = "all"
FILTER_KEYS = ("fy", "quarter", "month_from", "month_to", "area", "priority", "stream", "project")


# The organisation a partner's request is limited to, set by the web app's access control for each
# request ("" = not limited). Every Filters made while it is set carries it, whatever the caller
# passed: scope cannot be forgotten by a page, callback, API endpoint or export, nor widened by input.
REQUEST_ORG: ContextVar[str] = ContextVar("REQUEST_ORG", default="")


@contextmanager
def org_scope(org: str) -> Iterator[None]:
    """Run a block as a partner of ``org`` (tests, and code outside a web request)."""
    token = REQUEST_ORG.set(org)
    try:
        yield
    finally:
        REQUEST_ORG.reset(token)


class FilterError(ValueError):
    """A filter value that cannot be understood; the API answers 400 with this message."""


def _code(value: object, name: str) -> str:
    text = str(value or "").strip()
    if not text or text.lower() == "all":
        return ""
    if not _CODE.match(text):
        raise FilterError(f"{name} must be a code such as PRJ001, got {text[:40]!r}")
    return text.upper()


@dataclass(frozen=True)
class Filters:
    """A view: a financial year (optionally one quarter) or a month range, plus slicers."""

    fy: str = ""
    quarter: str = ""  # "" or Q1..Q4
    month_from: str = ""
    month_to: str = ""
    area: str = ""
    priority: str = ""
    stream: str = ""
    project: str = ""
    # Server-side partner scope (an organisation code). Never read from a URL or callback input:
    # from_query ignores it and __post_init__ forces it to the request's scope when one is set.
    org: str = ""

    def __post_init__(self) -> None:
        scope = REQUEST_ORG.get()
        if scope and self.org != scope:
            object.__setattr__(self, "org", scope)

    @classmethod
    def from_query(cls, query: Mapping[str, object] | None) -> Filters:
        q = {k: ("" if v is None else str(v[0] if isinstance(v, list | tuple) and v else v)) for k, v in
             (query or {}).items()}
        q = {k: ("" if v.strip().lower() == ALL else v) for k, v in q.items()}  # the selects' "all" choice
        fy = q.get("fy", "").strip()
        if fy:
            try:
                fy = fy_label(parse_fy(fy))
            except ValueError as exc:
                raise FilterError(str(exc)) from exc
        quarter = q.get("quarter", "").strip().upper()
        if quarter and quarter not in ("Q1", "Q2", "Q3", "Q4"):
            raise FilterError(f"quarter must be Q1, Q2, Q3 or Q4, got {quarter[:10]!r}")
        months = {}
        for key in ("month_from", "month_to"):
            value = q.get(key, "").strip()
            if value:
                try:
                    parse_period(value)
                except ValueError as exc:
                    raise FilterError(f"{key}: {exc}") from exc
            months[key] = value
        return cls(
            fy=fy, quarter=quarter if fy else "", **months,
            area=_code(q.get("area"), "area"), priority=_code(q.get("priority"), "priority"),
            stream=_code(q.get("stream"), "stream"), project=_code(q.get("project"), "project"),
        )

    def to_query(self) -> str:
        """The URL query string for this view (only the filters that are set)."""
        return urlencode({k: v for k, v in asdict(self).items() if v and k in FILTER_KEYS})

    def with_(self, **changes: str) -> Filters:
        return replace(self, **changes)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def months(self, latest: str) -> tuple[str, str]:
        """First and last month of the view; the default is the financial year of ``latest``."""
        if self.month_from or self.month_to:
            return self.month_from or "2019-04", self.month_to or latest
        fy = self.fy or fy_label(Quarter.of(parse_period(latest)).fy_start)
        if self.quarter:
            q = Quarter(parse_fy(fy), int(self.quarter[1]))
            return q.first_month, q.last_month
        months = fy_months(fy)
        return months[0], months[-1]

    def year(self, latest: str) -> str:
        """The financial year the view falls in (for targets)."""
        first, _last = self.months(latest)
        return fy_label(Quarter.of(parse_period(first)).fy_start)

    def describe(self, latest: str, name: Callable[[str, str], str] | None = None) -> str:
        """The view in words; ``name(key, code)`` turns codes into the names people know ("Basildon")."""
        first, last = self.months(latest)
        if self.fy and self.quarter:
            when = f"{self.fy} {self.quarter}"
        elif self.fy or not (self.month_from or self.month_to):
            when = f"{self.year(latest)}"
        else:
            when = f"{first} to {last}"
        chosen = (("area", self.area), ("priority", self.priority), ("stream", self.stream), ("project", self.project))
        if name is None:
            parts = [when] + [f"{k} {v}" for k, v in chosen if v]
        else:
            parts = [when] + [name(k, v) for k, v in chosen if v]
        return ", ".join(parts)
