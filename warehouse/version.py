"""The data version, read at most once per request, and memos of what changes only when it does.

The data version (the newest loaded batch id) keys every cached view, so every process sees a new
load at once. Reading it per cached call cost a query each time (a callback makes several cached
calls); inside a *version scope* (one per web request, one per warm-up pass) it is read once and
reused, and outside any scope (the command line, tests) it is read each time, as before.

Reference tables and other view-independent reads (metrics, areas, projects, the return
submissions, the latest month) are memoised per (database, data version) in this process by
``per_version``: a new view then issues only the queries its own filters need. A memo holds the
current version only, so its size is that of the reference data, never of the traffic.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import Engine, func, select

from warehouse import models as m

T = TypeVar("T")
_SCOPE: ContextVar[dict[str, int] | None] = ContextVar("vvu_version_scope", default=None)
MEMO_MAX_ENTRIES = 4096  # per memoised function: bounded even if a caller varies its arguments wildly


def read_version(engine: Engine) -> int:
    """The newest loaded batch id, from the database (0 for an empty warehouse)."""
    with engine.connect() as conn:
        return conn.execute(select(func.max(m.LoadBatch.id)).where(m.LoadBatch.outcome == "loaded")).scalar() or 0


def current_version(engine: Engine) -> int:
    """The data version for this request: read once per version scope, else read now."""
    scope = _SCOPE.get()
    if scope is None:
        return read_version(engine)
    key = str(engine.url)
    version = scope.get(key)
    if version is None:
        version = scope[key] = read_version(engine)
    return version


def begin_scope(known: dict[str, int] | None = None) -> Token:
    """Start a version scope (a web request's before-hook); ``known`` pre-sets versions already read."""
    return _SCOPE.set(dict(known or {}))


def end_scope(token: Token) -> None:
    _SCOPE.reset(token)


@contextmanager
def version_scope(known: dict[str, int] | None = None) -> Iterator[None]:
    """Read each database's version once within the block (a warm-up pass, a batch of exports)."""
    token = begin_scope(known)
    try:
        yield
    finally:
        end_scope(token)


def per_version(fn: Callable[..., T]) -> Callable[..., T]:
    """Memoise ``fn(engine, *args)`` per database and data version, in this process.

    For reads that depend only on loaded data, not on who asks: never for anything scoped to a
    user (a partner's organisation must be an explicit argument, and then it is part of the key).
    DataFrames are handed out as copies, so a caller that adds a column cannot change the memo.
    """
    memo: dict[tuple, tuple[int, Any]] = {}
    lock = threading.Lock()

    @functools.wraps(fn)
    def wrapper(engine: Engine, *args: Any) -> T:
        version = current_version(engine)
        key = (str(engine.url), args)
        hit = memo.get(key)
        if hit is None or hit[0] != version:
            value = fn(engine, *args)
            with lock:
                if len(memo) >= MEMO_MAX_ENTRIES:
                    memo.clear()
                memo[key] = (version, value)
        else:
            value = hit[1]
        if isinstance(value, pd.DataFrame):
            return value.copy()
        return list(value) if isinstance(value, list) else value  # type: ignore[return-value]

    wrapper.uncached = fn  # type: ignore[attr-defined]
    wrapper.clear = memo.clear  # type: ignore[attr-defined]
    return wrapper
