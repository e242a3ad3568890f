"""Every kind of bad input is refused whole, says where the problem is, and changes no data.

For each case: the load is refused (a non-zero exit from ``python -m etl load``), the message names
the file, the spreadsheet row and the column, ``status`` (row counts and loaded batches) is exactly
as before, and the refusal itself is recorded: a ``load_batch`` with outcome ``rejected`` and one
``rejected_row`` per problem. The whole list runs through ``load_file`` on SQLite and PostgreSQL; a
representative set also runs through the real command line as subprocesses.

The database holds the sample reference data and the sample observations, so "unchanged" is
checked against real content. PRJ015 runs from 2022-07-01 to 2025-03-31 in Rochford (E07000075).
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select

from etl.loader import load_file
from etl.status import status
from tests.conftest import BACKENDS, ROOT, SAMPLE, new_database
from warehouse.models import LoadBatch, RejectedRow

REFERENCE = ("areas.csv", "priorities.csv", "metrics.csv", "organisations.csv", "funding.csv", "projects.csv")
HEADER = "period,project_code,area_code,metric_code,value"
ROWS = [  # spreadsheet rows 2, 3 and 4; each case spoils row 3
    "2023-04,PRJ015,E07000075,IND_SUPPORTED,3",
    "2023-05,PRJ015,E07000075,IND_SUPPORTED,4",
    "2023-06,PRJ015,E07000075,IND_SUPPORTED,5",
]


def observations(row3: str, header: str = HEADER) -> str:
    return "\n".join([header, ROWS[0], row3, ROWS[2]]) + "\n"


@dataclass(frozen=True)
class Case:
    """A bad file and where its (first) problem must be reported. row 0 = the whole file."""

    name: str
    file: str
    make: Callable[[Path], bytes | None]  # returns the bytes, or writes the file itself and returns None
    row: int
    column: str
    reason: str


def text(content: str) -> Callable[[Path], bytes]:
    return lambda _path: content.encode("utf-8")


def random_bytes(path: Path) -> None:
    with path.open("wb") as fh:  # 50 MB, generated now and never committed
        for _ in range(50):
            fh.write(os.urandom(1024 * 1024))


def zip_bomb(path: Path, gigabytes: float = 1.5) -> None:
    """A workbook-shaped zip whose one sheet inflates to ``gigabytes`` of zeros, ~1.5 MB on disk.

    Compressing 1.5 GB takes seconds, so the deflate stream is built from one compressed megabyte
    of zeros repeated: after a full flush the compressor starts afresh, so every further megabyte
    compresses to the same bytes. The result is a genuine bomb (valid stream and CRC), not just a
    lying directory; the loader must refuse it from the sizes the zip directory declares.
    """
    mb = 1024 * 1024
    n = int(gigabytes * 1024)
    zeros = bytes(mb)
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = co.compress(zeros) + co.flush(zlib.Z_FULL_FLUSH)
    again = co.compress(zeros) + co.flush(zlib.Z_FULL_FLUSH)
    stream = first + again * (n - 1) + co.flush()
    crc = 0
    for _ in range(n):
        crc = zlib.crc32(zeros, crc)
    entries = [(b"xl/workbook.xml", b"<workbook/>", 0, zlib.crc32(b"<workbook/>"), 11),
               (b"xl/worksheets/sheet1.xml", stream, 8, crc, n * mb)]
    out, central = bytearray(), bytearray()
    for name, data, method, crc32, size in entries:
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc32, len(data), size, len(name), 0)
        out += name + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc32, len(data),
                               size, len(name), 0, 0, 0, 0, 0, offset)
        central += name
    directory_at = len(out)
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 2, 2, len(central), directory_at, 0)
    path.write_bytes(bytes(out))


CASES = [
    Case("unknown metric", "unknown_metric.csv", text(observations("2023-05,PRJ015,E07000075,NOT_A_METRIC,4")),
         3, "metric_code", "unknown metric code"),
    Case("unknown project", "unknown_project.csv", text(observations("2023-05,PRJ999,E07000075,IND_SUPPORTED,4")),
         3, "project_code", "unknown project code"),
    Case("unknown area", "unknown_area.csv", text(observations("2023-05,PRJ015,E07999999,IND_SUPPORTED,4")),
         3, "area_code", "unknown area code"),
    Case("negative value", "negative.csv", text(observations("2023-05,PRJ015,E07000075,IND_SUPPORTED,-4")),
         3, "value", "must not be negative"),
    Case("non-numeric value", "words.csv", text(observations("2023-05,PRJ015,E07000075,IND_SUPPORTED,four")),
         3, "value", "not a number"),
    Case("fractional count", "fraction.csv", text(observations("2023-05,PRJ015,E07000075,IND_SUPPORTED,4.5")),
         3, "value", "counts must be whole numbers"),
    Case("month 13", "month13.csv", text(observations("2023-13,PRJ015,E07000075,IND_SUPPORTED,4")),
         3, "period", "not a month in the form YYYY-MM"),
    Case("month in words", "month_words.csv", text(observations("May 2023,PRJ015,E07000075,IND_SUPPORTED,4")),
         3, "period", "not a month in the form YYYY-MM"),
    Case("before the project", "early.csv", text(observations("2022-06,PRJ015,E07000075,IND_SUPPORTED,4")),
         3, "period", "before the project's start date"),
    Case("after the project", "late.csv", text(observations("2025-04,PRJ015,E07000075,IND_SUPPORTED,4")),
         3, "period", "after the project's end date"),
    Case("duplicate key", "duplicate.csv", text(observations(ROWS[0])), 3, "period", "duplicate of row 2"),
    Case("missing column", "no_value.csv",
         text("period,project_code,area_code,metric_code\n2023-04,PRJ015,E07000075,IND_SUPPORTED\n"),
         1, "value", "missing required column(s): value"),
    Case("unquoted thousands", "comma.csv", text(observations("2023-05,PRJ015,E07000075,IND_SUPPORTED,1,234")),
         3, "", "6 cells but the header row has 5"),
    Case("header only", "header_only.csv", text(HEADER + "\n\n"), 1, "", "header but no data rows"),
    Case("empty file", "empty.csv", text(""), 0, "", "the file is empty"),
    Case("PDF renamed .csv", "report.csv", lambda _p: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
         0, "", "this is a PDF document, not a CSV text file"),
    Case("50 MB of random bytes", "random.csv", random_bytes, 0, "", "not CSV text"),
    Case("zip bomb workbook", "bomb.xlsx", zip_bomb, 0, "", "would expand to"),
    Case("total beside splits", "total_and_split.csv",
         text(observations("2023-04,PRJ015,E07000075,IND_SUPPORTED,1,18-24,male,White",
                           header=HEADER + ",age_band,sex,ethnicity")),
         2, "age_band", "a total row (no age, sex or ethnicity) sits beside split rows"),
]
CLI_CASES = ("unknown metric", "missing column", "empty file", "PDF renamed .csv", "50 MB of random bytes",
             "zip bomb workbook")


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, str]]:
    """One database per backend for the whole module: every case is refused, so none changes it."""
    engine, url, cleanup = new_database(request.param, tmp_path_factory.mktemp("bad_inputs"))
    for name in (*REFERENCE, "observations.csv"):
        assert load_file(engine, SAMPLE / name).ok, name
    yield engine, url
    cleanup()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every bad file, written once for both backends (the bomb and the random bytes take a moment)."""
    folder = tmp_path_factory.mktemp("bad_files")
    out = {}
    for case in CASES:
        path = folder / case.file
        content = case.make(path)
        if content is not None:
            path.write_bytes(content)
        out[case.name] = path
    return out


