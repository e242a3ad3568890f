"""A data table of many cells as one Markdown component (see charts.tables for why and how it is safe)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from dash import dcc

from charts.tables import table_markup


def html_table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[object]],
               numeric: Collection[int] = (), class_name: str = "", row_headers: bool = True) -> dcc.Markdown:
    """``charts.tables.table_markup`` shown by one Markdown component."""
    return dcc.Markdown(table_markup(caption, headers, rows, numeric, class_name, row_headers),
                        dangerously_allow_html=True, className="html-table")
