"""Return status for the overview, the data quality page and the API."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from analysis.returns import return_status
from service.cache import cached
from warehouse import queries
from warehouse.filters import Filters


@cached
def returns_view(engine: Engine, f: Filters) -> pd.DataFrame:
    """analysis.returns.RETURN_COLUMNS plus project_name, for the projects within the slicers."""
    projects = queries.project_scope(engine, f)
    table = return_status(projects, queries.expected_returns(engine, f), queries.data_runs_to(engine))
    return table.merge(projects[["project_code", "project_name"]], on="project_code", how="left")
