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
