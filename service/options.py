"""Choices for the filter bar, from the reference data (cached per data version)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from analysis.fiscal import fy_label, fy_of_period, parse_fy
from service.cache import cached
from warehouse import queries


@dataclass(frozen=True)
class FilterOptions:
    years: list[tuple[str, str]]
    areas: list[tuple[str, str]]
    priorities: list[tuple[str, str]]
    streams: list[tuple[str, str]]
    projects: list[tuple[str, str]]
    data_to: str


def area_choices(areas) -> list[tuple[str, str]]:  # noqa: ANN001 - queries.areas frame
    """Counties first, named as such ("Essex (county)"), then districts and unitaries A to Z.

    The county is the whole partnership area, the choice most people want after "All areas";
    alphabetical order alone buried it among the districts under E.
    """
    county = areas["area_type"] == "county"
    first = [(r.area_code, f"{r.area_name} (county)") for r in areas[county].itertuples()]
    return first + [(r.area_code, r.area_name) for r in areas[~county].sort_values("area_name").itertuples()]


@cached
def filter_options(engine: Engine) -> FilterOptions:
    data_to = queries.data_runs_to(engine)
    years: list[tuple[str, str]] = []
    if data_to:
        last = parse_fy(fy_of_period(data_to))
        years = [(fy_label(y), fy_label(y)) for y in range(last, 2018, -1)]
    areas = queries.areas(engine)
    pri = queries.priorities(engine)
    streams = queries.funding_streams(engine)
    prj = queries.projects(engine)
    return FilterOptions(
        years=years,
        areas=area_choices(areas),
        priorities=[(r.priority_code, f"{r.priority_code} {r.name}") for r in pri.itertuples()],
        streams=[(r.funding_stream, f"{r.funding_stream} ({r.source_body})") for r in streams.itertuples()],
        projects=[(r.project_code, f"{r.project_code} {r.project_name}") for r in prj.itertuples()],
        data_to=data_to,
    )
