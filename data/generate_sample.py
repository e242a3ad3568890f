"""Seeded synthetic sample data for the Essex VVU outcomes dashboard.

Why this exists: the app, the tests, the documentation and the benchmarks need a data set with the
shape and the rough size of the partnership's real returns (files exactly as the data contract
describes them), but nothing real about people or partners may be committed. Everything written
here is invented from a seed: organisations, projects, targets, grants, spend and observations.
Only public reference facts are real: the ONS area codes and the ONS mid-2017 populations.

Guarantees other code relies on:
- same seed and scale -> byte-identical files (no timestamps, no dict/set ordering surprises);
- every observation is valid against the reference files written beside it: known codes, the
  project's own areas, a metric of the project's priority, a whole month inside the project's
  dates, one row per key, and for one (period, project, area, metric) either every row carries the
  age/sex/ethnicity split or there is exactly one total row with the split left blank;
- grants for a funding stream and financial year never exceed that stream's funding;
- data run from 2019-04 to 2025-09 (spend to 2025/26 Q2).

What this module must not do: read anything outside this file (a fresh clone has no shared data
folder), depend on the warehouse or the ETL, or overwrite data/sample at a scale other than 1.

Usage:
    python data/generate_sample.py [--out data/sample] [--seed 2019] [--scale 1]
    python data/generate_sample.py --out /tmp/bench --scale 10 \
        --large-observations /tmp/bench/observations_1m.csv --rows 1000000
"""

from __future__ import annotations

import argparse
import calendar
import csv
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

DEFAULT_OUT = Path(__file__).resolve().parent / "sample"
DEFAULT_SEED = 2019

# Month index 0 is 2019-04 (the VVU's first funded month); the data run to 2025-09.
N_MONTHS = 78
LAST_MONTH = N_MONTHS - 1
N_FY = 7  # 2019/20 .. 2025/26
LAST_QUARTER = 6 * 4 + 1  # 2025/26 Q2, counted from 2019/20 Q1 = 0
LAST_START = 68  # 2024-12: later starts would leave a project almost no months to report
LAST_PLANNED = 95  # 2027-03: no commission runs beyond the next spending round

# --------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------

COUNTY_CODE = "E10000012"

# Residents by local authority: ONS mid-2017 LSOA population estimates summed by LAD
# (source file essex-lsoa11-population-mid2017.csv from the shared data folder, summed by
# lad_code). Hard-coded because a fresh clone does not have that file. Total 1,820,379.
LOWER_TIER: tuple[tuple[str, str, str, int], ...] = (
    ("E07000066", "Basildon", "district", 184_479),
    ("E07000067", "Braintree", "district", 151_677),
    ("E07000068", "Brentwood", "district", 76_575),
    ("E07000069", "Castle Point", "district", 89_814),
    ("E07000070", "Chelmsford", "district", 176_194),
    ("E07000071", "Colchester", "district", 190_098),
    ("E07000072", "Epping Forest", "district", 130_576),
    ("E07000073", "Harlow", "district", 86_191),
    ("E07000074", "Maldon", "district", 63_975),
    ("E07000075", "Rochford", "district", 86_209),
    ("E07000076", "Tendring", "district", 144_705),
    ("E07000077", "Uttlesford", "district", 87_684),
    ("E06000033", "Southend-on-Sea", "unitary", 181_808),
    ("E06000034", "Thurrock", "unitary", 170_394),
)
AREA_NAME = {code: name for code, name, _, _ in LOWER_TIER}
AREA_POP = {code: pop for code, _, _, pop in LOWER_TIER}
LOWER_TIER_CODES = tuple(code for code, _, _, _ in LOWER_TIER)

# Rough adjacency, used so a local charity works in its own district and its neighbours.
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "E07000066": ("E07000068", "E07000069", "E07000070", "E07000075", "E06000034"),
    "E07000067": ("E07000070", "E07000071", "E07000077", "E07000074"),
    "E07000068": ("E07000066", "E07000070", "E07000072", "E06000034"),
    "E07000069": ("E07000066", "E07000075", "E06000033"),
    "E07000070": ("E07000066", "E07000067", "E07000068", "E07000074", "E07000075", "E07000077"),
    "E07000071": ("E07000067", "E07000076", "E07000074"),
    "E07000072": ("E07000073", "E07000068", "E07000077", "E07000070"),
    "E07000073": ("E07000072", "E07000077"),
    "E07000074": ("E07000070", "E07000067", "E07000071", "E07000075"),
    "E07000075": ("E06000033", "E07000069", "E07000066", "E07000074"),
    "E07000076": ("E07000071",),
    "E07000077": ("E07000073", "E07000067", "E07000072", "E07000070"),
    "E06000033": ("E07000075", "E07000069"),
    "E06000034": ("E07000066", "E07000068"),
}

# Share of residents recorded as White; the rest is spread over the other groups. Invented, but
# in line with Essex being about 90% White and the south-west towns being more diverse.
WHITE_SHARE = {
    "E06000034": 0.74, "E07000073": 0.80, "E07000066": 0.82, "E06000033": 0.83,
    "E07000072": 0.84, "E07000068": 0.86, "E07000071": 0.86, "E07000070": 0.87,
}

PRIORITIES: tuple[tuple[str, str, str], ...] = (
    ("P1", "Organised crime, gangs and County Lines",
     "Tackle organised crime groups, gangs, County Lines and drug supply, and safeguard the "
     "people they exploit."),
    ("P2", "Proactive local enforcement with communities",
     "Proactive, visible local enforcement and problem-solving carried out with communities, "
     "and support for local groups that keep their neighbourhoods safe."),
    ("P3", "Reduce exploitation of young and vulnerable people",
     "Reduce the risk of young and vulnerable people being exploited and help them break away "
     "from violence and exploitation."),
)


@dataclass(frozen=True)
class MetricDef:
    code: str
    name: str
    unit: str
    aggregation: str  # sum | latest (a level) | cumulative (a running total)
    priority: str  # blank for outcome measures
    source: str  # partner | police | health | finance
    higher_is_better: bool
    definition: str

    @property
    def is_people(self) -> bool:
        return self.unit == "people"


_NEW = ("Counts NEW people only: each person is counted in the month they first start with the "
        "project, so monthly values can be summed without counting anyone twice.")

