"""Audit log (admins only, enforced by dashboard.access): who did what, when and from where.

Reads ``warehouse.users.audit_log``; the command line has the same with ``python -m etl audit``.
Entries hold user names, actions, codes and addresses, never passwords, tokens or personal data.
"""

from __future__ import annotations

import dash
from dash import html

from dashboard.engine import engine
from warehouse.users import AUDIT_COLUMNS, audit_log

dash.register_page(__name__, path="/admin/audit", title="Audit log - Essex VVU outcomes", name="Audit log", order=20)

LIMIT = 500


def layout(**query: str) -> html.Div:
    action = str(query.get("action", ""))[:50]
    frame = audit_log(engine(), LIMIT, action)
    rows = [html.Tr([html.Td("" if v is None else str(v)) for v in row]) for row in frame.itertuples(index=False)]
    return html.Div([
        html.H1("Audit log"),
        html.P(f"The newest {LIMIT} entries{' for ' + action if action else ''}, newest first. Times are UTC. "
               "Sign-ins, sign-outs, loads, uploads, exports, snapshot drafts, approvals and rejections, and user "
               "and token changes.", className="lead"),
        html.Div(html.Table([
            html.Caption("Audit log"),
            html.Thead(html.Tr([html.Th(c.replace("_", " ").capitalize(), scope="col") for c in AUDIT_COLUMNS])),
            html.Tbody(rows),
        ], className="data"), className="table-scroll", tabIndex=0, role="region", **{"aria-label": "Audit log"}),
    ], className="page page-audit")
