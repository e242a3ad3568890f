"""The snapshot as a zip of CSV files: ``metadata.csv`` (the cover) and one file per section.

Rendered only from the frozen content. Headers are the column keys (stable names for analysts'
scripts; ``metadata.csv`` gives each one's label). Numbers are written exactly as frozen, suppressed
cells as ``[c]``, and text that a spreadsheet could run as a formula is escaped. Entries carry the
snapshot's time, so the same snapshot always gives the same bytes.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from reporting.common import SAMPLE_LINE, FixedTimeZip, cover_rows, escape_text, is_sample, made_at
from reporting.content import SnapshotDoc


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return escape_text(value) if isinstance(value, str) else value


def _csv(rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    # UTF-8 with a byte-order mark so Excel shows £ and accents correctly.
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def section_filename(index: int, key: str) -> str:
    return f"{index:02d}_{key}.csv"


def metadata_rows(doc: SnapshotDoc) -> list[list[Any]]:
    rows: list[list[Any]] = [["group", "field", "value"]]
    rows += [list(r) for r in cover_rows(doc)]
    for i, sec in enumerate(doc.content["sections"], 1):
        rows.append(["file", section_filename(i, sec["key"]), sec["title"]])
        rows += [["column", f"{sec['key']}.{c['key']}", f"{c['label']} ({c['type']})"] for c in sec["columns"]]
        rows += [["note", sec["key"], note] for note in sec.get("notes", [])]  # e.g. why a report is empty
    return rows


def render_csv_zip(doc: SnapshotDoc) -> bytes:
    buf = io.BytesIO()
    with FixedTimeZip(buf, made_at(doc)) as zf:
        if is_sample(doc):  # first in the zip, where anyone opening it sees it
            zf.writestr("SYNTHETIC-SAMPLE-DATA.txt", SAMPLE_LINE + "\r\n")
        zf.writestr("metadata.csv", _csv(metadata_rows(doc)))
        for i, sec in enumerate(doc.content["sections"], 1):
            keys = [c["key"] for c in sec["columns"]]
            zf.writestr(section_filename(i, sec["key"]), _csv([keys, *[[r.get(k) for k in keys] for r in sec["rows"]]]))
    return buf.getvalue()
