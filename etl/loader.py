"""Load one file: recognise it, validate all of it, then write all of it in one transaction or nothing.

Every attempt is recorded as a load batch. A refused file leaves the data exactly as it was and its
problems are kept in ``rejected_row``; identical content is a no-op when it is what the database holds
for that file's scope (``etl.holding``), else it is re-applied as a revision. One load runs at a
time per database (``etl.concurrency``).
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, insert, select

from etl.concurrency import load_lock
from etl.digest_memo import file_digest
from etl.holding import still_held
from etl.problems import FileRejected, Problem
from etl.safety import check_basic, check_size, check_workbook, is_zip
from etl.sources import registry
from etl.sources.base import Context, Source, read_csv_header
from warehouse.audit import current_user, utc_now
from warehouse.models import (
    Area,
    LoadBatch,
    Metric,
    Organisation,
    Priority,
    Project,
    RejectedRow,
)

Progress = Callable[[int], None]


@dataclass
class LoadResult:
    """What happened to one file, for the command line, the upload page and tests."""

    file: str
    kind: str
    outcome: str  # loaded | unchanged | rejected
    rows: int = 0
    batch_id: int | None = None
    problems: list[Problem] = field(default_factory=list)
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome != "rejected"


def detect_kind(path: Path, head: bytes) -> Source:
    """Recognise the file from its header row (or workbook header block)."""
    sources = registry()
    if is_zip(head):
        check_workbook(path)
        for source in sources.values():
            if source.is_workbook:
                return source
        raise FileRejected(Problem(path.name, 0, "", "", "workbooks are not supported"))
    header = read_csv_header(path)
    scored = sorted(
        ((s.match_score(header), s.kind) for s in sources.values() if not s.is_workbook), reverse=True
    )
    best_score, best_kind = scored[0]
    if best_score == 1.0:
        return sources[best_kind]
    if best_score >= 0.5:
        sources[best_kind].check_header(path, header)  # raises, naming the missing column
    raise FileRejected(
        Problem(path.name, 1, "", "", "the header row matches no known file kind; see docs/data-formats.md")
    )


def build_context(engine: Engine, file: str) -> Context:
    """Reference codes currently in the database, for checking references in the file."""
    ctx = Context(file=file)
    with engine.connect() as conn:
        ctx.codes["area"] = set(conn.scalars(select(Area.area_code)))
        ctx.codes["priority"] = set(conn.scalars(select(Priority.priority_code)))
        ctx.codes["metric"] = set(conn.scalars(select(Metric.metric_code)))
        ctx.codes["organisation"] = set(conn.scalars(select(Organisation.org_code)))
        ctx.codes["project"] = set(conn.scalars(select(Project.project_code)))
        from warehouse.models import Funding

        ctx.codes["funding_stream"] = set(conn.scalars(select(Funding.funding_stream).distinct()))
        from warehouse.grip_models import GripHotspot

        ctx.codes["hotspot"] = set(conn.scalars(select(GripHotspot.hotspot_id)))
        dates = select(Project.project_code, Project.start_date, Project.end_date)
        ctx.projects = {p: (s, e) for p, s, e in conn.execute(dates)}
        ctx.state["metric_units"] = {c: u for c, u in conn.execute(select(Metric.metric_code, Metric.unit))}
        # Names beside codes, for "did you mean E07000066 Basildon?" (etl.suggest).
        ctx.state["names"] = {
            "area": dict(conn.execute(select(Area.area_code, Area.area_name)).all()),
            "metric": dict(conn.execute(select(Metric.metric_code, Metric.name)).all()),
            "project": dict(conn.execute(select(Project.project_code, Project.project_name)).all()),
        }
    return ctx


def load_file(
    engine: Engine,
    path: Path | str,
    kind: str | None = None,
    loaded_by: str | None = None,
    display_name: str | None = None,
    progress: Progress | None = None,
    sample: bool = False,
    replace: bool = False,
    received_at: datetime | None = None,
) -> LoadResult:
    """Load one file whole or not at all. Never raises for bad input: the result says what went wrong.

    ``sample`` marks the batch as the bundled synthetic sample (only ``etl.demo`` sets it), which is
    how the database records that it holds sample data. ``replace`` accepts a file that would remove
    more than the set share of the rows it replaces (``etl.replace_rule``). ``received_at``: when the
    server received the file, if earlier than now (a checked upload confirmed later, ``etl.preview``);
    lateness follows it.

    The whole load, from the ledger check to the commit, holds the database's load lock
    (``etl.concurrency``): two loads started together run one after the other, never interleaved.
    """
    with load_lock(engine):
        return _load_locked(engine, Path(path), kind, loaded_by, display_name, progress, sample, replace,
                            received_at)


def _load_locked(  # noqa: PLR0913 - the arguments of load_file
    engine: Engine, path: Path, kind: str | None, loaded_by: str | None, display_name: str | None,
    progress: Progress | None, sample: bool, replace: bool, received_at: datetime | None,
) -> LoadResult:
    name = display_name or path.name
    user = loaded_by or current_user()
    source: Source | None = None
    spool: ParsedSpool | None = None
    try:
        source = source_for(path, kind, name)
        digest = file_digest(path)
        held = still_held(engine, digest, source.kind)
        if held:
            return LoadResult(name, source.kind, "unchanged", batch_id=held.batch_id, message=held.message)
        ctx = build_context(engine, name)
        ctx.state["allow_replace"] = replace
        spool = ParsedSpool() if source.reuse_parsed else None
        validate(source, path, ctx, progress, spool)
    except FileRejected as exc:
        if spool is not None:
            spool.close()
        return _refuse(engine, name, path, source, user, exc)
    if ctx.problems:
        if spool is not None:
            spool.close()
        problems = sorted(ctx.problems, key=lambda p: (p.row, p.column))
        return _record_rejection(engine, name, digest, source.kind, user, problems)

    try:
        with engine.begin() as conn:
            now = utc_now()
            batch_id = conn.execute(
                insert(LoadBatch).values(
                    file_name=name, sha256=digest, kind=source.kind, loaded_at=now, loaded_by=user,
                    received_at=received_at or now,
                    rows_loaded=0, rows_rejected=0, outcome="loaded", message="", sample=sample,
                    **source.summary(ctx),
                ).returning(LoadBatch.id)
            ).scalar_one()
            if spool is not None:
                frames = spool.frames()
            else:
                frames = (source.parse(chunk, Context(file=name, codes=ctx.codes)) for chunk in source.chunks(path))
            rows = source.write(conn, _counting(frames, progress), batch_id, ctx)
            conn.execute(LoadBatch.__table__.update().where(LoadBatch.id == batch_id).values(rows_loaded=rows))
    except FileRejected as exc:  # refused while writing (the replace rule): the transaction rolled back
        return _refuse(engine, name, path, source, user, exc)
    finally:
        if spool is not None:
            spool.close()
    return LoadResult(name, source.kind, "loaded", rows=rows, batch_id=batch_id,
                      message=f"loaded {rows:,} rows as batch {batch_id}")


def source_for(path: Path, kind: str | None, name: str) -> Source:
    """The reader for a file, after the basic safety checks: the one named by ``kind``, else the one its
    header matches. Raises FileRejected. The loader and the preview (``etl.preview``) both start here,
    so a file is recognised the same way whether it is checked or loaded."""
    head = check_basic(path)
    if not kind:
        source = detect_kind(path, head)
    else:
        sources = registry()
        if kind not in sources:
            raise FileRejected(Problem(name, 0, "", kind, f"unknown kind; choose from {', '.join(sources)}"))
        source = sources[kind]
        if source.is_workbook:
            check_workbook(path)
    check_size(path, source.max_bytes, source.title)  # each kind's own limit, before any parsing
    return source


def _refuse(engine: Engine, name: str, path: Path, source: Source | None, user: str, exc: FileRejected) -> LoadResult:
    problem = Problem(name, exc.problem.row, exc.problem.column, exc.problem.value, exc.problem.reason)
    return _record_rejection(engine, name, _safe_digest(path), source.kind if source else "unknown", user, [problem])


class ParsedSpool:
    """Parsed chunks kept in a temporary file between the two passes, so a big file is parsed once
    and memory stays flat. Only this process reads what it wrote (an unnamed temporary file)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close(), after the write pass
        self._count = 0

    def add(self, frame: pd.DataFrame) -> None:
        pickle.dump(frame, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._count += 1

    def frames(self) -> Iterator[pd.DataFrame]:
        self._file.seek(0)
        for _ in range(self._count):
            yield pickle.load(self._file)  # noqa: S301 - our own temporary file, written above

    def close(self) -> None:
        self._file.close()


def validate(
    source: Source, path: Path, ctx: Context, progress: Progress | None = None, spool: ParsedSpool | None = None
) -> None:
    """First pass: every chunk parsed and checked; problems collect in ``ctx.problems``.

    With a ``spool``, each parsed chunk is kept (before ``check`` sees it) for the write pass.
    """
    lookup = source.provides()
    if lookup:  # codes defined in this same file may be referred to by its other rows
        for chunk in source.chunks(path):
            ctx.codes.setdefault(lookup[0], set()).update(chunk[lookup[1]].astype(str).str.strip().str.upper())
    total = 0
    for chunk in source.chunks(path):
        frame = source.parse(chunk, ctx)
        if spool is not None and not ctx.problems:  # once the file is refused, nothing will be written
            spool.add(frame)
        source.check(frame, ctx)
        total += len(frame)
        if progress:
            progress(len(frame))
    if total == 0:
        ctx.add(1, "", "", "the file has a header but no data rows")
    else:
        source.finish(ctx)


def _counting(frames, progress: Progress | None):  # noqa: ANN001, ANN202 - generator passthrough
    for frame in frames:
        if progress:
            progress(len(frame))
        yield frame


def _safe_digest(path: Path) -> str:
    """The digest a refused file is recorded under ("" when it cannot be read), by the same memo as a load."""
    try:
        return file_digest(path)
    except OSError:
        return ""


def _record_rejection(
    engine: Engine, name: str, digest: str, kind: str, user: str, problems: list[Problem]
) -> LoadResult:
    """Keep the refusal and every problem, in a transaction of its own; the data stay untouched."""
    rows_with_problems = len({p.row for p in problems if p.row})
    with engine.begin() as conn:
        batch_id = conn.execute(
            insert(LoadBatch).values(
                file_name=name[:255], sha256=digest, kind=kind, loaded_at=utc_now(), loaded_by=user,
                rows_loaded=0, rows_rejected=rows_with_problems, outcome="rejected",
                message=str(problems[0])[:2000],
            ).returning(LoadBatch.id)
        ).scalar_one()
        conn.execute(
            insert(RejectedRow),
            [
                {"batch_id": batch_id, "row_number": p.row, "column_name": p.column[:100],
                 "value": p.value[:200], "reason": p.reason}
                for p in problems
            ],
        )
    in_rows = f" in {rows_with_problems:,} row(s)" if rows_with_problems else ""  # as "recent loads" counts
    return LoadResult(name, kind, "rejected", batch_id=batch_id, problems=problems,
                      message=f"refused: {len(problems)} problem(s){in_rows}; nothing was loaded")
