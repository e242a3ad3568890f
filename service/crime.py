"""Crime views shared by the Crime page, the ``/api/v1/crime`` endpoint and reporting snapshots.

Areas: the partnership's districts and unitary authorities, the county (the sum of its 12 districts)
and two buckets that hold the rest of a force's rows, ``OUTSIDE`` (crimes in neighbouring
authorities) and ``NO_LOCATION``. No area filter means every row, buckets included, so the counts
always add up to the rows of the files loaded.

Crime types: police recorded crime leaves out anti-social behaviour (incidents, not crimes), which
is counted apart; the groupings (serious violence, knife and weapon offences) come from
analysis.outcomes.CRIME_GROUPS, the definition the board pack and the Home Office return use too.

Periods: the API counts every month unless told otherwise (``fy`` gives a financial year); the page's
default is the financial year (April to March) of the latest month of data, so far, compared with the
same months a year earlier. Rates are per 1,000 residents
(population from the areas table); the buckets have no residents and so no rate.

Speed: the API groups in SQL over crime_area_monthly. The page reads the summaries once per data
version into arrays (``crime_base``: months x areas x types; ``lsoa_cube``: running totals per
LSOA), so each view is a few array sums and its callback answers in milliseconds; the first map
after a load pays for reading crime_monthly (about 2 s for 78 months of Essex, 0.3 s for a year).
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from analysis.fiscal import add_months, fy_months, fy_of_period, months_between
from analysis.outcomes import ANTI_SOCIAL_BEHAVIOUR, CRIME_EXCLUDED_FROM_TOTAL, CRIME_GROUPS, GROUP_DEFINITION
from analysis.rates import PER, area_table, rate_per
from charts.maps import bounds
from etl.sources.police_uk import CRIME_TYPES
from service.cache import cached
from settings import DATA_DIR
from warehouse import crime_queries, queries
from warehouse.crime_models import BUCKET_NAMES
from warehouse.filters import FilterError, Filters

GROUPS = ("month", "area", "crime_type")
VVU_START = "2019-04"
LSOA_2021_FROM = "2022-01"  # police.uk files use 2021 LSOAs from 2022; earlier months use 2011 LSOAs
COLUMNS_BY_GROUP = {"month": ["month"], "area": ["area_code", "area_name"], "crime_type": ["crime_type"]}


class CrimeChoiceError(FilterError):
    """A crime type or grouping the API cannot answer; it answers 400 with this message."""


def _canon(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", str(text or "")).strip().casefold()


# --- choices ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class CrimeChoices:
    """What the page's selects offer, read once per data version (one cache look-up per callback)."""

    months: tuple[str, ...]  # every month with data
    types: tuple[str, ...]  # crime types with data, most frequent first
    areas: tuple[tuple[str, str], ...]  # (code, label) in the order the select lists them
    groups: tuple[str, ...] = tuple(CRIME_GROUPS)  # named groupings (analysis.outcomes.CRIME_GROUPS)

    def parse(self, month_from: object, month_to: object, area: object, crime_type: object) -> tuple[Filters, str]:
        """A valid view from untrusted values (URL or callback): a bad value falls back to the default."""
        given = [str(v or "")[:7] for v in (month_from, month_to)]
        first, last = page_period(list(self.months), *[v if _MONTH.match(v) else "" for v in given])
        code = str(area or "").strip().upper()[:20]
        code = code if code in {c for c, _label in self.areas} else ""
        wanted = _canon(str(crime_type or "")[:100])
        ctype = next((t for t in (*self.groups, *self.types) if _canon(t) == wanted), "")
        return Filters(month_from=first, month_to=last, area=code), ctype

    def years(self) -> list[tuple[str, str, str]]:
        """(financial year, first month, last month) with data, newest first: the page's year choices."""
        out: dict[str, list[str]] = {}
        for m in self.months:
            out.setdefault(fy_of_period(m), []).append(m)
        return [(fy, ms[0], ms[-1]) for fy, ms in sorted(out.items(), reverse=True)]


