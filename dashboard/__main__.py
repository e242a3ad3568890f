"""``python -m dashboard``: migrate the database, load the sample into a brand-new one, serve the app."""

from __future__ import annotations

import argparse
import logging
import sys
import threading

from release import __version__
from settings import SAMPLE_DIR, load_settings
from warehouse.db import get_engine, upgrade_to_head


def prepare_database(crime_now: bool = True) -> bool:
    """Create or migrate the schema; a brand-new database gets the bundled synthetic sample data.

    Says which it did, so whoever starts the app knows whether the figures are real: the sample
    goes only into a database that never had a load batch, and never in production mode.
    Returns True when the sample's generated crime months are still to load (``crime_now=False``:
    the caller loads them in the background once the app is serving).
    """
    from etl.demo import holds_sample, load_sample, sample_crime_missing, sample_refusal

    settings = load_settings()
    engine = get_engine(settings.database_url)
    upgrade_to_head(engine)
    refusal = sample_refusal(engine, settings.production, first_start=True)
    if refusal is None:
        print("new database: loading the bundled SYNTHETIC sample data (not real people, partners or "
              "outcomes) ...", flush=True)

        def report(result) -> None:  # noqa: ANN001 - etl.loader.LoadResult
            if not result.ok:
                print(f"sample file refused: {result.message}", file=sys.stderr)
                for problem in result.problems[:10]:
                    print(f"  {problem}", file=sys.stderr)

        results = load_sample(engine, SAMPLE_DIR, loaded_by="dashboard-start", report=report, crime=crime_now)
        if not all(r.ok for r in results):
            raise SystemExit(1)
        from etl.access_cli import create_demo_users, print_demo_users  # how to sign in as each role

        print_demo_users(create_demo_users(engine))
    if holds_sample(engine):
        print("this database holds the SYNTHETIC sample data; every page says so", flush=True)
    else:
        print(f"sample data not loaded: {refusal}", flush=True)
    return not settings.production and sample_crime_missing(engine)


def load_crime_in_background(engine) -> threading.Thread:  # noqa: ANN001 - sqlalchemy Engine
    """The sample's generated police.uk months, newest year first, while the app already serves.

    Pages read the data version on every request, so the crime page fills in as years arrive; the
    log says when every month is there ("sample crime data: every month loaded").
    """
    from etl.demo import load_sample_crime

    def work() -> None:
        try:
            results = load_sample_crime(engine)
            print(f"sample crime data: every month loaded ({sum(r.rows for r in results):,} rows)", flush=True)
        except Exception:  # noqa: BLE001 - the app keeps serving; the log says what failed
            logging.getLogger(__name__).exception("sample crime data could not be generated")

    thread = threading.Thread(target=work, name="sample-crime", daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> None:
    """``python -m dashboard`` / ``vvu-dashboard``: settings come from the environment (see README)."""
    parser = argparse.ArgumentParser(
        prog="vvu-dashboard", description="Migrate the database, load the synthetic sample into a brand-new one "
        "(never in production), and serve the dashboard on HOST:PORT. DATABASE_URL chooses the database.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    settings.check_safe()
    crime_pending = prepare_database(crime_now=False)
    from dashboard.app import app

    if crime_pending:
        print("sample crime data: generating in the background; the crime pages fill in as years arrive",
              flush=True)
        load_crime_in_background(get_engine(settings.database_url))

    print(f"serving http://{settings.host}:{settings.port}/", flush=True)
    from werkzeug.serving import WSGIRequestHandler

    class Handler(WSGIRequestHandler):
        def version_string(self) -> str:  # no software name or version in the Server header
            return "vvu"

    app.run(host=settings.host, port=settings.port, debug=False, request_handler=Handler, threaded=True)


if __name__ == "__main__":
    main()
