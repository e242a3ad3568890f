"""Data quality: return timeliness per project and quarter, recent loads, refused files, browser uploads.

The browser upload goes through exactly the loader the command line uses (``etl.loader.load_file``
on a temporary file), so a file is judged the same way whichever door it came in by. What this
module adds is the web's own hazards: an untrusted name, an untrusted size (``dcc.Upload``'s limit is
only enforced in the browser) and a payload that may not be base64 at all.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from service.cache import cached
from service.returns import returns_view, view_quarters
from settings import load_settings
from warehouse import quality_queries, queries
from warehouse.filters import REQUEST_ORG, Filters

ALLOWED_SUFFIXES = (".csv", ".xlsx")
VALUE_DISPLAY_CHARS = 60
STATUS_ORDER = ("on time", "late", "missing")
PROBLEM_COLUMNS = ["file", "row", "column", "value", "reason"]


def truncate(value: object, limit: int = VALUE_DISPLAY_CHARS) -> str:
    """Partner files may hold anything, even personal data typed in the wrong cell: show only a prefix."""
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- returns ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReturnsGrid:
    """Project × quarter return status for the quarters of a view."""

    quarters: list[str]  # labels such as "2024/25 Q1", in order
    projects: pd.DataFrame  # project_code, project_name: projects with a return due in the view
    cells: pd.DataFrame  # project_code, label, status, days_late, due_on, submitted_on
    summary: pd.DataFrame  # quarter, due, on_time, late, missing, received_pct, on_time_pct
    matrix: pd.DataFrame = field(default_factory=pd.DataFrame)  # see status_matrix


def status_matrix(projects: pd.DataFrame, cells: pd.DataFrame, quarters: list[str]) -> pd.DataFrame:
    """One row per project, one column per quarter (``q0``, ``q1``... in ``quarters`` order).

    A cell reads "On time", "Late N d" (days after the due date), "Missing" or "Not due", so the
    table sorts and filters on words people read. Columns: project_code, project_name, q0..qN.
    """
    words = cells["status"].map({"on time": "On time", "missing": "Missing"})
    late = cells["status"] == "late"
    words[late] = [f"Late {int(d)} d" if d == d and d is not None else "Late" for d in cells.loc[late, "days_late"]]
    column = cells["label"].map({label: f"q{i}" for i, label in enumerate(quarters)})
    wide = (pd.DataFrame({"project_code": cells["project_code"], "column": column, "word": words})
            .pivot(index="project_code", columns="column", values="word"))
    out = projects[["project_code", "project_name"]].merge(wide, left_on="project_code", right_index=True, how="left")
    for i in range(len(quarters)):
        out[f"q{i}"] = out[f"q{i}"].fillna("Not due") if f"q{i}" in out else "Not due"
    return out[["project_code", "project_name", *[f"q{i}" for i in range(len(quarters))]]].reset_index(drop=True)


@cached
def returns_grid(engine: Engine, f: Filters) -> ReturnsGrid:
    data_to = queries.data_runs_to(engine)
    table = returns_view(engine, f)
    if not data_to or table.empty:
        return ReturnsGrid([], pd.DataFrame(columns=["project_code", "project_name"]), table.iloc[0:0],
                           pd.DataFrame(columns=["quarter", "due", "on_time", "late", "missing", "received_pct",
                                                 "on_time_pct"]))
    order = {label: i for i, label in enumerate(view_quarters(f, data_to))}
    inside = table[table["label"].isin(order)].copy()
    quarters = [label for label in order if label in set(inside["label"])]
    projects = (inside[["project_code", "project_name"]].drop_duplicates().sort_values("project_code")
                .reset_index(drop=True))
    rows = []
    for label in quarters:
        part = inside[inside["label"] == label]["status"]
        due = len(part)
        counts = {s: int((part == s).sum()) for s in STATUS_ORDER}
        rows.append({"quarter": label, "due": due, "on_time": counts["on time"], "late": counts["late"],
                     "missing": counts["missing"],
                     "received_pct": round(100 * (due - counts["missing"]) / due, 1) if due else None,
                     "on_time_pct": round(100 * counts["on time"] / due, 1) if due else None})
    cells = inside[["project_code", "label", "status", "days_late", "due_on", "submitted_on"]].reset_index(drop=True)
    return ReturnsGrid(quarters, projects, cells, pd.DataFrame(rows), status_matrix(projects, cells, quarters))


# --- loads and refusals --------------------------------------------------------------------------

def batches_view(engine: Engine, limit: int = 25) -> pd.DataFrame:
    """Newest load attempts (not cached: a refusal does not change the data version, but must show)."""
    frame = quality_queries.recent_batches(engine, limit=max(1, min(int(limit), 500)))
    frame["message"] = frame["message"].map(lambda m: truncate(m, 200))
    return frame


def rejections_view(engine: Engine, files: int = 5, limit: int = 500) -> pd.DataFrame:
    """Problems of the latest refused files, with each value cut to a short prefix."""
    from warehouse.returns_queries import resolving_loads

    frame = quality_queries.recent_rejections(engine, files=max(1, min(int(files), 50)),
                                              limit=max(1, min(int(limit), 5000)))
    frame["value"] = frame["value"].map(truncate)
    # A problem of a file since superseded by a corrected one that loaded is resolved (that batch's id).
    resolved = resolving_loads(engine, sorted({int(b) for b in frame["batch_id"]}))
    frame["resolved_by"] = [resolved.get(int(b)) for b in frame["batch_id"]]
    return frame


# --- upload --------------------------------------------------------------------------------------

@dataclass
class UploadReport:
    """What became of an uploaded file, in the words and columns of the command line's report."""

    file: str
    outcome: str  # loaded | unchanged | rejected (by the loader, recorded) | refused (before the loader)
    message: str
    rows: int = 0
    batch_id: int | None = None
    kind: str = ""
    problems: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PROBLEM_COLUMNS))
    # A checked file waiting for confirmation (outcome "preview"), see etl.preview.Preview.
    token: str = ""
    changes: list[dict] = field(default_factory=list)
    headline: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    spend: dict | None = None  # a return's spend for the quarter, before and after (etl.preview.Preview.spend)
    received_at: str = ""
    expires_at: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome in ("loaded", "unchanged", "preview")

    @property
    def needs_confirmation(self) -> bool:
        """Refused only by the replace-share rule: the page may offer to replace anyway."""
        from etl.replace_rule import is_replace_refusal

        return self.outcome == "rejected" and len(self.problems) == 1 and \
            is_replace_refusal(str(self.problems["reason"].iloc[0]))


