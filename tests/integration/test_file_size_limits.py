"""Each kind has its own size limit: a national police.uk year (~2.25 GB) is accepted as one file,
other CSV kinds stay under 2 GiB, and every kind is refused over its limit before any parsing.

The big files are sparse (a real header and row, then a hole), so they cost no disk and no time:
``source_for`` only reads the first 8 KB and the file's size.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.loader import source_for
from etl.problems import FileRejected
from etl.safety import MAX_FILE_BYTES, MAX_STREAMED_FILE_BYTES

POLICE_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
                 "Crime type,Last outcome category,Context\n")
POLICE_ROW = (",2024-01,Essex Police,Essex Police,0.47,51.73,On or near X,E01021237,Basildon 001A,"
              "Anti-social behaviour,,\n")
OBS_HEADER = "period,project_code,area_code,metric_code,value\n"
OBS_ROW = "2023-04,PRJ015,E07000075,IND_SUPPORTED,3\n"


def sparse(path: Path, header: str, row: str, size: int) -> Path:
    """A file of ``size`` bytes: a header and enough real rows to fill the 8 KB that are sniffed as
    text, then a hole (never written, read as zeros only past the sniffed part)."""
    path.write_text(header + row * (9000 // len(row)), encoding="utf-8")
    with path.open("r+b") as fh:
        fh.truncate(size)
    return path


def test_police_uk_year_over_2_gib_is_accepted(tmp_path: Path) -> None:
    # 2.25 GB: the size of a 10M-row national year, over the general 2 GiB limit.
    path = sparse(tmp_path / "national.csv", POLICE_HEADER, POLICE_ROW, 2_250_000_000)
    assert path.stat().st_size > MAX_FILE_BYTES
    assert source_for(path, None, path.name).kind == "police_uk"
    assert source_for(path, "police_uk", path.name).kind == "police_uk"


def test_police_uk_over_its_own_limit_is_refused(tmp_path: Path) -> None:
    path = sparse(tmp_path / "huge.csv", POLICE_HEADER, POLICE_ROW, MAX_STREAMED_FILE_BYTES + 1)
    with pytest.raises(FileRejected) as caught:
        source_for(path, None, path.name)
    assert "byte limit" in caught.value.problem.reason
    assert caught.value.problem.file == "huge.csv"


@pytest.mark.parametrize("kind", [None, "observations"])
def test_observations_over_2_gib_are_refused_naming_the_kind(tmp_path: Path, kind: str | None) -> None:
    # Just over the general limit: recognised as observations (from the header), then refused by
    # that kind's limit, named in the message, before any parsing.
    path = sparse(tmp_path / "obs.csv", OBS_HEADER, OBS_ROW, MAX_FILE_BYTES + 1)
    with pytest.raises(FileRejected) as caught:
        source_for(path, kind, path.name)
    reason = caught.value.problem.reason
    assert f"over the {MAX_FILE_BYTES:,} byte limit for Programme observations" in reason, reason


def test_observations_at_the_limit_are_accepted(tmp_path: Path) -> None:
    path = sparse(tmp_path / "obs.csv", OBS_HEADER, OBS_ROW, MAX_FILE_BYTES)
    assert source_for(path, None, path.name).kind == "observations"