_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def crime_choices(engine: Engine) -> CrimeChoices:
    return crime_base(engine).choices


RECORDED_CRIME = "Police recorded crime"
"""What the page counts when no crime type or grouping is chosen: every type except anti-social behaviour."""


def selection_types(selection: str, types: tuple[str, ...] | list[str]) -> list[str]:
    """The police.uk types a page or API selection stands for, among ``types``.

    '' is police recorded crime (every type but those in CRIME_EXCLUDED_FROM_TOTAL: anti-social
    behaviour incidents are not crimes), a name in CRIME_GROUPS its types, else the one type.
    """
    if not selection:
        return [t for t in types if t not in CRIME_EXCLUDED_FROM_TOTAL]
    if selection in CRIME_GROUPS:
        return [t for t in types if t in CRIME_GROUPS[selection]]
    return [t for t in types if t == selection]


def selection_definition(selection: str) -> str:
    """The sentence that says what a selection counts (shown under the page's figures and in the API)."""
    if not selection:
        excluded = ", ".join(t.lower() for t in CRIME_EXCLUDED_FROM_TOTAL)
        return (f"{RECORDED_CRIME}: every police.uk street-level crime type except {excluded}, whose incidents "
                "are not crimes and are counted separately.")
    if selection in GROUP_DEFINITION:
        return f"{selection}: {GROUP_DEFINITION[selection]}"
    if selection == ANTI_SOCIAL_BEHAVIOUR:
        return (f"{ANTI_SOCIAL_BEHAVIOUR}: incidents reported to Essex Police (police.uk); not crimes, so not part "
                f"of {RECORDED_CRIME.lower()}.")
    return f"{selection}: the police.uk crime type of that name."


def crime_types(engine: Engine) -> list[str]:
    """Crime types with data, most frequent first (police.uk's spelling)."""
    return list(crime_choices(engine).types)


def parse_crime_type(engine: Engine, value: object) -> str:
    """The API's crime_type: '' for every row, RECORDED_CRIME (every type but anti-social behaviour), a
    grouping of CRIME_GROUPS, or a type in police.uk's spelling (matched ignoring case and spaces)."""
    text = _canon(value)
    if text in ("", "all"):
        return ""
    known = {_canon(t): t for t in (RECORDED_CRIME, *CRIME_GROUPS, *CRIME_TYPES, *crime_types(engine))}
    if text not in known:
        raise CrimeChoiceError(f"crime_type must be one of: {', '.join(sorted(known.values()))}")
    return known[text]


def parse_group_by(value: object) -> tuple[str, ...]:
    """``month,area,crime_type`` or any subset (order kept, repeats ignored)."""
    parts = [p.strip().lower() for p in str(value or "").split(",") if p.strip()]
    unknown = [p for p in parts if p not in GROUPS]
    if unknown:
        raise CrimeChoiceError(f"group_by takes any of {', '.join(GROUPS)} separated by commas, "
                               f"not {unknown[0][:20]!r}")
    return tuple(dict.fromkeys(parts))


@cached
def area_info(engine: Engine) -> pd.DataFrame:
    """Every area a crime can count in. Columns: area_code, area_name, area_type, parent_code, population."""
    areas = queries.areas(engine)
    areas["parent_code"] = areas["parent_code"].fillna("")
    buckets = pd.DataFrame({"area_code": list(BUCKET_NAMES), "area_name": list(BUCKET_NAMES.values()),
                            "area_type": "bucket", "parent_code": "", "population": 0})
    return pd.concat([areas, buckets], ignore_index=True)


def area_choices(engine: Engine) -> list[tuple[str, str]]:
    """(code, label) for the page's area select: county then its districts, unitaries, then the buckets."""
    return _area_choices(area_info(engine))


