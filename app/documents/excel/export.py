"""Export of any list the user sees to .xlsx, streamed row by row (xlsxwriter constant_memory)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import xlsxwriter
from flask_babel import gettext as _

from app.documents.excel.columns import Column, ColumnType

#: Text starting with these is read as a formula (or DDE payload) by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Return ``text`` made inert for spreadsheets: a leading formula trigger gets a ' in front."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def export_rows(
    columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], sheet_name: str
) -> bytes:
    """Return an .xlsx of ``rows`` (dicts keyed by ``Column.key``) under a bold, frozen header.

    Codes are written as their labels, Decimals and ints as numbers, dates as dates, and every
    text cell as a string that cannot start a formula.
    """
    keys = [column.key for column in columns]
    return export_values(columns, ([row.get(key) for key in keys] for row in rows), sheet_name)


def export_values(
    columns: Sequence[Column], rows: Iterable[Sequence[Any]], sheet_name: str
) -> bytes:
    """``export_rows`` for rows given as sequences of values in the columns' order (a register
    export reads them as plain database rows: no dict per row)."""
    with tempfile.TemporaryDirectory(prefix="export-") as work:
        path = os.path.join(work, "export.xlsx")
        workbook = xlsxwriter.Workbook(
            path,
            {
                "constant_memory": True,
                "tmpdir": work,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        sheet = workbook.add_worksheet(sheet_name)
        header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        formats = _formats(workbook)
        for index, column in enumerate(columns):
            sheet.set_column(index, index, max(column.width, 2 * len(column.header) + 2))
            sheet.write_string(0, index, column.header, header)
        sheet.freeze_panes(1, 0)
        number = _write_rows(sheet, columns, rows, formats)
        sheet.autofilter(0, 0, max(number, 1), max(len(columns) - 1, 0))
        workbook.close()
        with open(path, "rb") as handle:
            return handle.read()


def _write_rows(
    sheet: Any, columns: Sequence[Column], rows: Iterable[Sequence[Any]], formats: dict[str, Any]
) -> int:
    """Write the rows under the header; return the last row's number (0 for none).

    A city's export is 1.6 million cells, so everything that does not depend on the cell is
    worked out once here, and the commonest cells (text, Decimal, int, Yes/No) are written
    straight away: the rest go through ``_write``, which decides the same way.
    """
    tables = [
        dict((code, str(label)) for code, label in c.codes) if c.codes else None for c in columns
    ]
    numeric = [c.type in (ColumnType.INT, ColumnType.DECIMAL) for c in columns]
    yes_no = (_("No"), _("Yes"))
    decimal_format = formats["decimal"]
    # xlsxwriter's private undecorated writers: the public ones first try to read the row as
    # "A1" notation, a call and an int() per cell for nothing. Private API: the version is
    # pinned in requirements.txt, and the export tests read every cell back, so an upgrade
    # that changes these writers fails there.
    write_string, write_number = sheet._write_string, sheet._write_number
    triggers = FORMULA_TRIGGERS
    number = 0
    for number, values in enumerate(rows, start=1):
        for index, value in enumerate(values):
            if value is None:
                continue
            table = tables[index]
            if table is not None:
                value = table.get(value, value)
            kind = value.__class__
            if kind is str:
                write_string(number, index, "'" + value if value.startswith(triggers) else value)
            elif kind is Decimal:
                write_number(number, index, float(value), decimal_format)
            elif kind is int and numeric[index]:
                write_number(number, index, value)
            elif kind is bool:
                write_string(number, index, yes_no[value])
            else:
                _write(sheet, number, index, value, columns[index], formats, yes_no)
    return number


def _formats(workbook: xlsxwriter.Workbook) -> dict[str, Any]:
    return {
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "decimal": workbook.add_format({"num_format": "#,##0.00"}),
    }


def _write(
    sheet: Any,
    row: int,
    col: int,
    value: Any,
    column: Column,
    formats: dict[str, Any],
    yes_no: tuple[str, str],
) -> None:
    """Write one value with the type Excel should see; text always goes through ``neutralise``."""
    if isinstance(value, bool):
        sheet.write_string(row, col, yes_no[value])
    elif isinstance(value, Decimal):
        sheet.write_number(row, col, float(value), formats["decimal"])
    elif isinstance(value, (int, float)) and column.type in (ColumnType.INT, ColumnType.DECIMAL):
        sheet.write_number(row, col, value)
    elif isinstance(value, datetime):
        sheet.write_datetime(row, col, value, formats["datetime"])
    elif isinstance(value, date):
        sheet.write_datetime(row, col, value, formats["date"])
    else:
        sheet.write_string(row, col, neutralise(str(value)))
