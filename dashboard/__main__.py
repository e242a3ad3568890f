"""``python -m dashboard``: migrate the database, load the sample data if it is empty, serve the app."""

from __future__ import annotations

import logging
import sys

from settings import SAMPLE_DIR, load_settings
from warehouse.db import get_engine, is_empty, upgrade_to_head


def prepare_database() -> None:
    """Create or migrate the schema; a brand-new database gets the bundled synthetic sample data."""
    settings = load_settings()
    engine = get_engine(settings.database_url)
    upgrade_to_head(engine)
    if is_empty(engine):
        from etl.demo import demo_files
        from etl.loader import load_file

        print("empty database: loading the bundled synthetic sample data ...", flush=True)
        for path in demo_files(SAMPLE_DIR):
            result = load_file(engine, path, loaded_by="dashboard-start")
            if not result.ok:
                print(f"sample file refused: {result.message}", file=sys.stderr)
                for problem in result.problems[:10]:
                    print(f"  {problem}", file=sys.stderr)
                raise SystemExit(1)
        from etl.demo import after_demo_load

        after_demo_load(engine)
        if not settings.production:
            from etl.access_cli import create_demo_users, print_demo_users

            print_demo_users(create_demo_users(engine))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    settings.check_safe()
    prepare_database()
    from dashboard.app import app

    print(f"serving http://{settings.host}:{settings.port}/", flush=True)
    from werkzeug.serving import WSGIRequestHandler

    class Handler(WSGIRequestHandler):
        def version_string(self) -> str:  # no software name or version in the Server header
            return "vvu"

    app.run(host=settings.host, port=settings.port, debug=False, request_handler=Handler, threaded=True)


if __name__ == "__main__":
    main()
