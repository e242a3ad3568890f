"""Who and when, for the rows that record an action: a load batch, a snapshot made or approved.

Times are UTC without a zone and to the second, the same on SQLite and PostgreSQL; the person is
the operating-system login of whoever runs the command (the web app passes its signed-in user).
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "unknown"