def _area_choices(info: pd.DataFrame) -> list[tuple[str, str]]:
    out = []
    for row in info[info["parent_code"] == ""].sort_values(["area_type", "area_name"]).itertuples(index=False):
        if row.area_type == "bucket":
            continue
        kids = info[info["parent_code"] == row.area_code].sort_values("area_name")
        out.append((row.area_code, f"{row.area_name} (county: {len(kids)} districts)" if len(kids) else row.area_name))
        out += [(k.area_code, f"– {k.area_name}") for k in kids.itertuples(index=False)]
    out += list(BUCKET_NAMES.items())
    return out


def resolve_areas(engine: Engine, area: str) -> list[str] | None:
    """The area codes a filter stands for: None for every row, a county's districts, or one area."""
    return _resolve(area_info(engine), area)


def _resolve(info: pd.DataFrame, area: str) -> list[str] | None:
    if not area:
        return None
    if area not in set(info["area_code"]):
        raise CrimeChoiceError(f"unknown area {area[:20]!r}; use a code from /api/v1/crime?group_by=area")
    kids = list(info.loc[info["parent_code"] == area, "area_code"])
    return kids or [area]


def parse_area(engine: Engine, value: object) -> str:
    """An area code the page can show ('' when missing or unknown: a bad link shows every area)."""
    text = str(value or "").strip().upper()
    if text in ("", "ALL"):
        return ""
    return text if text in set(area_info(engine)["area_code"]) else ""


# --- the API table ---------------------------------------------------------------------------
def api_months(f: Filters, months: list[str]) -> tuple[str, str]:
    """The API's month range: a financial year or quarter when given, else month_from/month_to (open)."""
    if f.fy:
        return f.months(months[-1] if months else VVU_START)
    return f.month_from, f.month_to


