"""A copy of an uploaded workbook with its bad cells marked, to fix and upload again."""

from __future__ import annotations

import os
import tempfile
import warnings
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from io import BytesIO
from typing import Any

import xlsxwriter
from flask_babel import gettext as _

from app.documents.excel.columns import header_key
from app.documents.excel.reader import HEADER_SEARCH_ROWS, CellError, SheetData, load_sheet
from app.documents.excel.security import XLSX

ERROR_SHEET = "错误清单"
BAD_FILL = "FFC7CE"
# Above this many cells openpyxl gets slow and memory hungry; the copy is rebuilt from values.
OPENPYXL_MAX_CELLS = 200_000
_COMMENT_AUTHOR = "import"

CellKey = tuple[int, int]


def mark_errors(data: bytes, filename: str, errors: Sequence[CellError]) -> bytes:
    """Return an .xlsx copy of ``data`` with each bad cell filled light red and commented with its
    reason(s), plus a sheet 错误清单 listing every error.

    A small .xlsx is edited in place with openpyxl (the user's formatting stays); an .xls or a big
    sheet is rebuilt from its values. ``filename`` becomes the copy's document title.
    """
    sheet = load_sheet(data)
    cells = sum(len(row) for row in sheet.table)
    if sheet.kind == XLSX and cells <= OPENPYXL_MAX_CELLS:
        return _mark_in_place(data, filename, errors)
    return _rebuild(sheet, filename, errors)


def error_headers() -> list[str]:
    """Return the header of the error list sheet."""
    return [_("Sheet"), _("Row"), _("Column"), _("Value"), _("Reason")]


def _bad_cells(
    rows: Sequence[Sequence[Any]], errors: Sequence[CellError]
) -> dict[CellKey, list[str]]:
    """Return (0-based row, 0-based column) -> reasons, finding columns by header text."""
    wanted = {header_key(e.column) for e in errors if e.column}
    header: dict[str, int] = {}
    for cells in rows[:HEADER_SEARCH_ROWS]:
        found = {
            header_key(v): i
            for i, v in enumerate(cells)
            if v not in (None, "") and header_key(v) in wanted
        }
        if len(found) > len(header):
            header = found
    marked: dict[CellKey, list[str]] = defaultdict(list)
    for error in errors:
        column = header.get(header_key(error.column))
        if column is not None and error.row >= 1:
            marked[(error.row - 1, column)].append(error.reason)
    return marked


def _by_sheet(errors: Sequence[CellError]) -> dict[str, list[CellError]]:
    grouped: dict[str, list[CellError]] = defaultdict(list)
    for error in errors:
        grouped[error.sheet].append(error)
    return grouped


def _mark_in_place(data: bytes, filename: str, errors: Sequence[CellError]) -> bytes:
    # Imported here: only a refused import needs openpyxl, and it is 6 MB of every worker.
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    with warnings.catch_warnings():
        # openpyxl warns about parts it drops (e.g. extension lists); the copy needs only values.
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(BytesIO(data))
    fill = PatternFill("solid", fgColor=BAD_FILL)
    for name, sheet_errors in _by_sheet(errors).items():
        if name not in book.sheetnames:
            continue
        sheet = book[name]
        first_rows = list(sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, values_only=True))
        for (row, column), reasons in _bad_cells(first_rows, sheet_errors).items():
            cell = sheet.cell(row=row + 1, column=column + 1)
            cell.fill = fill
            cell.comment = Comment("\n".join(reasons), _COMMENT_AUTHOR, width=300, height=120)
    if ERROR_SHEET in book.sheetnames:
        del book[ERROR_SHEET]
    listing = book.create_sheet(ERROR_SHEET)
    listing.append(error_headers())
    for error in errors:
        listing.append([error.sheet, error.row, error.column, None, error.reason])
        value = listing.cell(row=listing.max_row, column=4, value=error.value)
        value.data_type = "s"  # a value such as "=1+1" must stay text, never become a formula
    book.properties.title = filename
    output = BytesIO()
    book.save(output)
    return output.getvalue()


def _rebuild(sheet: SheetData, filename: str, errors: Sequence[CellError]) -> bytes:
    """Write the first sheet's values again with xlsxwriter, marking the bad cells."""
    marked = _bad_cells(sheet.table, _by_sheet(errors).get(sheet.name, []))
    with tempfile.TemporaryDirectory(prefix="marked-") as work:
        path = os.path.join(work, "marked.xlsx")
        book = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": work})
        book.set_properties({"title": filename})
        bad = book.add_format({"bg_color": "#" + BAD_FILL})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        bad_day = book.add_format({"num_format": "yyyy-mm-dd", "bg_color": "#" + BAD_FILL})
        out = book.add_worksheet(sheet.name)
        for row, cells in enumerate(sheet.table):
            for column, value in enumerate(cells):
                reasons = marked.get((row, column))
                _write_value(
                    out, row, column, value, (bad_day if reasons else day), bad if reasons else None
                )
                if reasons:
                    out.write_comment(
                        row, column, "\n".join(reasons), {"x_scale": 2, "y_scale": 1.5}
                    )
        listing = book.add_worksheet(ERROR_SHEET)
        listing.write_row(0, 0, error_headers())
        for number, error in enumerate(errors, start=1):
            listing.write_string(number, 0, error.sheet)
            listing.write_number(number, 1, error.row)
            listing.write_string(number, 2, error.column)
            listing.write_string(number, 3, error.value)
            listing.write_string(number, 4, error.reason)
        book.close()
        with open(path, "rb") as handle:
            return handle.read()


def _write_value(
    out: Any, row: int, column: int, value: Any, date_format: Any, cell_format: Any
) -> None:
    """Write a value read by python-calamine back with the same type; text stays text."""
    if value == "" or value is None:
        if cell_format is not None:
            out.write_blank(row, column, None, cell_format)
    elif isinstance(value, bool):
        out.write_boolean(row, column, value, cell_format)
    elif isinstance(value, (int, float)):
        out.write_number(row, column, value, cell_format)
    elif isinstance(value, (date, datetime)):
        out.write_datetime(row, column, value, date_format)
    else:
        out.write_string(row, column, str(value), cell_format)
