"""The cache warmer computes the pages' common views ahead of visitors, through the same cached calls."""

from __future__ import annotations

import time

from service import cache, warm
from service.kpis import kpi_view
from service.options import filter_options
from service.priorities import priority_view
from warehouse.filters import Filters


def test_warm_stores_the_views_a_visit_would_compute(sample_engine) -> None:
    cache.clear_local()
    views = warm.default_views(sample_engine)
    years = [code for code, _label in filter_options(sample_engine).years]
    assert views == [Filters(), *[Filters(fy=fy) for fy in years[: warm.RECENT_YEARS]]]
    assert warm.warm(sample_engine) == len(views) * len(warm._view_builders())
    stored = len(cache._LOCAL)
    assert stored >= len(warm._view_builders())
    # What a visitor asks for next is the object the warmer stored: nothing is computed again.
    assert kpi_view(sample_engine, Filters()) is kpi_view(sample_engine, Filters())
    assert priority_view(sample_engine, views[1], "month").financial_year == views[1].fy
    assert len(cache._LOCAL) == stored


def test_warmer_thread_warms_without_any_visit(sample_engine) -> None:
    cache.clear_local()
    warm.stop_warmers()
    try:
        assert warm.start_warmer(sample_engine, poll_seconds=0.1) is True
        assert warm.start_warmer(sample_engine, poll_seconds=0.1) is False  # one thread per database
        expected = len(warm.default_views(sample_engine)) * len(warm._view_builders())
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(cache._LOCAL) < expected:
            time.sleep(0.1)
        assert len(cache._LOCAL) >= expected
    finally:
        warm.stop_warmers()


def test_one_warmer_per_data_version_when_redis_is_shared(sample_engine, monkeypatch) -> None:
    """With Redis, the first worker to claim a data version warms it; another worker (the same claim
    from a second caller) is told no, and a new version is claimable again."""
    import uuid

    import pytest
    import redis

    from tests.integration.test_cache_codec import REDIS_URL

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    monkeypatch.setenv("CACHE_URL", REDIS_URL)
    version = 10**9 + uuid.uuid4().int % 10**6  # a version no other run claims
    try:
        assert warm.claim(sample_engine, version) is True
        assert warm.claim(sample_engine, version) is False
        assert warm.claim(sample_engine, version + 1) is True
    finally:
        client.delete(*client.keys(f"vvu:warm-lock:*:{version}"), *client.keys(f"vvu:warm-lock:*:{version + 1}"))
    monkeypatch.delenv("CACHE_URL")
    assert warm.claim(sample_engine, version) is True  # no Redis: every process warms its own cache
