"""Caching keyed on (function, arguments, data version): Redis when CACHE_URL is set, else in-process.

The data version is read from the database once per request (``warehouse.version``: a web request
is one version scope), so every gunicorn worker sees a new load with its next request even though
each keeps its own in-process cache. The arguments' ``repr`` is part of the key,
so a partner's scoped ``Filters`` (``warehouse.filters.Filters.org``) can never share an entry with
another partner's or with the unscoped view.

Storage is data only: values are encoded with ``service.codec`` (tagged JSON, never pickle) and,
in Redis, signed with an HMAC derived from SECRET_KEY. A value whose signature does not match, or
that does not decode to an allowed type, is ignored, logged and recomputed: whoever can write to
Redis can at worst make a page slower, never run code or change a figure. Both stores are bounded
by bytes, not by entry count, so a few huge views cannot exhaust a worker: Redis by the encoded
size, the in-process store by the memory its values hold (``service.sizes``). Without Redis the
in-process store is the cache (``LOCAL_MAX_BYTES``); with Redis it is only a small front for the hot
views (``LOCAL_MAX_BYTES_WITH_REDIS``), so a worker's memory does not grow with the variety of its
traffic, and values are encoded only when they go to Redis.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import hmac
import logging
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine

from service import codec
from service.sizes import approx_bytes
from settings import load_settings
from warehouse.version import current_version

T = TypeVar("T")
log = logging.getLogger(__name__)
# The data version a cached computation is running for, so what it calls can key on it without asking
# the database again (service.gate's metric list).
DATA_VERSION: contextvars.ContextVar[tuple[str, int] | None] = contextvars.ContextVar("data_version", default=None)

LOCAL_MAX_BYTES = 48 * 1024 * 1024  # per process, in memory (service.sizes): the cache when there is no Redis
LOCAL_MAX_BYTES_WITH_REDIS = 8 * 1024 * 1024  # per process, in front of Redis: the hot views only
VALUE_MAX_BYTES = 16 * 1024 * 1024  # a bigger view is computed each time rather than stored
TTL_SECONDS = 3600
FORMAT = b"v1"

_LOCAL: OrderedDict[str, tuple[Any, int]] = OrderedDict()
_local_bytes = 0
_lock = threading.Lock()
_REDIS: Any = None
_REDIS_URL = ""


def _redis() -> Any:
    global _REDIS, _REDIS_URL
    url = load_settings().cache_url
    if not url:
        return None
    if _REDIS is None or url != _REDIS_URL:
        import redis

        _REDIS = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        _REDIS_URL = url
    return _REDIS


def _signing_key() -> bytes:
    """A key for the cache only, derived from SECRET_KEY (never the session key itself)."""
    return hmac.new(load_settings().secret_key.encode(), b"vvu-cache-signing-v1", hashlib.sha256).digest()


def seal(value: Any) -> bytes:
    """``value`` encoded, compressed and signed: what goes into Redis. Raises CodecError if not cacheable."""
    body = zlib.compress(codec.dumps(value), 1)
    mac = hmac.new(_signing_key(), body, hashlib.sha256).hexdigest().encode()
    return FORMAT + b":" + mac + b":" + body


def unseal(blob: bytes) -> Any:
    """The value ``seal`` stored; raises CodecError when the signature or the data is not right."""
    try:
        fmt, mac, body = blob.split(b":", 2)
    except ValueError as exc:
        raise codec.CodecError("not a sealed cache value") from exc
    expected = hmac.new(_signing_key(), body, hashlib.sha256).hexdigest().encode()
    if fmt != FORMAT or not hmac.compare_digest(mac, expected):
        raise codec.CodecError("signature does not match")
    decompressor = zlib.decompressobj()
    raw = decompressor.decompress(body, VALUE_MAX_BYTES * 8)
    if decompressor.unconsumed_tail:
        raise codec.CodecError("value larger than the cache allows")
    return codec.loads(raw)


def _key(fn: Callable[..., Any], engine: Engine, version: int, args: tuple, kwargs: dict) -> str:
    # The disclosure threshold is part of every key: a page rendered from protected counts under one
    # threshold must never be served under another.
    return (f"vvu:{fn.__module__}.{fn.__qualname__}:{engine.url!r}:{version}:"
            f"t{load_settings().suppression_threshold}:{args!r}:{kwargs!r}")


def cached(fn: Callable[..., T]) -> Callable[..., T]:
    """Cache ``fn(engine, *args)``; args must have a stable ``repr`` (filters, strings, numbers)."""

    @functools.wraps(fn)
    def wrapper(engine: Engine, *args: Any, **kwargs: Any) -> T:
        version = current_version(engine)
        key = _key(fn, engine, version, args, kwargs)
        with _lock:
            hit = _LOCAL.get(key)
            if hit is not None:
                _LOCAL.move_to_end(key)
                return hit[0]
        client = _redis()
        if client is not None:
            value, found = _from_redis(client, key)
            if found:
                return value
        token = DATA_VERSION.set((str(engine.url), version))
        try:
            value = fn(engine, *args, **kwargs)
        finally:
            DATA_VERSION.reset(token)
        size = approx_bytes(value)
        if size > VALUE_MAX_BYTES:
            log.warning("%s: ~%d bytes is over the cache's %d per value; not cached", fn.__qualname__, size,
                        VALUE_MAX_BYTES)
            return value
        if client is None:  # in-process only: nothing to encode (values are never copied or shared)
            _remember(key, value, size)
            return value
        try:
            blob = seal(value)
        except codec.CodecError:
            log.exception("%s returned a value the cache cannot store; not cached", fn.__qualname__)
            return value
        _remember(key, value, size)
        if len(blob) > VALUE_MAX_BYTES:
            return value
        try:
            client.setex(key, TTL_SECONDS, blob)
        except Exception:  # noqa: BLE001 - a cache outage must not break the page
            log.warning("cache unavailable; %s not shared", fn.__qualname__)
        return value

    wrapper.uncached = fn  # type: ignore[attr-defined]
    return wrapper


def _from_redis(client: Any, key: str) -> tuple[Any, bool]:
    try:
        blob = client.get(key)
    except Exception:  # noqa: BLE001 - a cache outage must not break the page
        return None, False
    if blob is None:
        return None, False
    if len(blob) > VALUE_MAX_BYTES:
        log.warning("cache value for %s is oversized (%d bytes); ignored", _short(key), len(blob))
        return None, False
    try:
        value = unseal(blob)
    except (codec.CodecError, zlib.error, KeyError, TypeError, ValueError) as exc:
        log.warning("cache value for %s refused (%s); ignored and recomputed", _short(key), exc)
        return None, False
    _remember(key, value, approx_bytes(value))
    return value, True


def _short(key: str) -> str:
    """The function part of a key, for logs (the arguments may be long)."""
    return key.split(":", 2)[1] if key.count(":") >= 2 else key[:60]


def _remember(key: str, value: Any, size: int) -> None:
    global _local_bytes
    limit = LOCAL_MAX_BYTES if not load_settings().cache_url else LOCAL_MAX_BYTES_WITH_REDIS
    if size > limit:
        return
    with _lock:
        old = _LOCAL.pop(key, None)
        if old is not None:
            _local_bytes -= old[1]
        _LOCAL[key] = (value, size)
        _local_bytes += size
        while _local_bytes > limit and _LOCAL:
            _k, (_v, s) = _LOCAL.popitem(last=False)
            _local_bytes -= s


def ping() -> None:
    """Raise when a configured Redis does not answer (the health check); nothing to do without one."""
    client = _redis()
    if client is not None:
        client.ping()


def local_bytes() -> int:
    """Encoded bytes held in this process's cache (for tests and the benchmark)."""
    return _local_bytes


def clear_local() -> None:
    global _local_bytes
    with _lock:
        _LOCAL.clear()
        _local_bytes = 0
