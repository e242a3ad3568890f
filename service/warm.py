"""Keep the cache warm, so nobody waits for the first, cold computation of a page.

Every cached view is keyed on the data version (the newest loaded batch). After a load the cache
misses everywhere at once, and each page's first visitor would pay the whole computation (a quarter
to two seconds with a million observation rows). Each web process therefore runs one background
thread that notices a new data version and computes, ahead of any visitor, the views people open
most: every page without slicers, for the latest financial year and the few before it.

Warming goes through the same cached functions the pages call, so it stores exactly what a visitor
would have computed; with ``CACHE_URL`` (Redis) one worker per data version warms (a lock in Redis,
``claim``) and the other processes find the views there. A failure is
logged and the warmer tries again at the next version: warming must never take the app down.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine

from warehouse.filters import Filters
from warehouse.queries import data_version
from warehouse.version import version_scope

log = logging.getLogger(__name__)

RECENT_YEARS = 3  # the latest year (the default view) plus this many earlier ones
POLL_SECONDS = 5.0
LOCK_SECONDS = 600  # a worker that dies while warming holds the version this long at most

_also: list[Callable[[Engine, Filters], object]] = []  # page-level builders registered by the web app
_running: dict[str, threading.Event] = {}  # database URL -> the event that stops its warmer
_lock = threading.Lock()


def default_views(engine: Engine) -> list[Filters]:
    """The unsliced view of the default period and of each recent financial year (the year picker's top)."""
    from service.options import filter_options

    years = [code for code, _label in filter_options(engine).years[:RECENT_YEARS]]
    return [Filters(), *[Filters(fy=fy) for fy in years]]


def also(build: Callable[[Engine, Filters], object]) -> Callable[[Engine, Filters], object]:
    """Warm ``build`` too: a cached function of (engine, filters) defined above this layer, such as a
    page's rendered body (the web app registers them; this package cannot import the pages)."""
    if build not in _also:
        _also.append(build)
    return build


def _view_builders() -> list[Callable[[Engine, Filters], object]]:
    """Cached functions the pages call with only the filters (imported late: they import this package)."""
    from service.areas import area_view, parse_metric_choice
    from service.breakdowns import DIMENSION_LABELS, breakdown_view, choose_metric
    from service.funding import funding_view
    from service.kpis import kpi_view
    from service.priorities import GRAINS, priority_view
    from service.projects import projects_table
    from service.quality import returns_grid
    from service.returns import returns_view

    def areas(engine: Engine, f: Filters) -> object:
        return area_view(engine, f, parse_metric_choice(engine, None))

    def people(engine: Engine, f: Filters) -> object:
        code = choose_metric(engine, None)
        return [breakdown_view(engine, f, code, dim) for dim in DIMENSION_LABELS] if code else None

    def priorities(engine: Engine, f: Filters) -> object:
        return priority_view(engine, f, GRAINS[0])  # the page passes its grain: the same key as a visit

    return [kpi_view, returns_view, priorities, projects_table, funding_view, returns_grid, areas, people, *_also]


def warm(engine: Engine) -> int:
    """Compute every default view now; returns how many were computed (already cached ones are cheap)."""
    done = 0
    for f in default_views(engine):
        for build in _view_builders():
            build(engine, f)
            done += 1
    return done


def claim(engine: Engine, version: int) -> bool:
    """Whether this process should warm ``version``: with Redis, only the first worker to ask does (a
    lock per database and version in Redis, so the others find the views there); without Redis every
    process keeps its own cache and warms it itself."""
    from service.cache import _redis

    client = _redis()
    if client is None:
        return True
    try:
        return bool(client.set(f"vvu:warm-lock:{engine.url!r}:{version}", str(os.getpid()), nx=True,
                               ex=LOCK_SECONDS))
    except Exception:  # noqa: BLE001 - Redis down: warming locally is the safe fallback
        return True


def _loop(engine: Engine, poll_seconds: float, stop: threading.Event) -> None:
    warmed = None
    while not stop.is_set():
        try:
            version = data_version(engine)
            if version and version != warmed and not claim(engine, version):
                log.info("cache for data version %s is warmed by another worker (shared through Redis)", version)
                warmed = version
            elif version and version != warmed:
                started = time.perf_counter()
                with version_scope({str(engine.url): version}):  # one version read per pass, not per view
                    count = warm(engine)
                warmed = version
                log.info("cache warmed for data version %s: %d views in %.1f s", version, count,
                         time.perf_counter() - started)
        except Exception:  # noqa: BLE001 - a failed warm-up only costs speed; try again later
            log.exception("cache warm-up failed; pages will compute on demand")
        stop.wait(poll_seconds)


def start_warmer(engine: Engine, poll_seconds: float = POLL_SECONDS) -> bool:
    """Start this process's warming thread once per database (a daemon: it dies with the process)."""
    key = repr(engine.url)
    with _lock:
        if key in _running:
            return False
        stop = _running[key] = threading.Event()
    threading.Thread(target=_loop, args=(engine, poll_seconds, stop), name="cache-warmer", daemon=True).start()
    return True


def stop_warmers() -> None:
    """Stop every warming thread of this process (tests, and a clean shutdown)."""
    with _lock:
        for stop in _running.values():
            stop.set()
        _running.clear()
