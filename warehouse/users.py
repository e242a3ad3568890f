"""Users, sessions, API tokens, sign-in throttling and the audit log: every write about access.

The web app and ``python -m etl users|token|audit`` both call these, so the rules (a partner needs an
organisation, a disabled user has no live session or token, secrets stored only as hashes) hold
whichever door is used. Nothing here reads the request: callers pass the address and the actor.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, delete, func, select, update

from warehouse.access_models import ROLES, ApiToken, AppUser, AuditEvent, LoginThrottle, UserSession
from warehouse.audit import utc_now
from warehouse.queries import _frame

NAME = re.compile(r"^[A-Za-z0-9_.@\-]{2,100}$")
MIN_PASSWORD = 12
TOKEN_PREFIX = "vvu_"


@functools.cache
def _dummy_hash() -> str:
    """Verified when the name is unknown, so a wrong name costs the same time as a wrong password.
    Made on first use, not at import: scrypt costs ~0.1 s, paid by every command that imports this
    module (``python -m etl`` builds its parser from ``etl.access_cli``) though few sign anyone in."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(secrets.token_urlsafe(16))


def warm_dummy_hash() -> None:
    """Make the dummy hash before the first sign-in (the web app calls this as it starts)."""
    _dummy_hash()


def _hash(password: str) -> str:
    """werkzeug imported here: its package import costs ~0.07 s in every command that builds the parser."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password)


def _matches(hashed: str, password: str) -> bool:
    from werkzeug.security import check_password_hash

    return check_password_hash(hashed, password)


class AccessError(ValueError):
    """A refused user or token change, with a message fit for the command line."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: enough to decide access, nothing secret."""

    user_id: int
    name: str
    role: str
    org: str = ""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# ------------------------------------------------------------------------------------------------
# Users
# ------------------------------------------------------------------------------------------------

def add_user(engine: Engine, name: str, role: str, org: str = "") -> Principal:
    if not NAME.match(name or ""):
        raise AccessError("user name: 2-100 letters, digits or . _ @ -")
    if role not in ROLES:
        raise AccessError(f"role must be one of {', '.join(ROLES)}")
    org = (org or "").strip().upper()
    if role == "partner" and not org:
        raise AccessError("a partner user needs --org (their organisation code)")
    if role != "partner" and org:
        raise AccessError("--org is for partner users only")
    with engine.begin() as conn:
        if org:
            from warehouse import models as m

            if conn.scalar(select(func.count()).where(m.Organisation.org_code == org)) == 0:
                raise AccessError(f"no organisation with code {org!r} in the reference data")
        if conn.scalar(select(AppUser.id).where(AppUser.name == name)) is not None:
            raise AccessError(f"user {name!r} already exists")
        uid = conn.execute(AppUser.__table__.insert().values(
            name=name, role=role, org_code=org, password_hash="", disabled=False, created_at=utc_now())
        ).inserted_primary_key[0]
    return Principal(uid, name, role, org)


