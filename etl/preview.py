"""Check, then confirm: a file is checked into a *preview* that changes no data, and loads only when
the person confirms it.

A preview says which rows would be added, replaced and removed (per metric and month), what the view's
headline figures would become, every error (the file is refused, as ever) and every plausibility
warning (``analysis.plausibility``). It is kept in the database (``load_preview``) with the file itself,
so any web worker or a later command can confirm it. Confirming is refused when the preview has expired
(``PREVIEW_MINUTES``), when anything else loaded meanwhile (the preview no longer says what would
happen), or when warnings are confirmed without a reason. The confirmed load is the ordinary loader's
(``etl.loader.load_file``) with the receipt time of the original upload, and each accepted warning is
kept with the batch, with its reason.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update

from analysis.plausibility import plausibility
from etl.digest_memo import file_digest
from etl.holding import still_held
from etl.loader import (
    LoadResult,
    ParsedSpool,
    _record_rejection,
    _safe_digest,
    build_context,
    load_file,
    source_for,
    validate,
)
from etl.preview_rows import row_effect, stored_rows
from etl.problems import FileRejected, Problem
from etl.replace_rule import refused_by_replace_rule
from settings import load_settings
from warehouse.audit import current_user, utc_now
from warehouse.models import LoadBatch, Spend
from warehouse.queries import data_version
from warehouse.returns_models import BatchWarning, LoadPreview
from warehouse.returns_queries import history_before, metric_limits

OBSERVATION_KINDS = ("observations", "partner_return")
REASON_MAX = 500


@dataclass
class Preview:
    """What a checked file would do; ``outcome``: preview (may be confirmed), rejected, unchanged."""

    file: str
    kind: str
    outcome: str
    message: str
    token: str = ""
    rows: int = 0
    received_at: str = ""
    expires_at: str = ""
    batch_id: int | None = None  # the refusal's batch, or the batch that already holds this content
    changes: list[dict[str, Any]] = field(default_factory=list)  # etl.preview_rows.CHANGE_COLUMNS
    headline: list[dict[str, Any]] = field(default_factory=list)  # service.headline_effect.EFFECT_COLUMNS
    warnings: list[dict[str, Any]] = field(default_factory=list)  # analysis.plausibility.PlausibilityWarning
    problems: list[Problem] = field(default_factory=list)
    # A partner return's spend for the quarter: project_code, quarter, before (None: none held), after.
    spend: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.outcome != "rejected"

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["problems"] = [asdict(p) for p in self.problems]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Preview:
        data = dict(data)
        data["problems"] = [Problem(**p) for p in data.get("problems", [])]
        return cls(**data)


class ConfirmRefused(Exception):
    """Confirming was refused (expired, stale, already done, no reason given, not yours): nothing loaded."""


def check_file(engine: Engine, path: Path | str, kind: str | None = None, loaded_by: str | None = None,
               display_name: str | None = None, org: str = "", received_at: datetime | None = None,
               keep_file: bool = True) -> Preview:
    """Check a file and keep it as a preview; nothing is loaded. Never raises for bad input.

    ``keep_file``: keep a copy of the file with the preview, so any worker can confirm it later (an
    upload, whose temporary file is gone by then). A command that confirms at once from the file it
    still has passes False: a copy of a 300 MB file in the database and in memory buys nothing there.

    A refused file is recorded exactly as the loader records it (``rejected_row``), so the data quality
    page and ``status`` list it whichever way it came in."""
    path = Path(path)
    name = display_name or path.name
    user = (loaded_by or current_user())[:100]
    received = received_at or utc_now()
    source = None
    spool = ParsedSpool()
    try:
        try:
            source = source_for(path, kind, name)
            digest = file_digest(path)
            held = still_held(engine, digest, source.kind)
            if held:  # the same rule as the loader: unchanged only while the database still holds it
                return Preview(name, source.kind, "unchanged", held.message, batch_id=held.batch_id)
            ctx = build_context(engine, name)
            validate(source, path, ctx, None, spool if source.reuse_parsed else None)
        except FileRejected as exc:
            p = exc.problem
            problem = Problem(name, p.row, p.column, p.value, p.reason)
            return _rejected(engine, name, path, source.kind if source else "unknown", user, [problem])
        if ctx.problems:
            problems = sorted(ctx.problems, key=lambda p: (p.row, p.column))
            refused = _rejected(engine, name, path, source.kind, user, problems)
            _note_return(engine, refused.batch_id, ctx.state.get("return_header"))
            return refused
        preview = Preview(name, source.kind, "preview", "", received_at=f"{received:%Y-%m-%d %H:%M:%S}")
        if source.kind in OBSERVATION_KINDS:
            _describe_observations(engine, preview, spool, ctx.state.get("ranges", {}))
            preview.spend = _spend_change(engine, ctx.state.get("return_header"))
        else:
            preview.rows = int(sum(len(frame) for frame in _frames(source, path, ctx)))
            preview.changes = [{"metric_code": "", "period": "", "part": "", "added": preview.rows, "replaced": 0,
                                "removed": 0}]
    finally:
        spool.close()
    return _store(engine, preview, path if keep_file else None, digest, user, org, received)


def _spend_change(engine: Engine, header: Any) -> dict[str, Any] | None:
    """What a return's spend cell would change (None when it gives no spend): shown before confirming,
    as every other figure the file would write."""
    if header is None or getattr(header, "spend_gbp", None) is None:
        return None
    q = header.quarter
    with engine.connect() as conn:
        before = conn.execute(select(Spend.spend_gbp).where(
            Spend.project_code == header.project_code, Spend.financial_year == q.fy,
            Spend.quarter == f"Q{q.number}")).scalar()
    return {"project_code": header.project_code, "quarter": q.label,
            "before": None if before is None else float(before), "after": float(header.spend_gbp)}


def _frames(source: Any, path: Path, ctx: Any) -> Any:
    from etl.sources.base import Context

    for chunk in source.chunks(path):
        yield source.parse(chunk, Context(file=ctx.file, codes=ctx.codes))


def _rejected(engine: Engine, name: str, path: Path, kind: str, user: str, problems: list[Problem]) -> Preview:
    result: LoadResult = _record_rejection(engine, name, _safe_digest(path), kind, user, problems)
    return Preview(name, kind, "rejected", result.message, batch_id=result.batch_id, problems=problems)


def _note_return(engine: Engine, batch_id: int | None, header: Any) -> None:
    """A refused return still says whose and which quarter it was, so the partner sees their own refusal
    and a corrected file for the same quarter marks its problems resolved."""
    if batch_id is None or header is None:
        return
    q = header.quarter
    with engine.begin() as conn:
        conn.execute(update(LoadBatch).where(LoadBatch.id == batch_id).values(
            project_code=header.project_code, first_period=q.first_month, last_period=q.last_month))


def _describe_observations(engine: Engine, preview: Preview, spool: ParsedSpool,
                           ranges: dict[str, list[str]]) -> None:
    """Changes, warnings and headline effect, from the file's figures (``etl.preview_rows``: streamed,
    so memory does not grow with the file's rows)."""
    from service.headline_effect import headline_effect  # the overview's rules, through the disclosure gate

    with engine.connect() as conn:
        rows = row_effect(spool.frames(), stored_rows(conn, ranges))
        history = history_before(conn, ranges, sorted(set(rows.new["metric_code"])))
        limits = metric_limits(conn)
    preview.rows = rows.rows
    preview.changes = rows.changes.to_dict("records")
    preview.warnings = [w.as_dict() for w in plausibility(rows.new, history, limits)]
    effect = headline_effect(engine, rows.new, rows.old)
    # Full precision (to_json would round to 10 digits): the figures are the overview's, cell for cell.
    preview.headline = [{k: None if isinstance(v, float) and v != v else v for k, v in r.items()}
                        for r in effect.astype(object).to_dict("records")]


