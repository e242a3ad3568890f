"""The bundled sample data, in the order references must be loaded."""

from __future__ import annotations

from pathlib import Path

LOAD_ORDER = (
    "areas.csv", "priorities.csv", "metrics.csv", "organisations.csv", "funding.csv", "projects.csv",
    "targets.csv", "grants.csv", "spend.csv", "returns.csv", "observations.csv",
)


def demo_files(sample_dir: Path) -> list[Path]:
    """Reference files first, then observations, then completed partner return workbooks."""
    files = [sample_dir / name for name in LOAD_ORDER if (sample_dir / name).exists()]
    files += sorted((sample_dir / "returns").glob("*.xlsx"))
    files += sorted((sample_dir.parent / "reference").glob("crime_harm_weights.csv"))  # Grip harm weights
    files += sorted((sample_dir / "grip").glob("*.csv"))  # hotspots.csv sorts before incidents and patrols
    return files


def after_demo_load(engine) -> None:  # noqa: ANN001
    """Extra synthetic sources generated at demo time rather than committed (crime, Grip)."""
    from etl.synthetic_crime import load_synthetic_crime

    load_synthetic_crime(engine)
