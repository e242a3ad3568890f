"""Data tables as escaped HTML text, for tables of many cells shown by one Markdown component.

Dash sends each ``html.Td`` as a JSON object of about 80 bytes; a table of a few hundred cells made
callback responses of tens of kilobytes and most of their serialisation time. The same table as
HTML text is a quarter of the size. Every text is escaped here (names come from partners' files),
which is what makes ``dangerously_allow_html`` safe; markup can only come from ``link`` and
``badge``, which escape what they are given.

Escaping HTML is not enough inside a Markdown component: a line break in a value ends the HTML
block, and what follows is read as Markdown again (``Robbery\n\n[Sign in](https://...)`` became a
live link). So text loses its line breaks and control characters, and every character but letters,
digits, spaces and ``, . - % £`` is written as a numeric character reference, which neither Markdown
nor HTML gives any meaning: the output is one line of tags and inert text.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
_PLAIN = frozenset(" ,.-%£")


def escape(value: object, quote: bool = True) -> str:
    """Text made inert for HTML and Markdown alike (see the module docstring); ``quote`` is accepted
    for the html.escape signature callers use, and quotes are always encoded."""
    text = _CONTROL.sub(" ", str(value))
    return "".join(c if c.isalnum() or c in _PLAIN else f"&#{ord(c)};" for c in text)


class Markup(str):
    """Text already made safe by this module (a link or a badge): placed as it is."""


def link(text: str, href: str) -> Markup:
    return Markup(f'<a href="{escape(href, quote=True)}">{escape(str(text))}</a>')


def badge(text: str, class_name: str) -> Markup:
    return Markup(f'<span class="{escape(class_name, quote=True)}">{escape(str(text))}</span>')


def cell(tag: str, value: object, **attrs: str) -> str:
    """One element with escaped attributes (``class_`` for class) and escaped text, unless Markup."""
    extra = "".join(f' {k.rstrip("_")}="{escape(str(v), quote=True)}"' for k, v in attrs.items() if v)
    text = value if isinstance(value, Markup) else escape("" if value is None else str(value))
    return f"<{tag}{extra}>{text}</{tag}>"


def table_markup(caption: str, headers: Sequence[str], rows: Sequence[Sequence[object]],
                 numeric: Collection[int] = (), class_name: str = "", row_headers: bool = True,
                 row_classes: Sequence[str] | None = None) -> str:
    """A semantic table: caption, column headers, and (by default) the first cell of a row as its header."""
    num = {i: "num" for i in numeric}
    head = "".join(cell("th", h, scope="col", class_=num.get(i, "")) for i, h in enumerate(headers))
    body = []
    for r, row in enumerate(rows):
        cells = "".join(cell("th", v, scope="row", class_=num.get(i, "")) if row_headers and i == 0
                        else cell("td", v, class_=num.get(i, "")) for i, v in enumerate(row))
        body.append(cell("tr", Markup(cells), class_=row_classes[r] if row_classes else ""))
    return (f'<table class="{escape(f"data {class_name}".strip(), quote=True)}">{cell("caption", caption)}'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