def set_password(engine: Engine, name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccessError(f"a password needs at least {MIN_PASSWORD} characters")
    with engine.begin() as conn:
        done = conn.execute(update(AppUser).where(AppUser.name == name)
                            .values(password_hash=_hash(password))).rowcount
        if not done:
            raise AccessError(f"no user {name!r}")
        uid = conn.scalar(select(AppUser.id).where(AppUser.name == name))
        conn.execute(update(UserSession).where(UserSession.user_id == uid, UserSession.ended_at.is_(None))
                     .values(ended_at=utc_now()))  # a new password ends every old session


def set_disabled(engine: Engine, name: str, disabled: bool = True) -> None:
    """Disable (or re-enable) a user; disabling ends their sessions and revokes their tokens at once."""
    now = utc_now()
    with engine.begin() as conn:
        uid = conn.scalar(select(AppUser.id).where(AppUser.name == name))
        if uid is None:
            raise AccessError(f"no user {name!r}")
        conn.execute(update(AppUser).where(AppUser.id == uid).values(disabled=disabled))
        if disabled:
            conn.execute(update(UserSession).where(UserSession.user_id == uid, UserSession.ended_at.is_(None))
                         .values(ended_at=now))
            conn.execute(update(ApiToken).where(ApiToken.user_id == uid, ApiToken.revoked_at.is_(None))
                         .values(revoked_at=now))


def list_users(engine: Engine) -> pd.DataFrame:
    """Columns: name, role, org_code, disabled, has_password, created_at (never the hash)."""
    t = AppUser.__table__
    stmt = select(t.c.name, t.c.role, t.c.org_code, t.c.disabled, t.c.password_hash != "", t.c.created_at
                  ).order_by(t.c.name)
    return _frame(engine, stmt, ["name", "role", "org_code", "disabled", "has_password", "created_at"])


def verify_password(engine: Engine, name: str, password: str) -> Principal | None:
    """The user if the name and password match an enabled user; one hash is computed either way."""
    with engine.connect() as conn:
        row = conn.execute(select(AppUser.id, AppUser.name, AppUser.role, AppUser.org_code, AppUser.password_hash,
                                  AppUser.disabled).where(AppUser.name == name)).first()
    hashed = row.password_hash if row is not None and row.password_hash else _dummy_hash()
    ok = _matches(hashed, password)
    if row is None or not row.password_hash or row.disabled or not ok:
        return None
    return Principal(row.id, row.name, row.role, row.org_code)


def user_exists(engine: Engine, name: str) -> bool:
    with engine.connect() as conn:
        return conn.scalar(select(AppUser.id).where(AppUser.name == name)) is not None


# ------------------------------------------------------------------------------------------------
# Sessions
# ------------------------------------------------------------------------------------------------

def start_session(engine: Engine, principal: Principal) -> str:
    """A new session id (the cookie value); only its digest is stored."""
    sid = secrets.token_urlsafe(32)
    now = utc_now()
    with engine.begin() as conn:
        conn.execute(UserSession.__table__.insert().values(id_hash=_digest(sid), user_id=principal.user_id,
                                                           created_at=now, last_seen_at=now, ended_at=None))
    return sid


def session_principal(engine: Engine, sid: str, idle: timedelta) -> Principal | None:
    """The session's user if it is live (not ended, not idle too long, user enabled); touches it."""
    if not sid or len(sid) > 100:
        return None
    digest = _digest(sid)
    now = utc_now()
    with engine.connect() as conn:
        row = conn.execute(
            select(AppUser.id, AppUser.name, AppUser.role, AppUser.org_code, UserSession.last_seen_at)
            .join(AppUser, AppUser.id == UserSession.user_id)
            .where(UserSession.id_hash == digest, UserSession.ended_at.is_(None), AppUser.disabled.is_(False))
        ).first()
    if row is None:
        return None
    if now - row.last_seen_at > idle:
        end_session(engine, sid)
        return None
    if now - row.last_seen_at > timedelta(seconds=30):  # write at most twice a minute per session
        with engine.begin() as conn:
            conn.execute(update(UserSession).where(UserSession.id_hash == digest).values(last_seen_at=now))
    return Principal(row.id, row.name, row.role, row.org_code)


def end_session(engine: Engine, sid: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(UserSession)
                     .where(UserSession.id_hash == _digest(sid or ""), UserSession.ended_at.is_(None))
                     .values(ended_at=utc_now()))


# ------------------------------------------------------------------------------------------------
# API tokens
# ------------------------------------------------------------------------------------------------

def create_token(engine: Engine, name: str, label: str = "") -> tuple[int, str]:
    """(token id, token): the token is shown once and stored only as its digest."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        row = conn.execute(select(AppUser.id, AppUser.disabled).where(AppUser.name == name)).first()
        if row is None or row.disabled:
            raise AccessError(f"no enabled user {name!r}")
        tid = conn.execute(ApiToken.__table__.insert().values(
            user_id=row.id, token_hash=_digest(token), label=label[:100], created_at=utc_now(), revoked_at=None)
        ).inserted_primary_key[0]
    return tid, token


def revoke_token(engine: Engine, token_id: int) -> str:
    """Revoke a token by its id; returns the user it belonged to."""
    with engine.begin() as conn:
        row = conn.execute(select(AppUser.name).join(ApiToken, ApiToken.user_id == AppUser.id)
                           .where(ApiToken.id == token_id)).first()
        if row is None:
            raise AccessError(f"no token #{token_id}")
        conn.execute(update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
                     .values(revoked_at=utc_now()))
    return row.name


def list_tokens(engine: Engine) -> pd.DataFrame:
    """Columns: id, user, label, created_at, revoked_at (never the token)."""
    stmt = (select(ApiToken.id, AppUser.name, ApiToken.label, ApiToken.created_at, ApiToken.revoked_at)
            .join(AppUser, AppUser.id == ApiToken.user_id).order_by(ApiToken.id))
    return _frame(engine, stmt, ["id", "user", "label", "created_at", "revoked_at"])


def token_principal(engine: Engine, token: str) -> Principal | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            select(AppUser.id, AppUser.name, AppUser.role, AppUser.org_code)
            .join(ApiToken, ApiToken.user_id == AppUser.id)
            .where(ApiToken.token_hash == _digest(token), ApiToken.revoked_at.is_(None), AppUser.disabled.is_(False))
        ).first()
    return Principal(row.id, row.name, row.role, row.org_code) if row is not None else None


# ------------------------------------------------------------------------------------------------
# Throttling
# ------------------------------------------------------------------------------------------------

def locked_until(engine: Engine, keys: list[str]) -> datetime | None:
    """The latest lock among ``keys`` still in force, else None."""
    now = utc_now()
    with engine.connect() as conn:
        until = conn.scalar(select(func.max(LoginThrottle.locked_until))
                            .where(LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now))
    return until


def record_failure(engine: Engine, keys: list[str], max_failures: int, window: timedelta, lock: timedelta) -> None:
    """Count a failed sign-in against each key; lock a key once it reaches ``max_failures`` in ``window``."""
    now = utc_now()
    with engine.begin() as conn:
        for key in keys:
            row = conn.execute(select(LoginThrottle.failures, LoginThrottle.window_start)
                               .where(LoginThrottle.key == key)).first()
            if row is None or now - row.window_start > window:
                conn.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
                conn.execute(LoginThrottle.__table__.insert().values(key=key, failures=1, window_start=now,
                                                                     locked_until=None))
                failures = 1
            else:
                failures = row.failures + 1
                conn.execute(update(LoginThrottle).where(LoginThrottle.key == key).values(failures=failures))
            if failures >= max_failures:
                conn.execute(update(LoginThrottle).where(LoginThrottle.key == key).values(locked_until=now + lock))


def clear_failures(engine: Engine, keys: list[str]) -> None:
    with engine.begin() as conn:
        conn.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))


# ------------------------------------------------------------------------------------------------
# Audit log
# ------------------------------------------------------------------------------------------------

def audit(engine: Engine, action: str, actor: str, role: str = "", target: str = "", outcome: str = "ok",
          address: str = "", detail: str = "") -> None:
    """Record one action. Callers pass codes and ids, never passwords, tokens or personal data."""
    with engine.begin() as conn:
        conn.execute(AuditEvent.__table__.insert().values(
            at=utc_now(), actor=actor[:100], role=role[:20], action=action[:50], target=str(target)[:200],
            outcome=outcome[:20], address=address[:64], detail=detail[:2000]))


AUDIT_COLUMNS = ["at", "actor", "role", "action", "target", "outcome", "address", "detail"]


def audit_log(engine: Engine, limit: int = 200, action: str = "") -> pd.DataFrame:
    """Newest first. Columns: AUDIT_COLUMNS."""
    t = AuditEvent.__table__
    stmt = select(*[t.c[c] for c in AUDIT_COLUMNS])
    if action:
        stmt = stmt.where(t.c.action.like(f"{action}%"))
    return _frame(engine, stmt.order_by(t.c.id.desc()).limit(max(1, min(int(limit), 10_000))), AUDIT_COLUMNS)
