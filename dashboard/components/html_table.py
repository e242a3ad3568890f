"""Data tables written as escaped HTML in one Markdown component, for tables of many cells.

Dash sends each ``html.Td`` as a JSON object of about 80 bytes; a table of a few hundred cells made
callback responses of tens of kilobytes and most of their serialisation time. The same table as
HTML text is a quarter of the size. Every text is escaped here (names come from partners' files),
which is what makes ``dangerously_allow_html`` safe; markup can only come from ``link`` and
``badge``, which escape what they are given.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from html import escape

from dash import dcc


class Markup(str):
    """Text already made safe by this module (a link or a badge): placed as it is."""


def link(text: str, href: str) -> Markup:
    return Markup(f'<a href="{escape(href, quote=True)}">{escape(str(text))}</a>')


def badge(text: str, class_name: str) -> Markup:
    return Markup(f'<span class="{escape(class_name, quote=True)}">{escape(str(text))}</span>')


def _cell(tag: str, value: object, numeric: bool, scope: str = "") -> str:
    attrs = (f' scope="{scope}"' if scope else "") + (' class="num"' if numeric else "")
    text = value if isinstance(value, Markup) else escape("" if value is None else str(value))
    return f"<{tag}{attrs}>{text}</{tag}>"


def table_markup(caption: str, headers: Sequence[str], rows: Sequence[Sequence[object]],
                 numeric: Collection[int] = (), class_name: str = "", row_headers: bool = True) -> str:
    """A semantic table: caption, column headers, and (by default) the first cell of a row as its header."""
    head = "".join(_cell("th", h, i in numeric, "col") for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(_cell("th" if row_headers and i == 0 else "td", v, i in numeric,
                               "row" if row_headers and i == 0 else "") for i, v in enumerate(row)) + "</tr>"
        for row in rows)
    cls = escape(f"data {class_name}".strip(), quote=True)
    return (f'<table class="{cls}"><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def html_table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[object]],
               numeric: Collection[int] = (), class_name: str = "", row_headers: bool = True) -> dcc.Markdown:
    """``table_markup`` shown by one Markdown component."""
    return dcc.Markdown(table_markup(caption, headers, rows, numeric, class_name, row_headers),
                        dangerously_allow_html=True, className="html-table")