def safe_display_name(name: object) -> str:
    """A file name fit to show and store: no path, no control or markup characters, at most 100 chars."""
    text = unicodedata.normalize("NFKC", str(name or ""))[:1000]
    text = re.split(r"[\\/]", text)[-1]
    text = "".join(ch for ch in text if ch.isprintable())
    text = re.sub(r"[^\w .()\-]+", "_", text).strip(" .")
    if len(text) > 100:
        stem, dot, ext = text.rpartition(".")
        text = (stem[: 99 - len(ext)] + dot + ext) if dot and len(ext) <= 5 else text[:100]
    return text or "upload"


def _refused(name: str, reason: str) -> UploadReport:
    problems = pd.DataFrame([{"file": name, "row": 0, "column": "", "value": "", "reason": reason}],
                            columns=PROBLEM_COLUMNS)
    return UploadReport(name, "refused", f"refused: {reason}; nothing was loaded", problems=problems)


def decode_upload(contents: object, name: str, max_bytes: int) -> bytes | UploadReport:
    """The file's bytes from a ``dcc.Upload`` data URL, or a refusal (size checked before decoding)."""
    if not isinstance(contents, str) or not contents.startswith("data:") or ";base64," not in contents[:300]:
        return _refused(name, "the upload did not arrive as a file; try again")
    payload = contents.split(";base64,", 1)[1]
    approx = len(payload) * 3 // 4 - payload[-2:].count("=")
    if approx > max_bytes:
        return _refused(name, f"the file is {approx:,} bytes, over the {max_bytes:,} byte upload limit")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return _refused(name, "the upload is damaged (not valid base64); try again")
    if len(data) > max_bytes:
        return _refused(name, f"the file is {len(data):,} bytes, over the {max_bytes:,} byte upload limit")
    if not data:
        return _refused(name, "the file is empty")
    return data


def _not_own_return(engine: Engine, path: str, org: str) -> str:
    """Why a partner may not load this file ('' when it is a return of one of their own projects)."""
    from etl.problems import FileRejected
    from etl.sources.partner_return import read_return

    try:
        header, _frame, _cells = read_return(Path(path))
    except (FileRejected, ValueError, OSError):
        return "the file is not a readable quarterly return workbook (download the template for your project)"
    if queries.project_org(engine, header.project_code) != org:
        return "partners can upload returns of their own organisation's projects only"
    return ""


