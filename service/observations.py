"""Observation values grouped by metric, period, area, project or priority, for the view's months.

The one function behind the observations API, the priorities page and the areas page, so the
numbers they show cannot disagree. ``latest`` metrics take the value of the last month with data
in each group rather than a sum (see ``warehouse.observation_queries``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from service.cache import cached
from service.gate import People, view
from warehouse import queries
from warehouse.filters import Filters
from warehouse.observation_queries import GROUP_COLUMNS, grouped_values

GROUP_BY_CHOICES = tuple(GROUP_COLUMNS)
_METRIC = re.compile(r"^[A-Za-z0-9_]{1,40}$")


class GroupingError(ValueError):
    """A group_by or metric the API cannot honour; the message says what is allowed."""


def parse_group_by(text: str | None) -> tuple[str, ...]:
    """``"metric,quarter"`` -> ("metric", "quarter"); blank means by metric; unknown words raise."""
    words = [w.strip().lower() for w in (text or "").split(",") if w.strip()]
    if not words:
        return ("metric",)
    unknown = [w for w in words if w not in GROUP_COLUMNS]
    if unknown:
        shown = ", ".join(repr(w[:30]) for w in unknown[:5])
        raise GroupingError(f"group_by: unknown {shown}; choose from {', '.join(GROUP_BY_CHOICES)}")
    if len(words) > len(GROUP_COLUMNS):
        raise GroupingError("group_by: too many words")
    return tuple(dict.fromkeys(words))


def parse_metric(engine: Engine, text: str | None) -> str:
    """A metric code known to the warehouse ('' for all metrics), upper-cased; anything else raises."""
    code = (text or "").strip().upper()
    if not code or code == "ALL":
        return ""
    if not _METRIC.match(code):
        raise GroupingError(f"metric must be a code such as YP_ENGAGED, got {code[:40]!r}")
    if code not in set(metric_info(engine)["metric_code"]):
        raise GroupingError(f"unknown metric {code!r}")
    return code


@cached
def metric_info(engine: Engine) -> pd.DataFrame:
    """warehouse.queries.metrics, cached per data version."""
    return queries.metrics(engine)


@dataclass(frozen=True)
class ObservationTotals:
    filters: Filters
    group_by: tuple[str, ...]
    metric: str
    first: str
    last: str
    data_to: str
    frame: pd.DataFrame  # group columns (metric_code first unless placed), value (people protected)


@view(People("frame"))
def observation_totals(engine: Engine, f: Filters, group_by: tuple[str, ...] = ("metric",),
                       metric: str = "") -> ObservationTotals:
    """Values grouped as asked for the view's months (default: the latest financial year)."""
    data_to = queries.data_runs_to(engine)
    if not data_to:
        names = [GROUP_COLUMNS[w] for w in (group_by if "metric" in group_by else ("metric", *group_by))]
        return ObservationTotals(f, group_by, metric, "", "", "", pd.DataFrame(columns=[*names, "value", "value_key"]))
    first, last = f.months(data_to)
    frame = grouped_values(engine, f, first, last, group_by, metric)
    return ObservationTotals(f, group_by, metric, first, last, data_to, frame)
