"""The cache stores data, not code: every value the app caches survives the JSON codec exactly, and a
value written into Redis by anyone without the key is ignored (never unpickled, never shown)."""

from __future__ import annotations

import json
import os
import pickle
from typing import Any

import numpy as np
import pandas as pd
import pytest

from service import cache, codec, warm
from warehouse.filters import Filters

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/12")


def canonical(value: Any) -> str:
    """The encoding with key order ignored and empty settings dropped (plotly omits ``title: {}`` when it
    rebuilds a figure; an empty setting and a missing one draw the same chart)."""
    def prune(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: prune(x) for k, x in v.items() if x != {}}
        return [prune(x) for x in v] if isinstance(v, list) else v

    return json.dumps(prune(json.loads(codec.dumps(value))), sort_keys=True)


def same(a: Any, b: Any) -> None:
    """Equal including dtypes: the encodings match (dtype names are part of them), and frames compare."""
    assert canonical(a) == canonical(b)
    assert type(a) is type(b)
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)


def test_frames_keep_their_dtypes_including_nullable_numbers_and_na() -> None:
    frame = pd.DataFrame({
        "code": ["A", None, "C"],
        "count": pd.array([1, pd.NA, 12], dtype="Int64"),
        "rate": pd.array([0.5, pd.NA, 1.25], dtype="Float64"),
        "plain": [1.0, np.nan, np.inf],
        "n": np.array([1, 2, 3], dtype="int32"),
        "flag": [True, False, True],
        "when": pd.to_datetime(["2024-04-01", None, "2025-03-31"]),
        "day": [pd.Timestamp("2024-01-01").date(), None, pd.Timestamp("2024-02-01").date()],
        "band": pd.Categorical(["a", "b", "a"], categories=["b", "a"], ordered=True),
    }, index=pd.Index(["x", "y", "z"], name="key"))
    back = cache.unseal(cache.seal(frame))
    pd.testing.assert_frame_equal(back, frame)
    assert back["count"].iloc[1] is pd.NA and str(back["count"].dtype) == "Int64"


def test_other_values_round_trip() -> None:
    import datetime as dt
    from decimal import Decimal

    import plotly.graph_objects as go
    from dash import dcc, html

    from service.kpis import kpi_view  # noqa: F401 - a service dataclass module is importable
    value = {"t": (1, "a"), 3: [None, 2.5, Decimal("1.10")], "d": dt.date(2024, 4, 1), "f": Filters(fy="2024/25"),
             "np": np.float64(2.5), "arr": np.arange(6).reshape(2, 3)}
    back = cache.unseal(cache.seal(value))
    assert back["t"] == (1, "a") and back[3] == [None, 2.5, Decimal("1.10")] and back["f"] == Filters(fy="2024/25")
    assert back["arr"].shape == (2, 3) and back["np"] == np.float64(2.5)
    tree = [html.Div([html.H2("Title", id={"type": "x", "i": 1}), dcc.Graph(figure=go.Figure(go.Bar(x=[1], y=[2])))],
                     className="c", **{"aria-label": "card"})]
    same(cache.unseal(cache.seal(tree)), tree)


def test_every_value_the_app_caches_round_trips(sample_engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Warm every view and page body (as a web process does), then re-read each stored value."""
    monkeypatch.setenv("WARM_CACHE", "0")
    import dashboard.app  # noqa: F401 - registers the page-level cached builders with the warmer
    from dashboard.pages import grip, priorities

    cache.clear_local()
    warm.warm(sample_engine)
    grip._body(sample_engine, "all", "count")
    priorities.priority_section(sample_engine, Filters(), "month", "P1")
    assert len(cache._LOCAL) > 10
    for key, (value, size) in list(cache._LOCAL.items()):
        assert size > 0
        same(cache.unseal(cache.seal(value)), value), key


def test_disallowed_types_are_refused_both_ways() -> None:
    class Gadget:
        pass

    with pytest.raises(codec.CodecError):
        codec.dumps(Gadget())
    forged = b'{"__t":"dc","cls":"os:system","f":{}}'
    with pytest.raises(codec.CodecError):
        codec.loads(forged)
    forged = b'{"__t":"component","ns":"builtins","type":"eval","props":{}}'
    with pytest.raises(codec.CodecError):
        codec.loads(forged)


@pytest.fixture()
def redis_cache(monkeypatch: pytest.MonkeyPatch) -> Any:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    monkeypatch.setenv("CACHE_URL", REDIS_URL)
    client.flushdb()
    cache.clear_local()
    yield client
    client.flushdb()
    cache.clear_local()


def test_a_poisoned_redis_value_is_ignored_and_logged(sample_engine, redis_cache, caplog, tmp_path) -> None:
    from service.kpis import kpi_view

    honest = kpi_view(sample_engine, Filters())
    keys = [k for k in redis_cache.keys("vvu:service.kpis.kpi_view:*")]
    assert keys, "the view was shared through Redis"
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self) -> tuple:
            return (os.system, (f"touch {marker}",))

    for blob in (pickle.dumps(Exploit()),  # what the old cache would have run
                 b"v1:" + b"0" * 64 + b":" + cache.zlib.compress(codec.dumps({"table": "forged"}))):
        for key in keys:
            redis_cache.set(key, blob)
        cache.clear_local()
        caplog.clear()
        again = kpi_view(sample_engine, Filters())
        assert not marker.exists()
        same(again, honest)  # recomputed, not the forged value
        assert any("refused" in r.getMessage() for r in caplog.records)


def test_values_are_shared_signed_between_processes(sample_engine, redis_cache) -> None:
    from service.kpis import kpi_view

    first = kpi_view(sample_engine, Filters(fy="2024/25"))
    cache.clear_local()  # as if another worker: only Redis holds it
    second = kpi_view(sample_engine, Filters(fy="2024/25"))
    assert second is not first
    same(second, first)
    blob = next(iter(redis_cache.mget(redis_cache.keys("vvu:service.kpis.kpi_view:*"))))
    assert blob.startswith(b"v1:") and b"pickle" not in blob


def test_local_cache_is_bounded_by_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import create_engine

    eng = create_engine("sqlite://")
    monkeypatch.setattr(cache, "current_version", lambda _engine: 1)
    monkeypatch.setattr(cache, "LOCAL_MAX_BYTES", 50_000)
    cache.clear_local()

    @cache.cached
    def big(_engine: Any, i: int) -> str:
        return os.urandom(8_000).hex()  # ~16 KB that does not compress below ~8 KB

    for i in range(40):
        big(eng, i)
    assert 0 < cache.local_bytes() <= 50_000
    assert len(cache._LOCAL) < 40
