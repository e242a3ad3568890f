"""Problems found in an input file, named the way the person who fixes the file will look for them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file. ``row`` is the spreadsheet row (header = 1); 0 = whole file."""

    file: str
    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        col = f", column '{self.column}'" if self.column else ""
        val = f" (value {self.value!r})" if self.value else ""
        return f"{self.file}: {where}{col}{val}: {self.reason}"


class FileRejected(Exception):
    """The file cannot be read at all (wrong type, too big, empty...): one problem, row 0 or 1."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem
