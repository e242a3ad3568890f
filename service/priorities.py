"""Progress of each priority's metrics through a financial year: the view behind the priorities page.

Values come from ``service.observations.observation_totals`` (the function behind the API, so counts of
people arrive published by the gate, ``service.gate``): the months, the quarters, and the year to date
as its own published cell. ``analysis.year_progress`` works out each metric's year; the sentences are
in ``charts.progress_text``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from analysis.fiscal import add_months, fy_months
from analysis.progress import SINCE
from analysis.year_progress import MetricProgress, metric_progress
from service.gate import view
from service.observations import metric_info, observation_totals
from warehouse import queries
from warehouse.filters import Filters

GRAINS = ("month", "quarter")


def parse_grain(value: object) -> str:
    """'month' or 'quarter'; anything else (including a hostile value) falls back to month."""
    text = str(value or "").strip().lower()
    return text if text in GRAINS else "month"


@dataclass(frozen=True)
class PrioritySection:
    priority_code: str
    name: str
    description: str
    metrics: list[MetricProgress]


@dataclass(frozen=True)
class PriorityView:
    filters: Filters
    grain: str
    financial_year: str
    data_to: str
    months_elapsed: int
    sections: list[PrioritySection]
    without_data: list[str]  # metric names with neither data nor a target in the view


@view()  # publishes only what observation_totals published; a view so that its sentences follow the threshold
def priority_view(engine: Engine, f: Filters, grain: str = "month") -> PriorityView:
    """Every priority's metrics for the view's financial year (the whole year, whatever the quarter)."""
    grain = parse_grain(grain)
    data_to = queries.data_runs_to(engine)
    if not data_to:
        return PriorityView(f, grain, "", "", 0, [], [])
    fy = f.year(data_to)
    year = Filters(fy=fy, area=f.area, priority=f.priority, stream=f.stream, project=f.project)
    monthly = observation_totals(engine, year, ("metric", "month")).frame
    quarterly = observation_totals(engine, year, ("metric", "quarter")).frame if grain == "quarter" else None
    to_date = observation_totals(engine, Filters(month_from=fy_months(fy)[0], month_to=min(fy_months(fy)[-1], data_to),
                                                 area=f.area, priority=f.priority, stream=f.stream, project=f.project),
                                 ("metric",)).frame
    ytd = dict(zip(to_date["metric_code"], to_date["value"].astype(float), strict=True))
    # Earlier years, as published, for each metric's seasonal profile (analysis.seasonal).
    before = add_months(fy_months(fy)[0], -1)
    earlier = observation_totals(engine, Filters(month_from=SINCE, month_to=before, area=f.area, priority=f.priority,
                                                 stream=f.stream, project=f.project),
                                 ("metric", "month")).frame if before >= SINCE else None
    history = {} if earlier is None else {code: dict(zip(frame["month"], frame["value"].astype(float), strict=True))
                                          for code, frame in earlier.groupby("metric_code", sort=False)}
    info = metric_info(engine)
    targets = queries.targets(engine, f, fy)
    annual = dict(zip(targets["metric_code"], targets["target_value"].astype(float), strict=True))
    months = fy_months(fy)
    elapsed = len([mo for mo in months if mo <= data_to])
    sections, without = [], []
    for pri in queries.priorities(engine).itertuples(index=False):
        if f.priority and pri.priority_code != f.priority:
            continue
        items = []
        for row in info[info["priority_code"] == pri.priority_code].to_dict("records"):
            code = row["metric_code"]
            mine = monthly[monthly["metric_code"] == code]
            q = None if quarterly is None else quarterly[quarterly["metric_code"] == code]
            mp = metric_progress(code, row, mine, q, annual.get(code), fy, data_to, grain,
                                 f.quarter if f.fy else "", year_to_date=ytd.get(code) if code in ytd else None,
                                 history=history.get(code, {}))
            if not mp.has_data and mp.annual_target is None:
                without.append(row["name"])
                continue
            items.append(mp)
        sections.append(PrioritySection(pri.priority_code, pri.name, pri.description, items))
    return PriorityView(f, grain, fy, data_to, elapsed, sections, without)

