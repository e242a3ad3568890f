"""Unknown codes are shown as typed, with the nearest valid code and its name (issue 15)."""

from __future__ import annotations

import pandas as pd

from etl.sources.base import Context
from etl.sources.observations import SOURCE as OBS
from etl.suggest import nearest

AREAS = {"E07000066": "Basildon", "E07000067": "Braintree", "E07000075": "Rochford"}


def test_a_name_typed_for_a_code_suggests_the_code() -> None:
    assert nearest("basildon ", AREAS) == "; did you mean E07000066 Basildon?"


def test_a_mistyped_code_suggests_the_nearest_code() -> None:
    assert nearest("E0700075", AREAS) == "; did you mean E07000075 Rochford?"  # one zero short


def test_a_wild_guess_suggests_nothing() -> None:
    assert nearest("Southampton docks", AREAS) == ""


def test_reader_reports_the_value_as_typed_with_the_suggestion() -> None:
    chunk = pd.DataFrame({"_row": [2], "period": ["2024-05"], "project_code": ["P1"], "area_code": ["Basildon"],
                          "metric_code": ["M1"], "value": ["3"], "age_band": [""], "sex": [""], "ethnicity": [""]})
    ctx = Context(file="obs.csv", codes={"project": {"P1"}, "area": set(AREAS), "metric": {"M1"}},
                  state={"names": {"area": AREAS}})
    OBS.parse(chunk, ctx)
    (p,) = ctx.problems
    # "Basildon" as typed (not BASILDON), and the code it must be.
    assert (p.row, p.column, p.value, p.reason) == (2, "area_code", "Basildon",
                                                    "unknown area code; did you mean E07000066 Basildon?")
