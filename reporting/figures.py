"""Figures for the board pack, built from a snapshot's frozen sections, and rendered to PNG offline.

Builders are pure (rows -> go.Figure plus a text alternative) on the lean theme in ``charts.theme``;
the funding chart is ``charts.funding``'s, shared with the funding page. ``render_png`` draws every
figure of a pack in one headless Chromium session through kaleido, which finds the system's
``/usr/bin/chromium`` and downloads nothing.
"""

from __future__ import annotations

import asyncio
import textwrap
import threading
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from analysis.disclosure import SUPPRESSED
from charts.kpi_text import SHARE_TO_DATE_LABEL
from charts.theme import PALETTE, STATUS_COLOURS, TARGET_COLOUR, base_figure, empty_figure

WIDTH, HEIGHT = 900, 420


def _wrap(text: str, width: int = 34) -> str:
    return "<br>".join(textwrap.wrap(text, width)) or text


def priority_figure(rows: Sequence[dict], title: str) -> tuple[go.Figure, str]:
    """Each measure of a priority as % of its target for the months so far, coloured and labelled by status."""
    key = "share_to_date_pct"
    shown = [r for r in rows if isinstance(r.get(key), int | float)]
    no_target = [r["name"] for r in rows if r.get(key) is None]
    hidden = [r["name"] for r in rows if r.get(key) == SUPPRESSED]
    extra = []
    if no_target:
        extra.append("No target: " + ", ".join(no_target) + ".")
    if hidden:
        extra.append("Suppressed (small numbers): " + ", ".join(hidden) + ".")
    if not shown:
        fig = empty_figure(title, "No measure in this priority has a target to compare with.")
        fig.update_layout(width=WIDTH, height=300)
        return fig, " ".join(["No measure in this priority has a target to compare with.", *extra])
    shown = sorted(shown, key=lambda r: r["name"])
    height = 150 + 62 * len(shown)
    fig = base_figure(title, f"Value as {SHARE_TO_DATE_LABEL} (100% = on target)", "", height=height)
    top = max(125.0, max(float(r[key]) for r in shown) * 1.18)
    fig.add_bar(
        x=[float(r[key]) for r in shown], y=[_wrap(r["name"]) for r in shown], orientation="h",
        marker_color=[STATUS_COLOURS.get(r["status"], PALETTE[0]) for r in shown],
        text=[f"{float(r[key]):.0f}% · {r['status']}" for r in shown], textposition="outside",
        cliponaxis=False, hovertemplate="%{y}: %{x:.0f}" + SHARE_TO_DATE_LABEL[1:] + "<extra></extra>",
        showlegend=False,
    )
    fig.add_vline(x=100, line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
                  annotation_text="target to date", annotation_position="top",
                  annotation_font={"color": "#a0400a", "size": 12})
    fig.update_layout(xaxis={"range": [0, top], "ticksuffix": "%"},
                      yaxis={"autorange": "reversed", "rangemode": "normal", "ticklabelstandoff": 8},
                      margin={"l": 250, "r": 30, "t": 60, "b": 60}, width=WIDTH, bargap=0.35)
    alt = "; ".join(f"{r['name']}: {float(r[key]):.0f}{SHARE_TO_DATE_LABEL[1:]} ({r['status']})" for r in shown)
    return fig, " ".join([alt + ".", *extra])


def spend_figure(rows: Sequence[dict], financial_year: str) -> tuple[go.Figure, str]:
    """Cumulative spend against the grant spent evenly (charts.funding, as on the funding page)."""
    frame = pd.DataFrame(list(rows))
    if "quarter" not in frame and "label" in frame:  # snapshots frozen before the number was kept
        frame["quarter"] = frame["label"].str[-1].astype(int)
    from charts.funding import cumulative_spend_chart

    fig = cumulative_spend_chart(frame, financial_year)
    fig.update_layout(width=WIDTH, height=HEIGHT, margin={"l": 100, "r": 30, "t": 60, "b": 90})
    parts = []
    for r in rows:
        if r.get("cumulative_spend_gbp") is not None:
            parts.append(f"{r['label']}: £{float(r['cumulative_spend_gbp']):,.0f} spent to date against "
                         f"£{float(r['cumulative_grant_gbp']):,.0f} if spent evenly")
    return fig, ("; ".join(parts) + ".") if parts else "No spend reported yet this year."


