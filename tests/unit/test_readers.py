"""Reading CSV files (etl.sources.base): header normalisation, spreadsheet row numbers, refusals.

No database: these read files written to a temporary folder. Row numbers are the ones a person sees
in a spreadsheet: the header is row 1, so the first data row is row 2, and blank rows still count.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.loader import detect_kind
from etl.problems import FileRejected
from etl.sources.base import Context, read_csv_header
from etl.sources.observations import SOURCE as OBS
from etl.sources.reference import SOURCES

HEADER = "period,project_code,area_code,metric_code,value"


def write(tmp_path: Path, text: str | bytes, name: str = "obs.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_bytes(text.encode("utf-8"))
    return path


def rows_of(path: Path, chunk_rows: int = 200_000) -> list[int]:
    return [r for chunk in OBS.chunks(path, chunk_rows) for r in chunk["_row"].tolist()]


def refused(path: Path, **kw: object) -> FileRejected:
    with pytest.raises(FileRejected) as info:
        list(OBS.chunks(path, **kw))
    return info.value


# --- headers ------------------------------------------------------------------------------------
def test_header_is_normalised_bom_case_spaces_hyphens(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeff Period ,Project Code,AREA-CODE,metric_code ,Value\r\n2023-04,P,A,M,1\r\n")
    assert read_csv_header(path) == ["period", "project_code", "area_code", "metric_code", "value"]
    (chunk,) = OBS.chunks(path)
    assert chunk.loc[0, "period"] == "2023-04" and chunk.loc[0, "value"] == "1"


def test_columns_in_any_order_extra_columns_ignored_optional_ones_blank(tmp_path: Path) -> None:
    path = write(tmp_path, "notes,value,metric_code,area_code,project_code,period\nhello,7,M,A,P,2023-04\n")
    (chunk,) = OBS.chunks(path)
    assert "notes" not in chunk
    assert chunk.loc[0, ["period", "value", "age_band"]].tolist() == ["2023-04", "7", ""]


def test_missing_required_column_names_it_in_row_1(tmp_path: Path) -> None:
    err = refused(write(tmp_path, "period,project_code,area_code,metric_code\n2023-04,P,A,M\n"))
    assert (err.problem.row, err.problem.column) == (1, "value")
    assert "missing required column(s): value" in err.problem.reason


def test_a_column_twice_is_refused(tmp_path: Path) -> None:
    err = refused(write(tmp_path, HEADER + ",Value\n2023-04,P,A,M,1,2\n"))
    assert (err.problem.row, err.problem.column) == (1, "value")
    assert "more than once" in err.problem.reason


def test_no_header_row(tmp_path: Path) -> None:
    err = refused(write(tmp_path, "\n\n"))
    assert err.problem.row == 1 and "no header row" in err.problem.reason


# --- row numbers --------------------------------------------------------------------------------
def test_blank_rows_are_skipped_but_still_counted(tmp_path: Path) -> None:
    text = (
        HEADER + "\r\n"
        "2023-04,P,A,M,1\r\n"  # row 2
        "\r\n"  # row 3: empty
        " , ,,  ,\r\n"  # row 4: only spaces and commas
        "2023-05,P,A,M,2\r\n"  # row 5
        ",,,,\r\n\r\n\r\n"  # blank trailing rows 6-8
    )
    assert rows_of(write(tmp_path, text)) == [2, 5]


def test_row_numbers_continue_across_chunks(tmp_path: Path) -> None:
    lines = [HEADER] + [f"2023-04,P{i},A,M,{i}" if i % 4 else "" for i in range(1, 12)]
    path = write(tmp_path, "\n".join(lines) + "\n")
    expected = [i + 1 for i in range(1, 12) if i % 4]  # data line i is spreadsheet row i + 1
    assert rows_of(path, chunk_rows=3) == expected
    chunks = list(OBS.chunks(path, chunk_rows=3))
    assert [c["project_code"].tolist() for c in chunks] == [["P1", "P2", "P3"], ["P5", "P6"], ["P7", "P9"],
                                                            ["P10", "P11"]]


def test_quoted_commas_and_newlines_stay_in_their_cell(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + '\n2023-04,P,A,M,"1,234"\n2023-05,"P",A,M,"5"\n')
    (chunk,) = OBS.chunks(path)
    assert chunk["value"].tolist() == ["1,234", "5"] and chunk["_row"].tolist() == [2, 3]


def test_parse_reports_problems_at_spreadsheet_rows(tmp_path: Path) -> None:
    text = HEADER + "\n2023-04,P1,A1,M1,1\n\n2023-13,P1,A1,M1,x\n2023-05,p1,a1,m9,-1\n"
    (chunk,) = OBS.chunks(write(tmp_path, text))
    ctx = Context(file="obs.csv", codes={"project": {"P1"}, "area": {"A1"}, "metric": {"M1"}})
    frame = OBS.parse(chunk, ctx)
    assert frame["project_code"].tolist() == ["P1", "P1", "P1"]  # codes are upper-cased
    found = {(p.row, p.column, p.reason.split(";")[0]) for p in ctx.problems}  # without "; did you mean ..."
    assert found == {
        (4, "period", "not a month in the form YYYY-MM"),
        (4, "value", "not a number"),
        (5, "value", "must not be negative"),
        (5, "metric_code", "unknown metric code"),
    }


# --- refusals before parsing --------------------------------------------------------------------
def test_more_cells_than_the_header_is_refused_with_its_row(tmp_path: Path) -> None:
    err = refused(write(tmp_path, HEADER + "\n2023-04,P,A,M,1\n2023-05,P,A,M,1,234\n"))
    assert err.problem.row == 3 and "6 cells but the header row has 5" in err.problem.reason
    first = refused(write(tmp_path, HEADER + "\n2023-05,P,A,M,1,234\n2023-04,P,A,M,1\n", "first.csv"))
    assert first.problem.row == 2  # the parser takes the first row's width on trust: checked separately


def test_unclosed_quote_names_its_row(tmp_path: Path) -> None:
    err = refused(write(tmp_path, HEADER + '\n2023-04,P,A,M,1\n2023-04,P,A,M,"1\n2023-05,P,A,M,1\n'))
    assert err.problem.row == 3 and "never closed" in err.problem.reason


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF document"),
        (b"PK\x03\x04" + bytes(100), "zip or Excel workbook"),
        (b"period,value\n\x00\x01\x02", "binary data"),
        (b"period,value\n2023-04,\xa31\n", "not UTF-8"),  # Windows-1252 pound sign
        (b"\x89PNG\r\n\x1a\n", "PNG image"),
    ],
)
def test_binary_files_are_refused_from_their_first_bytes(tmp_path: Path, content: bytes, reason: str) -> None:
    with pytest.raises(FileRejected, match=reason):
        read_csv_header(write(tmp_path, content))


def test_bad_bytes_past_the_sniffed_start_are_still_refused(tmp_path: Path) -> None:
    body = "2023-04,P,A,M,1\n" * 2000  # 32 KB of good rows, then a Windows-1252 byte
    err = refused(write(tmp_path, HEADER.encode() + b"\n" + body.encode() + b"2023-05,P,A,M,\xa31\n"))
    assert "not UTF-8" in err.problem.reason


# --- recognising the kind -----------------------------------------------------------------------
def test_kind_is_recognised_from_the_header(tmp_path: Path) -> None:
    obs = write(tmp_path, HEADER + ",age_band\n")
    assert detect_kind(obs, obs.read_bytes()).kind == "observations"
    by_kind = {s.kind: s for s in SOURCES}
    metrics = write(tmp_path, ",".join(by_kind["metrics"].schema.names) + "\n", "m.csv")
    assert detect_kind(metrics, metrics.read_bytes()).kind == "metrics"
    unknown = write(tmp_path, "colour,shape\nred,round\n", "u.csv")
    with pytest.raises(FileRejected, match="matches no known file kind"):
        detect_kind(unknown, unknown.read_bytes())
