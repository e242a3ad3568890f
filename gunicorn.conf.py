"""gunicorn settings for the dashboard (``gunicorn -c gunicorn.conf.py dashboard.app:server``; the Procfile).

Workers and threads come from the environment so one file serves a laptop and a server:
``WEB_CONCURRENCY`` (workers, default 2) and ``GUNICORN_THREADS`` (default 8). The timeout
(``GUNICORN_TIMEOUT``, default 180 s) is long enough for a board pack PDF, which renders every
chart in a headless browser. The access log leaves out query strings: page and API filters could
name a project or person, and logs are kept longer and read more widely than the data. Threads
(gthread) so a burst of slow requests (a login flood pays one password hash each) cannot occupy every
worker while ``/health`` and the pages wait; the app bounds concurrent hashing itself. The ``Server``
header says "vvu" instead of gunicorn and its version.
"""

from __future__ import annotations

import os

import gunicorn.http.wsgi

gunicorn.http.wsgi.SERVER = "vvu"  # read per response: no software name or version in the banner


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


bind = f"{os.environ.get('HOST', '0.0.0.0')}:{_int('PORT', 8050)}"
workers = _int("WEB_CONCURRENCY", 2)
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 8)
timeout = _int("GUNICORN_TIMEOUT", 180)
graceful_timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"
# %(U)s is the path without its query string; no %(q)s, %(r)s or %(a)s (request line, query, user agent).
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(_server: object) -> None:
    """Compress the static bundles once, before the workers need them (dashboard.precompress): workers
    then read them from disk instead of each spending seconds of CPU on the same files.

    In a child process, never a thread of the master: a thread running while the master forks its
    workers can leave a worker with a lock it never releases (an import lock held at the fork froze
    a worker during boot). Nothing is done when an install step already built them; a worker that
    needs a bundle meanwhile waits on the bundle's lock file and reads the result."""
    import subprocess
    import sys

    subprocess.Popen([sys.executable, "-m", "dashboard.precompress"], stdout=subprocess.DEVNULL,  # noqa: S603
                     stderr=subprocess.DEVNULL, start_new_session=True)
