"""``python -m etl load`` with check-then-confirm: ``--check`` previews, ``--confirm TOKEN`` loads a
preview, ``--accept REASON`` accepts plausibility warnings, ``--json`` for machines. Printing only:
the work is in ``etl.preview`` and ``etl.loader``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from etl.loader import LoadResult, load_file
from etl.preview import OBSERVATION_KINDS, ConfirmRefused, Preview, check_file, confirm, keep_copy
from etl.preview_rows import BY_GROUP
from warehouse.audit import current_user

WARNINGS_NOT_ACCEPTED = 3


def _result_json(result: LoadResult) -> dict[str, Any]:
    return {"file": result.file, "kind": result.kind, "outcome": result.outcome, "rows": result.rows,
            "batch_id": result.batch_id, "message": result.message,
            "problems": [{"row": p.row, "column": p.column, "value": p.value, "reason": p.reason}
                         for p in result.problems]}


def print_preview(p: Preview, out: Any = sys.stdout) -> None:
    """The preview in words: outcome, changes per metric and month, headline effect, warnings, problems."""
    mark = {"preview": "CHECKED  ", "unchanged": "unchanged", "rejected": "REFUSED  "}[p.outcome]
    print(f"{mark} {p.file} ({p.kind}): {p.message}", file=out)
    if p.token:
        print(f"  received {p.received_at} UTC; confirm before {p.expires_at} UTC with:", file=out)
        accept = ' --reason "why these figures are right"' if p.warnings else ""
        print(f"  python -m etl load --confirm {p.token}{accept}", file=out)
    for c in p.changes:
        if c["metric_code"]:
            part = f" ({c['part']})" if c.get("part") == BY_GROUP else ""
            print(f"  {c['metric_code']:<20} {c['period']}{part}  +{c['added']} added, {c['replaced']} replaced, "
                  f"{c['removed']} removed", file=out)
    for h in p.headline:
        def num(v: object) -> str:
            return "hidden" if v is None else f"{v:,.0f}"
        print(f"  headline {h['metric_code']} ({h['financial_year']}): {num(h['before'])} -> {num(h['after'])}"
              f"  [{h['before_status'] or '-'} -> {h['after_status'] or '-'}]", file=out)
    if p.spend:
        was = "none held" if p.spend["before"] is None else f"£{p.spend['before']:,.2f}"
        print(f"  spend {p.spend['project_code']} {p.spend['quarter']}: {was} -> £{p.spend['after']:,.2f}", file=out)
    for w in p.warnings:
        print(f"  WARNING {w['metric_code']} {w['area_code']} {w['period']}: {w['message']}", file=out)
    for problem in p.problems[:200]:
        print(f"  {problem}", file=out)


def check_paths(engine_factory: Callable[[], Any], paths: Sequence[Path], kind: str | None, as_json: bool) -> int:
    engine = engine_factory()
    previews = [check_file(engine, path, kind=kind, loaded_by=f"cli:{current_user()}") for path in paths]
    if as_json:
        print(json.dumps([p.to_json() for p in previews], indent=2, default=str))
    else:
        for p in previews:
            print_preview(p, sys.stdout if p.ok else sys.stderr)
    return 0 if all(p.ok for p in previews) else 1


def confirm_token(engine_factory: Callable[[], Any], token: str, reason: str, as_json: bool,
                  replace: bool = False) -> int:
    engine = engine_factory()
    try:
        result, _preview = confirm(engine, token, confirmed_by=f"cli:{current_user()}", reason=reason,
                                   replace=replace)
    except ConfirmRefused as exc:
        if as_json:
            print(json.dumps({"outcome": "refused", "message": str(exc)}))
        else:
            print(f"not confirmed: {exc}", file=sys.stderr)
        return 2
    _report(result, as_json)
    return 0 if result.ok else 1


def _report(result: LoadResult, as_json: bool) -> None:
    if as_json:
        print(json.dumps(_result_json(result), indent=2, default=str))
        return
    mark = {"loaded": "loaded   ", "unchanged": "unchanged", "rejected": "REFUSED  "}[result.outcome]
    print(f"{mark} {result.file} ({result.kind}): {result.message}", file=sys.stdout if result.ok else sys.stderr)
    for problem in result.problems[:200]:
        print(f"  {problem}", file=sys.stderr)


def load_checked(engine: Any, path: Path, kind: str | None, accept: str,
                 progress: Callable[[int], None] | None = None,
                 replace: bool = False) -> tuple[LoadResult | None, Preview | None]:
    """A direct ``load`` of programme figures: checked first, loaded only when there are no plausibility
    warnings or they are accepted with ``accept`` (a reason). Other kinds load as they always did.

    Returns (result, None) once loaded or refused, (None, preview) when warnings stop it."""
    from etl.loader import source_for
    from etl.problems import FileRejected

    try:  # the loader's own recognition, so a file is the same kind checked or loaded
        found = source_for(path, kind, path.name).kind
    except (FileRejected, OSError):
        found = ""  # refused or unreadable: load_file says why, in its own words
    if found not in OBSERVATION_KINDS:
        return load_file(engine, path, kind=kind, progress=progress, replace=replace), None
    user = f"cli:{current_user()}"
    preview = check_file(engine, path, kind=kind, loaded_by=user, keep_file=False)
    if preview.outcome == "rejected":
        return LoadResult(preview.file, preview.kind, "rejected", batch_id=preview.batch_id,
                          problems=preview.problems, message=preview.message), None
    if preview.outcome == "unchanged":
        return LoadResult(preview.file, preview.kind, "unchanged", batch_id=preview.batch_id,
                          message=preview.message), None
    if preview.warnings and not accept.strip():
        keep_copy(engine, preview.token, path)  # the printed token may be confirmed later, from anywhere
        return None, preview
    result, _ = confirm(engine, preview.token, confirmed_by=user, reason=accept, replace=replace, path=path)
    return result, None