@cached
def crime_table(engine: Engine, f: Filters, crime_type: str = "", group_by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Crimes counted by any subset of month, area and crime type (the API's answer).

    ``crime_type``: '' every row (anti-social behaviour included, so the counts add up to the rows
    loaded), RECORDED_CRIME every type but anti-social behaviour, a CRIME_GROUPS name its types, or
    one police.uk type.

    Columns: [month], [area_code, area_name], [crime_type], count, and with ``area`` in
    ``group_by`` also population and rate_per_1000 (blank for the buckets). Without an area filter
    the buckets OUTSIDE and NO_LOCATION are areas of their own, so the counts add up to every row
    loaded.
    """
    first, last = api_months(f, crime_queries.crime_months(engine))
    chosen: dict = {"crime_type": crime_type}
    if crime_type == RECORDED_CRIME:
        chosen = {"exclude": CRIME_EXCLUDED_FROM_TOTAL}
    elif crime_type in CRIME_GROUPS:
        chosen = {"types": CRIME_GROUPS[crime_type]}
    frame = crime_queries.crime_counts(engine, group_by, first, last, resolve_areas(engine, f.area), **chosen)
    columns = [c for g in group_by for c in COLUMNS_BY_GROUP[g]]
    if "area" in group_by:
        info = area_info(engine).set_index("area_code")
        frame["area_name"] = frame["area_code"].map(info["area_name"]).fillna(frame["area_code"])
        population = frame["area_code"].map(info["population"]).astype(float)
        frame["population"] = population.where(population > 0)
        frame["rate_per_1000"] = [round(rate_per(c, p, PER), 3) for c, p in zip(frame["count"], frame["population"],
                                                                                  strict=True)]
        columns += ["count", "population", "rate_per_1000"]
        frame["population"] = frame["population"].astype("Int64")
    else:
        columns += ["count"]
    return frame[columns].reset_index(drop=True)


# --- the page --------------------------------------------------------------------------------
def page_period(months: list[str], month_from: str = "", month_to: str = "") -> tuple[str, str]:
    """The page's period: the months asked for within the data; by default the financial year (April to
    March) of the last month, so far, as on every other page."""
    if not months:
        return "", ""
    lo, hi = months[0], months[-1]
    last = min(max(month_to or hi, lo), hi)
    first = month_from or fy_months(fy_of_period(last))[0]
    first = min(max(first, lo), hi)
    if first > last:
        first, last = last, first
    return first, last


def change_pct(now: float, before: float | None) -> float | None:
    """Percentage change on the year before; None when there is nothing to compare with."""
    if before is None or before != before or before <= 0:
        return None
    return (float(now) - float(before)) * 100.0 / float(before)


@dataclass(frozen=True)
class CrimeView:
    """Everything the Crime page shows for one choice of period, area and crime type."""

    area: str
    area_name: str
    crime_type: str  # '' for every type
    months: list[str]  # every month with data
    first: str
    last: str
    comparable: bool  # the same months a year earlier all have data
    count: int
    year_earlier: int | None
    population: int | None  # residents of the chosen area (None for all rows and the buckets)
    rate: float | None  # per 1,000 residents of the chosen area, or of the partnership for all rows
    monthly: pd.DataFrame  # month, count, year_earlier (every month with data, for the chosen area and type)
    by_type: pd.DataFrame  # crime_type, count, year_earlier, change_pct (the period, the chosen area, every type)
    by_area: pd.DataFrame  # area_code, area_name, area_type, parent_code, count, population, rate,
    #                        year_earlier, change_pct (the period, the chosen type, every area)
    asb: int = 0  # anti-social behaviour incidents in the period and area (not crimes: never in ``count``
    #               unless anti-social behaviour itself is the selection)
    asb_year_earlier: int | None = None
    definition: str = ""  # what the selection counts (service.crime.selection_definition)
    by_year: pd.DataFrame | None = None  # per financial year (April to March) in the chosen area: see
    #                                      financial_years()


@dataclass(frozen=True)
class CrimeBase:
    """What every page view is computed from, read once per data version.

    ``counts`` is crime_area_monthly as an array [month, area, type] (a few thousand numbers however
    many crimes are loaded), and ``members`` says which of its areas each row of the page's area
    table adds up (a district itself, the county its districts, the partnership every district and
    unitary, the buckets themselves), so a view is a handful of array sums, not more queries.
    """

    months: tuple[str, ...]
    areas: tuple[str, ...]
    types: tuple[str, ...]
    counts: np.ndarray  # [month, area, type]
    info: pd.DataFrame  # area_info
    rows: pd.DataFrame  # area table rows: area_code, area_name, area_type, parent_code, population
    members: np.ndarray  # [row, area] 1 where the row counts that area
    choices: CrimeChoices
    covers: dict[str, list[str]]  # area code -> the area codes it stands for (a county: its districts)
    names: dict[str, str]  # area code -> name
    year_before: np.ndarray  # per month, the index of the same month a year earlier (-1: no data)
    row_index: dict[str, int]  # area table row of each area code (TOTAL: the partnership)

    def resolve(self, area: str) -> list[str] | None:
        return None if not area else self.covers.get(area, [area])

    def months_mask(self, first: str, last: str) -> np.ndarray:
        m = np.array(self.months, dtype=str)
        return (m >= first) & (m <= last)

    def area_mask(self, codes: list[str] | None) -> np.ndarray:
        return np.ones(len(self.areas), dtype=bool) if codes is None else np.isin(np.array(self.areas), codes)

    def type_mask(self, crime_type: str) -> np.ndarray:
        """Which types a selection counts ('' = police recorded crime, a grouping, or one type)."""
        return np.isin(np.array(self.types, dtype=str), selection_types(crime_type, self.types))


@cached
def crime_base(engine: Engine) -> CrimeBase:
    frame = crime_queries.crime_counts(engine, ("month", "area", "crime_type"))
    info = area_info(engine)
    months = tuple(sorted(set(frame["month"])))
    areas = tuple(sorted(set(frame["area_code"]) | set(info["area_code"])))
    types = tuple(sorted(set(frame["crime_type"])))
    counts = np.zeros((len(months), len(areas), len(types)), dtype=np.int64)
    if len(frame):
        np.add.at(counts, (pd.Index(months).get_indexer(frame["month"]), pd.Index(areas).get_indexer(
            frame["area_code"]), pd.Index(types).get_indexer(frame["crime_type"])), frame["count"].to_numpy())
    # The area table's rows in analysis.rates.area_table's order (county, its districts, unitaries,
    # partnership total), then the buckets and every row; population of a parent = its children's.
    real = info[info["area_type"] != "bucket"]
    skeleton = area_table(pd.DataFrame({"area_code": [], "value": []}), real, PER, total_label="Partnership area")
    rows = skeleton[["area_code", "area_name", "area_type", "parent_code", "population"]].copy()
    extra = pd.DataFrame({"area_code": [*BUCKET_NAMES, "ALL"],
                          "area_name": [*BUCKET_NAMES.values(), "Every row (all areas and buckets)"],
                          "area_type": ["bucket", "bucket", "all"], "parent_code": "", "population": float("nan")})
    rows = pd.concat([rows, extra], ignore_index=True)
    index = {a: i for i, a in enumerate(areas)}
    members = np.zeros((len(rows), len(areas)), dtype=np.int64)
    top = set(real.loc[real["parent_code"] == "", "area_code"])
    for r, (code, kind) in enumerate(zip(rows["area_code"], rows["area_type"], strict=True)):
        if kind == "all":
            cover = list(areas)
        elif kind == "total":
            cover = [a for t in top for a in (_resolve(info, t) or [])]
        else:
            cover = _resolve(info, code) or []
        members[r, [index[a] for a in cover if a in index]] = 1
    order = np.argsort(-counts.sum(axis=(0, 1)), kind="stable")
    choices = CrimeChoices(months, tuple(types[i] for i in order), tuple(_area_choices(info)))
    covers = {code: _resolve(info, code) or [code] for code in info["area_code"]}
    names = dict(zip(info["area_code"], info["area_name"], strict=True))
    position = {m: i for i, m in enumerate(months)}
    year_before = np.array([position.get(add_months(m, -12), -1) for m in months], dtype=np.int64)
    row_index = {code: i for i, code in enumerate(rows["area_code"])}
    return CrimeBase(months, areas, types, counts, info, rows, members, choices, covers, names, year_before,
                     row_index)


def _by_area(base: CrimeBase, now: np.ndarray, before: np.ndarray, types: np.ndarray,
             comparable: bool) -> pd.DataFrame:
    per_area_now = base.counts[now][:, :, types].sum(axis=(0, 2))
    per_area_before = base.counts[before][:, :, types].sum(axis=(0, 2))
    table = base.rows.copy()
    table["count"] = (base.members @ per_area_now).astype(float)
    population = table["population"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["rate"] = np.where(population > 0, table["count"].to_numpy() * PER / population, np.nan)
    table["year_earlier"] = (base.members @ per_area_before).astype(float) if comparable else np.nan
    table["change_pct"] = [change_pct(n, b) for n, b in zip(table["count"], table["year_earlier"], strict=True)]
    return table


@cached
def crime_view(engine: Engine, f: Filters, crime_type: str = "") -> CrimeView:
    """The page's view. ``f`` gives month_from, month_to and area; ``crime_type`` '' means every type."""
    return _crime_view(crime_base(engine), f, crime_type)


def _crime_view(base: CrimeBase, f: Filters, crime_type: str) -> CrimeView:
    months = list(base.months)
    first, last = page_period(months, f.month_from, f.month_to)
    area_name = base.names.get(f.area, "All areas") if f.area else "All areas"
    if not months:
        empty = pd.DataFrame()
        return CrimeView(f.area, area_name, crime_type, [], "", "", False, 0, None, None, None, empty, empty, empty)
    in_area = base.area_mask(base.resolve(f.area))
    of_type = base.type_mask(crime_type)
    series = base.counts[:, in_area, :][:, :, of_type].sum(axis=(1, 2))
    prev = base.year_before
    monthly = pd.DataFrame({"month": months, "count": series,
                            "year_earlier": np.where(prev >= 0, series[prev].astype(float), np.nan)})
    have = set(months)
    comparable = all(add_months(m, -12) in have for m in months_between(first, last))
    now = base.months_mask(first, last)
    before = base.months_mask(add_months(first, -12), add_months(last, -12))
    count = int(series[now].sum())
    year_earlier = int(series[before].sum()) if comparable else None

    types_now = base.counts[now][:, in_area, :].sum(axis=(0, 1))
    types_before = base.counts[before][:, in_area, :].sum(axis=(0, 1)).astype(float)
    crime = base.type_mask("")  # the by-type table lists crimes only; anti-social behaviour is a figure apart
    keep = crime & ((types_now > 0) | (comparable & (types_before > 0)))
    order = sorted(np.flatnonzero(keep).tolist(), key=lambda i: (-int(types_now[i]), base.types[i]))
    earlier = [float(types_before[i]) if comparable else np.nan for i in order]
    by_type = pd.DataFrame({
        "crime_type": [base.types[i] for i in order], "count": [int(types_now[i]) for i in order],
        "year_earlier": earlier,
        "change_pct": [change_pct(types_now[i], b) for i, b in zip(order, earlier, strict=True)],
    })

    by_area = _by_area(base, now, before, of_type, comparable)
    at = base.row_index.get(f.area or "TOTAL")
    population = base.rows["population"].iloc[at] if at is not None else np.nan
    population = int(population) if population == population and population > 0 else None
    rate = float(by_area["rate"].iloc[at]) if population else None
    asb = base.type_mask(ANTI_SOCIAL_BEHAVIOUR)
    return CrimeView(f.area, area_name, crime_type, months, first, last, comparable, count, year_earlier,
                     population, rate, monthly, by_type, by_area, int(types_now[asb].sum()),
                     int(types_before[asb].sum()) if comparable else None, selection_definition(crime_type),
                     financial_years(base, in_area))


YEAR_COLUMNS = {"": "recorded_crime", ANTI_SOCIAL_BEHAVIOUR: "anti_social_behaviour",
                **{name: re.sub(r"\W+", "_", name.lower()).strip("_") for name in CRIME_GROUPS}}
"""The per-year table's count columns: police recorded crime, anti-social behaviour, each grouping."""


def financial_years(base: CrimeBase, in_area: np.ndarray) -> pd.DataFrame:
    """Counts per financial year (April to March) in some areas, oldest first.

    Columns: financial_year, first, last (months with data in that year), months (how many: a year
    with fewer than 12 is partial and says so), then one count column per YEAR_COLUMNS entry.
    """
    columns = ["financial_year", "first", "last", "months", *YEAR_COLUMNS.values()]
    if not base.months:
        return pd.DataFrame(columns=columns)
    masks = np.array([base.type_mask(sel) for sel in YEAR_COLUMNS], dtype=np.int64)  # [selection, type]
    per_month = base.counts[:, in_area, :].sum(axis=1) @ masks.T  # [month, selection]
    rows = []
    for fy, a, b in _fy_spans(tuple(base.months)):
        sums = per_month[a:b].sum(axis=0)
        rows.append([fy, base.months[a], base.months[b - 1], b - a, *(int(n) for n in sums)])
    return pd.DataFrame(rows, columns=columns)


@functools.lru_cache(maxsize=8)
def _fy_spans(months: tuple[str, ...]) -> tuple[tuple[str, int, int], ...]:
    """(financial year, start, end) index spans of sorted months: worked out once per list of months."""
    spans: list[list] = []
    for i, m in enumerate(months):
        fy = fy_of_period(m)
        if spans and spans[-1][0] == fy:
            spans[-1][2] = i + 1
        else:
            spans.append([fy, i, i + 1])
    return tuple((fy, a, b) for fy, a, b in spans)


def fy_period(fy: str, months: list[str] | tuple[str, ...]) -> tuple[str, str]:
    """The months of a financial year that have data (('', '') when none): what choosing a year shows."""
    try:
        inside = [m for m in fy_months(fy) if m in set(months)]
    except ValueError:  # not a financial year (the value came from a URL or a callback)
        return "", ""
    return (inside[0], inside[-1]) if inside else ("", "")


# --- the LSOA map ----------------------------------------------------------------------------
def vintage_for(last: str) -> int:
    """The LSOA boundaries police.uk used for a month: 2011 before 2022, 2021 from 2022."""
    return 2021 if last >= LSOA_2021_FROM else 2011


@functools.lru_cache(maxsize=2)
def lsoa_features(vintage: int) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(codes, names, area codes) of the LSOAs drawn for a vintage, in file order (read once)."""
    data = json.loads((DATA_DIR / "geo" / f"lsoa{vintage % 100:02d}.geojson").read_text(encoding="utf-8"))
    feats = data["features"]
    return (tuple(f["id"] for f in feats), tuple(f["properties"]["lsoa_name"] for f in feats),
            tuple(f["properties"]["area_code"] for f in feats))


@functools.lru_cache(maxsize=1)
def _districts() -> dict:
    return json.loads((DATA_DIR / "geo" / "districts.geojson").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=64)
def lsoa_extent(areas: tuple[str, ...] | None = None) -> tuple[float, float, float, float]:
    """(west, east, south, north) of some districts (by code), or of the whole partnership area."""
    data = _districts()
    if areas:
        chosen = [f for f in data["features"] if f["id"] in set(areas)]
        if chosen:
            return bounds({"features": chosen})
    return bounds(data)


@dataclass(frozen=True)
class LsoaMap:
    vintage: int
    first: str
    last: str
    crime_type: str
    area: str
    values: np.ndarray  # per LSOA in lsoa_features(vintage) order; NaN outside the chosen area
    total: int  # crimes with an LSOA in the partnership area, in the period (chosen type and area)
    unmapped: int  # of which in LSOAs the chosen boundaries do not have (the other vintage's codes)
    top: list[tuple[str, int]]  # the five LSOAs with most crimes: (name, count)
    extent: tuple[float, float, float, float]  # what to frame: the chosen area, else the partnership
    area_name: str = "All areas"


@dataclass(frozen=True)
class LsoaCube:
    """Crimes per partnership LSOA as running totals over the months, read once per data version.

    ``running[m, t, l]`` is the count of type ``t`` in LSOA ``l`` over the months before
    ``months[m]`` (the last slice, every month), so any period is one subtraction, however long.
    """

    months: tuple[str, ...]
    types: tuple[str, ...]
    codes: tuple[str, ...]
    areas: tuple[str, ...]  # each LSOA's district or unitary
    running: np.ndarray  # [month + 1, type + 1, lsoa], int64

    def totals(self, first: str, last: str, crime_type: str = "") -> np.ndarray:
        """Per LSOA over the months first..last, for a selection ('' = police recorded crime, a grouping,
        or one type)."""
        a = bisect.bisect_left(self.months, first)
        b = bisect.bisect_right(self.months, last)
        t = [self.types.index(x) for x in selection_types(crime_type, self.types)]
        if not t or b <= a:
            return np.zeros(len(self.codes), dtype=np.int64)
        return (self.running[b, t] - self.running[a, t]).sum(axis=0)


@cached
def lsoa_cube(engine: Engine) -> LsoaCube:
    frame = crime_queries.lsoa_month_counts(engine)
    months = tuple(sorted(set(frame["month"])))
    types = tuple(sorted(set(frame["crime_type"])))
    lsoas = frame.drop_duplicates("lsoa_code").sort_values("lsoa_code")
    codes, areas = tuple(lsoas["lsoa_code"]), tuple(lsoas["area_code"])
    running = np.zeros((len(months) + 1, len(types), len(codes)), dtype=np.int64)
    if len(frame):
        np.add.at(running, (pd.Index(months).get_indexer(frame["month"]) + 1,
                            pd.Index(types).get_indexer(frame["crime_type"]),
                            pd.Index(codes).get_indexer(frame["lsoa_code"])), frame["count"].to_numpy())
        np.cumsum(running, axis=0, out=running)
    return LsoaCube(months, types, codes, areas, running)


@functools.lru_cache(maxsize=8)
def _feature_index(vintage: int, codes: tuple[str, ...]) -> np.ndarray:
    """For each LSOA drawn (boundary file order), its position in ``codes`` or -1."""
    where = {c: i for i, c in enumerate(codes)}
    return np.array([where.get(c, -1) for c in lsoa_features(vintage)[0]], dtype=np.int64)


@cached
def lsoa_map(engine: Engine, f: Filters, crime_type: str = "") -> LsoaMap:
    """Crimes per LSOA for the page's period, crime type and area, in the boundary file's order."""
    base = crime_base(engine)
    return _lsoa_map(base, lsoa_cube(engine) if base.months else None, f, crime_type)


def _lsoa_map(base: CrimeBase, cube: LsoaCube | None, f: Filters, crime_type: str) -> LsoaMap:
    first, last = page_period(list(base.months), f.month_from, f.month_to)
    vintage = vintage_for(last or LSOA_2021_FROM)
    codes, names, area_codes = lsoa_features(vintage)
    area_name = base.names.get(f.area, "All areas") if f.area else "All areas"
    if not base.months:
        return LsoaMap(vintage, "", "", crime_type, f.area, np.full(len(codes), np.nan), 0, 0, [], lsoa_extent(),
                       area_name)
    areas = base.resolve(f.area)
    totals = cube.totals(first, last, crime_type)
    if areas is not None:
        totals = np.where(np.isin(np.array(cube.areas, dtype=str), areas), totals, 0)
    index = _feature_index(vintage, cube.codes)
    drawn = np.where(index >= 0, totals[np.maximum(index, 0)] if len(totals) else 0, 0)
    shown = np.ones(len(codes), dtype=bool) if areas is None else np.isin(np.array(area_codes, dtype=str), areas)
    values = np.where(shown, drawn, np.nan)  # NaN (null in JSON): outside the chosen area
    total = int(totals.sum())
    unmapped = total - int(drawn[shown].sum())
    top = np.argsort(-np.where(shown, drawn, -1), kind="stable")[:5]
    ranked = [(names[i], int(drawn[i])) for i in top if shown[i] and drawn[i] > 0]
    return LsoaMap(vintage, first, last, crime_type, f.area, values, total, unmapped, ranked,
                   lsoa_extent(tuple(areas) if areas else None), area_name)


# --- what the page's callbacks call: one cache look-up each ----------------------------------
def _raw(values: tuple[object, ...]) -> tuple[str, ...]:
    """Untrusted callback values as short strings (they become part of a cache key)."""
    return tuple(str(v or "")[:100] for v in values)


@cached
def _page_view(engine: Engine, month_from: str, month_to: str, area: str, crime_type: str) -> CrimeView:
    base = crime_base(engine)
    f, ctype = base.choices.parse(month_from, month_to, area, crime_type)
    return _crime_view(base, f, ctype)


@cached
def _page_map(engine: Engine, month_from: str, month_to: str, area: str, crime_type: str) -> LsoaMap:
    base = crime_base(engine)
    f, ctype = base.choices.parse(month_from, month_to, area, crime_type)
    return _lsoa_map(base, lsoa_cube(engine) if base.months else None, f, ctype)


def page_view(engine: Engine, *values: object) -> CrimeView:
    """The Crime page's view from its four controls (month_from, month_to, area, crime_type), any values."""
    return _page_view(engine, *_raw(values))


def page_map(engine: Engine, *values: object) -> LsoaMap:
    """The Crime page's LSOA map from its four controls, any values."""
    return _page_map(engine, *_raw(values))
