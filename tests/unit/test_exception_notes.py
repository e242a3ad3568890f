"""An exception report says why it is short or empty (``reporting.exceptions.report_notes``): known answers
for each case a board member could otherwise read as "all is well"."""

from __future__ import annotations

import pandas as pd

from reporting.exceptions import report_notes

NAMES = {"YP": "Young people engaged", "DYW": "Hours of detached youth work", "IND": "Individuals supported"}
NO_ENTRIES = pd.DataFrame(columns=["metric_code", "explanation", "action", "entered_by", "entered_at"])


def kpi(code: str, status: str | None) -> dict:
    return {"metric_code": code, "name": NAMES[code], "status": status}


def entries(*codes: str) -> pd.DataFrame:
    return pd.DataFrame([{"metric_code": c, "explanation": "e", "action": "a", "entered_by": "m", "entered_at": None}
                         for c in codes])


def test_every_judged_measure_on_track_says_how_many_were_judged_and_how_many_were_not() -> None:
    rows = [kpi("YP", "on track"), kpi("DYW", "on track"), kpi("IND", "incomplete")]
    assert report_notes(rows, NO_ENTRIES, NAMES) == [
        "Every measure judged is on track for the year to date (2 judged; 1 not judged: no target, or too little "
        "data)."]


def test_a_view_where_nothing_can_be_judged_does_not_read_as_on_track() -> None:
    rows = [kpi("YP", "no target"), kpi("DYW", None)]
    notes = report_notes(rows, NO_ENTRIES, NAMES, view="Basildon; P3 Exploitation")
    assert notes == ["No measure in this view (Basildon; P3 Exploitation) can be judged for the year to date "
                     "(2 not judged: no target, or too little data), so none is listed."]
    assert "on track" not in notes[0]


def test_a_view_with_no_measures_says_so() -> None:
    assert report_notes([], NO_ENTRIES, NAMES, view="Harlow") == [
        "No measure is reported in this view (Harlow) for the year to date, so no measure is judged."]


def test_partnership_entries_for_measures_on_track_in_the_view_are_named() -> None:
    rows = [kpi("YP", "on track"), kpi("DYW", "off track")]
    notes = report_notes(rows, entries("DYW", "IND"), NAMES, view="Basildon")
    # DYW is listed (off track here) with the partnership's words, and the page says whose words they are;
    # IND had an entry but is not off track or at risk here (nor reported): named, not silently dropped.
    assert notes == [
        "Explanations and actions are entered for each measure across the whole partnership; here they stand "
        "beside this view's own figures.",
        "An explanation and action were entered this quarter for Individuals supported, which is not off track or "
        "at risk in this view (Basildon), so it is not listed."]


def test_a_full_report_of_the_partnership_needs_no_notes() -> None:
    assert report_notes([kpi("YP", "at risk"), kpi("DYW", "off track")], entries("YP", "DYW"), NAMES) == []
