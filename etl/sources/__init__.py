"""One module per input format. ``registry()`` lists them all; recognising a file asks each in turn."""

from __future__ import annotations

from etl.sources.base import Source


def registry() -> dict[str, Source]:
    """Every known file kind, by name. Adding a format = one module + one line here."""
    from etl.sources import observations, police_uk, reference

    sources: list[Source] = [*reference.SOURCES, observations.SOURCE, police_uk.SOURCE]
    try:
        from etl.sources import partner_return

        sources.append(partner_return.SOURCE)
    except ImportError:  # pragma: no cover - module added in a later step
        pass
    from etl.sources import fingertips, grip

    sources += grip.SOURCES
    sources.append(fingertips.SOURCE)
    return {s.kind: s for s in sources}
