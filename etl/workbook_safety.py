"""What a workbook may not contain: macros, links to other workbooks, formulas Excel never calculated.

Why each rule:
- Macros (``xl/vbaProject.bin``): a macro-enabled workbook renamed ``.xlsx`` used to load without
  comment; it is refused exactly as ``.xlsm`` is, whatever its name.
- External links (``xl/externalLinks/``): figures pulled from another file are not the partner's
  return and change when that file changes.
- A formula cell with no cached value: the reader reads values (``data_only=True``), never
  evaluates formulas, so such a cell read as blank, "not reported", and wiped that month. A workbook
  written by a program (not saved by Excel) has no cached values; refusing it names the cell.

Runs on the zip before openpyxl opens anything (macros and links: ``etl.safety.check_workbook``, for
every workbook; formulas: the reader, which knows which cells it reads); the sheet XML is parsed with ``defusedxml`` (no
entities, no external references) as a stream, after ``etl.safety`` has checked the sizes.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable
from pathlib import Path

from openpyxl.utils import column_index_from_string

from etl.problems import FileRejected, Problem

NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
UNCALCULATED = ("this cell holds a formula that Excel has not calculated; open the file in Excel, save it, "
                "and upload again")


def _reject(path: Path, reason: str, row: int = 0, column: str = "", value: str = "") -> FileRejected:
    return FileRejected(Problem(path.name, row, column, value, reason))


def check_workbook_content(path: Path, zf: zipfile.ZipFile) -> None:
    """Refuse macros and external links (every workbook, before any reader opens it)."""
    names = zf.namelist()
    lowered = [n.lower() for n in names]
    if any(n.endswith("vbaproject.bin") for n in lowered):
        raise _reject(path, "the workbook contains macros (a VBA project); macro-enabled workbooks are refused "
                      "like .xlsm files: save it as an Excel Workbook (.xlsx) without macros")
    if any(n.startswith("xl/externallinks/") for n in lowered):
        raise _reject(path, "the workbook links to other workbooks (external links); copy the values in, remove "
                      "the links (Data > Edit Links > Break Link), save and upload again")


def refuse_uncalculated_formulas(path: Path, read: Callable[[str, int, int], bool]) -> None:
    """Refuse the first formula without a cached value in a cell the reader reads.

    ``read(sheet, row, column)`` (1-based) says whether the reader takes that cell's value: a
    template's own formulas in cells the reader ignores (names looked up from codes) stay allowed,
    since a workbook written by a program carries no cached values for them.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            for sheet, part in _sheets(zf):
                _check_formulas(path, zf, sheet, part, read)
    except FileRejected:
        raise
    except Exception as exc:  # noqa: BLE001 - damaged or hostile XML: refused, never a crash of the loader
        why = f"the workbook is damaged or unsafe ({type(exc).__name__}); save it again as .xlsx"
        raise _reject(path, why) from exc


def _sheets(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, zip part) of each worksheet, in workbook order."""
    from defusedxml.ElementTree import fromstring

    try:
        book = fromstring(zf.read("xl/workbook.xml"))
        rels = fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return []
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{NS_PKG_REL}Relationship")}
    out = []
    for sheet in book.iter(f"{NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{NS_REL}id"), "")
        if not target:
            continue
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        out.append((sheet.get("name", ""), part))
    return out


def _check_formulas(path: Path, zf: zipfile.ZipFile, sheet: str, part: str,
                    read: Callable[[str, int, int], bool]) -> None:
    from defusedxml.ElementTree import iterparse

    try:
        handle = zf.open(part)
    except KeyError:
        return
    with handle:
        for _event, elem in iterparse(handle, events=("end",)):
            if elem.tag != f"{NS_MAIN}c":
                continue
            formula = elem.find(f"{NS_MAIN}f")
            if formula is not None:
                cached = elem.find(f"{NS_MAIN}v")
                ref = elem.get("r", "")
                column = "".join(ch for ch in ref if ch.isalpha())
                row = int("".join(ch for ch in ref if ch.isdigit()) or 0)
                uncached = cached is None or not (cached.text or "").strip() and elem.get("t") != "str"
                if uncached and read(sheet, row, column_index_from_string(column) if column else 0):
                    raise _reject(path, f"{UNCALCULATED} (sheet '{sheet}', cell {ref})", row=row, column=column,
                                  value="=" + (formula.text or "")[:100])
            elem.clear()
