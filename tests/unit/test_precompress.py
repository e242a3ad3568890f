"""Component bundles go out at brotli's best level once compressed, byte-for-byte the same file."""

from __future__ import annotations

import time
from pathlib import Path

import brotli
import dash
from flask import Flask
from flask_compress import Compress

from dashboard import precompress

BUNDLE = (Path(dash.__file__).parent / "html" / "dash_html_components.min.js").read_bytes()


def make_app() -> Flask:
    app = Flask(__name__)
    app.config["COMPRESS_ALGORITHM"] = ["br", "gzip"]
    Compress(app)
    precompress.install(app)

    @app.get("/_dash-component-suites/pkg/big.js")
    def big() -> tuple[bytes, int, dict]:
        return BUNDLE, 200, {"Content-Type": "application/javascript"}

    @app.get("/_dash-component-suites/pkg/small.js")
    def small() -> tuple[bytes, int, dict]:
        return b"var x = 1;\n" * 100, 200, {"Content-Type": "application/javascript"}

    return app


def test_big_bundle_is_served_precompressed_once_ready() -> None:
    client = make_app().test_client()
    first = client.get("/_dash-component-suites/pkg/big.js", headers={"Accept-Encoding": "br"})
    assert first.status_code == 200
    assert brotli.decompress(first.data) == BUNDLE  # meanwhile flask-compress's fast level
    deadline = time.monotonic() + 60
    while precompress.compressed(BUNDLE) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    best = client.get("/_dash-component-suites/pkg/big.js", headers={"Accept-Encoding": "br, gzip"})
    assert best.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in best.headers["Vary"]
    assert int(best.headers["Content-Length"]) == len(best.data) < len(first.data)
    assert brotli.decompress(best.data) == BUNDLE


def test_clients_without_brotli_and_small_files_are_left_to_flask_compress() -> None:
    client = make_app().test_client()
    plain = client.get("/_dash-component-suites/pkg/big.js", headers={"Accept-Encoding": "gzip"})
    assert plain.headers.get("Content-Encoding") == "gzip"
    small = client.get("/_dash-component-suites/pkg/small.js", headers={"Accept-Encoding": "br"})
    assert brotli.decompress(small.data) == b"var x = 1;\n" * 100


def test_two_processes_compress_a_bundle_once(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """A second process asking for the same bundle while the first compresses it waits and reads the
    first one's file (the lock file), rather than compressing again: one .br file, the same bytes."""
    import multiprocessing

    monkeypatch.setattr(precompress, "CACHE_DIR", tmp_path)
    ctx = multiprocessing.get_context("fork")
    key = precompress._key(BUNDLE)
    procs = [ctx.Process(target=precompress._compress, args=(key, BUNDLE)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    assert [f.name for f in tmp_path.glob("*.br")] == [f"{key}.br"]
    assert brotli.decompress((tmp_path / f"{key}.br").read_bytes()) == BUNDLE
    assert not list(tmp_path.glob("*.tmp"))
