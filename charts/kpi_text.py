"""What a measure's figures mean, in the words every surface uses (cards, tables, the board pack).

One function says "% of target" so the page, the export and the pack cannot mean different things by
it: the share of the target for the whole period (the annual target, for a financial year) and the
share of the target for the months so far, both labelled.
"""

from __future__ import annotations

from analysis.numbers import finite_or_none

STARTS_NOTE = ("Counts of people are starts: a person is counted each time they start with a project, so someone "
               "helped by two projects is counted twice (case-level records would be needed to count people once).")
SHARE_LABEL = "% of the target for the period"
SHARE_TO_DATE_LABEL = "% of the target for the months so far"


def period_words(whole_year: bool) -> str:
    """'the annual target' for a financial year, else 'the target for the period'."""
    return "the annual target" if whole_year else "the target for the period"


def shares_text(share: object, share_to_date: object, whole_year: bool, stock: bool = False) -> str:
    """'61% of the annual target; 122% of the target for the months so far' (either part may be absent).

    A stock (a level) has one target whatever the months, so only its share is given."""
    whole, so_far = finite_or_none(share), finite_or_none(share_to_date)
    parts = []
    if whole is not None:
        parts.append(f"{whole * 100:.0f}% of {period_words(whole_year) if not stock else 'the target level'}")
    if so_far is not None and not stock and (whole is None or abs(so_far - whole) > 1e-9):
        parts.append(f"{so_far * 100:.0f}% of the target for the months so far")
    return "; ".join(parts)


BASIS_LABEL = "Expected position judged on"


def basis_text(basis: object) -> str:
    """How a status was judged, in the words of every surface: 'status judged against the seasonal
    profile of 2022/23 – 2024/25', '... against the straight line (a twelfth of the target a month)'."""
    if not basis or basis != basis:
        return ""
    if basis == "straight line":
        return "status judged against the straight line (a twelfth of the target a month)"
    if basis == "target level":
        return "status judged against the target level"
    return f"status judged against the {basis}"


def basis_summary(rows: list[dict]) -> str:
    """One sentence for a table of measures: which were judged on a seasonal profile, which on the line."""
    by_basis: dict[str, list[str]] = {}
    for r in rows:
        basis = r.get("expected_basis")
        if basis and basis == basis and basis != "target level":
            by_basis.setdefault(str(basis), []).append(str(r.get("name", r.get("metric_code", ""))))
    parts = [f"{basis}: {', '.join(sorted(names))}" for basis, names in sorted(by_basis.items())]
    return ("Expected position for the months so far (status) judged against " + "; ".join(parts) + ".") if parts \
        else ""


def counted_as(unit: str, aggregation: str) -> str:
    """How a measure counts: 'starts' (people summed over months), 'level', 'running total' or ''."""
    if aggregation == "latest":
        return "level"
    if aggregation == "cumulative":
        return "running total"
    return "starts" if unit == "people" else ""


def measure_label(name: str, unit: str, aggregation: str) -> str:
    """The measure's name as every surface shows it: 'Individuals supported (starts)'."""
    kind = counted_as(unit, aggregation)
    return f"{name} (starts)" if kind == "starts" else name