def _store(engine: Engine, preview: Preview, path: Path | None, digest: str, user: str, org: str,
           received: datetime) -> Preview:
    minutes = load_settings().preview_minutes
    preview.token = secrets.token_urlsafe(24)
    expires = utc_now() + timedelta(minutes=minutes)
    preview.expires_at = f"{expires:%Y-%m-%d %H:%M:%S}"
    warned = f"; {len(preview.warnings)} warning(s) to accept with a reason" if preview.warnings else ""
    preview.message = (f"checked: {preview.rows:,} rows would load{warned}; nothing is loaded until you confirm "
                       f"(within {minutes} minutes)")
    with engine.begin() as conn:
        # Previews nobody confirmed in time give up the file they hold.
        conn.execute(update(LoadPreview).where(LoadPreview.status == "pending", LoadPreview.expires_at < utc_now())
                     .values(status="expired", content=b""))
        conn.execute(insert(LoadPreview).values(
            token=preview.token, file_name=preview.file[:255], kind=preview.kind, sha256=digest,
            content=path.read_bytes() if path else b"", created_by=user, org_code=org or "", received_at=received,
            expires_at=expires, data_version=str(data_version(engine)), status="pending",
            report=json.dumps(preview.to_json())))
    return preview


def keep_copy(engine: Engine, token: str, path: Path) -> None:
    """Keep the file with a preview checked without a copy, once it is clear it will be confirmed later
    (a command whose warnings nobody accepted yet prints the token to confirm with)."""
    with engine.begin() as conn:
        conn.execute(update(LoadPreview).where(LoadPreview.token == token, LoadPreview.sha256 == file_digest(path))
                     .values(content=Path(path).read_bytes()))