def assert_recorded(engine: Engine, batch_id: int, problems: int, file: str) -> None:
    with engine.connect() as conn:
        batch = conn.execute(
            select(LoadBatch.outcome, LoadBatch.rows_loaded, LoadBatch.file_name).where(LoadBatch.id == batch_id)
        ).one()
        kept = conn.execute(select(RejectedRow.row_number).where(RejectedRow.batch_id == batch_id)).all()
    assert tuple(batch) == ("rejected", 0, file)
    assert len(kept) == problems > 0


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_refused_named_and_nothing_changed(loaded: tuple[Engine, str], files: dict[str, Path], case: Case) -> None:
    engine, _url = loaded
    before = status(engine)
    result = load_file(engine, files[case.name])
    assert result.outcome == "rejected" and not result.ok, result.message
    assert "nothing was loaded" in result.message
    first = result.problems[0]
    assert (first.file, first.row, first.column) == (case.file, case.row, case.column), str(first)
    assert case.reason in first.reason, str(first)
    message = str(first)
    assert message.startswith(f"{case.file}: ")
    if case.row:
        assert f"row {case.row}" in message
    if case.column:
        assert f"column '{case.column}'" in message
    assert status(engine) == before  # row counts and loaded batches exactly as they were
    assert_recorded(engine, result.batch_id, len(result.problems), case.file)


