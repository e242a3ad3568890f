"""The exception report's entry (explanation and action agreed for a measure off track or at risk),
shared by the measure's card on the Priorities page and the Reporting page.

Both pages write the same row (``reporting.exceptions``, table ``measure_exception``), so a snapshot
keeps whichever was entered last. This module holds the form and the one guarded write: the role is
checked on the server (callbacks are public JSON endpoints; CSRF and origin are checked for every
callback by ``dashboard.auth``), the text by ``reporting.exceptions``, and every attempt is audited.
It holds no callbacks: each page wires its own ids, so the access table keeps them with the page.
"""

from __future__ import annotations

from dash import dcc, html

from dashboard.access import MAKES_DRAFTS
from dashboard.engine import engine
from reporting import exceptions


def who() -> tuple[str, str]:
    """(name, role) of the request: the signed-in user, or the open development-mode developer."""
    from dashboard.auth import current

    principal = current()
    return (principal.name[:100], principal.role) if principal else ("developer", "admin")


def audit_action(action: str, target: str, outcome: str = "ok", detail: str = "") -> None:
    """One line in the audit log for a write made through a page."""
    from flask import request

    from warehouse.users import audit

    name, role = who()
    audit(engine(), action, name, role, target, outcome, (request.remote_addr or "")[:64], detail)


def entry_block(row: dict, quarter: str, editable: bool, prefix: str) -> html.Fieldset:
    """One measure's status, and its explanation and action fields (ids ``{prefix}-exc-*``, indexed by code)."""
    code, entered = row["metric_code"], row["entered_by"]
    return html.Fieldset([
        html.Legend([html.Strong(row["name"]), f" ({code}), exception report {quarter}: ",
                     html.Span(row["status"], className="status status-risk")]),
        html.Label([html.Span("Explanation", className="form-label"), dcc.Textarea(
            id={"type": f"{prefix}-exc-expl", "index": code}, maxLength=exceptions.MAX_TEXT, disabled=not editable,
            value="" if not entered else row["explanation"], className="form-control", rows=2)]),
        html.Label([html.Span("Action agreed", className="form-label"), dcc.Textarea(
            id={"type": f"{prefix}-exc-action", "index": code}, maxLength=exceptions.MAX_TEXT,
            disabled=not editable, value="" if not entered else row["action"], className="form-control", rows=2)]),
        html.Button("Save", id={"type": f"{prefix}-exc-save", "index": code}, n_clicks=0, type="button",
                    className="btn-secondary", disabled=not editable,
                    **{"aria-label": f"Save the explanation and action for {row['name']}"}),
        html.Small(f" Entered by {entered}." if entered else " Not yet entered.", className="footnote"),
    ], className="reporting-exception", id=f"{prefix}-exception-{code.lower()}")


def save_entry(code: str, quarter: str, explanation: object, action: object) -> tuple[bool, str]:
    """Save one measure's entry as the request's user: (saved, a sentence for the page)."""
    name, role = who()
    if role not in MAKES_DRAFTS:
        audit_action("exception.save", f"{str(code)[:40]} {str(quarter)[:20]}", "refused", "role cannot enter")
        return False, "Not saved: your role cannot enter the exception report."
    try:
        exceptions.save_exception(engine(), code, quarter, str(explanation or ""), str(action or ""), name)
    except ValueError as exc:
        return False, f"Not saved: {exc}."
    audit_action("exception.save", f"{code} {quarter}")
    return True, f"Saved the exception report entry for {code}, {quarter}. Snapshots made from now on keep it."
