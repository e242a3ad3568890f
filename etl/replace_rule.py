"""The replace-share rule: a file may not quietly shrink what it replaces.

Why: a file replaces the rows of its scope (a police.uk month and force, a project's months), so a
five-row file for a month silently swapped out that month's 14,758 rows. A file that would remove
more than ``REPLACE_MAX_SHARE`` of the rows it replaces is refused, with the counts, unless the
person loading it says they mean it (``python -m etl load --replace``, or confirming in the browser).

The readers call ``check_replace`` inside the load's transaction, before deleting anything; the
refusal rolls the transaction back and the loader records it like any other refused file.
"""

from __future__ import annotations

from etl.problems import FileRejected, Problem
from settings import load_settings

# The start of every refusal's reason: the upload page recognises it to offer "replace anyway".
REASON_START = "this file would replace"


def removed_share(replaced: int, incoming: int) -> float:
    """Share of the replaced rows that would be gone afterwards (0 when the file brings as many)."""
    if replaced <= 0:
        return 0.0
    return max(replaced - incoming, 0) / replaced


def check_replace(file: str, scope: str, replaced: int, incoming: int, allow: bool) -> None:
    """Refuse when the file would remove more than the set share of the ``replaced`` rows of ``scope``."""
    limit = load_settings().replace_max_share
    share = removed_share(replaced, incoming)
    if allow or share <= limit:
        return
    raise FileRejected(Problem(
        file, 0, "", "",
        f"{REASON_START} {replaced:,} rows loaded earlier for {scope} with {incoming:,}, removing "
        f"{replaced - incoming:,} ({share:.0%}, more than the {limit:.0%} allowed); if that is what you mean, "
        "load it again with --replace (in the browser: confirm the replacement)",
    ))


def is_replace_refusal(reason: str) -> bool:
    return reason.startswith(REASON_START)


def refused_by_replace_rule(result: object) -> bool:
    """A load result refused by this rule alone (and so loadable on purpose with ``replace``)."""
    problems = getattr(result, "problems", None) or []
    return getattr(result, "outcome", "") == "rejected" and len(problems) == 1 and \
        is_replace_refusal(str(problems[0].reason))
