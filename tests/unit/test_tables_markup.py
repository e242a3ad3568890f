"""Escaped HTML tables: every text escaped, markup only from link and badge, semantics kept."""

from __future__ import annotations

from charts.tables import badge, cell, link, table_markup

HOSTILE = '<img src=x onerror="alert(1)">'


def test_every_text_and_attribute_is_escaped() -> None:
    out = table_markup(f"Projects {HOSTILE}", ["Code", HOSTILE], [[HOSTILE, "1,000"]], numeric={1},
                       class_name='x" onclick="y', row_classes=['"><script>'])
    assert "<img" not in out and "<script>" not in out and 'onclick="y"' not in out
    assert out.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;") == 3
    assert '<th scope="row">' in out and '<td class="num">1,000</td>' in out
    assert '<th scope="col" class="num">' in out  # a numeric column's heading aligns with its numbers


def test_link_and_badge_are_the_only_markup_and_escape_their_parts() -> None:
    a = link(HOSTILE, '/projects/PRJ001?fy=2024/25&x="1"')
    assert a == ('<a href="/projects/PRJ001?fy=2024/25&amp;x=&quot;1&quot;">'
                 "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</a>")
    assert badge("underspend", 'status "x"') == '<span class="status &quot;x&quot;">underspend</span>'
    row = table_markup("c", ["Code", "Flag"], [[a, badge("over", "status")]], row_headers=False)
    assert "<td><a href=" in row and '<td><span class="status">over</span></td>' in row
    assert cell("td", None) == "<td></td>"