def get_preview(engine: Engine, token: str) -> Preview | None:
    with engine.connect() as conn:
        report = conn.scalar(select(LoadPreview.report).where(LoadPreview.token == str(token)[:64]))
    return Preview.from_json(json.loads(report)) if report else None


def confirm(engine: Engine, token: str, confirmed_by: str | None = None, reason: str = "",
            org: str = "", replace: bool = False, path: Path | None = None) -> tuple[LoadResult, Preview]:
    """Load a previewed file. Raises ConfirmRefused (nothing loaded) when it may not be confirmed.

    ``org``: a partner confirms only their own organisation's previews. ``replace``: the person chose
    to replace more rows than the replace-share rule allows (``etl.replace_rule``); a load refused by
    that rule alone leaves the preview pending, so it can be confirmed again with ``replace``.
    ``path``: the checked file itself, for a preview made without keeping a copy (``keep_file``); it
    must still be the same bytes (its SHA-256 is compared)."""
    user = (confirmed_by or current_user())[:100]
    reason = " ".join((reason or "").split())[:REASON_MAX]
    with engine.connect() as conn:
        row = conn.execute(select(LoadPreview).where(LoadPreview.token == str(token or "")[:64])).first()
    if row is None:
        raise ConfirmRefused("no such preview: check the file again")
    p = row
    if org and p.org_code != org:
        raise ConfirmRefused("no such preview: check the file again")
    if p.status != "pending":
        raise ConfirmRefused(f"this preview was already {p.status}" + (f" (batch {p.batch_id})" if p.batch_id else ""))
    if utc_now() > p.expires_at:
        raise ConfirmRefused(f"this preview expired at {p.expires_at:%Y-%m-%d %H:%M} UTC: check the file again")
    if str(data_version(engine)) != p.data_version:
        raise ConfirmRefused("the data changed since this file was checked (another file loaded): check the file "
                             "again to see what it would do now; nothing was loaded")
    preview = Preview.from_json(json.loads(p.report))
    if preview.warnings and not reason:
        raise ConfirmRefused(f"{len(preview.warnings)} warning(s) need a short reason saying why the figures are "
                             "right; nothing was loaded")
    if path is not None:
        if file_digest(Path(path)) != p.sha256:
            raise ConfirmRefused(f"{p.file_name} changed since it was checked: check it again; nothing was loaded")
        result = load_file(engine, path, kind=p.kind, loaded_by=user, display_name=p.file_name,
                           received_at=p.received_at, replace=replace)
    elif not p.content:
        raise ConfirmRefused("the checked file was not kept with this preview: check it again")
    else:
        result = _load_kept(engine, p, user, replace)
    with engine.begin() as conn:
        if result.outcome == "loaded" and preview.warnings:
            now = utc_now()
            conn.execute(insert(BatchWarning), [
                {"batch_id": result.batch_id, "project_code": w["project_code"], "area_code": w["area_code"],
                 "metric_code": w["metric_code"], "period": w["period"], "kind": w["kind"], "value": w["value"],
                 "message": w["message"], "reason": reason, "accepted_by": user, "accepted_at": now}
                for w in preview.warnings])
        if not refused_by_replace_rule(result):
            status = "confirmed" if result.ok else "refused"
            conn.execute(update(LoadPreview).where(LoadPreview.token == p.token)
                         .values(status=status, batch_id=result.batch_id))
    return result, preview


def _load_kept(engine: Engine, p: Any, user: str, replace: bool) -> LoadResult:
    """Load the copy of the file kept with the preview (an upload's own file is long gone)."""
    suffix = Path(p.file_name).suffix or (".xlsx" if p.content[:4] == b"PK\x03\x04" else ".csv")
    handle = tempfile.NamedTemporaryFile(prefix="vvu-confirm-", suffix=suffix, delete=False)  # noqa: SIM115
    try:
        with handle:
            handle.write(p.content)
        return load_file(engine, handle.name, kind=p.kind, loaded_by=user, display_name=p.file_name,
                         received_at=p.received_at, replace=replace)
    finally:
        os.unlink(handle.name)


def cancel(engine: Engine, token: str, org: str = "") -> bool:
    """Drop a pending preview (the person chose to correct the file instead)."""
    conds = [LoadPreview.token == str(token or "")[:64], LoadPreview.status == "pending"]
    if org:
        conds.append(LoadPreview.org_code == org)
    with engine.begin() as conn:
        return conn.execute(update(LoadPreview).where(*conds).values(status="cancelled")).rowcount > 0