METRICS: tuple[MetricDef, ...] = (
    MetricDef("SAFEGUARDED", "People safeguarded after police identification", "people", "sum",
              "P1", "police", True,
              "People identified by police as exploited or at risk (e.g. through County Lines "
              "operations) who were then safeguarded by the project. " + _NEW),
    MetricDef("CL_LINES_CLOSED", "County Lines closed", "lines", "sum", "P1", "police", True,
              "County Lines (deal lines) closed down in the month through arrests, charges or "
              "disruption, counted once when closed."),
    MetricDef("ORGS_FUNDED", "Partner organisations funded", "organisations", "cumulative", "P2",
              "finance", True,
              "Cumulative number of local organisations that have received a grant from the "
              "project's grants fund, as at the end of the month (a running total: it never falls "
              "when a fund closes; never summed over months)."),
    MetricDef("GRANTS_GBP", "Grant funding given to local groups", "gbp", "sum", "P2", "finance",
              True,
              "Pounds awarded in the month to local community groups and charities from the "
              "project's grants fund."),
    MetricDef("WEAPONS_SURRENDERED", "Weapons removed or surrendered", "items", "sum", "P2",
              "police", True,
              "Knives and other weapons surrendered in amnesty bins or removed from the streets "
              "in weapon sweeps and patrols in the month."),
    MetricDef("COMMUNITY_EVENTS", "Community engagement events", "events", "sum", "P2", "partner",
              True,
              "Community meetings, forums, awareness days and street events held in the month "
              "with residents, businesses or community groups."),
    MetricDef("YP_ENGAGED", "Young people engaged", "people", "sum", "P3", "partner", True,
              "Young people (under 25) who took part in a diversionary or youth work activity "
              "for the first time in the month. " + _NEW),
    MetricDef("DYW_HOURS", "Hours of detached youth work", "hours", "sum", "P3", "partner", True,
              "Hours of detached (street-based) youth work delivered in the month, counted as "
              "worker-team hours on the street, to one decimal place."),
    MetricDef("IND_SUPPORTED", "Individuals supported", "people", "sum", "P3", "partner", True,
              "Individuals who started one-to-one or group support with the project in the "
              "month (mentoring, navigators, family or diversion support). " + _NEW),
    MetricDef("BESPOKE_PACKAGES", "Bespoke support packages for people at risk of offending",
              "people", "sum", "P3", "partner", True,
              "People at risk of offending who started a bespoke, individually planned support "
              "package in the month. " + _NEW),
    MetricDef("PROF_TRAINED", "Professionals trained to spot exploitation", "people", "sum", "P3",
              "partner", True,
              "Professionals and volunteers (teachers, health, council, police, charity staff) "
              "who completed training on spotting and responding to exploitation in the month. "
              + _NEW),
    MetricDef("TRAINING_SESSIONS", "Training sessions delivered", "sessions", "sum", "P3",
              "partner", True,
              "Training sessions on exploitation and violence delivered to professionals in the "
              "month."),
    MetricDef("ACTIVE_CASELOAD", "Active caseload", "people", "latest", "P3", "partner", True,
              "People with an open case with the project at the end of the month (a stock: use "
              "the latest value, never a sum; people are not new in each month)."),
    MetricDef("SV_OFFENCES", "Serious violence offences", "offences", "sum", "", "police", False,
              "Outcome measure: violence and sexual offences, robbery and possession of weapons "
              "recorded by police (police.uk street-level crime) by month and area. Not "
              "reported by projects, so it has no project observations or targets."),
)
METRIC_BY_CODE = {m.code: m for m in METRICS}

FUNDING_STREAMS: tuple[tuple[str, str, str], ...] = (
    ("HO_VRU", "Home Office", "Home Office Violence Reduction Unit grant"),
    ("ECC", "Essex County Council", "Essex County Council contribution"),
    ("PFCC", "Police, Fire and Crime Commissioner for Essex",
     "Police, Fire and Crime Commissioner contribution"),
    ("HO_GRIP", "Home Office", "Home Office Grip hotspot policing fund"),
)
# Pounds per financial year index (0 = 2019/20 .. 6 = 2025/26); invented except the published
# headline figures: HO_VRU 5.25m over 2022/23-2024/25, ECC 500k and PFCC 600k in 2022/23.
FUNDING: dict[str, tuple[int | None, ...]] = {
    "HO_VRU": (1_120_000, 1_160_000, 1_280_000, 1_700_000, 1_750_000, 1_800_000, 1_650_000),
    "ECC": (300_000, 300_000, 400_000, 500_000, 500_000, 450_000, 450_000),
    "PFCC": (400_000, 450_000, 500_000, 600_000, 600_000, 550_000, 550_000),
    "HO_GRIP": (None, None, 650_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000),
}
# Share of each stream-year granted to projects; the rest pays for the VVU's own team,
# analysts and evaluation, so grants never reach the funding total.
GRANTED_SHARE = 0.88

AGE_BANDS = ("under 10", "10-13", "14-17", "18-24", "25 and over", "unknown")
SEXES = ("female", "male", "other", "unknown")
ETHNICITIES = ("Asian", "Black", "Mixed", "White", "Other", "unknown")
N_CELLS = len(AGE_BANDS) * len(SEXES) * len(ETHNICITIES)

AGE_DIST = {
    "YP_ENGAGED": (0.02, 0.30, 0.50, 0.14, 0.0, 0.04),
    "IND_SUPPORTED": (0.05, 0.15, 0.30, 0.25, 0.20, 0.05),
    "BESPOKE_PACKAGES": (0.0, 0.07, 0.35, 0.40, 0.15, 0.03),
    "SAFEGUARDED": (0.03, 0.12, 0.45, 0.25, 0.10, 0.05),
    "PROF_TRAINED": (0.0, 0.0, 0.0, 0.10, 0.85, 0.05),
    "ACTIVE_CASELOAD": (0.04, 0.14, 0.32, 0.27, 0.19, 0.04),
}
SEX_DIST = {
    "YP_ENGAGED": (0.40, 0.57, 0.01, 0.02),
    "SAFEGUARDED": (0.30, 0.66, 0.01, 0.03),
    "PROF_TRAINED": (0.68, 0.29, 0.01, 0.02),
}
DEFAULT_SEX = (0.36, 0.60, 0.01, 0.03)

# --------------------------------------------------------------------------------------------
# Organisations and projects
# --------------------------------------------------------------------------------------------

TOWNS: dict[str, str] = {
    "Basildon": "E07000066", "Billericay": "E07000066", "Wickford": "E07000066",
    "Pitsea": "E07000066", "Laindon": "E07000066",
    "Braintree": "E07000067", "Witham": "E07000067", "Halstead": "E07000067",
    "Brentwood": "E07000068", "Ingatestone": "E07000068",
    "Canvey Island": "E07000069", "Benfleet": "E07000069",
    "Chelmsford": "E07000070", "South Woodham Ferrers": "E07000070",
    "Colchester": "E07000071", "Tiptree": "E07000071", "Wivenhoe": "E07000071",
    "Epping": "E07000072", "Loughton": "E07000072", "Waltham Abbey": "E07000072",
    "Harlow": "E07000073",
    "Maldon": "E07000074", "Burnham-on-Crouch": "E07000074", "Heybridge": "E07000074",
    "Rochford": "E07000075", "Rayleigh": "E07000075", "Hockley": "E07000075",
    "Clacton": "E07000076", "Harwich": "E07000076", "Walton-on-the-Naze": "E07000076",
    "Saffron Walden": "E07000077", "Great Dunmow": "E07000077", "Stansted": "E07000077",
    "Southend": "E06000033", "Leigh-on-Sea": "E06000033", "Shoeburyness": "E06000033",
    "Westcliff": "E06000033",
    "Grays": "E06000034", "Tilbury": "E06000034", "Purfleet": "E06000034",
    "Stanford-le-Hope": "E06000034",
}
CHARITY_TEMPLATES = (
    "{t} Youth Trust", "{t} Youth Project", "{t} Community Trust", "{t} Boxing Club",
    "{t} Mentoring Network", "{t} Young People's Service", "{t} Family Support",
    "{t} Outreach Collective", "{t} Sports Foundation", "{t} Arts for Youth", "{t} Futures",
    "{t} Hope Centre", "{t} Streetwise", "{t} Safe Spaces", "{t} Youth Cafe",
)
COUNTYWIDE_CHARITIES = (
    "Essex Youth Mentoring Trust", "Essex Futures Foundation", "Essex Families First",
    "North Essex Outreach Network", "South Essex Youth Alliance", "Mid Essex Mentoring Project",
    "Essex Boxing Academy", "Essex Youth Voice", "Coastal Essex Youth Partnership",
    "East Essex Second Chances",
)
N_TOWN_CHARITIES = 25
N_COUNTYWIDE_CHARITIES = 7
# (type, name, home area or None for countywide); "{t}" names take a random town.
OTHER_ORGS: tuple[tuple[str, str, str | None], ...] = (
    ("council", "Essex Countywide Youth Service", None),
    ("council", "Southend Community Safety Team", "E06000033"),
    ("council", "Thurrock Community Safety Team", "E06000034"),
    ("police", "Police County Lines Taskforce", None),
    ("police", "Police Exploitation and Missing Team", None),
    ("police", "Police Community Policing Team", None),
    ("health", "Emergency Department Youth Navigators", None),
    ("health", "Community Youth Mental Health Service", None),
    ("education", "Mid Essex Pupil Referral Service", "E07000070"),
    ("education", "North Essex College Inclusion Team", "E07000071"),
    ("justice", "Youth Justice Service South", None),
    ("justice", "Probation Youth Transitions Team", None),
    ("faith", "{t} Street Pastors", None),
    ("faith", "{t} Churches Together Youth", None),
    ("fire", "Fire Service Youth Engagement Team", None),
    ("community", "{t} Community Hub", None),
    ("community", "Essex Neighbourhood Grants Foundation", None),
    ("other", "Second Chance Sports CIC", None),
)

