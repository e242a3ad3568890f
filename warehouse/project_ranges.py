"""Selecting many projects' month ranges in a few shallow SQL statements, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import or_

from warehouse.summaries import PROJECTS_PER_STATEMENT

RANGES_PER_STATEMENT = 100  # ORed month ranges per statement: SQLite refuses an expression deeper than 1,000


def range_conditions(table: Any, ranges: dict[str, list[str]]) -> Iterator[Any]:
    """WHERE clauses on ``table`` (any with ``project_code`` and ``period``) that together select every
    (project, month range) of ``ranges``: the months a file revises, or the history before them.

    Projects sharing a month range (most of a file) become one ``project_code IN (...)``, which
    SQLite parses as a list rather than nesting one OR per project: ORing a condition per project hit
    "Expression tree is too large (maximum depth 1000)" for a file of about 1,000 projects. Each
    clause ORs at most RANGES_PER_STATEMENT ranges and binds at most PROJECTS_PER_STATEMENT codes.
    """
    o = table
    by_range: dict[tuple[str, str], list[str]] = {}
    for project, (first, last) in sorted(ranges.items()):
        by_range.setdefault((first, last), []).append(project)
    terms = []
    for (first, last), projects in sorted(by_range.items()):
        for i in range(0, len(projects), PROJECTS_PER_STATEMENT):
            chunk = projects[i : i + PROJECTS_PER_STATEMENT]
            terms.append((len(chunk), o.c.project_code.in_(chunk) & o.c.period.between(first, last)))
    group: list[Any] = []
    bound = 0
    for size, term in terms:
        if group and (len(group) >= RANGES_PER_STATEMENT or bound + size > PROJECTS_PER_STATEMENT):
            yield or_(*group)
            group, bound = [], 0
        group.append(term)
        bound += size
    if group:
        yield or_(*group)
