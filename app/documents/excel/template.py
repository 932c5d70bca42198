"""Downloadable import templates built from column specs (xlsxwriter)."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO

import xlsxwriter
from flask_babel import gettext as _
from xlsxwriter.worksheet import Worksheet

from app.documents.excel.columns import TEXT_LIKE, Column, ColumnType, display

# Excel refuses inline drop-down lists longer than this; longer lists go to a visible sheet
# (a hidden one would make our own importer refuse the filled-in template).
INLINE_LIST_MAX = 255
LAST_ROW = 1_048_575
WORKBOOK_OPTIONS = {
    "in_memory": True,
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
}


def build_template(columns: Sequence[Column], sheet_name: str) -> bytes:
    """Return an .xlsx with the header in row 1, a note per header, drop-downs and an example row.

    Text-like columns are formatted as text so that 0101 and 18-digit ID numbers survive typing.
    The example row is written only when every column has an example (the reader then refuses
    that row if it is left in the file).
    """
    output = BytesIO()
    workbook = xlsxwriter.Workbook(output, WORKBOOK_OPTIONS)
    sheet = workbook.add_worksheet(sheet_name)
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    required_header = workbook.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "font_color": "#C00000"}
    )
    text = workbook.add_format({"num_format": "@"})
    with_example = all(c.example is not None for c in columns)
    lists: Worksheet | None = None
    for index, column in enumerate(columns):
        cell_format = text if column.type in TEXT_LIKE else None
        if column.type is ColumnType.DECIMAL:
            cell_format = workbook.add_format(
                {"num_format": "0." + "0" * column.places if column.places else "0"}
            )
        sheet.set_column(index, index, max(column.width, 2 * len(column.header) + 2), cell_format)
        sheet.write_string(0, index, column.header, required_header if column.required else header)
        sheet.write_comment(0, index, note_text(column), {"x_scale": 2.2, "y_scale": 1.6})
        if column.codes:
            lists = _add_drop_down(workbook, sheet, lists, index, column)
        if with_example:
            _write_example(sheet, index, column, cell_format)
    sheet.freeze_panes(1, 0)
    workbook.close()
    return output.getvalue()


def note_text(column: Column) -> str:
    """Return the header note: required or optional, then what to fill in."""
    required = _("Required.") if column.required else _("Optional.")
    note = str(column.note) if column.note else ""
    return f"{column.header}: {required}\n{note}".rstrip()


def _add_drop_down(
    workbook: xlsxwriter.Workbook,
    sheet: Worksheet,
    lists: Worksheet | None,
    index: int,
    column: Column,
) -> Worksheet | None:
    """Add a list validation on the column; return the lists sheet if one was needed."""
    labels = column.labels()
    options = {
        "validate": "list",
        "ignore_blank": True,
        "error_type": "warning",
        "error_title": column.header,
        "error_message": _("Choose a value from the list."),
    }
    if len(",".join(labels)) <= INLINE_LIST_MAX:
        options["source"] = labels
    else:
        if lists is None:
            lists = workbook.add_worksheet(_("Lists"))
        lists.write_string(0, index, column.header)
        for offset, label in enumerate(labels, start=1):
            lists.write_string(offset, index, label)
        letter = xlsxwriter.utility.xl_col_to_name(index)
        options["source"] = f"='{lists.name}'!${letter}$2:${letter}${len(labels) + 1}"
    sheet.data_validation(1, index, LAST_ROW, index, options)
    return lists


def _write_example(sheet: Worksheet, index: int, column: Column, cell_format: object) -> None:
    if column.type in (ColumnType.INT, ColumnType.DECIMAL):
        sheet.write_number(1, index, float(column.example), cell_format)
    else:
        sheet.write_string(1, index, display(column.example), cell_format)