# Project kinds: how many at scale 1 (70 in all), priority, metrics reported, eligible org types,
# and name templates.
@dataclass(frozen=True)
class Kind:
    code: str
    quota: int
    priority: str
    metrics: tuple[str, ...]
    org_types: tuple[str, ...]
    names: tuple[str, ...]


KINDS: tuple[Kind, ...] = (
    Kind("CL_RESCUE", 5, "P1", ("SAFEGUARDED", "CL_LINES_CLOSED"), ("police", "charity"),
         ("County Lines Rescue and Return", "County Lines Intensive Support",
          "Missing from Home Return Interviews")),
    Kind("EXPLOIT_HUB", 6, "P1", ("SAFEGUARDED",), ("council", "police", "charity"),
         ("Child Exploitation Safeguarding Hub", "Exploitation Early Identification Team",
          "Contextual Safeguarding Support")),
    Kind("MISSING_SERVICE", 6, "P1", ("SAFEGUARDED",), ("justice", "charity", "health"),
         ("Exploited Young People Support Service", "Custody Intervention Navigators",
          "Teachable Moment Custody Workers")),
    Kind("COMMUNITY_GRANTS", 4, "P2", ("GRANTS_GBP", "ORGS_FUNDED"), ("council", "community"),
         ("Community Safety Small Grants Fund", "Local Groups Violence Prevention Fund",
          "Neighbourhood Resilience Grants")),
    Kind("WEAPONS", 5, "P2", ("WEAPONS_SURRENDERED", "COMMUNITY_EVENTS"),
         ("police", "community", "faith"),
         ("Knife Surrender Bins", "Weapons Sweep and Surrender", "Knife Crime Awareness Weeks")),
    Kind("COMMUNITY_ENGAGEMENT", 6, "P2", ("COMMUNITY_EVENTS",),
         ("community", "faith", "fire", "council", "charity"),
         ("Community Conversations", "Neighbourhood Safety Forums",
          "Safer Streets Community Days")),
    Kind("HOTSPOT", 4, "P2", ("WEAPONS_SURRENDERED", "COMMUNITY_EVENTS"), ("police",),
         ("Grip Hotspot Patrols", "Hotspot Problem-Solving Patrols")),
    Kind("DETACHED", 9, "P3", ("DYW_HOURS", "YP_ENGAGED"), ("charity", "faith"),
         ("Detached Youth Work", "Street-Based Youth Outreach", "Evening Detached Youth Team")),
    Kind("MENTORING", 7, "P3", ("IND_SUPPORTED", "BESPOKE_PACKAGES", "ACTIVE_CASELOAD"),
         ("charity", "education", "justice"),
         ("One-to-One Mentoring", "Trusted Adult Mentoring", "Step Away Mentoring")),
    Kind("SPORT", 5, "P3", ("YP_ENGAGED", "IND_SUPPORTED"), ("charity", "other", "fire"),
         ("Boxing for Change", "Midnight Football", "Sport Diversion Programme")),
    Kind("ED_NAVIGATOR", 3, "P3", ("IND_SUPPORTED", "ACTIVE_CASELOAD"), ("health",),
         ("A&E Youth Navigators", "Hospital Violence Intervention")),
    Kind("TRAINING", 5, "P3", ("PROF_TRAINED", "TRAINING_SESSIONS"),
         ("charity", "education", "other"),
         ("Spotting Exploitation Training for Professionals", "Trauma-Informed Practice Training",
          "Exploitation Awareness for Frontline Staff")),
    Kind("FAMILY", 5, "P3", ("IND_SUPPORTED", "BESPOKE_PACKAGES"), ("charity", "council"),
         ("Whole-Family Support", "Parents Against Exploitation Support",
          "Families Together Programme")),
)
KIND_BY_CODE = {k.code: k for k in KINDS}
LONG_RUNNING = {"COMMUNITY_GRANTS", "HOTSPOT", "EXPLOIT_HUB", "ED_NAVIGATOR"}


@dataclass(frozen=True)
class Org:
    code: str
    name: str
    org_type: str
    home: str | None  # lower-tier area code; None for countywide bodies


@dataclass(frozen=True)
class Project:
    code: str
    name: str
    org_code: str
    kind: str
    priority: str
    stream: str
    start: date
    end: date | None
    start_month: int  # month index of start_date (may be before the first full month)
    end_month: int | None  # month index of end_date; None while ongoing
    first: int  # first whole month inside the project's dates
    last: int  # last whole month inside the dates, capped at 2025-09
    areas: tuple[str, ...]
    area_weights: tuple[float, ...]
    metrics: tuple[str, ...]
    split: bool  # reports people metrics split by age/sex/ethnicity (else one total row)
    missing: frozenset[int]  # months with no return at all
    size: float

    def reported_months(self) -> range:
        return range(self.first, self.last + 1)

    def planned_months_in_fy(self, fy: int) -> int:
        """Months of the financial year touched by the project's dates (for grants and spend)."""
        lo = max(self.start_month, 12 * fy)
        hi = min(self.end_month if self.end_month is not None else 10**6, 12 * fy + 11)
        return max(0, hi - lo + 1)


@dataclass(frozen=True)
class Reference:
    orgs: tuple[Org, ...]
    projects: tuple[Project, ...]


# --------------------------------------------------------------------------------------------
# Calendar helpers (month indices; the app's own fiscal helpers live elsewhere)
# --------------------------------------------------------------------------------------------

def month_ym(index: int) -> tuple[int, int]:
    """Calendar (year, month) of a month index, 0 being 2019-04."""
    return 2019 + (3 + index) // 12, (3 + index) % 12 + 1


def period_label(index: int) -> str:
    y, m = month_ym(index)
    return f"{y:04d}-{m:02d}"


def fy_label(fy: int) -> str:
    start = 2019 + fy
    return f"{start}/{(start + 1) % 100:02d}"


def _rng(seed: int, section: int) -> np.random.Generator:
    # One independent stream per section, so changing one part never reshuffles another.
    return np.random.default_rng([seed, section])


# --------------------------------------------------------------------------------------------
# Building the reference (shared by generate() and write_observations_rows())
# --------------------------------------------------------------------------------------------

