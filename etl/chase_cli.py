"""``python -m etl chase``: record that a late or missing return was chased, and list what to chase.

Printing only: the list and the record are ``service.chase``'s, the same the data quality page and
``/api/v1/chase`` use, so the command line and the web can never disagree on "last chased".
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

import pandas as pd

from warehouse.audit import current_user


def add_parser(sub: Any, func: Callable[[argparse.Namespace], int]) -> None:
    """The ``chase`` command and its ``record`` and ``list`` subcommands."""
    p = sub.add_parser("chase", help="record that a late or missing return was chased; list returns to chase")
    chase = p.add_subparsers(dest="chase_command", required=True, metavar="ACTION")
    s = chase.add_parser("record", help="record a chase of one project's quarterly return (now, by you)")
    s.add_argument("project", metavar="PROJECT")
    s.add_argument("quarter", metavar="QUARTER", help="e.g. '2024/25 Q2'")
    s.add_argument("--note", default="", help="what was said or sent (kept with the chase)")
    s.add_argument("--by", default="", help="who chased (default: cli:<your login name>)")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s = chase.add_parser("list", help="missing and late returns, whom to contact and when last chased")
    s.add_argument("--fy", default="", help="financial year, e.g. 2024/25 (default: the current one)")
    s.add_argument("--quarter", default="", help="Q1 to Q4 of that year")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=func)


def run(engine_factory: Callable[[], Any], args: argparse.Namespace) -> int:
    """Exit status: 0 done, 2 refused (an unknown project, a bad quarter), with the reason."""
    from service.chase import chase_list, record_chase
    from warehouse.filters import FilterError, Filters

    engine = engine_factory()
    if args.chase_command == "record":
        try:
            row = record_chase(engine, args.project, args.quarter, args.by or f"cli:{current_user()}", args.note)
        except ValueError as exc:
            return _refused(str(exc), args.json)
        if args.json:
            print(json.dumps({"outcome": "recorded", **row}))
        else:
            print(f"recorded: {row['project_code']} {row['quarter']} chased {row['last_chased'][:16]} by "
                  f"{row['last_chased_by']} ({row['chases']} chase{'s' if row['chases'] != 1 else ''} so far)")
        return 0
    try:
        frame = chase_list(engine, Filters.from_query({"fy": args.fy, "quarter": args.quarter}))
    except (FilterError, ValueError) as exc:
        return _refused(str(exc), args.json)
    if args.json:
        records = [{k: _plain(v) for k, v in r.items()} for r in frame.to_dict("records")]
        print(json.dumps(records, indent=2))
        return 0
    if frame.empty:
        print("No return in this view is missing or late.")
    for r in frame.itertuples():
        last = "never chased" if r.last_chased is None else \
            f"last chased {pd.Timestamp(r.last_chased):%Y-%m-%d %H:%M} by {r.last_chased_by}"
        print(f"{r.project_code:<10} {r.quarter:<12} {r.status:<8} {r.days_overdue:>5} days  "
              f"{r.contact_email or 'no email on file':<30} {last}")
    return 0


def _refused(message: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"outcome": "refused", "message": message}))
    else:
        print(f"not recorded: {message}", file=sys.stderr)
    return 2


def _plain(value: Any) -> Any:
    """JSON-ready: dates as ISO text, numpy numbers as Python ones, missing as null."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value.item() if hasattr(value, "item") else value
