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
        labels = [
            dict((code, str(label)) for code, label in c.codes) if c.codes else None
            for c in columns
        ]
        for index, column in enumerate(columns):
            sheet.set_column(index, index, max(column.width, 2 * len(column.header) + 2))
            sheet.write_string(0, index, column.header, header)
        sheet.freeze_panes(1, 0)
        # Everything a cell needs that does not depend on the row is worked out here, once.
        plan = list(zip(range(len(columns)), columns, labels))
        yes_no = (_("No"), _("Yes"))
        write_string = sheet.write_string
        number = 0
        for number, row in enumerate(rows, start=1):
            for index, column, table in plan:
                value = row.get(column.key)
                if value is None:
                    continue
                if table is not None:
                    value = table.get(value, value)
                if type(value) is str:  # most cells: written here, without a call per cell
                    write_string(number, index, "'" + value if value.startswith(FORMULA_TRIGGERS)
                                 else value)
                else:
                    _write(sheet, number, index, value, column, formats, yes_no)
        sheet.autofilter(0, 0, max(number, 1), max(len(columns) - 1, 0))
        workbook.close()
        with open(path, "rb") as handle:
            return handle.read()


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
