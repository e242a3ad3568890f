"""``python -m etl``: a thin command line over ``etl.loader``, ``etl.status`` and the sample data.

It parses arguments, prints results and sets the exit status; the work happens elsewhere.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from etl.loader import LoadResult
from release import __version__
from settings import SAMPLE_DIR, load_settings
from warehouse.audit import current_user
from warehouse.db import make_engine, upgrade_to_head

PROGRESS_MIN_BYTES = 5 * 1024 * 1024  # files this big take more than a couple of seconds


def _engine():  # noqa: ANN202
    engine = make_engine(load_settings().database_url)
    upgrade_to_head(engine)
    return engine


def _print_result(result: LoadResult, out=sys.stdout) -> None:  # noqa: ANN001
    mark = {"loaded": "loaded   ", "unchanged": "unchanged", "rejected": "REFUSED  "}[result.outcome]
    print(f"{mark} {result.file} ({result.kind}): {result.message}", file=out)
    for problem in result.problems[:200]:
        print(f"  {problem}", file=out)
    if len(result.problems) > 200:
        print(f"  ... and {len(result.problems) - 200} more (see the data quality page)", file=out)


def _progress_for(path: Path):  # noqa: ANN202
    """A tqdm bar on a terminal for big files; nothing otherwise (logs stay plain)."""
    if not sys.stderr.isatty() or not path.exists() or path.stat().st_size < PROGRESS_MIN_BYTES:
        return None, None
    from tqdm import tqdm

    bar = tqdm(unit=" rows", unit_scale=True, desc=path.name, leave=False, file=sys.stderr)
    return bar.update, bar


def load_paths(paths: Sequence[Path], kind: str | None = None, accept: str = "", as_json: bool = False,
               replace: bool = False) -> int:
    from etl.preview_cli import WARNINGS_NOT_ACCEPTED, _result_json, load_checked, print_preview

    engine = _engine()
    results = []
    held = []
    for path in paths:
        progress, bar = _progress_for(path)
        try:
            result, preview = load_checked(engine, path, kind, accept, progress, replace=replace)
        finally:
            if bar is not None:
                bar.close()
        if result is None:  # plausibility warnings nobody accepted: nothing loaded
            held.append(preview)
            if not as_json:
                print_preview(preview, sys.stderr)
                print(f"  not loaded: {len(preview.warnings)} warning(s); if the figures are right, load again with "
                      '--accept "reason", or confirm the preview above', file=sys.stderr)
            continue
        if not as_json:
            _print_result(result, sys.stdout if result.ok else sys.stderr)
        results.append(result)
        from warehouse.audit import current_user
        from warehouse.users import audit

        audit(engine, "load", f"cli:{current_user()}", target=f"{path.name} ({result.kind})"[:200],
              outcome=result.outcome, detail=f"batch {result.batch_id} rows {result.rows}")
    loaded = sum(r.rows for r in results if r.outcome == "loaded")
    refused = [r for r in results if not r.ok]
    if as_json:
        print(json.dumps({"results": [_result_json(r) for r in results],
                          "held_for_warnings": [p.to_json() for p in held]}, indent=2, default=str))
    else:
        print(f"summary: {len(results) + len(held)} file(s), {loaded:,} rows loaded, "
              f"{sum(r.outcome == 'unchanged' for r in results)} unchanged, {len(refused)} refused"
              + (f", {len(held)} held for warnings" if held else ""))
    return 1 if refused else (WARNINGS_NOT_ACCEPTED if held else 0)


def cmd_init(_args: argparse.Namespace) -> int:
    _engine()
    print(f"database ready at the latest schema: {_redacted(load_settings().database_url)}")
    return 0


def cmd_rekey(_args: argparse.Namespace) -> int:
    """After DISCLOSURE_KEY changed: new code keys and every summary row re-keyed, in one transaction."""
    from warehouse.summaries import rekey_disclosure

    rows = rekey_disclosure(_engine())
    print(f"disclosure keys rebuilt from DISCLOSURE_KEY: {rows:,} summary rows re-keyed; published counts of "
          "people change once (see docs/disclosure.md)")
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from etl import preview_cli

    if args.confirm:
        if args.files or args.check:
            args.load_parser.error("--confirm TOKEN takes no files")
        return preview_cli.confirm_token(_engine, args.confirm, args.reason or args.accept or "", args.json,
                                         replace=args.replace)
    if not args.files:
        args.load_parser.error("give one or more files (or --confirm TOKEN)")
    paths = [Path(p) for p in args.files]
    if args.check:
        return preview_cli.check_paths(_engine, paths, args.kind, args.json)
    return load_paths(paths, kind=args.kind, accept=args.accept or "", as_json=args.json, replace=args.replace)


def cmd_demo(args: argparse.Namespace) -> int:
    """Load the synthetic sample, unless the database holds real data or this is production."""
    from etl.demo import load_sample, sample_refusal

    engine = _engine()
    refusal = sample_refusal(engine, load_settings().production, first_start=False)
    if refusal:
        print(f"sample not loaded: {refusal}", file=sys.stderr)
        return 2
    results = load_sample(engine, Path(args.sample_dir), loaded_by=current_user(),
                          report=lambda r: _print_result(r, sys.stdout if r.ok else sys.stderr))
    refused = [r for r in results if not r.ok]
    print(f"summary: {len(results)} file(s), {sum(r.rows for r in results if r.outcome == 'loaded'):,} rows "
          f"loaded, {len(refused)} refused; this database now holds the synthetic sample")
    if not refused:
        from etl.access_cli import create_demo_users, print_demo_users

        print_demo_users(create_demo_users(engine))
    return 1 if refused else 0


def cmd_template(args: argparse.Namespace) -> int:
    from etl.sources.partner_return import write_template

    engine = _engine()
    default_name = f"return-{args.project}-{args.quarter.replace('/', '-').replace(' ', '-')}.xlsx"
    out = Path(args.out) if args.out else Path(default_name)
    try:
        write_template(engine, args.project, args.quarter, out)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from etl.status import recent_rejections, status

    engine = _engine()
    report = status(engine)
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
        return 0
    print("Row counts:")
    for name, n in report["row_counts"].items():
        print(f"  {name:<20} {n:>10,}")
    print(f"Loaded batches ({len(report['batches'])}):")
    for b in report["batches"][-20:]:
        print(f"  #{b['id']:<5} {b['loaded_at']}  {b['kind']:<14} {b['rows_loaded']:>9,}  {b['file_name']}")
    rejected = recent_rejections(engine, 10)
    if rejected:
        print("Recently refused files:")
        for r in rejected:
            print(f"  #{r['id']:<5} {r['loaded_at']:%Y-%m-%d %H:%M}  {r['file_name']}: {r['message'][:120]}")
    return 0


def cmd_snapshot(args: argparse.Namespace) -> int:
    from reporting.cli import run

    return run(_engine, args)


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m etl",
        description="Load partner returns, reference data and police files into the VVU warehouse. "
        "DATABASE_URL chooses the database (default: an SQLite file under data/).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("init", help="create or migrate the database to the latest schema")
    p.set_defaults(func=cmd_init)
    p = sub.add_parser("load", help="load files (CSV or partner return XLSX), each whole or not at all")
    p.add_argument("files", nargs="*", metavar="FILE")
    p.add_argument("--kind", help="force the file kind instead of recognising it from the header")
    p.add_argument("--replace", action="store_true",
                   help="accept a file that removes more than REPLACE_MAX_SHARE of the rows it replaces")
    p.add_argument("--check", action="store_true",
                   help="check only: show what would change and any warnings, load nothing, print a token")
    p.add_argument("--confirm", metavar="TOKEN", help="load a checked file (the token --check printed)")
    p.add_argument("--reason", help="with --confirm: why figures that raised warnings are right")
    p.add_argument("--accept", metavar="REASON",
                   help="load figures that raise plausibility warnings, with the reason they are right")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_load, load_parser=p)
    p = sub.add_parser("rekey", help="re-key disclosure control after DISCLOSURE_KEY changed (docs/disclosure.md)")
    p.set_defaults(func=cmd_rekey)
    p = sub.add_parser("demo", help="load the bundled synthetic sample data")
    p.add_argument("--sample-dir", default=str(SAMPLE_DIR), help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("template", help="write a partner quarterly return workbook ready to fill in")
    p.add_argument("project", metavar="PROJECT", help="project code, e.g. PRJ001")
    p.add_argument("quarter", metavar="QUARTER", help="financial quarter, e.g. '2024/25 Q2'")
    p.add_argument("--out", help="output path (default: return-PROJECT-QUARTER.xlsx)")
    p.set_defaults(func=cmd_template)
    p = sub.add_parser("status", help="load batches and row counts")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("snapshot", help="Home Office reporting snapshots: create, approve, list, export, changes")
    snap = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    s = snap.add_parser("create", help="freeze a quarter and its year to date as a draft snapshot")
    s.add_argument("--quarter", required=True, help="financial quarter, e.g. '2022/23 Q3'")
    s.add_argument("--by", help="who is making it (default: your login name)")
    s = snap.add_parser("approve", help="approve a draft: its content and exports are locked for good")
    s.add_argument("id", metavar="ID")
    s.add_argument("--by", help="who is approving it (default: your login name)")
    s.add_argument("--reason", default="", help="why it replaces the quarter's approved snapshot (needed only then: "
                   "the earlier one is marked superseded and stays downloadable)")
    s = snap.add_parser("list", help="snapshots with their status and hash, newest first")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s = snap.add_parser("export", help="write a snapshot as XLSX, a zip of CSV files, or the PDF board pack")
    s.add_argument("id", metavar="ID")
    s.add_argument("--format", required=True, choices=("xlsx", "csv", "pdf"))
    s.add_argument("--out", help="file or folder to write (default: a descriptive name here)")
    s = snap.add_parser("changes", help="figures that differ now from a snapshot, and the batches responsible")
    s.add_argument("id", metavar="ID")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_snapshot)
    from etl.access_cli import add_parsers
    from etl.chase_cli import add_parser as add_chase

    add_parsers(sub, cmd_access)
    add_chase(sub, cmd_chase)
    return parser


def cmd_chase(args: argparse.Namespace) -> int:
    from etl.chase_cli import run

    return run(_engine, args)


def cmd_access(args: argparse.Namespace) -> int:
    from etl.access_cli import run

    return run(_engine, args)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))
