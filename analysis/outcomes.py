"""Outcome measures defined on police recorded crime rather than reported by projects.

Pure (no I/O). The serious violence measure (SV_OFFENCES in metrics.csv) counts the police.uk crime
types below, month by month: the partnership's own measure of the serious violence duty. police.uk has
no victim or offender ages, so there is no under-25 split from this source; the definition says so.
"""

from __future__ import annotations

import pandas as pd

SERIOUS_VIOLENCE = "SV_OFFENCES"
CRIME_DEFINED = {
    SERIOUS_VIOLENCE: ("Violence and sexual offences", "Robbery", "Possession of weapons"),
}
DEFINITION_NOTE = {
    SERIOUS_VIOLENCE: ("Police recorded crime (police.uk street-level data) in the partnership's areas: violence "
                       "and sexual offences, robbery and possession of weapons, by month. police.uk gives no ages, "
                       "so there is no under-25 split from this source."),
}


KNIFE_AND_WEAPON = "Knife and weapon offences"
ANTI_SOCIAL_BEHAVIOUR = "Anti-social behaviour"
CRIME_GROUPS: dict[str, tuple[str, ...]] = {
    "Serious violence": CRIME_DEFINED[SERIOUS_VIOLENCE],
    KNIFE_AND_WEAPON: ("Possession of weapons",),
}
"""Named groupings of police.uk crime types, the one definition the crime page, the board pack and the
Home Office return use. police.uk does not flag knife-enabled offences, so "knife and weapon offences" is
its possession-of-weapons category; the measure's definition says so wherever it is shown."""
GROUP_DEFINITION = {
    "Serious violence": DEFINITION_NOTE[SERIOUS_VIOLENCE],
    KNIFE_AND_WEAPON: ("Police recorded possession of weapons offences (police.uk street-level data) by month. "
                       "police.uk does not flag knife-enabled offences or give ages, so this is not the Home "
                       "Office's knife-enabled serious violence measure and has no under-25 split."),
}
CRIME_EXCLUDED_FROM_TOTAL = (ANTI_SOCIAL_BEHAVIOUR,)
"""Anti-social behaviour incidents are not crimes: police recorded crime totals leave them out and show
them separately."""


def crime_defined_monthly(counts: pd.DataFrame, codes: set[str] | frozenset[str]) -> pd.DataFrame:
    """Monthly values of the crime-defined measures in ``codes`` from crime counts (month, crime_type,
    count). Columns: metric_code, period, value, value_key (0: crimes are not people)."""
    rows = []
    for code in sorted(codes & set(CRIME_DEFINED)):
        mine = counts[counts["crime_type"].isin(CRIME_DEFINED[code])]
        for month, value in mine.groupby("month")["count"].sum().items():
            rows.append({"metric_code": code, "period": month, "value": float(value), "value_key": 0})
    return pd.DataFrame(rows, columns=["metric_code", "period", "value", "value_key"])


# ---------------------------------------------------------------------------------------------------
# The Home Office's success measures for VRUs, and how the partnership reports each

HOSPITAL_ADMISSIONS_INDICATOR = 11201
BASELINE_PERIOD_START = 2016
"""The pre-2019 baseline of a pooled Fingertips indicator: the three financial years 2016/17 to 2018/19,
the last period wholly before the VRUs were funded (2019/20)."""
ENGLAND = "E92000001"

HEALTH_DEFINITION = ("Fingertips indicator 11201, 'Violent crime - hospital admissions for violence (including "
                     "sexual violence)': emergency hospital admissions with ICD-10 codes X85-Y09, a directly "
                     "age-standardised rate per 100,000 residents pooled over three financial years, with its 95% "
                     "confidence interval. Fingertips publishes no value where the count is below 10. It counts all "
                     "ages and all violence, not only assaults with a knife or sharp object, and has no under-25 "
                     "split in this export.")
HOMICIDE_NOTE = ("No data: the partnership receives no non-domestic homicide figures (police.uk publishes no "
                 "homicide category and no ages). Shown as no data, not as zero.")
POLICE_SOURCE = "police.uk street-level crime, Essex Police"
HEALTH_SOURCE = "OHID Fingertips (Public Health Outcomes Framework), all_data export"


def health_trend(rows: pd.DataFrame, areas: list[str]) -> pd.DataFrame:
    """Each area's rate by pooled period beside England, with its change on the pre-2019 baseline.

    ``rows`` as ``warehouse.outcome_queries.indicator_rows`` (persons, all ages). Columns: area_code,
    area_name, time_period, period_start, value, lower_ci95, upper_ci95, count, value_note, baseline,
    change_pct (value against the area's own baseline period, None where either is suppressed),
    england (England's value in the same period). Areas in ``areas`` order, England last.
    """
    cols = ["area_code", "area_name", "time_period", "period_start", "value", "lower_ci95", "upper_ci95", "count",
            "value_note", "baseline", "change_pct", "england"]
    if rows.empty:
        return pd.DataFrame(columns=cols)
    persons = rows[rows["sex"] == "Persons"] if (rows["sex"] == "Persons").any() else rows
    england = persons[persons["area_code"] == ENGLAND].set_index("time_period")["value"]
    wanted = [a for a in areas if a in set(persons["area_code"])] + [ENGLAND]
    out = []
    for code in wanted:
        mine = persons[persons["area_code"] == code].sort_values("period_start")
        base = mine.loc[mine["period_start"] == BASELINE_PERIOD_START, "value"]
        baseline = float(base.iloc[0]) if len(base) and pd.notna(base.iloc[0]) else None
        for r in mine.to_dict("records"):
            value = None if pd.isna(r["value"]) else float(r["value"])
            change = None if value is None or not baseline else (value / baseline - 1.0) * 100.0
            eng = england.get(r["time_period"])
            out.append({**{c: r.get(c) for c in cols[:9]}, "value": value, "baseline": baseline,
                        "change_pct": change, "england": None if eng is None or pd.isna(eng) else float(eng)})
    return pd.DataFrame(out, columns=cols)


def police_measures_by_year(counts: pd.DataFrame, fy_of: dict[str, str]) -> pd.DataFrame:
    """Each crime group (``CRIME_GROUPS``) by financial year, with the months each year holds.

    ``counts``: month, crime_type, count (crimes in the partnership's areas); ``fy_of`` maps each month
    to its financial year. Columns: measure, financial_year, months, crimes, change_pct (on the first
    year loaded, the partnership's police baseline).
    """
    cols = ["measure", "financial_year", "months", "crimes", "change_pct"]
    rows = []
    for measure, types in CRIME_GROUPS.items():
        mine = counts[counts["crime_type"].isin(types)].assign(fy=lambda f: f["month"].map(fy_of))
        by_year = mine.groupby("fy").agg(months=("month", "nunique"), crimes=("count", "sum")).sort_index()
        first = None
        for fy, r in by_year.iterrows():
            crimes = int(r["crimes"])
            if first is None and int(r["months"]) == 12:
                first = crimes
            rows.append({"measure": measure, "financial_year": fy, "months": int(r["months"]), "crimes": crimes,
                         "change_pct": None if not first or int(r["months"]) != 12 else (crimes / first - 1) * 100})
    return pd.DataFrame(rows, columns=cols)
