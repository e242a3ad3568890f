"""One headless Chromium per process, kept open between board packs, that draws plotly figures to PNG.

Why: profiling a year's pack (bench/board_pack.py) showed that starting Chromium is the largest single
cost of a pack: 1.9 s of 4.7 s on an idle machine, and about 10 s of 23 s on a loaded 2-core one, where
drawing each chart in an open browser costs about 0.2 s. So the browser is started once, on the first
pack a process makes (or early, by ``warm()``, while the pack's content is still being built), and
reused by every later pack; it closes after ``IDLE_S`` seconds without a pack, so an idle gunicorn
worker does not hold a Chromium's memory, and at exit.

The browser runs on its own event loop in a daemon thread, so callers need no asyncio of their own
(Dash callbacks and Flask views are synchronous). One pack draws at a time (a lock): the charts of two
packs would otherwise queue on the same tab anyway. A browser that fails (crashed, timed out) is
closed and a fresh one draws the pack once more; a second failure is raised. After a fork (gunicorn
with preloading) the child never uses its parent's browser: it starts its own.

It must not download anything: kaleido finds the system's ``/usr/bin/chromium`` and the page it loads
holds plotly.js from the installed plotly package and no MathJax (``page_generator``).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import logging
import os
import threading
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

log = logging.getLogger(__name__)

IDLE_S = 300.0  # a board meeting's clicks come minutes apart; a worker idle longer gives the memory back
RENDER_TIMEOUT_S = 120.0  # per chart, generous for a loaded 2-core machine
DEFAULT_SIZE = (900, 420)


def page_generator():  # noqa: ANN201 - kaleido.PageGenerator
    """kaleido's page with nothing from outside: plotly.js from the installed plotly package, no MathJax.

    kaleido's default page loads MathJax from a CDN (and plotly.js from one when it cannot find the
    package's copy); on a closed network each export would then wait on packets that never come.
    No chart here uses LaTeX, so MathJax is simply left out.
    """
    import kaleido
    import plotly

    local = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not local.is_file():
        raise RuntimeError(f"plotly's own plotly.min.js is missing at {local}; reinstall plotly")
    return kaleido.PageGenerator(plotly=local.as_uri(), mathjax=False)


class ChartBrowser:
    """A lazily started, reused, self-closing kaleido session (see the module docstring)."""

    def __init__(self, idle_s: float = IDLE_S) -> None:
        self.idle_s = idle_s
        self._lock = threading.Lock()  # one pack at a time; also guards the state below
        self._pid = -1
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido: Any = None
        self._opening: concurrent.futures.Future | None = None
        self._idle: asyncio.TimerHandle | None = None
        self.starts = 0  # browsers started by this process (read by tests and the benchmark)

    # -- the loop thread -------------------------------------------------------------------------
    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._pid != os.getpid() or self._loop is None or self._loop.is_closed():
            # A forked child inherits the parent's objects but not its thread or browser: start afresh.
            self._kaleido, self._opening, self._idle = None, None, None
            self._loop = asyncio.new_event_loop()
            threading.Thread(target=self._loop.run_forever, name="chart-browser", daemon=True).start()
            self._pid = os.getpid()
        return self._loop

    def _submit(self, coro: Coroutine) -> concurrent.futures.Future:
        return asyncio.run_coroutine_threadsafe(coro, self._ensure_loop())

    async def _open(self) -> Any:
        import kaleido

        k = kaleido.Kaleido(n=1, timeout=RENDER_TIMEOUT_S, page_generator=page_generator())
        await k.open()
        self._kaleido = k
        self.starts += 1
        return k

    async def _close(self) -> None:
        k, self._kaleido = self._kaleido, None
        self._opening = None
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        if k is not None:
            try:
                await k.close()
            except Exception:  # noqa: BLE001 - a browser that already died has nothing left to close
                log.warning("chart browser did not close cleanly", exc_info=True)

    async def _draw(self, figures: Sequence[go.Figure], scale: float) -> list[bytes]:
        if self._idle is not None:
            self._idle.cancel()
        if self._kaleido is None:  # closed for idleness between this pack's start and its drawing
            await self._open()
        out = []
        for fig in figures:
            width = fig.layout.width or DEFAULT_SIZE[0]
            height = fig.layout.height or DEFAULT_SIZE[1]
            out.append(await self._kaleido.calc_fig(
                fig, opts={"format": "png", "scale": scale, "width": width, "height": height}))
        loop = asyncio.get_running_loop()
        self._idle = loop.call_later(self.idle_s, lambda: loop.create_task(self._close()))
        return out

    # -- the callers' face -----------------------------------------------------------------------
    def warm(self) -> None:
        """Start the browser in the background if it is not open (returns at once): a pack calls this
        before building its content, so Chromium starts while the database is read. If another pack is
        drawing, the browser is open already: return rather than wait for it."""
        if self._lock.acquire(blocking=False):
            try:
                self._start()
            finally:
                self._lock.release()

    def _start(self) -> concurrent.futures.Future:
        self._ensure_loop()
        if self._opening is None or (self._opening.done() and self._opening.exception() is not None):
            self._opening = self._submit(self._open())
        return self._opening

    def render(self, figures: Sequence[go.Figure], scale: float = 2.0) -> list[bytes]:
        """PNG bytes for each figure, drawn in this process's browser (started if need be)."""
        if not figures:
            return []
        with self._lock:
            for attempt in (1, 2):
                try:
                    self._start().result(timeout=RENDER_TIMEOUT_S)
                    return self._submit(self._draw(figures, scale)).result(
                        timeout=RENDER_TIMEOUT_S * (len(figures) + 1))
                except Exception:
                    self._submit(self._close()).result(timeout=30)
                    if attempt == 2:
                        raise
                    log.warning("chart browser failed; drawing the pack once more in a fresh one", exc_info=True)
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close the browser now (at exit, and in tests); the next ``render`` starts a new one."""
        with self._lock:
            if self._loop is not None and self._pid == os.getpid() and not self._loop.is_closed():
                self._submit(self._close()).result(timeout=30)

    @property
    def is_open(self) -> bool:
        return self._kaleido is not None and self._pid == os.getpid()


BROWSER = ChartBrowser()
atexit.register(BROWSER.close)
