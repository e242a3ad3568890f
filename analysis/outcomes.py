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


def crime_defined_monthly(counts: pd.DataFrame, codes: set[str] | frozenset[str]) -> pd.DataFrame:
    """Monthly values of the crime-defined measures in ``codes`` from crime counts (month, crime_type,
    count). Columns: metric_code, period, value, value_key (0: crimes are not people)."""
    rows = []
    for code in sorted(codes & set(CRIME_DEFINED)):
        mine = counts[counts["crime_type"].isin(CRIME_DEFINED[code])]
        for month, value in mine.groupby("month")["count"].sum().items():
            rows.append({"metric_code": code, "period": month, "value": float(value), "value_key": 0})
    return pd.DataFrame(rows, columns=["metric_code", "period", "value", "value_key"])
