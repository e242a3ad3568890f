"""The A4 board pack: cover, headline measures with status, a chart per priority, funding and spend,
crime trend, Grip effect and a note on data completeness.

Rendered only from the frozen content. Charts are plotly figures drawn to PNG on the server by
kaleido (offline, system Chromium); reportlab runs in invariant mode with the snapshot's own time as
the document date, so the same snapshot and the same chart pixels give the same bytes. (Approved
snapshots do not depend on that: their PDF is stored at approval.)
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from analysis.disclosure import SUPPRESSED
from charts.kpi_text import basis_summary
from charts.theme import STATUS_COLOURS
from reporting import figures
from reporting.common import SAMPLE_LINE, display, is_sample, is_view, made_at, status_line
from reporting.content import SnapshotDoc

# Binary streams, not ASCII85: the pack is never sent as 7-bit text, and ReportLab's pure-Python ASCII85
# encoder was 0.5 s of a 4.7 s pack (cProfile, bench/board_pack.py); the file is a fifth smaller too.
# (Process-wide, but this module is the only user of ReportLab.)
rl_config.useA85 = 0

BRAND = colors.HexColor("#0B4F8A")
MUTED = colors.HexColor("#4A5560")
LINE = colors.HexColor("#D9DEE3")
MARGIN = 15 * mm
CONTENT_WIDTH = A4[0] - 2 * MARGIN
CHART_SCALE = 2.0
TOP_FLAGGED = 10

_base = getSampleStyleSheet()
STYLES = {
    "title": ParagraphStyle("title", parent=_base["Title"], fontSize=22, leading=27, alignment=TA_LEFT,
                            textColor=BRAND, spaceAfter=6),
    "subtitle": ParagraphStyle("subtitle", parent=_base["Normal"], fontSize=14, leading=18, spaceAfter=12),
    "h1": ParagraphStyle("h1", parent=_base["Heading1"], fontSize=16, leading=20, textColor=BRAND, spaceBefore=4,
                         spaceAfter=6),
    "h2": ParagraphStyle("h2", parent=_base["Heading2"], fontSize=12.5, leading=16, spaceBefore=8, spaceAfter=4),
    "body": ParagraphStyle("body", parent=_base["Normal"], fontSize=9.5, leading=13, spaceAfter=5),
    "small": ParagraphStyle("small", parent=_base["Normal"], fontSize=8, leading=10.5, textColor=MUTED,
                            spaceAfter=4),
    "cell": ParagraphStyle("cell", parent=_base["Normal"], fontSize=8, leading=10),
    "tiny": ParagraphStyle("tiny", parent=_base["Normal"], fontSize=6.5, leading=8, textColor=MUTED),
    "cellb": ParagraphStyle("cellb", parent=_base["Normal"], fontSize=8, leading=10, fontName="Helvetica-Bold"),
    "status_draft": ParagraphStyle("sd", parent=_base["Normal"], fontSize=11, leading=14, textColor=colors.white,
                                   fontName="Helvetica-Bold"),
}


def _text(value: object) -> str:
    """Escaped for reportlab's mini-markup and limited to what the built-in fonts can draw."""
    return escape(str(value)).encode("cp1252", "replace").decode("cp1252")


def _p(text: str, style: str = "body") -> Paragraph:
    return Paragraph(text, STYLES[style])


