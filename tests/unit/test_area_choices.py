"""The filter bar's area list: "Essex (county)" first, then districts and unitaries A to Z."""

from __future__ import annotations

import pandas as pd

from service.options import area_choices
from tests.conftest import SAMPLE


def test_county_first_and_named_as_county() -> None:
    areas = pd.read_csv(SAMPLE / "areas.csv", dtype=str).sort_values("area_name")  # as queries.areas orders them
    choices = area_choices(areas)
    assert choices[0] == ("E10000012", "Essex (county)")
    rest = [label for _code, label in choices[1:]]
    assert rest == sorted(rest) and "Basildon" in rest and len(choices) == len(areas)
