"""Who the projects reached: a people metric by age band, sex or ethnicity per quarter, disclosure-controlled.

The page, the API and exports all call :func:`breakdown_view`, a gated view (``service.gate``): no
surface ever receives a small count of people, and every other count carries its fixed adjustment. Only metrics
counted in people and summed over time (new starters) are broken down; stocks such as the active
caseload would be double counted by adding months up, so they are not offered.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from analysis.disclosure import KEY_MODULUS, footnote, sum_keys, to_long
from analysis.fiscal import Quarter, parse_period
from etl.sources.observations import AGE_BANDS, ETHNICITIES, SEXES
from service.cache import cached
from service.gate import People, threshold, view
from warehouse import queries
from warehouse.breakdown_queries import DIMENSIONS, breakdown_totals
from warehouse.filters import Filters
from warehouse.observation_queries import grouped_values

TOTAL = "Total"
DIMENSION_LABELS = {"age_band": "Age band", "sex": "Sex", "ethnicity": "Ethnicity"}
CATEGORIES = {"age_band": AGE_BANDS, "sex": SEXES, "ethnicity": ETHNICITIES}
DEFAULT_METRIC = "YP_ENGAGED"


class BreakdownError(ValueError):
    """An unknown metric or dimension; the API answers 400 with the message."""


def category_label(code: str) -> str:
    if code == "unknown":
        return "Not recorded"
    return code[:1].upper() + code[1:]


@dataclass(frozen=True)
class BreakdownView:
    """One people metric split by one dimension, quarters across, totals on both margins, suppressed."""

    metric_code: str
    metric_name: str
    dimension: str
    filters: Filters
    quarters: list[str]  # column labels such as "2024/25 Q1"
    cells: pd.DataFrame  # category, quarter, value: every published cell, totals included
    table: pd.DataFrame  # index: category codes then "Total"; columns: quarters then "Total"; hidden = NaN
    first: str  # first and last month covered (whole quarters)
    last: str
    data_to: str
    note: str  # how the period was read (whole quarters, quarters not yet reported)

    @property
    def columns(self) -> list[str]:
        return [*self.quarters, TOTAL]

    @property
    def dimension_label(self) -> str:
        return DIMENSION_LABELS[self.dimension]

    @property
    def footnote(self) -> str:
        return footnote(threshold())

    @property
    def suppressed_cells(self) -> int:
        return int(self.table[self.columns].isna().sum().sum()) if not self.table.empty else 0

    def records(self) -> pd.DataFrame:
        """Tidy rows for the API and CSV: category, quarter, value (None when suppressed), suppressed."""
        if self.table.empty:
            return pd.DataFrame(columns=["dimension", "category", "quarter", "value", "suppressed"])
        long = to_long(self.table, self.columns, row_name="category", col_name="quarter")
        long.insert(0, "dimension", self.dimension)
        return long


@cached
def people_metrics(engine: Engine) -> pd.DataFrame:
    """Metrics that can be broken down: counted in people and summed. Columns: metric_code, name."""
    info = queries.metrics(engine)
    chosen = info[(info["unit"] == "people") & (info["aggregation"] == "sum")]
    return chosen[["metric_code", "name"]].reset_index(drop=True)


def choose_metric(engine: Engine, requested: object) -> str:
    """A valid people metric for an untrusted request value, else the default (or '' if none)."""
    codes = people_metrics(engine)["metric_code"].tolist()
    text = str(requested or "").strip().upper()
    if text in codes:
        return text
    return DEFAULT_METRIC if DEFAULT_METRIC in codes else (codes[0] if codes else "")


def view_quarters(f: Filters, data_to: str) -> tuple[list[Quarter], str]:
    """The quarters a view covers, up to the last one with data, and a note when that changed the period."""
    first, last = f.months(data_to)
    q, end = Quarter.of(parse_period(first)), Quarter.of(parse_period(min(last, data_to)))
    out = []
    while q <= end:
        out.append(q)
        q = Quarter(q.fy_start + (q.number == 4), q.number % 4 + 1)
    notes = []
    if out and (out[0].first_month != first or (last <= data_to and out[-1].last_month != last)):
        notes.append(f"Breakdowns are kept by quarter, so whole quarters from {out[0].first_month} to "
                     f"{out[-1].last_month} are shown.")
    if last > data_to:
        notes.append(f"Data run to {data_to}; later quarters are not shown.")
    if out and out[-1].last_month > data_to:
        notes.append(f"{out[-1].label} is not complete yet (data run to {data_to}).")
    return out, " ".join(notes)


def breakdown_view(engine: Engine, f: Filters, metric_code: str, dimension: str) -> BreakdownView:
    """The suppressed breakdown; raises BreakdownError for a metric or dimension that cannot be shown."""
    if dimension not in DIMENSIONS:
        raise BreakdownError(f"dimension must be one of {', '.join(DIMENSIONS)}")
    info = people_metrics(engine)
    code = str(metric_code or "").strip().upper()
    if code not in set(info["metric_code"]):
        raise BreakdownError(f"metric must be a people metric summed over time: {', '.join(info['metric_code'])}")
    return _breakdown_view(engine, f, code, dimension)


def _derive(result: BreakdownView, threshold: int) -> BreakdownView:
    """The wide table (categories down, quarters across, totals on both margins) from the published cells."""
    if result.cells.empty:
        return dataclasses.replace(result, table=pd.DataFrame())
    table = result.cells.pivot(index="category", columns="quarter", values="value")
    rows = [*[c for c in CATEGORIES[result.dimension] if c in table.index],
            *sorted(set(table.index) - set(CATEGORIES[result.dimension]) - {TOTAL}), TOTAL]
    table = table.reindex(index=rows, columns=result.columns)
    table.index.name = "category"
    return dataclasses.replace(result, table=table)


@view(People("cells", metric=None), derive=_derive)
def _breakdown_view(engine: Engine, f: Filters, metric_code: str, dimension: str) -> BreakdownView:
    """Exact cells with their keys; the gate publishes them.

    The Total row is read from the monthly summary (as the observations API reads a quarter), so the
    same quarter shows the same published figure on every surface; category cells and category totals
    are sums of the breakdown rows, each cell with the sum of its rows' keys.
    """
    info = people_metrics(engine)
    name = str(info.loc[info["metric_code"] == metric_code, "name"].iloc[0])
    data_to = queries.data_runs_to(engine)
    empty = pd.DataFrame(columns=["category", "quarter", "value", "value_key"])
    if not data_to:
        return BreakdownView(metric_code, name, dimension, f, [], empty, empty, "", "", "", "No data loaded.")
    quarters, note = view_quarters(f, data_to)
    if not quarters:
        return BreakdownView(metric_code, name, dimension, f, [], empty, empty, "", "", data_to,
                             note or "No quarters in this period.")
    raw = breakdown_totals(engine, f, metric_code, dimension, quarters)
    labels = [q.label for q in quarters]
    label_of = {(q.fy, q.number): q.label for q in quarters}
    extra = sorted(set(raw["category"]) - set(CATEGORIES[dimension]))
    cats = [*CATEGORIES[dimension], *extra]
    # Every standard category is listed, with 0 where nobody was reached: a missing row would hide that.
    cells = {(c, q): [0.0, 0] for c in cats for q in [*labels, TOTAL]}
    for fy, number, category, value, key in raw.itertuples(index=False, name=None):
        for q in (label_of[(fy, int(number))], TOTAL):
            cells[(category, q)][0] += float(value or 0)
            cells[(category, q)][1] += int(key or 0)
    first, last = quarters[0].first_month, min(quarters[-1].last_month, data_to)
    by_quarter = grouped_values(engine, f, first, last, ("metric", "quarter"), metric_code)
    for quarter, value, key in by_quarter[["quarter", "value", "value_key"]].itertuples(index=False, name=None):
        cells[(TOTAL, quarter)] = [float(value), int(key)]
    for label in labels:
        cells.setdefault((TOTAL, label), [0.0, 0])
    whole = grouped_values(engine, f, first, last, ("metric",), metric_code)
    cells[(TOTAL, TOTAL)] = [float(whole["value"].sum()), sum_keys(whole["value_key"])]
    frame = pd.DataFrame([(c, q, v, k % KEY_MODULUS) for (c, q), (v, k) in cells.items()],
                         columns=["category", "quarter", "value", "value_key"])
    return BreakdownView(metric_code, name, dimension, f, labels, frame, pd.DataFrame(), first, last, data_to, note)