def _build_orgs(rng: np.random.Generator, scale: int) -> list[Org]:
    towns = list(TOWNS)
    specs: list[tuple[str, str, str | None]] = []
    pairs = [(t, tpl) for tpl in CHARITY_TEMPLATES for t in towns]
    order = rng.permutation(len(pairs))
    n_town = N_TOWN_CHARITIES * scale
    for i in range(n_town):
        t, tpl = pairs[int(order[i % len(pairs)])]
        specs.append(("charity", tpl.format(t=t), TOWNS[t]))
    for i in range(N_COUNTYWIDE_CHARITIES * scale):
        specs.append(("charity", COUNTYWIDE_CHARITIES[i % len(COUNTYWIDE_CHARITIES)], None))
    for _ in range(scale):
        for org_type, name, home in OTHER_ORGS:
            if "{t}" in name:
                t = towns[int(rng.integers(len(towns)))]
                specs.append((org_type, name.format(t=t), TOWNS[t]))
            else:
                specs.append((org_type, name, home))
    # Unique names: repeats (only at scale > 1, or a town drawn twice) get a number.
    seen: dict[str, int] = {}
    unique: list[tuple[str, str, str | None]] = []
    for org_type, name, home in specs:
        seen[name] = seen.get(name, 0) + 1
        unique.append((org_type, name if seen[name] == 1 else f"{name} {seen[name]}", home))
    order = rng.permutation(len(unique))
    return [
        Org(f"ORG{i + 1:03d}", unique[int(j)][1], unique[int(j)][0], unique[int(j)][2])
        for i, j in enumerate(order)
    ]


