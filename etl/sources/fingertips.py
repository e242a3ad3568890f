"""Reader for the Fingertips ``all_data`` CSV export (public health outcome indicators), as published.

Fingertips exports one row per indicator, area, sex, age, category and time period, with the value,
its 95% and 99.8% confidence limits, the count and the denominator. Later columns vary by export
(trend, comparison with England, time period sortable, ...) and are ignored. What the reader decides:

- every row is kept and given a ``role``: one of the partnership's areas (in ``areas.csv``), a
  comparator (England ``E92...`` or a region ``E12...``), or ``outside``. No row is dropped.
- Fingertips' own suppression is respected: a blank value (Fingertips writes a value note such as
  "Value suppressed for disclosure control") stays blank, never 0; and a value whose count is below
  10 is stored without its value, intervals or count, noted as suppressed, whatever the file says.
- a later export of the same indicator replaces that indicator's earlier rows (a new release
  revises back years), in the load's one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd
from sqlalchemy import Connection, delete, insert

from etl.columns import Number, Parsed, Schema, Text, _fail
from etl.sources.base import Context, Source, clean
from warehouse.outcome_models import ROLE_COMPARATOR, ROLE_OUTSIDE, ROLE_PARTNERSHIP, HealthIndicator

SUPPRESS_BELOW = 10  # Fingertips publishes no value where the count is below 10
SUPPRESSED_NOTE = "Value suppressed: count below 10"
ENGLAND = "E92000001"
_PERIOD = re.compile(r"^(\d{4})(?:/\d{2})?(?:\s*-\s*(?:\d{2,4})(?:/\d{2})?)?$")
CI_COLUMNS = {"lower_ci_95.0_limit": "lower_ci95", "upper_ci_95.0_limit": "upper_ci95",
              "lower_ci_99.8_limit": "lower_ci998", "upper_ci_99.8_limit": "upper_ci998"}


class TimePeriod(Text):
    """A Fingertips time period: a year ``2019``, a financial year ``2019/20``, or a pooled span
    ``2017/18 - 19/20``; the first year is kept to order periods."""

    def parse(self, text: pd.Series) -> Parsed:
        ok = text.str.strip().str.match(_PERIOD.pattern).fillna(False).astype(bool)
        return _fail(text.str.strip(), ~ok & text.notna(),
                     "not a Fingertips time period such as 2019/20 or 2017/18 - 19/20")


def period_start(label: str) -> int:
    """The first calendar year of a time period label (``2017/18 - 19/20`` -> 2017)."""
    match = _PERIOD.match(str(label).strip())
    if not match:
        raise ValueError(f"not a Fingertips time period: {label!r}")
    return int(match.group(1))


def area_role(code: str, partnership: set[str]) -> str:
    """Where a row belongs: the partnership's own areas, a comparator (England, a region), or outside."""
    if code in partnership:
        return ROLE_PARTNERSHIP
    if code == ENGLAND or code.startswith("E12"):
        return ROLE_COMPARATOR
    return ROLE_OUTSIDE


class Fingertips(Source):
    kind, title = "fingertips", "Fingertips all_data export"
    key = ("indicator_id", "area_code", "sex", "age", "category_type", "category", "time_period")
    reuse_parsed = True
    schema = Schema([
        Number("indicator_id", integer=True),
        Text("indicator_name", max_length=300),
        Text("parent_code", required=False, header_required=False),
        Text("parent_name", required=False, header_required=False),
        Text("area_code", max_length=12),
        Text("area_name"),
        Text("area_type", max_length=100),
        Text("sex", max_length=20),
        Text("age", max_length=40),
        Text("category_type", required=False),
        Text("category", required=False),
        TimePeriod("time_period", max_length=30),
        Number("value", required=False, allow_negative=True),
        *[Number(c, required=False, allow_negative=True) for c in CI_COLUMNS],
        Number("count", required=False),
        Number("denominator", required=False),
        Text("value_note", required=False, max_length=300),
    ])

    def check(self, frame: pd.DataFrame, ctx: Context) -> None:
        self.check_keys(frame, ctx)
        code = frame["area_code"].fillna("").str.upper()
        ctx.add_mask(frame, ~frame["_bad_area_code"] & ~code.str.match(r"^[EWSNK]\d{8}$"), "area_code",
                     "not an ONS GSS area code such as E10000012")

    def write(self, conn: Connection, frames: Iterator[pd.DataFrame], batch_id: int, ctx: Context) -> int:
        frame = clean(pd.concat(list(frames), ignore_index=True))
        t = HealthIndicator.__table__
        indicators = sorted({int(i) for i in frame["indicator_id"]})
        conn.execute(delete(t).where(t.c.indicator_id.in_(indicators)))
        partnership = ctx.codes.get("area", set())
        records = [self._record(r, batch_id, partnership) for r in frame.to_dict("records")]
        for start in range(0, len(records), 5000):
            conn.execute(insert(t), records[start:start + 5000])
        ctx.state["roles"] = pd.Series([r["role"] for r in records]).value_counts().to_dict()
        return len(records)

    @staticmethod
    def _record(r: dict, batch_id: int, partnership: set[str]) -> dict:
        def num(key: str) -> float | None:
            v = r.get(key)
            return None if v is None or v == "" or pd.isna(v) else float(v)

        def txt(key: str) -> str:
            v = r.get(key)
            return "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v).strip()

        value, count, note = num("value"), num("count"), txt("value_note")
        cis = {name: num(col) for col, name in CI_COLUMNS.items()}
        if count is not None and count < SUPPRESS_BELOW:  # the small count itself is not shown either
            if value is not None:
                value, cis = None, dict.fromkeys(cis)
                note = SUPPRESSED_NOTE
            count = None
        code = str(r["area_code"]).strip().upper()
        return {
            "batch_id": batch_id, "source_row": int(r["_row"]), "indicator_id": int(r["indicator_id"]),
            "indicator_name": txt("indicator_name"), "area_code": code, "area_name": txt("area_name"),
            "area_type": txt("area_type"), "role": area_role(code, partnership), "sex": txt("sex"),
            "age": txt("age"), "category_type": txt("category_type"), "category": txt("category"),
            "time_period": txt("time_period"),
            "period_start": period_start(r["time_period"]), "value": value, **cis, "count": count,
            "denominator": num("denominator"), "value_note": note[:300],
        }


SOURCE = Fingertips()
