"""The bundled sample data: what it is, where it may go, and whether a database holds it.

Sample and real data never mix. The sample loads only into a database that has never had a load
batch (so real Grip patrols or police.uk months never get synthetic projects beside them), and
never in production mode. Its batches carry ``sample`` = true, so the database itself says that
it holds the sample; the dashboard's "synthetic data" notice, exports and board packs follow that.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, exists, inspect, select

LOAD_ORDER = (
    "areas.csv", "priorities.csv", "metrics.csv", "organisations.csv", "funding.csv", "projects.csv",
    "targets.csv", "grants.csv", "spend.csv", "returns.csv", "observations.csv", "fingertips_11201.csv",
)


class SampleRefused(RuntimeError):
    """The sample may not be loaded here; the message says why, for the person starting it."""


def demo_files(sample_dir: Path) -> list[Path]:
    """Reference files first, then observations, then completed partner return workbooks."""
    files = [sample_dir / name for name in LOAD_ORDER if (sample_dir / name).exists()]
    files += sorted((sample_dir / "returns").glob("*.xlsx"))
    files += sorted((sample_dir.parent / "reference").glob("crime_harm_weights.csv"))  # Grip harm weights
    files += sorted((sample_dir / "grip").glob("*.csv"))  # hotspots.csv sorts before incidents and patrols
    return files


def _batches(engine: Engine, sample: bool | None) -> bool:
    from warehouse.models import LoadBatch

    if "load_batch" not in inspect(engine).get_table_names():
        return False
    query = select(LoadBatch.id)
    if sample is not None:
        query = query.where(LoadBatch.sample.is_(sample), LoadBatch.outcome == "loaded")
    with engine.connect() as conn:
        return bool(conn.execute(select(exists(query))).scalar_one())


def has_load_batches(engine: Engine) -> bool:
    """True once anything was ever offered to the loader (loaded or refused, sample or real)."""
    return _batches(engine, None)


def holds_sample(engine: Engine) -> bool:
    """True when the bundled synthetic sample is loaded into this database."""
    return _batches(engine, True)


def holds_real_data(engine: Engine) -> bool:
    """True when any file other than the sample was loaded into this database."""
    return _batches(engine, False)


def sample_refusal(engine: Engine, production: bool, first_start: bool) -> str | None:
    """Why the sample may not be loaded into this database now, or None when it may.

    ``first_start`` (``python -m dashboard``) loads only into a database that never had a batch;
    ``etl demo`` may also top up a database that holds nothing but the sample.
    """
    if production:
        return "production mode (APP_ENV=production) never loads the synthetic sample"
    if holds_real_data(engine):
        return "this database holds real data; the synthetic sample is never loaded beside it"
    if first_start and has_load_batches(engine):
        return "this database has had files loaded before; the sample loads only into a new database"
    return None


def load_sample(engine: Engine, sample_dir: Path, loaded_by: str,
                report: Callable[[object], None] | None = None, crime: bool = True) -> list:
    """Load every sample file and (with ``crime``) the generated police.uk months, each batch marked as sample.

    Stops at the first refused file (the sample is known-good, so a refusal is a bug to see at once)
    and returns the results so far. ``crime=False`` leaves the generated months to
    ``load_sample_crime`` (the first start does that in the background, so the dashboard opens
    within seconds rather than after a minute of generating 1.2 million rows).
    """
    from etl.loader import load_file

    results = []
    for path in demo_files(sample_dir):
        result = load_file(engine, path, loaded_by=loaded_by, sample=True)
        if report is not None:
            report(result)
        results.append(result)
        if not result.ok:
            return results
    if crime:
        results += load_sample_crime(engine)
    return results


def sample_crime_years() -> list[tuple[str, str]]:
    """The generated crime months as (first, last) per financial year, newest first."""
    from analysis.fiscal import fy_of_period, months_between
    from etl.synthetic_crime import FIRST, LAST

    years: dict[str, list[str]] = {}
    for month in months_between(FIRST, LAST):
        years.setdefault(fy_of_period(month), []).append(month)
    return [(months[0], months[-1]) for _fy, months in sorted(years.items(), reverse=True)]


def sample_crime_missing(engine: Engine) -> bool:
    """True when the sample is loaded but not all its generated crime years are (say, a first start
    stopped while they were still loading in the background)."""
    from sqlalchemy import func

    from warehouse.models import LoadBatch

    if not holds_sample(engine) or holds_real_data(engine):
        return False
    with engine.connect() as conn:
        loaded = conn.execute(select(func.count()).select_from(LoadBatch).where(
            LoadBatch.sample.is_(True), LoadBatch.kind == "police_uk", LoadBatch.outcome == "loaded")).scalar_one()
    return loaded < len(sample_crime_years())


def load_sample_crime(engine: Engine, verbose: bool = True) -> list:
    """The synthetic police.uk months, one financial year at a time, newest first.

    Year by year gives the very files (and SHA-256s) that one run over every month gives, so
    ``etl demo`` afterwards finds them unchanged; newest first so the crime page fills from now back.
    """
    from etl.synthetic_crime import load_synthetic_crime

    results = []
    for first, last in sample_crime_years():
        results += load_synthetic_crime(engine, first=first, last=last, verbose=verbose)
    return results