def _project_dates(rng: np.random.Generator, kind: str,
                   nth: int) -> tuple[date, date | None]:
    """Start and end dates; nth counts earlier projects of the same kind.

    The first project of each kind starts in the first commissioning round and the first two
    are still running, so every metric has data from its start to 2025-09.
    """
    lo = 24 if kind == "HOTSPOT" else 0  # Grip funding began in 2021/22
    if nth == 0 or (lo == 0 and rng.random() < 0.08):
        m0 = lo + int(rng.integers(0, 6))  # a commissioning round in April-September
    else:
        m0 = lo + int((LAST_START - lo) * rng.beta(1.2, 1.6))
    y, m = month_ym(m0)
    start = date(y, m, 1 if rng.random() < 0.8 else int(rng.integers(2, 29)))
    if nth < 2 or rng.random() < (0.55 if kind in LONG_RUNNING else 0.3):
        return start, None
    em = m0 + int(rng.integers(12, 61)) - 1
    if rng.random() < 0.5:
        em = (em // 12) * 12 + 11  # commissioned to the end of a financial year
    em = min(em, LAST_PLANNED)
    ey, emn = month_ym(em)
    last_day = calendar.monthrange(ey, emn)[1]
    return start, date(ey, emn, last_day if rng.random() < 0.85 else int(rng.integers(10, 26)))


def _month_index(d: date) -> int:
    return (d.year - 2019) * 12 + d.month - 4


def _choose_areas(rng: np.random.Generator, org: Org) -> tuple[str, ...]:
    if org.home is not None:
        n_extra = int(rng.choice(3, p=[0.5, 0.35, 0.15]))
        nbrs = NEIGHBOURS[org.home]
        extra = rng.choice(len(nbrs), size=min(n_extra, len(nbrs)), replace=False)
        areas = [org.home] + [nbrs[int(i)] for i in extra]
    else:
        n = int(rng.choice([1, 2, 3], p=[0.4, 0.35, 0.25]))
        pop = np.array([AREA_POP[c] for c in LOWER_TIER_CODES], dtype=float)
        picks = rng.choice(len(LOWER_TIER_CODES), size=n, replace=False, p=pop / pop.sum())
        areas = [LOWER_TIER_CODES[int(i)] for i in picks]
    return tuple(areas)


def _choose_stream(rng: np.random.Generator, kind: str, org: Org) -> str:
    if kind == "HOTSPOT":
        return "HO_GRIP"
    if kind == "COMMUNITY_GRANTS":
        return "HO_VRU"
    if org.org_type == "police":
        return "PFCC" if rng.random() < 0.6 else "HO_VRU"
    return str(rng.choice(["HO_VRU", "ECC", "PFCC"], p=[0.7, 0.18, 0.12]))


def build_reference(seed: int = DEFAULT_SEED, scale: int = 1) -> Reference:
    """Organisations and projects for a seed and scale (deterministic)."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    orgs = _build_orgs(_rng(seed, 1), scale)
    rng = _rng(seed, 2)
    kinds = [k.code for k in KINDS for _ in range(k.quota * scale)]
    kinds = [kinds[int(i)] for i in rng.permutation(len(kinds))]
    load = {o.code: 0 for o in orgs}
    names: dict[str, int] = {}
    nth: dict[str, int] = {}
    projects: list[Project] = []
    for i, kind_code in enumerate(kinds):
        kind = KIND_BY_CODE[kind_code]
        eligible = [o for o in orgs if o.org_type in kind.org_types]
        fewest = min(load[o.code] for o in eligible)
        candidates = [o for o in eligible if load[o.code] == fewest]
        org = candidates[int(rng.integers(len(candidates)))]
        load[org.code] += 1

        start, end = _project_dates(rng, kind_code, nth.get(kind_code, 0))
        nth[kind_code] = nth.get(kind_code, 0) + 1
        start_month = _month_index(start)
        first = start_month if start.day == 1 else start_month + 1
        if end is None:
            end_month, last = None, LAST_MONTH
        else:
            end_month = _month_index(end)
            whole = end.day == calendar.monthrange(end.year, end.month)[1]
            last = min(LAST_MONTH, end_month if whole else end_month - 1)

        areas = _choose_areas(rng, org)
        weights = tuple(
            float(math.sqrt(AREA_POP[a]) / 300 * rng.lognormal(0.0, 0.3)) for a in areas
        )
        order = sorted(range(len(areas)), key=lambda j: areas[j])

        template = kind.names[int(rng.integers(len(kind.names)))]
        name = f"{template} ({' / '.join(AREA_NAME[a] for a in areas)})"
        names[name] = names.get(name, 0) + 1
        if names[name] > 1:
            name = f"{name} Phase {names[name]}"

        missing: set[int] = set()
        months = list(range(first + 1, last + 1))
        if months and rng.random() < 0.15:  # a partner that skipped some monthly returns
            n_skip = min(len(months) - 1, int(rng.integers(1, 5)))
            missing.update(int(m) for m in rng.choice(months, size=n_skip, replace=False))
        if last == LAST_MONTH and last - first > 6 and rng.random() < 0.12:
            missing.add(LAST_MONTH)  # latest returns not in yet
            if rng.random() < 0.5:
                missing.add(LAST_MONTH - 1)

        projects.append(Project(
            code=f"PRJ{i + 1:03d}", name=name, org_code=org.code, kind=kind_code,
            priority=kind.priority, stream=_choose_stream(rng, kind_code, org),
            start=start, end=end, start_month=start_month, end_month=end_month,
            first=first, last=last,
            areas=tuple(areas[j] for j in order), area_weights=tuple(weights[j] for j in order),
            metrics=kind.metrics,
            split=bool(rng.random() < (0.5 if org.org_type == "police" else 0.8)),
            missing=frozenset(missing), size=float(rng.lognormal(0.0, 0.45)),
        ))
    return Reference(tuple(orgs), tuple(projects))


# --------------------------------------------------------------------------------------------
# Simulating monthly values
# --------------------------------------------------------------------------------------------

# Totals since 2019-04 at scale 1, of the order the partnership reports (2,000+ young people,
# 5,000 hours of detached youth work, 10,000+ supported, 1,200+ bespoke packages, £500k grants).
TOTALS = {
    "YP_ENGAGED": 2_700, "DYW_HOURS": 6_400, "IND_SUPPORTED": 12_000,
    "TRAINING_SESSIONS": 260, "SAFEGUARDED": 1_150, "CL_LINES_CLOSED": 180,
    "WEAPONS_SURRENDERED": 2_400, "COMMUNITY_EVENTS": 650,
}
PROF_TRAINED_TOTAL = 3_200  # drawn from sessions, about 12 per session
BESPOKE_TOTAL = 1_450  # drawn as a share of the people supported by the same project
GRANTS_TOTAL = 500_000
GRANT_AWARDS = 56  # "50+ local charities funded"

# Seasonality by calendar month (Jan..Dec).
SEASON = {
    "youth": (0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.3, 1.35, 1.0, 1.05, 0.9, 0.7),
    "training": (1.1, 1.1, 1.1, 0.8, 1.1, 1.1, 0.7, 0.3, 1.1, 1.1, 1.15, 0.5),
    "support": (1.0, 1.0, 1.0, 0.95, 1.0, 1.0, 0.95, 0.9, 1.1, 1.1, 1.05, 0.85),
    "events": (0.6, 0.8, 0.9, 1.0, 1.2, 1.3, 1.4, 1.4, 1.0, 1.0, 0.9, 0.8),
    "weapons": (1.0, 1.0, 1.0, 1.0, 3.0, 1.0, 1.0, 1.0, 1.0, 1.0, 3.0, 1.0),  # Sceptre weeks
    "lines": (1.0, 1.0, 1.8, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.8, 1.0, 1.0),  # intensifications
}
# Covid restrictions by month index (2020-04 = 12): in-person work fell, support moved online.
COVID = {
    "youth": {12: 0.3, 13: 0.4, 14: 0.6, 19: 0.7, 21: 0.5, 22: 0.6},
    "events": {12: 0.1, 13: 0.2, 14: 0.5, 19: 0.6, 21: 0.4, 22: 0.5},
    "training": {12: 0.2, 13: 0.5, 14: 0.8, 21: 0.8},
    "support": {12: 0.7, 13: 0.8, 14: 0.9, 21: 0.9},
}
FAMILY = {
    "YP_ENGAGED": "youth", "DYW_HOURS": "youth", "TRAINING_SESSIONS": "training",
    "IND_SUPPORTED": "support", "SAFEGUARDED": "support", "COMMUNITY_EVENTS": "events",
    "WEAPONS_SURRENDERED": "weapons", "CL_LINES_CLOSED": "lines",
}
TREND = (0.7, 0.8, 0.9, 1.0, 1.05, 1.08, 1.05)  # programme growth by financial year
RAMP = (0.4, 0.7, 0.9)  # first months of a new project
KIND_WEIGHT = {
    ("SPORT", "IND_SUPPORTED"): 1.2, ("ED_NAVIGATOR", "IND_SUPPORTED"): 1.5,
    ("FAMILY", "IND_SUPPORTED"): 0.8, ("SPORT", "YP_ENGAGED"): 1.3,
    ("CL_RESCUE", "SAFEGUARDED"): 1.3, ("MISSING_SERVICE", "SAFEGUARDED"): 0.8,
    ("WEAPONS", "WEAPONS_SURRENDERED"): 1.5, ("COMMUNITY_ENGAGEMENT", "COMMUNITY_EVENTS"): 1.5,
    ("WEAPONS", "COMMUNITY_EVENTS"): 0.5, ("HOTSPOT", "COMMUNITY_EVENTS"): 0.6,
}

SeriesKey = tuple[str, str, str]  # project_code, area_code, metric_code


def _month_factors(family: str) -> np.ndarray:
    out = np.empty(N_MONTHS)
    covid = COVID.get(family, {})
    for t in range(N_MONTHS):
        _, m = month_ym(t)
        out[t] = SEASON[family][m - 1] * TREND[t // 12] * covid.get(t, 1.0)
    return out


def _active_mask(p: Project) -> np.ndarray:
    mask = np.zeros(N_MONTHS, dtype=bool)
    mask[p.first:p.last + 1] = True
    for t in p.missing:
        mask[t] = False
    return mask


def _ramp(p: Project) -> np.ndarray:
    r = np.ones(N_MONTHS)
    for i, f in enumerate(RAMP):
        if p.first + i < N_MONTHS:
            r[p.first + i] = f
    return r


def simulate(ref: Reference, seed: int, scale: int) -> dict[SeriesKey, np.ndarray]:
    """Monthly values per (project, area, metric); NaN where no return exists."""
    rng = _rng(seed, 3)
    series: dict[SeriesKey, np.ndarray] = {}
    factors = {fam: _month_factors(fam) for fam in SEASON}

    for metric, total in TOTALS.items():
        keys: list[SeriesKey] = []
        weights: list[np.ndarray] = []
        for p in ref.projects:
            if metric not in p.metrics:
                continue
            base = factors[FAMILY[metric]] * _ramp(p) * _active_mask(p) * p.size
            base = base * KIND_WEIGHT.get((p.kind, metric), 1.0)
            for area, aw in zip(p.areas, p.area_weights, strict=True):
                keys.append((p.code, area, metric))
                weights.append(base * aw)
        w = np.array(weights)
        mu = w * (total * scale / w.sum())
        if metric == "DYW_HOURS":
            draws = mu * rng.gamma(4.0, 0.25, size=mu.shape)
            values = np.round(draws * 2.0) / 2.0  # half-hour sessions
        else:
            values = rng.poisson(mu).astype(float)
        for key, row, wrow in zip(keys, values, w, strict=True):
            series[key] = np.where(wrow > 0, row, np.nan)
        # Months inside the dates with a zero weight are missing returns: keep them NaN.

    # Professionals trained follow the sessions delivered.
    sess = [(k, v) for k, v in series.items() if k[2] == "TRAINING_SESSIONS"]
    n_sess = sum(float(np.nansum(v)) for _, v in sess)
    per_session = PROF_TRAINED_TOTAL * scale / n_sess if n_sess else 0.0
    for (pc, area, _), v in sess:
        series[(pc, area, "PROF_TRAINED")] = np.where(
            np.isnan(v), np.nan, rng.poisson(np.nan_to_num(v) * per_session))

    # Bespoke packages are a share of the people the same project supports.
    by_code = {p.code: p for p in ref.projects}
    ind = [(k, v) for k, v in series.items()
           if k[2] == "IND_SUPPORTED" and "BESPOKE_PACKAGES" in by_code[k[0]].metrics]
    n_ind = sum(float(np.nansum(v)) for _, v in ind)
    share = min(0.9, BESPOKE_TOTAL * scale / n_ind) if n_ind else 0.0
    for (pc, area, _), v in ind:
        counts = np.nan_to_num(v).astype(np.int64)
        series[(pc, area, "BESPOKE_PACKAGES")] = np.where(
            np.isnan(v), np.nan, rng.binomial(counts, share))

    # Active caseload: a stock fed by new starters, cases lasting about five months.
    for p in ref.projects:
        if "ACTIVE_CASELOAD" not in p.metrics:
            continue
        mask = _active_mask(p)
        for area in p.areas:
            new = np.nan_to_num(series[(p.code, area, "IND_SUPPORTED")])
            stock = np.full(N_MONTHS, np.nan)
            level = 0.0
            for t in p.reported_months():
                level = 0.8 * level + new[t]
                stock[t] = float(round(level))
            series[(p.code, area, "ACTIVE_CASELOAD")] = np.where(mask, stock, np.nan)

    _simulate_grants(ref, rng, scale, series)
    return series


def _simulate_grants(ref: Reference, rng: np.random.Generator, scale: int,
                     series: dict[SeriesKey, np.ndarray]) -> None:
    funds = [p for p in ref.projects if "GRANTS_GBP" in p.metrics]
    if not funds:
        return
    months_per = np.array([_active_mask(p).sum() for p in funds], dtype=float)
    n_awards = GRANT_AWARDS * scale
    counts = np.ones(len(funds), dtype=np.int64)
    counts += rng.multinomial(n_awards - len(funds), months_per / months_per.sum())
    awards: list[tuple[int, int, int]] = []  # fund index, area index, month
    for fi, p in enumerate(funds):
        active = [t for t in p.reported_months() if t not in p.missing]
        rounds = [t for t in active if month_ym(t)[1] in (7, 1)] or active  # July, January
        aw = np.array(p.area_weights) / sum(p.area_weights)
        for _ in range(int(counts[fi])):
            awards.append((fi, int(rng.choice(len(p.areas), p=aw)),
                           int(rounds[int(rng.integers(len(rounds)))])))
    sizes = rng.lognormal(0.0, 0.6, size=len(awards))
    amounts = np.round(sizes * (GRANTS_TOTAL * scale / sizes.sum()) / 10.0) * 10.0
    amounts[int(np.argmax(amounts))] += GRANTS_TOTAL * scale - amounts.sum()  # exact total
    for fi, p in enumerate(funds):
        mask = _active_mask(p)
        for ai, area in enumerate(p.areas):
            gbp = np.zeros(N_MONTHS)
            new_orgs = np.zeros(N_MONTHS)
            for (f, a, t), amount in zip(awards, amounts, strict=True):
                if f == fi and a == ai:
                    gbp[t] += amount
                    new_orgs[t] += 1
            series[(p.code, area, "GRANTS_GBP")] = np.where(mask, gbp, np.nan)
            series[(p.code, area, "ORGS_FUNDED")] = np.where(mask, np.cumsum(new_orgs), np.nan)


# --------------------------------------------------------------------------------------------
# Splitting people counts by age band, sex and ethnicity
# --------------------------------------------------------------------------------------------

def _cell_probs(metric: str, area: str) -> np.ndarray:
    """Joint probability of the 144 (age, sex, ethnicity) cells, ordered as the tuples."""
    age = np.array(AGE_DIST.get(metric, AGE_DIST["IND_SUPPORTED"]))
    sex = np.array(SEX_DIST.get(metric, DEFAULT_SEX))
    white = WHITE_SHARE.get(area, 0.91)
    rest = 1.0 - white - 0.03
    eth = np.array([0.25 * rest, 0.35 * rest, 0.28 * rest, white, 0.12 * rest, 0.03])
    joint = age[:, None, None] * sex[None, :, None] * eth[None, None, :]
    return (joint / joint.sum()).ravel()


def _cell(index: int) -> tuple[str, str, str]:
    a, rest = divmod(index, len(SEXES) * len(ETHNICITIES))
    s, e = divmod(rest, len(ETHNICITIES))
    return AGE_BANDS[a], SEXES[s], ETHNICITIES[e]


def _pick_cells(rng: np.random.Generator, probs: np.ndarray, k: int) -> np.ndarray:
    """k distinct cells drawn without replacement in proportion to probs (Gumbel top-k)."""
    positive = np.flatnonzero(probs > 0)
    k = min(k, len(positive))
    scores = np.log(probs[positive]) + rng.gumbel(size=len(positive))
    top = positive[np.argpartition(-scores, k - 1)[:k]] if k < len(positive) else positive
    return np.sort(top)


def _split(rng: np.random.Generator, value: int, probs: np.ndarray) -> list[tuple[int, int]]:
    """Split a count over 1-4 distinct cells; every cell gets at least one person."""
    k = min(value, int(rng.integers(1, 5)))
    cells = _pick_cells(rng, probs, k)
    counts = np.ones(len(cells), dtype=np.int64)
    if value > len(cells):
        p = probs[cells] / probs[cells].sum()
        counts += rng.multinomial(value - len(cells), p)
    return [(int(c), int(n)) for c, n in zip(cells, counts, strict=True)]


def _format_value(metric: str, value: float) -> str:
    return f"{value:.1f}" if METRIC_BY_CODE[metric].unit == "hours" else str(int(round(value)))


def _observation_rows(ref: Reference, series: dict[SeriesKey, np.ndarray],
                      seed: int) -> list[list[str]]:
    rng = _rng(seed, 6)
    by_code = {p.code: p for p in ref.projects}
    keyed: list[tuple[tuple[int, str, str, str, int], list[str]]] = []
    for (pc, area, metric), values in series.items():
        p = by_code[pc]
        people = METRIC_BY_CODE[metric].is_people
        probs = _cell_probs(metric, area) if people else None
        for t in np.flatnonzero(~np.isnan(values)):
            t = int(t)
            v = float(values[t])
            period = period_label(t)
            if people and p.split and v > 0 and probs is not None:
                for cell, n in _split(rng, int(v), probs):
                    age, sex, eth = _cell(cell)
                    keyed.append(((t, pc, area, metric, cell),
                                  [period, pc, area, metric, str(n), age, sex, eth]))
            else:
                keyed.append(((t, pc, area, metric, -1),
                              [period, pc, area, metric, _format_value(metric, v), "", "", ""]))
    keyed.sort(key=lambda kr: kr[0])
    return [row for _, row in keyed]


# --------------------------------------------------------------------------------------------
# Targets, grants and spend
# --------------------------------------------------------------------------------------------

def _fy_actual(values: np.ndarray, fy: int, aggregation: str) -> tuple[float, int]:
    """(actual, months with a return) for one series in one financial year."""
    seg = values[12 * fy: min(12 * fy + 12, N_MONTHS)]
    seen = seg[~np.isnan(seg)]
    if not len(seen):
        return 0.0, 0
    return (float(seen[-1]) if aggregation in ("latest", "cumulative") else float(seen.sum())), len(seen)


def _nice(x: float, unit: str) -> str:
    if unit == "gbp":
        return str(int(max(1000.0, round(x / 1000.0) * 1000.0)))
    if unit == "hours":
        return f"{max(1.0, round(x / 5.0) * 5.0):.1f}"
    step = 50 if x >= 1000 else 10 if x >= 100 else 5 if x >= 30 else 1
    return str(int(max(1, round(x / step) * step)))


BEHIND = {"BESPOKE_PACKAGES", "TRAINING_SESSIONS", "CL_LINES_CLOSED", "COMMUNITY_EVENTS",
          "ACTIVE_CASELOAD"}


def _target_factor(rng: np.random.Generator, behind: bool) -> float:
    return float(rng.uniform(1.08, 1.3) if behind else rng.uniform(0.85, 0.98))


def _targets(ref: Reference, series: dict[SeriesKey, np.ndarray], seed: int) -> list[list[str]]:
    rng = _rng(seed, 5)
    rows: list[list[str]] = []
    # Partnership: every project metric, every year it was in use.
    for m in METRICS:
        if m.code == "SV_OFFENCES":
            continue
        for fy in range(N_FY):
            actual = sum(_fy_actual(v, fy, m.aggregation)[0]
                         for k, v in series.items() if k[2] == m.code)
            if actual <= 0:
                continue
            if fy == N_FY - 1 and m.aggregation == "sum":
                actual *= 1.9  # only April-September reported so far
            behind = (m.code in BEHIND) != bool(rng.random() < 0.2)  # some years buck the trend
            rows.append([m.code, fy_label(fy), "partnership", "",
                         _nice(actual * _target_factor(rng, behind), m.unit)])
    # Projects: each project's own metrics, each year it ran.
    for p in ref.projects:
        behind_project = bool(rng.random() < 0.35)
        for metric in p.metrics:
            m = METRIC_BY_CODE[metric]
            for fy in range(p.first // 12, p.last // 12 + 1):
                actual = 0.0
                for area in p.areas:
                    actual += _fy_actual(series[(p.code, area, metric)], fy, m.aggregation)[0]
                in_window = len([t for t in p.reported_months() if t // 12 == fy])
                planned = p.planned_months_in_fy(fy)
                if m.aggregation == "sum" and in_window:
                    actual *= planned / in_window
                target = actual * _target_factor(rng, behind_project)
                value = (_nice(target, m.unit) if m.unit in ("gbp", "hours")
                         else str(max(1, int(round(target)))))
                rows.append([metric, fy_label(fy), "project", p.code, value])
    # Areas: a few local targets for the last two years.
    for metric in ("YP_ENGAGED", "IND_SUPPORTED"):
        m = METRIC_BY_CODE[metric]
        for fy in (N_FY - 2, N_FY - 1):
            for area in LOWER_TIER_CODES:
                actual = sum(_fy_actual(v, fy, "sum")[0]
                             for k, v in series.items() if k[2] == metric and k[1] == area)
                if actual <= 0:
                    continue
                if fy == N_FY - 1:
                    actual *= 1.9
                rows.append([metric, fy_label(fy), "area", area,
                             _nice(actual * _target_factor(rng, bool(rng.random() < 0.4)),
                                   m.unit)])
    return rows


def _funding_rows(scale: int) -> list[list[str]]:
    rows = []
    for stream, body, _ in FUNDING_STREAMS:
        for fy, amount in enumerate(FUNDING[stream]):
            if amount is not None:
                rows.append([stream, body, fy_label(fy), str(amount * scale)])
    return rows


def _grants(ref: Reference, series: dict[SeriesKey, np.ndarray], seed: int,
            scale: int) -> dict[tuple[str, str, int], int]:
    """Awards per (project, stream, fy); never more than the stream-year's granted share."""
    rng = _rng(seed, 4)
    awards: dict[tuple[str, str, int], int] = {}
    for stream, _, _ in FUNDING_STREAMS:
        for fy, amount in enumerate(FUNDING[stream]):
            if amount is None:
                continue
            pot = int(amount * scale * GRANTED_SHARE)
            active = [p for p in ref.projects if p.planned_months_in_fy(fy) > 0]
            fixed: dict[str, int] = {}
            # A grants fund receives what it passes on that year, plus 10% to run it.
            for p in active:
                if p.stream == stream and "GRANTS_GBP" in p.metrics:
                    passed = sum(_fy_actual(series[(p.code, a, "GRANTS_GBP")], fy, "sum")[0]
                                 for a in p.areas)
                    fixed[p.code] = int(math.ceil(max(passed * 1.1, 5000.0) / 1000.0) * 1000)
            # Top-ups: a stream occasionally adds to a project that another stream funds.
            others = [p for p in active if p.stream != stream and p.stream != "HO_GRIP"
                      and "GRANTS_GBP" not in p.metrics]
            if stream in ("ECC", "PFCC") and others:
                n_top = min(len(others), (3 if fy == 3 else 1) * scale)
                for j in rng.choice(len(others), size=n_top, replace=False):
                    fixed[others[int(j)].code] = int(rng.integers(20, 61)) * 500
            remainder = pot - sum(fixed.values())
            if remainder < 0:
                raise RuntimeError(f"{stream} {fy_label(fy)}: fixed grants exceed the pot")
            own = [p for p in active if p.stream == stream and p.code not in fixed]
            weights = np.array([p.planned_months_in_fy(fy) * p.size for p in own])
            for p, w in zip(own, weights, strict=True):
                fixed[p.code] = int(remainder * w / weights.sum() / 100) * 100
            for code, value in fixed.items():
                if value > 0:
                    awards[(code, stream, fy)] = value
            total = sum(v for (_, s, f), v in awards.items() if s == stream and f == fy)
            assert total <= amount * scale, (stream, fy, total)
    return awards


def _spend(ref: Reference, awards: dict[tuple[str, str, int], int], seed: int) -> list[list[str]]:
    rng = _rng(seed, 7)
    by_project_fy: dict[tuple[str, int], int] = {}
    for (code, _, fy), value in awards.items():
        by_project_fy[(code, fy)] = by_project_fy.get((code, fy), 0) + value
    rows: list[list[str]] = []
    profile = (0.85, 0.95, 1.05, 1.15)  # spend catches up towards the year end
    for p in ref.projects:
        u = rng.random()
        ratio = (rng.uniform(0.6, 0.85) if u < 0.2 else rng.uniform(1.05, 1.2) if u < 0.3
                 else rng.uniform(0.92, 1.02))
        for fy in range(N_FY):
            grant = by_project_fy.get((p.code, fy), 0)
            planned = p.planned_months_in_fy(fy)
            if not grant or not planned:
                continue
            for q in range(4):
                if fy * 4 + q > LAST_QUARTER:
                    break
                lo, hi = 12 * fy + 3 * q, 12 * fy + 3 * q + 2
                end = p.end_month if p.end_month is not None else 10**6
                months = max(0, min(hi, end) - max(lo, p.start_month) + 1)
                if not months:
                    continue
                value = grant * months / planned * ratio * profile[q] * rng.lognormal(0.0, 0.1)
                rows.append([p.code, fy_label(fy), f"Q{q + 1}", f"{value:.2f}"])
    return rows


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

def org_contact(org: Org) -> tuple[str, str]:
    """A role, not a person, and an address under example.org (reserved, never delivered): derived from
    the organisation's code alone, so no random draw moves and the rest of the sample stays as it was."""
    return f"Returns lead ({org.code})", f"returns.{org.code.lower()}@example.org"


HEADERS = {
    "areas.csv": ["area_code", "area_name", "area_type", "parent_code", "population"],
    "priorities.csv": ["priority_code", "name", "description"],
    "metrics.csv": ["metric_code", "name", "unit", "aggregation", "priority_code", "source",
                    "higher_is_better", "definition"],
    "organisations.csv": ["org_code", "org_name", "org_type", "contact_name", "contact_email"],
    "projects.csv": ["project_code", "project_name", "org_code", "priority_code",
                     "funding_stream", "start_date", "end_date", "area_codes"],
    "targets.csv": ["metric_code", "financial_year", "scope", "scope_code", "target_value"],
    "funding.csv": ["funding_stream", "source_body", "financial_year", "amount_gbp"],
    "grants.csv": ["project_code", "funding_stream", "financial_year", "awarded_gbp"],
    "spend.csv": ["project_code", "financial_year", "quarter", "spend_gbp"],
    "observations.csv": ["period", "project_code", "area_code", "metric_code", "value",
                         "age_band", "sex", "ethnicity"],
    "returns.csv": ["project_code", "financial_year", "quarter", "submitted_on"],
}


def _returns(ref: Reference, seed: int) -> list[list[str]]:
    """The unit's return log: when each project's quarterly return arrived.

    A quarter whose reported months are all missing has no return; otherwise most returns arrive
    within 30 days of the quarter's end, some late (31-75 days) and a few never arrive.
    """
    rng = _rng(seed, 97)
    rows: list[list[str]] = []
    for p in ref.projects:
        months = list(p.reported_months())
        for k in range(months[0] // 3 if months else 0, (LAST_MONTH + 1) // 3):
            quarter_months = [t for t in range(3 * k, 3 * k + 3) if t in months]
            if not quarter_months:
                continue
            if all(t in p.missing for t in quarter_months) or rng.random() < 0.04:
                continue
            y, mo = month_ym(3 * k + 2)
            quarter_end = date(y + (mo == 12), mo % 12 + 1, 1) - timedelta(days=1)
            delay = int(rng.integers(3, 31)) if rng.random() < 0.82 else int(rng.integers(31, 76))
            rows.append([p.code, fy_label(k // 4), f"Q{k % 4 + 1}", (quarter_end + timedelta(days=delay)).isoformat()])
    return rows


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return len(rows)


def _area_rows() -> list[list[str]]:
    county_pop = sum(pop for _, _, kind, pop in LOWER_TIER if kind == "district")
    rows = [[COUNTY_CODE, "Essex", "county", "", str(county_pop)]]
    for code, name, kind, pop in LOWER_TIER:
        rows.append([code, name, kind, COUNTY_CODE if kind == "district" else "", str(pop)])
    return rows


def _readme(counts: dict[str, int], seed: int, scale: int) -> str:
    lines = [
        "# Sample data (SYNTHETIC)",
        "",
        "Every file here is **synthetic**: generated by `data/generate_sample.py` from a seed",
        f"(seed {seed}, scale {scale}). The organisations, projects, people counts, targets,",
        "grants and spend are invented; they describe no real person and no real partner, and",
        "must not be quoted as the Violence and Vulnerability Unit's performance. Only the ONS",
        "area codes and the ONS mid-2017 populations in `areas.csv` are real.",
        "",
        "Regenerate with `python data/generate_sample.py` (same seed: byte-identical files).",
        "Formats follow the data contract; observations run from 2019-04 to 2025-09,",
        "spend to 2025/26 Q2.",
        "",
        "Funding streams: HO_VRU (Home Office Violence Reduction Unit grant), ECC (Essex County",
        "Council), PFCC (Police, Fire and Crime Commissioner for Essex), HO_GRIP (Home Office",
        "Grip hotspot policing fund).",
        "",
        "| file | rows |",
        "|---|---:|",
    ]
    lines += [f"| `{name}` | {n:,} |" for name, n in counts.items()]
    return "\n".join(lines) + "\n"


def generate(out_dir: Path, seed: int = DEFAULT_SEED, scale: int = 1) -> dict[str, int]:
    """Write every sample file into out_dir; return data rows per file (header excluded)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ref = build_reference(seed, scale)
    series = simulate(ref, seed, scale)
    awards = _grants(ref, series, seed, scale)

    tables: dict[str, list[list[str]]] = {
        "areas.csv": _area_rows(),
        "priorities.csv": [list(p) for p in PRIORITIES],
        "metrics.csv": [[m.code, m.name, m.unit, m.aggregation, m.priority, m.source,
                         "true" if m.higher_is_better else "false", m.definition]
                        for m in METRICS],
        "organisations.csv": [[o.code, o.name, o.org_type, *org_contact(o)] for o in ref.orgs],
        "projects.csv": [[p.code, p.name, p.org_code, p.priority, p.stream,
                          p.start.isoformat(), p.end.isoformat() if p.end else "",
                          ";".join(p.areas)] for p in ref.projects],
        "targets.csv": _targets(ref, series, seed),
        "funding.csv": _funding_rows(scale),
        "grants.csv": [[code, stream, fy_label(fy), str(v)]
                       for (code, stream, fy), v in sorted(awards.items())],
        "spend.csv": _spend(ref, awards, seed),
        "observations.csv": _observation_rows(ref, series, seed),
        "returns.csv": _returns(ref, seed),
    }
    counts = {name: _write_csv(out_dir / name, HEADERS[name], rows)
              for name, rows in tables.items()}
    (out_dir / "README.md").write_text(_readme(counts, seed, scale), encoding="utf-8",
                                       newline="\n")
    return counts


# --------------------------------------------------------------------------------------------
# Large observations file for benchmarks
# --------------------------------------------------------------------------------------------

def _bench_keys(ref: Reference) -> Iterator[tuple[Project, int, str, str]]:
    for p in ref.projects:
        for t in p.reported_months():
            for area in p.areas:
                for metric in p.metrics:
                    yield p, t, area, metric


def write_observations_rows(path: Path, n_rows: int, seed: int = DEFAULT_SEED,
                            scale: int = 1, chunk_rows: int = 50_000) -> int:
    """Stream an observations CSV of exactly n_rows rows, valid against generate(seed, scale).

    Rows use every whole month of each project (missing returns included) and, for people
    metrics, as many distinct split cells per key as needed to reach n_rows, so memory stays
    flat whatever n_rows is. Raises ValueError when the reference for this scale has too few
    keys (1,000,000 rows needs scale 2 or more; scale 10 gives about 20 rows per key).
    """
    ref = build_reference(seed, scale)
    n_people = n_other = 0
    for p in ref.projects:
        months = p.last - p.first + 1
        for metric in p.metrics:
            if METRIC_BY_CODE[metric].is_people:
                n_people += months * len(p.areas)
            else:
                n_other += months * len(p.areas)
    n_keys = n_people + n_other
    rng = _rng(seed, 8)
    if n_rows <= n_keys:
        keep = np.zeros(n_keys, dtype=bool)
        keep[rng.choice(n_keys, size=n_rows, replace=False)] = True
        base, extra = 1, np.zeros(n_people, dtype=bool)
        people_rows = False
    else:
        keep = np.ones(n_keys, dtype=bool)
        base, rem = divmod(n_rows - n_other, n_people)
        if base > N_CELLS or (base == N_CELLS and rem):
            need = math.ceil(scale * (n_rows - n_other) / (n_people * N_CELLS))
            raise ValueError(f"{n_rows:,} rows need scale >= {need} (this scale holds "
                             f"{n_other + n_people * N_CELLS:,})")
        extra = np.zeros(n_people, dtype=bool)
        extra[rng.choice(n_people, size=rem, replace=False)] = True
        people_rows = True
    probs = np.full(N_CELLS, 1.0 / N_CELLS)

    written = 0
    chunk: list[list[str]] = []
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(HEADERS["observations.csv"])
        people_i = 0
        for key_i, (p, t, area, metric) in enumerate(_bench_keys(ref)):
            period = period_label(t)
            people = METRIC_BY_CODE[metric].is_people
            if keep[key_i]:
                if people and people_rows:
                    k = base + int(extra[people_i])
                    cells = _pick_cells(rng, probs, k)
                    values = rng.poisson(2.0, size=len(cells))
                    for cell, v in zip(cells, values, strict=True):
                        age, sex, eth = _cell(int(cell))
                        chunk.append([period, p.code, area, metric, str(int(v)), age, sex, eth])
                else:
                    unit = METRIC_BY_CODE[metric].unit
                    v = (round(float(rng.gamma(4.0, 2.5)), 1) if unit == "hours"
                         else int(rng.integers(0, 5000)) if unit == "gbp"
                         else int(rng.poisson(3.0)))
                    chunk.append([period, p.code, area, metric, _format_value(metric, v),
                                  "", "", ""])
            if people:
                people_i += 1
            if len(chunk) >= chunk_rows:
                writer.writerows(chunk)
                written += len(chunk)
                chunk = []
        writer.writerows(chunk)
        written += len(chunk)
    return written


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--large-observations", type=Path, default=None,
                        help="also stream a large observations CSV to this path")
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="rows for --large-observations")
    args = parser.parse_args(argv)
    if args.scale != 1 and args.out.resolve() == DEFAULT_OUT:
        parser.error("scaled data never go into data/sample: pass another --out")
    counts = generate(args.out, args.seed, args.scale)
    for name, n in counts.items():
        print(f"{name:20s} {n:>9,}")
    if args.large_observations is not None:
        n = write_observations_rows(args.large_observations, args.rows, args.seed, args.scale)
        print(f"{args.large_observations} {n:,} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
