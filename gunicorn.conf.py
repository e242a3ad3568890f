"""gunicorn settings, read automatically by ``gunicorn dashboard.app:server`` from this folder.

Threads (gthread) so a burst of slow requests (a login flood pays one password hash each) cannot
occupy every worker while ``/health`` and the pages wait; the app bounds concurrent hashing itself.
The ``Server`` header says "vvu" instead of gunicorn and its version.
"""

import os

import gunicorn.http.wsgi

gunicorn.http.wsgi.SERVER = "vvu"  # read per response: no software name or version in the banner

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8050')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = 60