def _table(data: list[list], widths: list[float], header_rows: int = 1, align_right_from: int = 1,
           extra: list | None = None) -> Table:
    table = Table(data, colWidths=widths, repeatRows=header_rows)
    style = [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
        ("GRID", (0, 0), (-1, -1), 0.4, LINE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (align_right_from, 0), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if header_rows:
        style += [("FONT", (0, 0), (-1, header_rows - 1), "Helvetica-Bold", 8),
                  ("BACKGROUND", (0, 0), (-1, header_rows - 1), BRAND),
                  ("TEXTCOLOR", (0, 0), (-1, header_rows - 1), colors.white)]
    table.setStyle(TableStyle(style + (extra or [])))
    return table


def _whole(*flowables: object) -> KeepTogether:
    """A heading with its table (or chart) on one page: no table is split to leave a lone row behind."""
    return KeepTogether(list(flowables))


def _image(png: bytes, width_px: int, height_px: int) -> Image:
    width = CONTENT_WIDTH
    return Image(io.BytesIO(png), width=width, height=width * height_px / width_px)


class _Pages:
    """Header and footer on every page: what this is, draft or approved, its hash and the page number."""

    def __init__(self, doc: SnapshotDoc):
        self.doc = doc
        self.when = made_at(doc)

    def _date(self, *_args: int) -> str:
        w = self.when
        return f"D:{w.year:04d}{w.month:02d}{w.day:02d}{w.hour:02d}{w.minute:02d}{w.second:02d}+00'00'"

    def first(self, canvas, _doc) -> None:  # noqa: ANN001 - reportlab callback
        canvas.setDateFormatter(self._date)
        self.later(canvas, _doc)

    def later(self, canvas, _doc) -> None:  # noqa: ANN001 - reportlab callback
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(MUTED)
        top = A4[1] - 9 * mm
        which = "current view" if is_view(self.doc) else f"snapshot {self.doc.id}"
        view = self.doc.content["meta"].get("view")
        if view:
            which += ": " + view["description"][:60]
        canvas.drawString(MARGIN, top, f"Essex VVU outcomes board pack: {self.doc.quarter} ({which})")
        if is_sample(self.doc):  # every page, so no page of a sample pack passes for real figures
            canvas.setFillColor(colors.HexColor("#B00020"))
            canvas.setFont("Helvetica-Bold", 8)
            canvas.drawCentredString(A4[0] / 2, 12 * mm, SAMPLE_LINE)
        if not self.doc.approved:
            canvas.setFillColor(colors.HexColor("#B00020"))
            canvas.setFont("Helvetica-Bold", 9)
            canvas.drawRightString(A4[0] - MARGIN, top, "CURRENT VIEW - NOT A SNAPSHOT" if is_view(self.doc)
                                   else "DRAFT - NOT APPROVED")
        canvas.setFillColor(MUTED)
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(MARGIN, 8 * mm, f"Content SHA-256 {self.doc.content_sha256[:16]}...  "
                                          f"{SUPPRESSED} = suppressed to protect confidentiality")
        canvas.drawRightString(A4[0] - MARGIN, 8 * mm, f"Page {canvas.getPageNumber()}")
        canvas.restoreState()


def _facts(doc: SnapshotDoc) -> list[tuple[str, str]]:
    meta = doc.content["meta"]
    return [
        ("Snapshot", "none: the current view, made on demand" if is_view(doc) else f"{doc.id}"),
        ("Quarter", f"{meta['quarter']}: {meta['quarter_first']} to {meta['quarter_last']}"),
        ("Financial year to date", f"{meta['fytd_first']} to {meta['fytd_last']}"),
        ("Data run to", meta["data_runs_to"]),
        ("Made", f"{meta['made_at'].replace('T', ' ')} UTC by {meta['made_by']}"),
        ("Approved", f"{doc.approved_at:%Y-%m-%d %H:%M:%S} UTC by {doc.approved_by}" if doc.approved
         else "not approved"),
        ("Content SHA-256", doc.content_sha256),
        ("Disclosure control", meta["disclosure"]["rule"]),
    ]


def _badge(doc: SnapshotDoc) -> Table:
    colour = colors.HexColor("#006D3C") if doc.approved else colors.HexColor("#B00020")
    badge = Table([[Paragraph(_text(status_line(doc)), STYLES["status_draft"])]], colWidths=[CONTENT_WIDTH])
    badge.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colour), ("LEFTPADDING", (0, 0), (-1, -1), 8),
                               ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    return badge


MAX_CHANGE_LINES = 8


def _summary(doc: SnapshotDoc) -> list:
    """Page 1: the executive summary. The position per priority in a sentence, the exception report
    (measures off track or at risk with explanation and action agreed) and what changed since the last
    approved snapshot; everything else follows."""
    meta = doc.content["meta"]
    summary = meta.get("summary") or {}
    which = "current view" if is_view(doc) else f"snapshot {doc.id}"
    story = [
        _p("Essex Violence and Vulnerability Unit", "title"),
        _p(f"Board pack: {_text(meta['quarter'])} ({meta['quarter_first']} to {meta['quarter_last']}) and "
           f"{_text(meta['financial_year'])} to date. Executive summary", "subtitle"),
        _badge(doc), Spacer(1, 2 * mm),
        _p(f"{_text(which.capitalize())}; data run to {meta['data_runs_to']}; made {meta['made_at'][:10]} by "
           f"{_text(meta['made_by'])}.", "small"),
        *_view_lines(doc),
        _p("Position against each priority", "h2"),
    ]
    for line in summary.get("priorities", []):
        story.append(_p(f"&bull; {_text(line)}", "body"))
    story.append(_p("Exception report: measures off track or at risk", "h2"))
    sec = doc.section("exceptions")
    if sec is None:
        story.append(_p("This snapshot was made before exception reports were kept.", "body"))
    elif not sec["rows"] and not sec["notes"]:  # a snapshot frozen before the report explained itself
        story.append(_p("Every measure with a target is on track for the year to date.", "body"))
    if sec is not None and sec["rows"]:
        data = [["Measure", "Status", "To date / target", "Explanation", "Action agreed"]]
        for r in sec["rows"]:
            data.append([_p(_text(r["name"]), "cell"), _status_cell(r["status"]),
                         f"{display(r['value'], 'value', r['unit'])} / {display(r['target'], 'value', r['unit'])}",
                         _p(_text(r["explanation"]), "cell"), _p(_text(r["action"]), "cell")])
        widths = [42 * mm, 16 * mm, 27 * mm, 47 * mm]
        widths.append(CONTENT_WIDTH - sum(widths))
        story.append(_table(data, widths, align_right_from=99, extra=[("VALIGN", (0, 0), (-1, -1), "TOP")]))
    for note in (sec or {}).get("notes", []):
        story.append(_p(_text(note), "body"))
    story.append(_p("What changed since the last approved snapshot", "h2"))
    changes = summary.get("changes", [])
    for line in changes[:MAX_CHANGE_LINES + 1]:
        story.append(_p(f"&bull; {_text(line)}", "body"))
    if len(changes) > MAX_CHANGE_LINES + 1:
        story.append(_p(f"&bull; and {len(changes) - MAX_CHANGE_LINES - 1} more (see the headline measures).", "body"))
    story.append(_p("Figures are frozen when a snapshot is made; later loads and revisions do not change them. "
                    f"{SUPPRESSED} marks a count suppressed to protect confidentiality. Sources and rules are in "
                    "the appendix.", "small"))
    return story


def _view_lines(doc: SnapshotDoc) -> list:
    """Which view a current-view pack covers: its slicers, and what stays partnership-wide."""
    view = doc.content["meta"].get("view")
    if not view:
        return [_p("<b>View: the whole partnership.</b>", "body")] if is_view(doc) else []
    return [_p(f"<b>View: {_text(view['description'])}</b>. The measures, their breakdowns and the exception "
               f"report cover this view only; {_text(view['partnership_wide'])} cover the whole partnership.",
               "body")]


def _status_cell(status: str) -> Paragraph:
    colour = STATUS_COLOURS.get(status, "#4a5560")
    return Paragraph(f'<font color="{colour}"><b>{_text(status)}</b></font>', STYLES["cell"])


def _headline(doc: SnapshotDoc) -> list:
    meta = doc.content["meta"]
    quarter = {r["metric_code"]: r for r in doc.section("kpis_quarter")["rows"]}
    year = doc.section("kpis_fytd")["rows"]
    names = {p["priority_code"]: p["name"] for p in meta["priorities"]}
    header = [[_p("<b>Measure</b>", "cell"), "Quarter", "", "", f"{meta['financial_year']} to date", "", "", ""],
              ["", "Value", "Target", "Status", "Value", "Target", "% of target so far", "Status"]]
    data, extra = header, [("SPAN", (1, 0), (3, 0)), ("SPAN", (4, 0), (7, 0)), ("SPAN", (0, 0), (0, 1)),
                           ("ALIGN", (1, 0), (-1, 1), "CENTER")]
    current = None
    for r in sorted(year, key=lambda r: (r["priority_code"] == "", r["priority_code"], r["name"])):
        if r["priority_code"] != current:
            current = r["priority_code"]
            label = f"{current} {names.get(current, '')}" if current else "Outcome measures"
            data.append([_p(f"<b>{_text(label)}</b>", "cell"), "", "", "", "", "", "", ""])
            row = len(data) - 1
            extra += [("SPAN", (0, row), (-1, row)), ("BACKGROUND", (0, row), (-1, row), colors.HexColor("#EEF2F6"))]
        q = quarter.get(r["metric_code"], {})
        unit = r["unit"]
        data.append([
            _p(_text(r["name"]), "cell"), display(q.get("value"), "value", unit),
            display(q.get("target"), "value", unit),
            _status_cell(q.get("status", "")), display(r["value"], "value", unit), display(r["target"], "value", unit),
            display(r["share_to_date_pct"], "pct"), _status_cell(r["status"]),
        ])
    widths = [62 * mm, 17 * mm, 17 * mm, 17 * mm, 17 * mm, 17 * mm, 15 * mm]
    widths.append(CONTENT_WIDTH - sum(widths))
    return [
        _p("Headline measures", "h1"),
        _p(f"Every measure for {meta['quarter']} and for {meta['financial_year']} to date, against its expected "
           "position for the months elapsed. " + _text(meta["rules"][0]), "body"),
        _table(data, widths, header_rows=2, extra=extra),
        _p(_text(basis_summary(year)), "small"),
        _p(_text(meta["disclosure"]["rule"]), "small"),
    ]


def _commentary(doc: SnapshotDoc) -> list:
    """Partner commentary for the quarter and the figures accepted against a plausibility warning, listed in
    full (they are what a board member asks about a surprising figure)."""
    notes, accepted = doc.section("partner_commentary"), doc.section("accepted_warnings")
    if notes is None and accepted is None:
        return []  # a snapshot made before commentary was kept: say nothing rather than "none"
    story: list = [_p("Partner commentary", "h1")]
    if notes is not None:
        story.append(_p(_text(notes["description"]), "small"))
        if notes["rows"]:
            data = [["Project", "Measure", "Area", "Commentary"]]
            for r in notes["rows"]:
                data.append([_p(f"{_text(r['project_code'])} {_text(r['project_name'])}", "cell"),
                             _p(_text(r["measure"]), "cell"), _p(_text(r["area"]), "cell"),
                             _p(_text(r["note"]), "cell")])
            widths = [40 * mm, 38 * mm, 25 * mm]
            story.append(_table(data, widths + [CONTENT_WIDTH - sum(widths)], align_right_from=99,
                                extra=[("VALIGN", (0, 0), (-1, -1), "TOP")]))
        else:
            story.append(_p(f"No partner sent commentary with a return for {_text(doc.quarter)}.", "body"))
    if accepted is not None:
        story.append(_p(_text(accepted["title"]), "h2"))
        story.append(_p(_text(accepted["description"]), "small"))
        if accepted["rows"]:
            data = [["Project", "Measure", "Area", "Month", "Figure", "Warning", "Reason accepted"]]
            for r in accepted["rows"]:
                data.append([_text(r["project_code"]), _p(_text(r["measure"]), "cell"), _p(_text(r["area"]), "cell"),
                             _text(r["period"]), display(r["value"], "number"), _p(_text(r["warning"]), "cell"),
                             _p(f"{_text(r['reason'])} ({_text(r['accepted_by'])})", "cell")])
            widths = [16 * mm, 30 * mm, 20 * mm, 15 * mm, 14 * mm, 45 * mm]
            story.append(_table(data, widths + [CONTENT_WIDTH - sum(widths)], align_right_from=99,
                                extra=[("VALIGN", (0, 0), (-1, -1), "TOP")]))
        else:
            story.append(_p("No figure in force was accepted against a warning.", "body"))
    return story


def _figures(doc: SnapshotDoc) -> list[tuple[str, object, str]]:
    """(key, figure, text alternative) for every chart of the pack."""
    meta = doc.content["meta"]
    out = []
    year = doc.section("kpis_fytd")["rows"]
    for p in meta["priorities"]:
        rows = [r for r in year if r["priority_code"] == p["priority_code"]]
        fig, alt = figures.priority_figure(rows, f"{p['priority_code']}: progress to date, {meta['financial_year']}")
        out.append((f"priority:{p['priority_code']}", fig, alt))
    spend = doc.section("spend")
    if spend:
        fig, alt = figures.spend_figure(spend["rows"], meta["financial_year"])
        out.append(("spend", fig, alt))
    trend = doc.section("health_trend")
    if trend and trend["rows"]:
        fig, alt = figures.health_figure(trend["rows"], "Hospital admissions for violence per 100,000, "
                                         "partnership areas beside England")
        out.append(("health_trend", fig, alt))
    for key in ("crime_trend", "grip_effect"):
        sec = doc.section(key)
        chart = (sec or {}).get("chart") or {}
        if chart.get("kind") == "line":
            fig, alt = figures.series_figure(sec["rows"], chart["x"], chart["y"], sec["title"], chart.get(
                "x_title", ""), chart.get("y_title", ""), {c["key"]: c["label"] for c in sec["columns"]})
            out.append((key, fig, alt))
        elif chart.get("kind") == "forest":
            fig, alt = figures.forest_figure(sec["rows"], "Rate ratio at each hotspot, with 95% interval")
            out.append((key, fig, alt))
    return out


def _optional_section(doc: SnapshotDoc, key: str, heading: str, missing: str, images: dict) -> list:
    sec = doc.section(key)
    story = [_p(heading, "h1")]
    if sec is None:
        return [*story, _p(missing, "body")]
    story = [_whole(*story, _p(_text(sec.get("description", "")), "body"), *images.get(key, []))]
    for note in sec.get("notes", []):
        story.append(_p(_text(note), "small"))
    return story


def _funding(doc: SnapshotDoc, images: dict) -> list:
    story: list = [_p("Funding and spend", "h1")]
    funding, spend, projects = doc.section("funding"), doc.section("spend"), doc.section("spend_projects")
    if funding is None:
        return [*story, _p("No funding and spend figures are available in this snapshot.", "body")]
    story.append(_p(_text(funding["title"]), "h2"))
    data = [["Stream", "Source", "Funding", "Granted", "Not granted", "Projects"]]
    for r in funding["rows"]:
        data.append([_text(r["funding_stream"]), _p(_text(r["source_body"]), "cell"),
                     display(r["amount_gbp"], "gbp"), display(r["granted_gbp"], "gbp"),
                     display(r["unallocated_gbp"], "gbp"), display(r["projects"], "count")])
    story[-1] = _whole(story[-1], _table(data, [25 * mm, 55 * mm, 25 * mm, 25 * mm, 25 * mm,
                                                CONTENT_WIDTH - 155 * mm], align_right_from=2))
    if spend:
        story.append(_p(_text(spend["title"]), "h2"))
        story.append(_p(_text(spend["description"]), "body"))
        story += images.get("spend", [])
        for note in spend["notes"]:
            story.append(_p(_text(note), "body"))
    if projects:
        flagged = [r for r in projects["rows"] if r["flag"] in ("underspend", "overspend")]
        flagged.sort(key=lambda r: -abs(float(r["variance_pct"] or 0)))
        if flagged:
            heading = [_p(f"Projects forecast to under- or overspend by more than 10% ({len(flagged)})", "h2"),
                       _p("Variance: year-end forecast against grant, as % of the grant.", "small")]
            data = [["Code", "Project", "Grant", "Spent", "Forecast", "Variance", "Flag"]]
            for r in flagged[:TOP_FLAGGED]:
                data.append([_text(r["project_code"]), _p(_text(r["project_name"]), "cell"),
                             display(r["awarded_gbp"], "gbp"), display(r["spend_to_date_gbp"], "gbp"),
                             display(r["forecast_gbp"], "gbp"), display(r["variance_pct"], "pct"), _text(r["flag"])])
            story.append(_whole(*heading, _table(data, [15 * mm, 64 * mm, 19 * mm, 19 * mm, 19 * mm, 16 * mm,
                                                        CONTENT_WIDTH - 152 * mm], align_right_from=2)))
            if len(flagged) > TOP_FLAGGED:
                story.append(_p(f"The {TOP_FLAGGED} furthest from their grant are shown; all {len(flagged)} are in "
                                "the spreadsheet export (sheet 'Spend by project').", "small"))
    return story


def _completeness(doc: SnapshotDoc) -> list:
    meta = doc.content["meta"]
    story: list = [_p("Data completeness and sources", "h1")]
    sec = doc.section("completeness")
    if sec:
        for note in sec["notes"]:
            story.append(_p(_text(note), "body"))
        missing = [r for r in sec["rows"] if r["status"] == "missing"]
        late = [r for r in sec["rows"] if r["status"] == "late"]
        if missing:
            story.append(_p("Missing returns: " + "; ".join(
                f"{_text(r['project_code'])} {_text(r['project_name'])}" for r in missing) + ".", "body"))
        if late:
            story.append(_p("Late returns: " + "; ".join(
                f"{_text(r['project_code'])} ({r['days_late']} days)" for r in late) + ".", "body"))
    no_data = meta["metrics_without_data"]
    story.append(_p(f"The data run to {meta['data_runs_to']}. Measures with no data in the quarter: "
                    f"{_text(', '.join(no_data)) if no_data else 'none'}.", "body"))
    story.append(_p(f"Disclosure control: {_text(meta['disclosure']['rule'])} {meta['disclosure']['suppressed_cells']} "
                    "cells are suppressed across the snapshot's tables.", "body"))
    return story


def _outcomes(doc: SnapshotDoc, images: dict) -> list:
    """The Home Office's outcome measures: one line each, the health trend chart, the police measures."""
    story: list = [_p("Outcome measures", "h1")]
    sec = doc.section("outcome_measures")
    if sec is None:
        return [*story, _p("This snapshot was made before outcome measures were reported.", "body")]
    story.append(_p(_text(sec["description"]), "body"))
    data = [["Measure", "Period", "Value", "Interval", "Baseline", "Note"]]
    for r in sec["rows"]:
        data.append([_p(_text(r["measure"]), "cell"), _p(_text(r["period"]), "cell"),
                     _p(_text(r["value"]), "cell"), _p(_text(r["interval"]), "cell"), _p(_text(r["baseline"]), "cell"),
                     _p(_text(r["note"]), "cell")])
    widths = [42 * mm, 22 * mm, 18 * mm, 30 * mm, 22 * mm]
    widths.append(CONTENT_WIDTH - sum(widths))
    story.append(_table(data, widths, align_right_from=99, extra=[("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(_p("Sources and definitions: " + "; ".join(dict.fromkeys(
        f"{r['source']}" for r in sec["rows"] if r["source"] != "none")) + ". " + _text(next(
            (r["definition"] for r in sec["rows"] if r["measure"].startswith("Hospital")), "")), "small"))
    police = doc.section("police_outcomes")
    if police:
        rows = [["Measure", "Financial year", "Months", "Offences", "Change on first full year"]]
        for r in police["rows"]:
            rows.append([_text(r["measure"]), _text(r["financial_year"]), display(r["months"], "count"),
                         display(r["crimes"], "count"), display(r["change_pct"], "pct")])
        story.append(_whole(_p(_text(police["title"]), "h2"), _p(_text(police["description"]), "small"),
                            _table(rows, [60 * mm, 30 * mm, 20 * mm, 30 * mm, CONTENT_WIDTH - 140 * mm],
                                   align_right_from=2) if police["rows"] else
                            _p("No police.uk data had been loaded when this was made.", "body")))
    trend = doc.section("health_trend")
    if trend and "health_trend" in images:
        story.append(_whole(_p("Hospital admissions for violence against the pre-2019 baseline", "h2"),
                            _p(_text(trend["description"]), "small"), *images["health_trend"]))
    return story


def _appendix(doc: SnapshotDoc) -> list:
    """Provenance, compact: the facts of the pack, then one short line per load batch in two columns."""
    meta = doc.content["meta"]
    story: list = [_p("Appendix: about this pack and its sources", "h2")]
    rows = [[_p(f"<b>{_text(k)}</b>", "tiny"), _p(_text(v), "tiny")] for k, v in _facts(doc)]
    story.append(_table(rows, [32 * mm, CONTENT_WIDTH - 32 * mm], header_rows=0, align_right_from=99,
                        extra=[("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    batches = meta["source_batches"]
    story.append(_p(f"Source load batches ({len(batches)}): batch, file, kind, loaded, first 12 characters of "
                    "the file's SHA-256 (the full hashes are in the spreadsheet's cover sheet).", "small"))
    lines = [f"#{b['id']} {_text(b['file_name'])} ({_text(b['kind'])}, {b['loaded_at'][:10]}) "
             f"{_text(b['sha256'][:12])}" for b in batches]
    half = (len(lines) + 1) // 2
    cells = [[_p(lines[i], "tiny"), _p(lines[i + half], "tiny") if i + half < len(lines) else ""]
             for i in range(half)]
    if cells:
        grid = Table(cells, colWidths=[CONTENT_WIDTH / 2] * 2)
        grid.setStyle(TableStyle([("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                                  ("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(grid)
    story.append(_p("Rules", "h2"))
    for rule in meta["rules"]:
        story.append(_p(_text(rule), "tiny"))
    return story


def render_pdf(doc: SnapshotDoc) -> bytes:
    charts = _figures(doc)
    pngs = figures.render_png([fig for _k, fig, _a in charts], CHART_SCALE)
    images: dict[str, list] = {}
    for (key, fig, alt), png in zip(charts, pngs, strict=True):
        flow = _image(png, fig.layout.width or figures.WIDTH, fig.layout.height or figures.HEIGHT)
        images[key] = [flow, _p("Chart in words: " + _text(alt), "small")]

    story = _summary(doc) + [PageBreak()] + _headline(doc) + [Spacer(1, 4 * mm), *_commentary(doc)]
    story += [PageBreak(), _p("Progress by priority", "h1")]
    meta = doc.content["meta"]
    story.append(_p("Each measure's value for the financial year to date as a share of its target to date; the "
                    "dashed line is the target. Colour and label give the status.", "body"))
    for p in meta["priorities"]:
        story.append(KeepTogether([_p(_text(f"{p['priority_code']} {p['name']}"), "h2"),
                                   *images.get(f"priority:{p['priority_code']}", [])]))
    story += [PageBreak(), *_funding(doc, images), PageBreak(), *_outcomes(doc, images), PageBreak()]
    story += _optional_section(doc, "crime_trend", "Crime trend", "Police crime figures are not available in this "
                               "snapshot (no crime data had been loaded when it was made).", images)
    # No forced breaks from here: a section without data is a sentence, and must not leave a page with
    # nothing else on it; charts and tables keep themselves whole (KeepTogether).
    story += [Spacer(1, 4 * mm), *_optional_section(doc, "grip_effect", "Grip hotspot patrols", "Grip patrol "
                                                    "figures are not available in this snapshot (no patrol data had "
                                                    "been loaded when it was made).", images)]
    story += [Spacer(1, 4 * mm), *_completeness(doc), Spacer(1, 4 * mm), *_appendix(doc)]

    buf = io.BytesIO()
    pages = _Pages(doc)
    pdf = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=16 * mm, bottomMargin=16 * mm,
        title=f"Essex VVU board pack {doc.quarter}", author="Essex VVU outcomes dashboard",
        subject=f"Snapshot {doc.id}, content SHA-256 {doc.content_sha256}", creator="Essex VVU outcomes dashboard",
        invariant=1, lang="en-GB",
    )
    pdf.build(story, onFirstPage=pages.first, onLaterPages=pages.later)
    return buf.getvalue()
