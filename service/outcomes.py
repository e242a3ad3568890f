"""The outcome measures view: the Home Office's success measures for VRUs as the partnership can report
them, shared by the Outcome measures page, the board pack and the Home Office return.

Health: Fingertips indicator 11201 (hospital admissions for violence) for the partnership's county and
unitary authorities beside England, against the pre-2019 baseline. Police: the crime groups of
``analysis.outcomes.CRIME_GROUPS`` (the same definition the crime page uses) by financial year, from
police.uk, which has no ages (no under-25 split). Homicide: no data, said as such. Every figure here is
a rate or a count of offences or admissions, not of people in the programme, so the disclosure gate
does not apply; Fingertips' own suppression (count below 10) is kept as published.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from analysis.fiscal import fy_of_period
from analysis.outcomes import (
    BASELINE_PERIOD_START,
    CRIME_EXCLUDED_FROM_TOTAL,
    CRIME_GROUPS,
    ENGLAND,
    GROUP_DEFINITION,
    HEALTH_DEFINITION,
    HEALTH_SOURCE,
    HOMICIDE_NOTE,
    HOSPITAL_ADMISSIONS_INDICATOR,
    POLICE_SOURCE,
    health_trend,
    police_measures_by_year,
)
from warehouse import outcome_queries, queries
from warehouse.filters import Filters

MEASURE_COLUMNS = ["measure", "source", "definition", "period", "value", "interval", "unit", "baseline", "note"]
NO_UNDER_25 = "police.uk gives no victim or offender ages, so there is no under-25 split from this source."


@dataclass(frozen=True)
class OutcomeView:
    """measures: one row per measure (MEASURE_COLUMNS, text ready to show); health: ``health_trend``;
    police: ``police_measures_by_year``; areas: the partnership areas shown (code, name)."""

    measures: pd.DataFrame
    health: pd.DataFrame
    police: pd.DataFrame
    areas: list[tuple[str, str]]


def _top_tier(engine: Engine) -> list[tuple[str, str]]:
    areas = queries.areas(engine)
    top = areas[areas["area_type"].isin(["county", "unitary"])].sort_values("area_code")
    return list(zip(top["area_code"], top["area_name"], strict=True))


def _police_counts(engine: Engine, last_month: str) -> pd.DataFrame:
    try:
        from service.crime import crime_table
        from warehouse.crime_models import BUCKET_NAMES
    except ImportError:
        return pd.DataFrame(columns=["month", "crime_type", "count"])
    try:
        frame = crime_table(engine, Filters(month_to=last_month) if last_month else Filters(), "",
                            ("month", "area", "crime_type"))
    except (SQLAlchemyError, ValueError):
        return pd.DataFrame(columns=["month", "crime_type", "count"])
    frame = frame[~frame["area_code"].isin(list(BUCKET_NAMES)) & ~frame["crime_type"].isin(CRIME_EXCLUDED_FROM_TOTAL)]
    return frame.groupby(["month", "crime_type"], as_index=False)["count"].sum()


def _fmt(value: float | None, digits: int = 1) -> str:
    return "" if value is None or pd.isna(value) else f"{value:,.{digits}f}"


def outcome_view(engine: Engine, last_month: str = "") -> OutcomeView:
    """The outcome measures up to ``last_month`` (police months; blank: everything loaded)."""
    areas = _top_tier(engine)
    rows = outcome_queries.indicator_rows(engine, HOSPITAL_ADMISSIONS_INDICATOR)
    health = health_trend(rows, [a for a, _n in areas])
    counts = _police_counts(engine, last_month)
    police = police_measures_by_year(counts, {m: fy_of_period(m) for m in set(counts["month"])})
    measures = []
    for code, name in [*areas, (ENGLAND, "England")]:
        mine = health[health["area_code"] == code]
        if mine.empty:
            measures.append({"measure": f"Hospital admissions for violence, {name}", "source": HEALTH_SOURCE,
                             "definition": HEALTH_DEFINITION, "period": "", "value": "no data", "interval": "",
                             "unit": "per 100,000 (age-standardised)", "baseline": "",
                             "note": "No Fingertips export of indicator 11201 is loaded for this area."})
            continue
        latest = mine.iloc[-1]
        value = latest["value"]
        base = latest["baseline"]
        change = latest["change_pct"]
        note = latest["value_note"] if value is None or pd.isna(value) else (
            f"{change:+.0f}% on the 2016/17 - 18/19 baseline" if change is not None and pd.notna(change) else "")
        measures.append({
            "measure": f"Hospital admissions for violence, {name}", "source": HEALTH_SOURCE,
            "definition": HEALTH_DEFINITION, "period": latest["time_period"],
            "value": "suppressed (count below 10)" if value is None or pd.isna(value) else _fmt(value),
            "interval": "" if value is None or pd.isna(value) else
            f"95% CI {_fmt(latest['lower_ci95'])} to {_fmt(latest['upper_ci95'])}",
            "unit": "per 100,000 (age-standardised)", "baseline": _fmt(base), "note": note})
    for measure in CRIME_GROUPS:
        mine = police[police["measure"] == measure]
        if mine.empty:
            measures.append({"measure": f"{measure} (police recorded)", "source": POLICE_SOURCE,
                             "definition": GROUP_DEFINITION[measure], "period": "", "value": "no data",
                             "interval": "", "unit": "offences", "baseline": "",
                             "note": "No police.uk data loaded. No under-25 split (police.uk has no ages)."})
            continue
        full = mine[mine["months"] == 12]
        latest = full.iloc[-1] if not full.empty else mine.iloc[-1]
        first = full.iloc[0] if not full.empty else None
        change = latest["change_pct"]
        months = "" if latest["months"] == 12 else f" ({latest['months']} months)"
        measures.append({
            "measure": f"{measure} (police recorded)", "source": POLICE_SOURCE, "definition": GROUP_DEFINITION[measure],
            "period": f"{latest['financial_year']}{months}", "value": f"{int(latest['crimes']):,}",
            "interval": "not applicable (a count of all recorded offences)", "unit": "offences",
            "baseline": "" if first is None else f"{int(first['crimes']):,} in {first['financial_year']}",
            "note": (f"{change:+.0f}% on {first['financial_year']}. " if first is not None and change is not None
                     and pd.notna(change) else "") + "No under-25 split (police.uk has no ages)."})
    measures.append({"measure": "Non-domestic homicide", "source": "none", "period": "", "value": "no data",
                     "definition": "Home Office success measure: non-domestic homicides, especially of under-25s. "
                     + HOMICIDE_NOTE, "interval": "", "unit": "homicides", "baseline": "",
                     "note": "No data (not zero): no homicide source is loaded."})
    return OutcomeView(pd.DataFrame(measures, columns=MEASURE_COLUMNS), health, police, areas)


BASELINE_LABEL = f"{BASELINE_PERIOD_START}/{(BASELINE_PERIOD_START + 1) % 100:02d} - " \
                 f"{(BASELINE_PERIOD_START + 2) % 100:02d}/{(BASELINE_PERIOD_START + 3) % 100:02d}"
