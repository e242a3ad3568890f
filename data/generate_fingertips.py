"""Write data/sample/fingertips_11201.csv: a SYNTHETIC Fingertips all_data export of indicator 11201.

Indicator 11201 is "Violent crime - hospital admissions for violence (including sexual violence)", a
directly age-standardised rate per 100,000 pooled over three financial years. The file follows the
export's documented header (plus two of its trailing columns) so the reader is tried on the real
shape: England and the East of England region as comparators, the partnership's county, unitary
authorities and districts, one area outside the partnership (Suffolk), and small districts whose
count is below 10 in some periods, which Fingertips publishes without a value. The figures are
invented from a seed; they are not Fingertips' numbers. ``python data/generate_fingertips.py``.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "sample" / "fingertips_11201.csv"
HEADER = ["Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name", "Area Type",
          "Sex", "Age", "Category Type", "Category", "Time period", "Value", "Lower CI 95.0 limit",
          "Upper CI 95.0 limit", "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator",
          "Value note", "Recent Trend", "Compared to England value or percentiles", "Time period Sortable"]
NAME = "Violent crime - hospital admissions for violence (including sexual violence)"
PERIODS = [f"{y}/{(y + 1) % 100:02d} - {(y + 2) % 100:02d}/{(y + 3) % 100:02d}" for y in range(2014, 2021)]
# (code, name, area type, parent code, parent name, population, base rate per 100,000)
AREAS = [
    ("E92000001", "England", "England", "", "", 56_000_000, 44.0),
    ("E12000006", "East of England region", "Region", "E92000001", "England", 6_200_000, 33.0),
    ("E10000012", "Essex", "Counties & UAs (from Apr 2023)", "E12000006", "East of England region", 1_470_000, 30.0),
    ("E06000033", "Southend-on-Sea", "Counties & UAs (from Apr 2023)", "E12000006", "East of England region",
     182_000, 48.0),
    ("E06000034", "Thurrock", "Counties & UAs (from Apr 2023)", "E12000006", "East of England region", 172_000,
     41.0),
    ("E10000029", "Suffolk", "Counties & UAs (from Apr 2023)", "E12000006", "East of England region", 760_000,
     28.0),
    ("E07000066", "Basildon", "Districts & UAs (from Apr 2023)", "E10000012", "Essex", 184_000, 42.0),
    ("E07000071", "Colchester", "Districts & UAs (from Apr 2023)", "E10000012", "Essex", 190_000, 31.0),
    ("E07000073", "Harlow", "Districts & UAs (from Apr 2023)", "E10000012", "Essex", 86_000, 45.0),
    ("E07000074", "Maldon", "Districts & UAs (from Apr 2023)", "E10000012", "Essex", 64_000, 4.5),
    ("E07000077", "Uttlesford", "Districts & UAs (from Apr 2023)", "E10000012", "Essex", 88_000, 3.0),
]


def rows(seed: int = 2019) -> list[list[str]]:
    rng = random.Random(seed)
    out = []
    for code, name, kind, parent, parent_name, pop, base in AREAS:
        for i, period in enumerate(PERIODS):
            # a rise to the 2016/17-18/19 peak, then a fall once the VRUs start (2019/20)
            shape = 1.0 + 0.06 * min(i, 2) - (0.05 * (i - 2) if i > 2 else 0.0)
            rate = base * shape * rng.uniform(0.95, 1.05)
            denominator = pop * 3
            count = round(rate * denominator / 100_000)
            if count < 10:
                value = lower95 = upper95 = lower998 = upper998 = ""
                note, compared, trend = "Value suppressed for disclosure control due to small count", "", ""
            else:
                se = rate / count ** 0.5
                value = f"{rate:.5f}"
                lower95, upper95 = f"{max(rate - 1.96 * se, 0):.5f}", f"{rate + 1.96 * se:.5f}"
                lower998, upper998 = f"{max(rate - 3.09 * se, 0):.5f}", f"{rate + 3.09 * se:.5f}"
                note = ""
                compared = "" if code == "E92000001" else ("Better" if rate < 40 else "Similar")
                trend = "Cannot be calculated"
            out.append(["11201", NAME, parent, parent_name, code, name, kind, "Persons", "All ages", "", "", period,
                        value, lower95, upper95, lower998, upper998, str(count), str(denominator), note, trend,
                        compared, str(2014 + i) + "00"])
    return out


def main() -> None:
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows())
    print(f"wrote {OUT} ({len(rows())} rows)")


if __name__ == "__main__":
    main()
