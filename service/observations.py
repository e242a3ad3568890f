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

from analysis.fiscal import Quarter, months_between, parse_period
from analysis.stocks import CARRY_MONTHS, STOCK_AGGREGATIONS, levels_over_months, typed_notes
from service.cache import cached
from service.gate import People, view
from warehouse import queries
from warehouse.filters import Filters
from warehouse.observation_queries import GROUP_COLUMNS, grouped_values, project_end_months, stock_series

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


STOCK_COLUMNS = ["carried", "carried_from", "completeness"]


@view(People("frame"))
def observation_totals(engine: Engine, f: Filters, group_by: tuple[str, ...] = ("metric",),
                       metric: str = "") -> ObservationTotals:
    """Values grouped as asked for the view's months (default: the latest financial year).

    Flows are sums of their months; stocks are their level at each group's last month (the month,
    the quarter's or year's last month, or the view's; never after the data), carried forward per
    project x area by ``analysis.stocks``, with how many series were carried, from when, and the
    share reported in the month itself (``carried``, ``carried_from``, ``completeness``: empty for flows).
    """
    names = [GROUP_COLUMNS[w] for w in (group_by if "metric" in group_by else ("metric", *group_by))]
    data_to = queries.data_runs_to(engine)
    if not data_to:
        return ObservationTotals(f, group_by, metric, "", "", "",
                                 pd.DataFrame(columns=[*names, "value", "value_key", *STOCK_COLUMNS]))
    first, last = f.months(data_to)
    flows = grouped_values(engine, f, first, last, group_by, metric)
    stocks = stock_groups(engine, f, first, min(last, data_to), names, metric)
    frame = pd.concat([flows.assign(carried=None, carried_from=None, completeness=None), stocks],
                      ignore_index=True) if not stocks.empty else flows.assign(carried=None, carried_from=None,
                                                                                completeness=None)
    frame = typed_notes(frame.sort_values(names, kind="stable").reset_index(drop=True))
    return ObservationTotals(f, group_by, metric, first, last, data_to, frame)


def _reference_months(first: str, last: str, time: str) -> list[tuple[str, str]]:
    """(group label, month the stock is read at) for each time group of [first, last]."""
    months = months_between(first, last)
    if time == "month":
        return [(mo, mo) for mo in months]
    out: dict[str, str] = {}
    for mo in months:
        q = Quarter.of(parse_period(mo))
        label = q.label if time == "quarter" else q.fy
        out[label] = max(out.get(label, mo), mo)
    return list(out.items()) if time in ("quarter", "financial_year") else [("", last)]


def stock_groups(engine: Engine, f: Filters, first: str, last: str, names: list[str], metric: str) -> pd.DataFrame:
    """Stock metrics grouped as ``names`` asks, each group's level by ``analysis.stocks``."""
    info = metric_info(engine)
    stocks = info[info["aggregation"].isin(STOCK_AGGREGATIONS) & ((info["metric_code"] == metric) if metric else True)]
    columns = [*names, "value", "value_key", *STOCK_COLUMNS]
    if stocks.empty or first > last:
        return pd.DataFrame(columns=columns)
    time = next((n for n in names if n in ("month", "quarter", "financial_year")), "")
    refs = _reference_months(first, last, time) if time else [("", last)]
    running = stocks.loc[stocks["aggregation"] == "cumulative", "metric_code"].tolist()
    series = stock_series(engine, f, stocks["metric_code"].tolist(), min(r for _l, r in refs), last, CARRY_MONTHS,
                          running)
    if series.empty:
        return pd.DataFrame(columns=columns)
    others = [n for n in names if n not in ("metric_code", "month", "quarter", "financial_year")]
    if "priority_code" in others:
        priority = dict(zip(*[queries.projects(engine)[c] for c in ("project_code", "priority_code")], strict=True))
        series = series.assign(priority_code=series["project_code"].map(priority))
    ends = project_end_months(engine)
    kinds = dict(zip(stocks["metric_code"], stocks["aggregation"], strict=True))
    rows = []
    for code, mine in series.groupby("metric_code", sort=True):
        every = levels_over_months(mine, sorted({month for _l, month in refs}), kinds[code], others, ends)
        for label, month in refs:
            groups = {key[1:]: level for key, level in every.items() if key[0] == month}
            for key, level in groups.items():
                if level.reported + level.carried == 0:
                    continue
                row = dict(zip(others, key, strict=True))
                row.update(metric_code=code, value=level.value, value_key=level.value_key, carried=level.carried,
                           carried_from=level.carried_from or None, completeness=round(level.completeness, 3))
                if time:
                    row[time] = label
                rows.append(row)
    return pd.DataFrame(rows, columns=columns)
