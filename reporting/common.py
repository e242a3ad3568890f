"""What the three exporters share: formula escaping, number display, the cover, and fixed-time zips.

Everything here is a pure function of a snapshot's frozen content, so two renders of the same
snapshot give the same bytes.
"""

from __future__ import annotations

import os
import zipfile
from datetime import datetime
from typing import Any

from analysis.disclosure import SUPPRESSED
from reporting.content import SnapshotDoc

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_text(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def display(value: Any, type_: str, unit: str = "") -> str:
    """A cell as a reader sees it in the PDF: thousands separators, £, %, [c] for suppressed."""
    if value is None or value == "":
        return ""
    if value == SUPPRESSED or isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    number = float(value)
    if type_ == "value":
        type_ = {"gbp": "gbp", "hours": "number"}.get(unit, "count")
    if type_ == "gbp":
        return f"£{number:,.0f}"
    if type_ == "pct":
        return f"{number:,.0f}%"
    if type_ == "number3":
        return f"{number:,.3f}"
    if type_ == "number":
        return f"{number:,.1f}" if abs(number - round(number)) > 1e-9 else f"{number:,.0f}"
    if abs(number - round(number)) < 1e-9:
        return f"{number:,.0f}"
    return f"{number:,.1f}"


def excel_format(type_: str, unit: str = "", value: float | None = None) -> str:
    """An Excel number format; a count that is not whole (a pro-rata target) keeps one decimal, as in the PDF."""
    if type_ == "value":
        type_ = {"gbp": "gbp", "hours": "number"}.get(unit, "count")
    fractional = value is not None and abs(value - round(value)) > 1e-9
    if type_ == "count" and fractional:
        type_ = "number"
    if type_ == "gbp":
        return '"£"#,##0.00' if fractional else '"£"#,##0'
    return {"count": "#,##0", "number": "#,##0.0", "number3": "0.000", "pct": '0.0"%"'}.get(type_, "General")


SAMPLE_LINE = ("SYNTHETIC SAMPLE DATA: generated for demonstration, not real people, partners or outcomes")


def is_sample(doc: SnapshotDoc) -> bool:
    """The snapshot was made from the bundled synthetic sample (recorded when it was made)."""
    return bool(doc.content["meta"].get("sample"))


def made_at(doc: SnapshotDoc) -> datetime:
    return datetime.fromisoformat(doc.content["meta"]["made_at"])


VIEW_STATUS = "current view"


def is_view(doc: SnapshotDoc) -> bool:
    """A pack of the current view, made on demand (not a stored snapshot)."""
    return doc.status == VIEW_STATUS


def status_line(doc: SnapshotDoc) -> str:
    if is_view(doc):
        return "CURRENT VIEW: made on demand from the data as loaded; not a snapshot and not approved"
    if doc.approved:
        return f"APPROVED on {doc.approved_at:%Y-%m-%d %H:%M} UTC by {doc.approved_by}"
    return "DRAFT: not approved; figures may still change before approval"


def cover_rows(doc: SnapshotDoc) -> list[tuple[str, str, str]]:
    """The cover as (group, field, value) rows: the XLSX cover sheet and metadata.csv both list these."""
    meta = doc.content["meta"]
    rows = [("snapshot", "Data", SAMPLE_LINE)] if is_sample(doc) else []
    rows += [
        ("snapshot", "Title", meta["title"]),
        ("snapshot", "Snapshot id", str(doc.id)),
        ("snapshot", "Quarter", meta["quarter"]),
        ("snapshot", "Quarter months", f"{meta['quarter_first']} to {meta['quarter_last']}"),
        ("snapshot", "Financial year to date", f"{meta['fytd_first']} to {meta['fytd_last']}"),
        ("snapshot", "Data run to", meta["data_runs_to"]),
        ("snapshot", "Status", status_line(doc)),
        ("snapshot", "Made", f"{meta['made_at'].replace('T', ' ')} UTC by {meta['made_by']}"),
        ("snapshot", "Approved", f"{doc.approved_at:%Y-%m-%d %H:%M:%S} UTC by {doc.approved_by}"
         if doc.approved else "not yet approved"),
        ("snapshot", "Content SHA-256", doc.content_sha256),
        ("snapshot", "Disclosure threshold", str(meta["disclosure"]["threshold"])),
        ("snapshot", "Cells suppressed", str(meta["disclosure"]["suppressed_cells"])),
        ("snapshot", "Measures without data in the quarter", ", ".join(meta["metrics_without_data"]) or "none"),
    ]
    rows += [("rule", f"Rule {i}", text) for i, text in enumerate(meta["rules"], 1)]
    rows += [("source_batch", f"Batch {b['id']}", f"{b['file_name']} ({b['kind']}), loaded {b['loaded_at']} by "
              f"{b['loaded_by']}, SHA-256 {b['sha256']}") for b in meta["source_batches"]]
    rows += [("definition", d["metric_code"], f"{d['name']} ({d['unit']}, {d['aggregation']}): {d['definition']}")
             for d in meta["definitions"]]
    rows += [("section", s["key"], s["title"]) for s in doc.content["sections"]]
    return rows


class FixedTimeZip(zipfile.ZipFile):
    """A ZipFile whose entries all carry one fixed time and mode, so the same files give the same bytes."""

    def __init__(self, file: Any, when: datetime) -> None:
        super().__init__(file, "w", compression=zipfile.ZIP_DEFLATED)
        self._when = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: Any = None,
                 compresslevel: Any = None) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo = zipfile.ZipInfo(str(zinfo_or_arcname), date_time=self._when)
            zinfo.compress_type = self.compression
            zinfo.external_attr = 0o644 << 16
            zinfo_or_arcname = zinfo
        else:
            zinfo_or_arcname.date_time = self._when
        super().writestr(zinfo_or_arcname, data, compress_type=compress_type, compresslevel=compresslevel)

    def write(self, filename: Any, arcname: Any = None, compress_type: Any = None, compresslevel: Any = None) -> None:
        """openpyxl writes worksheets through temporary files; ``ZipFile.write`` would stamp their mtime."""
        with open(filename, "rb") as fh:
            data = fh.read()
        self.writestr(str(arcname or os.path.basename(filename)), data, compress_type=compress_type,
                      compresslevel=compresslevel)
