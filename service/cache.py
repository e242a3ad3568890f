"""Caching keyed on (function, filters, data version): Redis when CACHE_URL is set, else in-process.

The data version is read from the database on each call, so every gunicorn worker sees a new load
at once even though each keeps its own in-process cache.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import pickle
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine

from settings import load_settings
from warehouse.queries import data_version

T = TypeVar("T")
# The data version a cached computation is running for, so what it calls can key on it without asking
# the database again (service.gate's metric list).
DATA_VERSION: contextvars.ContextVar[tuple[str, int] | None] = contextvars.ContextVar("data_version", default=None)
_LOCAL: OrderedDict[str, Any] = OrderedDict()
_LOCAL_MAX = 512
_REDIS: Any = None
TTL_SECONDS = 3600


def _redis() -> Any:
    global _REDIS
    url = load_settings().cache_url
    if not url:
        return None
    if _REDIS is None:
        import redis

        _REDIS = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
    return _REDIS


def cached(fn: Callable[..., T]) -> Callable[..., T]:
    """Cache ``fn(engine, *args)``; args must have a stable ``repr`` (filters, strings, numbers)."""

    @functools.wraps(fn)
    def wrapper(engine: Engine, *args: Any, **kwargs: Any) -> T:
        # The disclosure threshold is part of every key: a page rendered from protected counts under
        # one threshold must never be served under another.
        version = data_version(engine)
        key = (f"vvu:{fn.__module__}.{fn.__qualname__}:{engine.url!r}:{version}:"
               f"t{load_settings().suppression_threshold}:{args!r}:{kwargs!r}")
        if key in _LOCAL:
            _LOCAL.move_to_end(key)
            return _LOCAL[key]
        client = _redis()
        if client is not None:
            try:
                blob = client.get(key)
                if blob is not None:
                    value = pickle.loads(blob)  # noqa: S301 - our own cache, not user input
                    _remember(key, value)
                    return value
            except Exception:  # noqa: BLE001 - a cache outage must not break the page
                client = None
        token = DATA_VERSION.set((str(engine.url), version))
        try:
            value = fn(engine, *args, **kwargs)
        finally:
            DATA_VERSION.reset(token)
        _remember(key, value)
        if client is not None:
            with contextlib.suppress(Exception):  # a cache outage must not break the page
                client.setex(key, TTL_SECONDS, pickle.dumps(value))
        return value

    wrapper.uncached = fn  # type: ignore[attr-defined]
    return wrapper


def _remember(key: str, value: Any) -> None:
    _LOCAL[key] = value
    while len(_LOCAL) > _LOCAL_MAX:
        _LOCAL.popitem(last=False)


def clear_local() -> None:
    _LOCAL.clear()
