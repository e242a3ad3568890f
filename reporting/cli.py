"""``python -m etl snapshot ...``: what each snapshot subcommand prints (the parser lives in etl/cli.py).

Thin: every action is a ``reporting.snapshots`` function; this module only words the outcome and
sets the exit status (0 done, 2 refused with a message on stderr and nothing changed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlalchemy import Engine

from reporting import snapshots


def _line(info: snapshots.SnapshotInfo) -> str:
    approved = f"approved {info.approved_at:%Y-%m-%d %H:%M} by {info.approved_by}" if info.approved_at else "draft"
    if info.status == "superseded":
        approved = f"superseded by #{info.superseded_by_id} {info.superseded_at:%Y-%m-%d}"
    return (f"#{info.id:<4} {info.quarter:<11} {approved:<40} made {info.created_at:%Y-%m-%d %H:%M} by "
            f"{info.created_by:<12} sha256 {info.content_sha256}")


def create(engine: Engine, args: argparse.Namespace) -> int:
    info = snapshots.create_snapshot(engine, args.quarter, made_by=args.by)
    print(f"made draft snapshot {info.id} of {info.quarter} (content sha256 {info.content_sha256})")
    print(f"review it, then approve with: python -m etl snapshot approve {info.id}")
    return 0


def approve(engine: Engine, args: argparse.Namespace) -> int:
    info = snapshots.approve_snapshot(engine, args.id, approved_by=args.by, reason=getattr(args, "reason", ""))
    replaced = [i for i in snapshots.list_snapshots(engine) if i.superseded_by_id == info.id]
    if replaced:
        print(f"snapshot {replaced[0].id} of {info.quarter} is now superseded (it stays downloadable)")
    print(f"approved snapshot {info.id} of {info.quarter} at {info.approved_at:%Y-%m-%d %H:%M} by {info.approved_by}; "
          f"it and its exports are now locked (content sha256 {info.content_sha256})")
    return 0


def list_(engine: Engine, args: argparse.Namespace) -> int:
    items = snapshots.list_snapshots(engine)
    if args.json:
        print(json.dumps([i.as_dict() for i in items], indent=2))
        return 0
    if not items:
        print("no snapshots yet: make one with python -m etl snapshot create --quarter \"2022/23 Q3\"")
    for info in items:
        print(_line(info))
    return 0


def export(engine: Engine, args: argparse.Namespace) -> int:
    result = snapshots.export_snapshot(engine, args.id, args.format)
    out = Path(args.out) if args.out else Path(result.filename)
    if out.is_dir():
        out = out / result.filename
    out.write_bytes(result.data)
    print(f"wrote {out} ({len(result.data):,} bytes, sha256 {result.sha256})")
    return 0


def changes(engine: Engine, args: argparse.Namespace) -> int:
    frame = snapshots.changes_since(engine, args.id)
    if args.json:
        print(frame.to_json(orient="records", indent=2))
        return 0
    if frame.empty:
        print(f"no figure has changed since snapshot {args.id} was made")
        return 0
    names = snapshots.describe_batches(engine, sorted({b for bs in frame["batches"] for b in bs}))
    for r in frame.itertuples():
        print(f"{r.section:<13} {r.metric_code:<20} {r.measure:<8} {r.snapshot_value!s:>12} -> {r.current_value!s:<12}"
              f" {'; '.join(names.get(b, f'#{b}') for b in r.batches) or 'batch not identified'}")
    return 0


ACTIONS = {"create": create, "approve": approve, "list": list_, "export": export, "changes": changes}


def run(engine_factory, args: argparse.Namespace) -> int:  # noqa: ANN001 - callable returning an Engine
    try:
        return ACTIONS[args.action](engine_factory(), args)
    except snapshots.SnapshotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write the export: {exc}", file=sys.stderr)
        return 2
