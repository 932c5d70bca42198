"""Excel engine: column specs, templates, validated import, marked error copies and export.

Everything here is pure: bytes and plain python values in and out, no request or database.
"""

from app.documents.excel.columns import CellInvalid, Column, ColumnType, make_parser
from app.documents.excel.errors import ExcelFileError
from app.documents.excel.export import export_rows, export_values, neutralise
from app.documents.excel.house_sheet import (
    HOUSE_HEADERS,
    HouseCodes,
    house_columns,
    house_template,
    read_houses,
)
from app.documents.excel.marked import ERROR_SHEET, mark_errors
from app.documents.excel.reader import (
    CellError,
    FileRule,
    ImportResult,
    RowRule,
    load_sheet,
    read_sheet,
)
from app.documents.excel.security import DEFAULT_LIMITS, Limits, inspect_workbook
from app.documents.excel.template import build_template

__all__ = [
    "DEFAULT_LIMITS",
    "ERROR_SHEET",
    "HOUSE_HEADERS",
    "CellError",
    "CellInvalid",
    "Column",
    "ColumnType",
    "ExcelFileError",
    "FileRule",
    "HouseCodes",
    "ImportResult",
    "Limits",
    "RowRule",
    "build_template",
    "export_rows",
    "export_values",
    "house_columns",
    "house_template",
    "inspect_workbook",
    "load_sheet",
    "make_parser",
    "mark_errors",
    "neutralise",
    "read_houses",
    "read_sheet",
]
