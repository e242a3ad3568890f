"""Escaped HTML tables: every text inert for HTML and Markdown, markup only from link and badge,
semantics kept."""

from __future__ import annotations

import re
from html import unescape

import pytest

from charts.tables import badge, cell, link, table_markup

HOSTILE = '<img src=x onerror="alert(1)">'
# What a police.uk crime type, a project or a hotspot name could hold to break out of the table.
MARKDOWN_ATTACKS = [
    "Robbery\n\n[Session expired: sign in](https://evil.example/login)",
    "Theft\r\n\r\n![tracker](https://evil.example/pixel.png)",
    "Burglary\n\n<https://evil.example>",
    "Drugs\n\nhttps://evil.example and www.evil.example",
    "Arson\n\n<img src=x onerror=alert(1)>",
    "Other\n\n<script>alert(1)</script>",
    "Shoplifting\u2028\u2028[x](javascript:alert(1))",
    "Weapons\n\n    indented code\n\n# Heading",
    "`code` *emphasis* __strong__ [ref]: https://evil.example",
]


def test_every_text_and_attribute_is_escaped() -> None:
    out = table_markup(f"Projects {HOSTILE}", ["Code", HOSTILE], [[HOSTILE, "1,000"]], numeric={1},
                       class_name='x" onclick="y', row_classes=['"><script>'])
    assert "<img" not in out and "<script>" not in out and 'onclick="y"' not in out
    assert unescape(out).count(HOSTILE) == 3  # shown as the text it is
    assert '<th scope="row">' in out and '<td class="num">1,000</td>' in out
    assert '<th scope="col" class="num">' in out  # a numeric column's heading aligns with its numbers


def test_link_and_badge_are_the_only_markup_and_escape_their_parts() -> None:
    a = link(HOSTILE, '/projects/PRJ001?fy=2024/25&x="1"')
    assert a.startswith("<a href=\"") and a.endswith("</a>") and "<img" not in a
    assert unescape(re.search(r'href="([^"]*)"', a).group(1)) == '/projects/PRJ001?fy=2024/25&x="1"'
    assert unescape(re.search(r">(.*)</a>", a).group(1)) == HOSTILE
    b = badge("underspend", 'status "x"')
    assert unescape(b) == '<span class="status "x"">underspend</span>' and '"x"' not in b
    row = table_markup("c", ["Code", "Flag"], [[a, badge("over", "status")]], row_headers=False)
    assert "<td><a href=" in row and '<td><span class="status">over</span></td>' in row
    assert cell("td", None) == "<td></td>"


@pytest.mark.parametrize("attack", MARKDOWN_ATTACKS)
def test_markdown_cannot_break_out_of_a_table(attack: str) -> None:
    out = table_markup(attack, ["Crime type", attack], [[attack, "12"]], numeric={1})
    # One line: an HTML block in Markdown ends at a blank line, so with no line break it never ends.
    assert "\n" not in out and "\r" not in out and "\u2028" not in out
    text = re.sub(r"</?(table|caption|thead|tbody|tr|th|td)( [a-z]+=\"[a-z ]*\")*>", "", out)
    # What is left is inert: no Markdown or HTML syntax character survives unencoded.
    text = re.sub(r"&#[0-9]+;", "", text)  # numeric character references: inert by definition
    assert not re.search(r"[\[\]()<>!*_`#:/\\&;]", text), text[:200]
    assert "evil" not in unescape(out) or "https" in unescape(out)  # the text is kept, as text
