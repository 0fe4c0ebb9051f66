"""Cells of the files organizers open in a spreadsheet (exports, credentials, boards as CSV).

Team names, member names and judges' comments are typed by people the organizers do not
control. Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``, ``-``
or ``@`` (or a tab or carriage return before one) as a formula: ``=HYPERLINK("http://x", …)``
leaks data on a click, ``=cmd|…`` once ran programs. Following OWASP's CSV injection
guidance, such text is written as text: in CSV with a leading single quote, in XLSX as a
string cell marked "quote prefix" (Excel's own mark for text typed after ``'``), so the value
stays exact and editing the cell cannot turn it into a formula. Numbers stay numbers: a
negative score is a number, not text.
"""

from __future__ import annotations

import csv
import io
import math
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# OWASP's list, plus the full-width forms an input method in Korean mode types, which a
# spreadsheet may fold to ASCII on entry: quoting them costs nothing.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
EXCEL_MAX_TEXT = 32_767  # characters in one cell; longer text makes Excel "repair" the file


def runs_as_formula(value: object) -> bool:
    """Would a spreadsheet read this value as the start of a formula?"""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def spreadsheet_safe_token(nbytes: int) -> str:
    """``secrets.token_urlsafe`` that never starts with ``-``: a generated code or password
    goes out in a credentials CSV, where a leading ``-`` would need the quote (and then be
    copied with it)."""
    while (token := secrets.token_urlsafe(nbytes)).startswith(FORMULA_TRIGGERS):
        pass
    return token


def neutralise(value: Any) -> Any:
    """A CSV cell: formula-like text gets a leading single quote; anything else unchanged."""
    return "'" + value if runs_as_formula(value) else value


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """Rows as CSV text, every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([neutralise(v) for v in row] for row in rows)
    return out.getvalue()


def xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    """A value for ``sheet.append``: text is always a string cell (openpyxl would store a
    string starting with ``=`` as a formula), numbers are numbers, NaN is an empty cell."""
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool | int) or (isinstance(value, float) and math.isfinite(value)):
        return value
    # Control characters are not allowed in the file format: openpyxl would raise.
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))[:EXCEL_MAX_TEXT]
    cell = WriteOnlyCell(sheet, text)
    cell.data_type = "s"
    if runs_as_formula(text):
        cell.quotePrefix = True
    return cell