def series_figure(rows: Sequence[dict], x: str, ys: Sequence[str], title: str, x_title: str, y_title: str,
                  names: dict[str, str] | None = None) -> tuple[go.Figure, str]:
    """A line per column over a section's rows (the crime trend); the first line solid, the others dashed."""
    names = names or {}
    if not rows:
        fig = empty_figure(title, "No data.")
        fig.update_layout(width=WIDTH, height=300)
        return fig, "No data."
    fig = base_figure(title, x_title, y_title, height=HEIGHT)
    xs = [str(r.get(x)) for r in rows]
    parts = []
    for i, key in enumerate(ys):
        values = [r.get(key) if isinstance(r.get(key), int | float) else None for r in rows]
        label = names.get(key, key.replace("_", " "))
        fig.add_scatter(x=xs, y=values, name=label, mode="lines+markers",
                        line={"color": PALETTE[i % len(PALETTE)], "width": 3 if i == 0 else 2,
                              "dash": "solid" if i == 0 else "dash"},
                        hovertemplate=f"{label}<br>%{{x}}: %{{y:,.0f}}<extra></extra>")
        have = [(m, v) for m, v in zip(xs, values, strict=True) if v is not None]
        if have:
            parts.append(f"{label}: {have[0][1]:,.0f} in {have[0][0]}" + (
                f" to {have[-1][1]:,.0f} in {have[-1][0]}" if len(have) > 1 else ""))
    fig.update_layout(width=WIDTH, xaxis={"type": "category"}, yaxis={"tickformat": ",.0f"},
                      margin={"l": 90, "r": 30, "t": 60, "b": 60})
    return fig, ("; ".join(parts) + ".") if parts else "No data."


def forest_figure(rows: Sequence[dict], title: str) -> tuple[go.Figure, str]:
    """The Grip page's forest plot (charts.grip) from the frozen effect rows."""
    from charts.grip import describe_forest, forest_plot

    frame = pd.DataFrame(list(rows))
    for col in ("rate_ratio", "ci_low", "ci_high"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    fig = forest_plot(frame, title, "Crimes per day on patrol days ÷ days without (rate ratio, log scale)")
    fig.update_layout(width=WIDTH)
    return fig, describe_forest(frame, "crime")


def page_generator():  # noqa: ANN201 - kaleido.PageGenerator
    """kaleido's page with nothing from outside: plotly.js from the installed plotly package, no MathJax.

    kaleido's default page loads MathJax from a CDN (and plotly.js from one when it cannot find the
    package's copy); on a closed network each export would then wait on packets that never come.
    No chart here uses LaTeX, so MathJax is simply left out.
    """
    import kaleido
    import plotly

    local = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not local.is_file():
        raise RuntimeError(f"plotly's own plotly.min.js is missing at {local}; reinstall plotly")
    return kaleido.PageGenerator(plotly=local.as_uri(), mathjax=False)


async def _render_all(figures: Sequence[go.Figure], scale: float) -> list[bytes]:
    import kaleido

    out = []
    async with kaleido.Kaleido(n=1, timeout=120, page_generator=page_generator()) as k:
        for fig in figures:
            layout = fig.layout
            opts = {"format": "png", "scale": scale, "width": layout.width or WIDTH, "height": layout.height or HEIGHT}
            out.append(await k.calc_fig(fig, opts=opts))
    return out


def render_png(figures: Sequence[go.Figure], scale: float = 2.0) -> list[bytes]:
    """PNG bytes for each figure, from one Chromium session (run in a thread if a loop is running)."""
    if not figures:
        return []
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_render_all(figures, scale))
    result: dict[str, object] = {}

    def work() -> None:
        try:
            result["ok"] = asyncio.run(_render_all(figures, scale))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=work, name="kaleido-render")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result["ok"]  # type: ignore[return-value]
