"""Checks made before any parser touches a file, so hostile or mistaken files fail fast and cheaply.

A PDF renamed ``.csv``, 50 MB of random bytes or a zip that inflates to gigabytes must be refused
with a clear message before pandas or openpyxl spend memory on them.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from etl.problems import FileRejected, Problem

# A CSV of most kinds: their validation keeps some state per row, so their size is bounded.
MAX_FILE_BYTES = 2 * 1024**3
# A reader that streams with bounded state (police.uk: a year for England and Wales is ~10M rows,
# ~2.25 GB) may take files up to this size; ``Source.max_bytes`` says which limit a kind has.
MAX_STREAMED_FILE_BYTES = 6 * 1024**3
MAX_WORKBOOK_BYTES = 20 * 1024**2
MAX_WORKBOOK_UNCOMPRESSED = 200 * 1024**2
MAX_WORKBOOK_ENTRIES = 500
MAX_COMPRESSION_RATIO = 100

_MAGIC = {
    b"%PDF": "a PDF document",
    b"\xd0\xcf\x11\xe0": "an old binary Office document (save it as .xlsx or .csv)",
    b"\x1f\x8b": "a gzip archive",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def reject(path: Path | str, reason: str, row: int = 0, column: str = "") -> FileRejected:
    return FileRejected(Problem(Path(path).name, row, column, "", reason))


def check_basic(path: Path, max_bytes: int = MAX_STREAMED_FILE_BYTES) -> bytes:
    """Refuse missing, empty or oversized files; return the first 8 KB for sniffing.

    The default limit is the largest any kind accepts (the kind is not known yet: it is recognised
    from these 8 KB); ``check_size`` applies the recognised kind's own limit before any parsing."""
    if not path.is_file():
        raise reject(path, "file not found")
    size = path.stat().st_size
    if size == 0:
        raise reject(path, "the file is empty")
    check_size(path, max_bytes)
    with path.open("rb") as fh:
        return fh.read(8192)


def check_size(path: Path, max_bytes: int, kind_title: str = "") -> None:
    """Refuse a file over ``max_bytes`` (the limit of its kind when ``kind_title`` names it)."""
    size = path.stat().st_size
    if size > max_bytes:
        of_kind = f" for {kind_title}" if kind_title else ""
        raise reject(path, f"the file is {size:,} bytes, over the {max_bytes:,} byte limit{of_kind}")


def is_zip(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04")


def check_text(path: Path, head: bytes) -> None:
    """Refuse binary content presented as text (PDFs, images, random bytes)."""
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise reject(path, f"this is {what}, not a CSV text file")
    if is_zip(head):
        raise reject(path, "this is a zip or Excel workbook, not a CSV text file")
    if b"\x00" in head:
        raise reject(path, "the file contains binary data (NUL bytes), not CSV text")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the 8 KB boundary is fine; any other bad byte is not text.
        if exc.reason != "unexpected end of data" or exc.start < len(head) - 4:
            raise reject(
                path, f"the file is not UTF-8 text (invalid byte at offset {exc.start}); save it as CSV UTF-8"
            ) from exc


def check_workbook(path: Path) -> None:
    """Check a zip's declared sizes and entry count before openpyxl inflates anything."""
    size = path.stat().st_size
    if size > MAX_WORKBOOK_BYTES:
        raise reject(path, f"the workbook is {size:,} bytes, over the {MAX_WORKBOOK_BYTES:,} byte limit")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise reject(path, "the workbook is damaged (not a valid .xlsx zip)") from exc
    if len(infos) > MAX_WORKBOOK_ENTRIES:
        raise reject(path, f"the workbook has {len(infos)} parts, over the limit of {MAX_WORKBOOK_ENTRIES}")
    total = sum(i.file_size for i in infos)
    if total > MAX_WORKBOOK_UNCOMPRESSED:
        raise reject(
            path, f"the workbook would expand to {total:,} bytes, over the {MAX_WORKBOOK_UNCOMPRESSED:,} limit"
        )
    for info in infos:
        ratio = info.file_size / info.compress_size if info.compress_size else 0
        if ratio > MAX_COMPRESSION_RATIO and info.file_size > 1024**2:
            raise reject(path, f"the workbook part {info.filename} is compressed suspiciously far (zip bomb?)")
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise reject(path, "this zip is not an Excel .xlsx workbook")
    from etl.workbook_safety import check_workbook_content  # macros, external links, uncalculated formulas

    try:
        with zipfile.ZipFile(path) as zf:
            check_workbook_content(path, zf)
    except FileRejected:
        raise
    except Exception as exc:  # noqa: BLE001 - damaged or hostile XML: refused, never a crash of the loader
        raise reject(path, f"the workbook is damaged or unsafe ({type(exc).__name__}); save it again as .xlsx") from exc