def handle_upload(engine: Engine, contents: object, filename: object, loaded_by: str = "web upload",
                  max_bytes: int | None = None) -> UploadReport:
    """Check one uploaded file exactly as ``python -m etl load --check`` would: a preview (nothing
    loaded until ``confirm_upload``), or the refusal with every problem. Received now: lateness follows."""
    from etl.preview import check_file  # the loader pulls in every source reader; import on first upload

    limit = load_settings().max_upload_bytes if max_bytes is None else max_bytes
    name = safe_display_name(filename if isinstance(filename, str) else "")
    suffix = Path(name).suffix.lower()
    if not isinstance(filename, str) or suffix not in ALLOWED_SUFFIXES:
        return _refused(name, "only .csv and .xlsx files can be uploaded")
    data = decode_upload(contents, name, limit)
    if isinstance(data, UploadReport):
        return data
    if suffix == ".xlsx" and not data.startswith(b"PK\x03\x04"):
        return _refused(name, "the file is named .xlsx but is not an Excel workbook")
    if suffix == ".csv" and data.startswith(b"PK\x03\x04"):
        return _refused(name, "the file is named .csv but is a zip or Excel workbook; save it as CSV")
    org = REQUEST_ORG.get()
    if org and suffix != ".xlsx":
        return _refused(name, "partners upload their quarterly return workbooks (.xlsx) only")
    handle = tempfile.NamedTemporaryFile(prefix="vvu-upload-", suffix=suffix, delete=False)  # noqa: SIM115
    try:
        with handle:
            handle.write(data)
        if org:  # a partner: only a return of one of their own projects, checked before anything loads
            refusal = _not_own_return(engine, handle.name, org)
            if refusal:
                return _refused(name, refusal)
        checked = check_file(engine, handle.name, kind="partner_return" if org else None,
                             loaded_by=loaded_by[:100], display_name=name, org=org or "")
    finally:
        os.unlink(handle.name)
    return UploadReport(name, checked.outcome, checked.message, rows=checked.rows, batch_id=checked.batch_id,
                        kind=checked.kind, problems=_problem_frame(checked.problems), token=checked.token,
                        changes=checked.changes, headline=checked.headline, warnings=_named(engine, checked.warnings),
                        spend=checked.spend, received_at=checked.received_at, expires_at=checked.expires_at)


def _named(engine: Engine, warnings: list[dict]) -> list[dict]:
    """Warnings with the area's name beside its code: people read "Rochford", not "E07000075"."""
    if not warnings:
        return warnings
    from warehouse.queries import areas

    names = dict(zip(*[areas(engine)[c] for c in ("area_code", "area_name")], strict=True))
    return [{**w, "area_name": names.get(w["area_code"], w["area_code"])} for w in warnings]


def _problem_frame(problems: list) -> pd.DataFrame:
    return pd.DataFrame([{"file": p.file, "row": p.row, "column": p.column, "value": truncate(p.value),
                          "reason": p.reason} for p in problems], columns=PROBLEM_COLUMNS)


def confirm_upload(engine: Engine, token: object, reason: object, loaded_by: str = "web upload",
                   replace: bool = False) -> UploadReport:
    """Load a checked upload (``etl.preview.confirm``): refused when expired, stale, not the partner's own,
    or when warnings come without a reason; the report says why and nothing is loaded.

    ``replace``: the person confirmed a file that removes more of the rows it replaces than the
    replace-share rule allows (``python -m etl load --replace``); refused by that rule alone, the
    report ``needs_confirmation`` and the preview stays open for it."""
    from etl.preview import ConfirmRefused, confirm, get_preview

    if not isinstance(token, str) or not token or len(token) > 64:
        return UploadReport("", "refused", "refused: nothing to confirm; upload the file again")
    text = reason if isinstance(reason, str) else ""
    checked = get_preview(engine, token)
    name = checked.file if checked else ""
    try:
        result, _ = confirm(engine, token, confirmed_by=loaded_by[:100], reason=text, org=REQUEST_ORG.get() or "",
                            replace=replace)
    except ConfirmRefused as exc:
        report = UploadReport(name, "refused", f"refused: {exc}")
        if checked is not None and "reason" in str(exc):  # still confirmable: show the preview again
            report.outcome, report.token, report.warnings = "preview", token, checked.warnings
            report.changes, report.headline, report.rows = checked.changes, checked.headline, checked.rows
            report.message = str(exc)
            report.kind, report.received_at, report.expires_at = checked.kind, checked.received_at, checked.expires_at
        return report
    return UploadReport(result.file, result.outcome, result.message, rows=result.rows, batch_id=result.batch_id,
                        kind=result.kind, problems=_problem_frame(result.problems))


def cancel_upload(engine: Engine, token: object) -> UploadReport:
    from etl.preview import cancel

    if isinstance(token, str) and token and len(token) <= 64:
        cancel(engine, token, org=REQUEST_ORG.get() or "")
    return UploadReport("", "cancelled", "nothing was loaded; correct the file and upload it again")