def test_every_problem_is_listed_with_correct_rows_past_blank_rows(loaded: tuple[Engine, str],
                                                                   tmp_path: Path) -> None:
    engine, _url = loaded
    path = tmp_path / "several.csv"
    path.write_text("\n".join([
        HEADER,
        ROWS[0],  # row 2
        "",  # row 3: blank, skipped but counted
        ",,,,",  # row 4: blank
        "2023-05,PRJ015,E07000075,NOT_A_METRIC,4",  # row 5
        ROWS[2],  # row 6
        "2023-07,PRJ015,E07000075,IND_SUPPORTED,-1",  # row 7
        "",
    ]) + "\n")
    before = status(engine)
    result = load_file(engine, path)
    assert [(p.row, p.column, p.reason.split(";")[0]) for p in result.problems] == [  # "; did you mean ..."
        (5, "metric_code", "unknown metric code"),
        (7, "value", "must not be negative"),
    ]
    assert status(engine) == before
    assert_recorded(engine, result.batch_id, 2, "several.csv")


def test_the_bomb_is_real_but_never_inflated(files: dict[str, Path]) -> None:
    import zipfile

    path = files["zip bomb workbook"]
    assert path.stat().st_size < 3 * 1024 * 1024
    with zipfile.ZipFile(path) as zf:
        sheet = zf.getinfo("xl/worksheets/sheet1.xml")
        assert sheet.file_size > 1024**3  # declares more than a gigabyte
        with zf.open(sheet) as fh:  # and does inflate to zeros (only the first megabyte is read here)
            assert fh.read(1024 * 1024) == bytes(1024 * 1024)


# --- the real command line ------------------------------------------------------------------------
def etl(url: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def run(url: str, *args: str) -> tuple[int, str, str]:
    proc = etl(url, *args)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def altered_return(engine: Engine, folder: Path) -> Path:
    """A real partner return template whose header block was edited (a label changed)."""
    from etl.sources.partner_return import HEADER_ROW_OF, write_template

    path = write_template(engine, "PRJ015", "2023/24 Q1", folder / "return-PRJ015-altered.xlsx")
    wb = load_workbook(path)
    wb["Return"].cell(HEADER_ROW_OF["organisation"], 1).value = "Organisation name"
    wb.save(path)
    return path


def test_cli_refuses_each_with_exit_status_and_message(loaded: tuple[Engine, str], files: dict[str, Path],
                                                       tmp_path: Path) -> None:
    """Each file alone exits 1 for two of them (one row-level, one whole-file problem); all of them in
    one command exit 1, each reported with its file, row and column. Processes run side by side."""
    engine, url = loaded
    code, before, _err = run(url, "status", "--json")
    assert code == 0
    jobs = [(c.file, c.row, c.column, c.reason, files[c.name]) for c in CASES if c.name in CLI_CASES]
    if (ROOT / "etl" / "sources" / "partner_return.py").exists():
        jobs.append(("return-PRJ015-altered.xlsx", 5, "A", "header block was changed",
                     altered_return(engine, tmp_path)))
    alone = [job for job in jobs if job[0] in ("unknown_metric.csv", "bomb.xlsx")]
    procs = [([job], etl(url, "load", str(job[-1]))) for job in alone]
    procs.append((jobs, etl(url, "load", *[str(job[-1]) for job in jobs])))
    for batch, proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 1, (out, err)
        assert f"0 rows loaded, 0 unchanged, {len(batch)} refused" in out, out
        assert "\r" not in err  # no progress bar: stderr is not a terminal
        for file, row, column, reason, _path in batch:
            assert f"REFUSED   {file}" in err and reason in err, err
            assert (f"{file}: row {row}" if row else f"{file}: file") in err, err
            if column:
                assert f"{file}: row {row}, column '{column}'" in err, err
    code, after, _err = run(url, "status", "--json")
    assert code == 0 and json.loads(after) == json.loads(before)
