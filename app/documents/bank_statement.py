"""A bank's daily statement file (Excel or CSV) read into checked lines.

Columns are found by their header text in any order (as in the house template), under the
platform's names or those banks print; CSV may be UTF-8 or GBK. Every row is checked and every
problem reported (row and column) before anything is returned.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping, Optional

from flask_babel import lazy_gettext as _l

from app.documents.excel.columns import CellInvalid, Column, ColumnType, code_key, make_parser
from app.documents.excel.errors import ExcelFileError
from app.documents.excel.reader import find_header, load_sheet
from app.errors import Problem, ValidationFailed
from app.models.payment import CHANNELS

MAX_ROWS = 20_000
MAX_CSV_BYTES = 10 * 1024 * 1024
#: Other names banks print for our channels.
CHANNEL_ALIASES = {"专户银行": "bank", "银行柜台": "bank", "柜台": "bank", "侨都之窗": "qiaodu",
                   "pos": "pos", "维修资金专用pos": "pos", "POS": "pos"}


def statement_columns() -> list[Column]:
    return [
        Column(str(_l("Bank serial")), "bank_serial", ColumnType.TEXT, required=True, max_length=60),
        Column(str(_l("Notice number")), "notice_number", ColumnType.TEXT, max_length=24),
        Column(str(_l("Amount")), "amount", ColumnType.DECIMAL, required=True, minimum=Decimal("0.01"),
               money=True),
        Column(str(_l("Date")), "paid_on", ColumnType.TEXT, required=True),
        Column(str(_l("Channel")), "channel", ColumnType.TEXT),
    ]


#: Header texts accepted besides the English/Chinese labels above (what banks print).
HEADER_ALIASES = {
    "bank_serial": ("银行流水号", "流水号", "交易流水号"), "notice_number": ("通知单号", "交款通知单号"),
    "amount": ("金额", "交易金额", "交款金额"), "paid_on": ("日期", "交易日期", "交款日期"),
    "channel": ("渠道", "交款渠道"),
}


@dataclass
class ParsedLine:
    row_no: int
    bank_serial: str
    notice_number: Optional[str]
    amount: Decimal
    paid_on: dt.date
    channel: Optional[str]


def _table_of(data: bytes, file_name: str) -> list[list[Any]]:
    """The file's first sheet (or the CSV) as rows of cells."""
    if file_name.lower().endswith(".csv") or not data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        if not file_name.lower().endswith(".csv"):
            raise ExcelFileError(_l("Upload the statement as an Excel (.xlsx, .xls) or CSV file."))
        if len(data) > MAX_CSV_BYTES:
            raise ExcelFileError(_l("The file is too large."))
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ExcelFileError(_l("The CSV file is neither UTF-8 nor GBK text."))
        rows = list(csv.reader(io.StringIO(text)))
        if len(rows) > MAX_ROWS + 10:
            raise ExcelFileError(_l("The file has more than %(max)s rows.", max=MAX_ROWS))
        return [[cell.strip() for cell in row] for row in rows]
    sheet = load_sheet(data, max_rows=MAX_ROWS)
    return sheet.table


def _with_aliases(table: list[list[Any]], columns: list[Column]) -> list[list[Any]]:
    """Rename alias headers to the column headers so the shared header finder sees them."""
    known = {code_key(alias).strip("*"): c.header for c in columns
             for alias in HEADER_ALIASES.get(c.key, ())}
    return [[known.get(code_key(cell).strip("*"), cell) if isinstance(cell, str) and cell else cell
             for cell in row] if index < 10 else row for index, row in enumerate(table)]


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]?\s*(\d{1,2})\s*[-/.月]?\s*(\d{1,2})\s*日?(?:[\sT].*)?$")


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    match = _DATE_RE.match(str(value).strip())
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
    raise CellInvalid(_l("Enter a date as YYYY-MM-DD."))


def _channel(value: Optional[str], channel_labels: Mapping[str, str]) -> Optional[str]:
    if not value:
        return None
    if value in CHANNELS:
        return value
    labels = {code_key(label): code for code, label in channel_labels.items()}
    found = CHANNEL_ALIASES.get(value) or CHANNEL_ALIASES.get(value.lower()) or labels.get(code_key(value))
    if found is None:
        raise CellInvalid(_l("Unknown channel; use the special-account bank, Qiaodu Window or POS."))
    return found


def parse_statement(data: bytes, file_name: str, day: dt.date,
                    channel_labels: Mapping[str, str]) -> list[ParsedLine]:
    """Every line of the statement, or a ValidationFailed naming each bad cell (row and column).

    ``channel_labels`` (channel code → the label the screens show) are accepted in the channel
    column besides the codes and the names banks print.
    """
    columns = statement_columns()
    table = _with_aliases(_table_of(data, file_name), columns)
    if not any(str(cell).strip() for row in table for cell in row):
        raise ExcelFileError(_l("The file is empty."))
    header_row, positions = find_header(table, columns, "1")
    parsers = {c.key: make_parser(c) for c in columns}
    problems: list[Problem] = []
    lines: list[ParsedLine] = []
    seen: dict[str, int] = {}
    for index, cells in enumerate(table[header_row + 1:], start=header_row + 2):
        raw = {key: (cells[pos] if pos < len(cells) else "") for key, pos in positions.items()}
        if not any(str(v).strip() for v in raw.values() if v is not None):
            continue
        values: dict[str, Any] = {}
        for column in columns:
            try:
                cell = raw[column.key]
                if column.key == "paid_on":  # a date cell, or text in one of the usual forms
                    value = None if cell in (None, "") else _date(cell)
                else:
                    value = parsers[column.key](cell)
                if value is None and column.required:
                    raise CellInvalid(_l("Required."))
                if column.key == "paid_on" and value is not None:
                    if value != day:
                        raise CellInvalid(_l("The statement is for %(day)s; this row is dated %(date)s.",
                                             day=day.isoformat(), date=value.isoformat()))
                if column.key == "channel":
                    value = _channel(value, channel_labels)
                values[column.key] = value
            except CellInvalid as error:
                problems.append(Problem(column.header, error.reason, row=index,
                                        value=raw[column.key] or None))
        serial = values.get("bank_serial")
        if serial and serial in seen:
            problems.append(Problem(columns[0].header, _l("The same bank serial is on row %(row)s too.",
                                                          row=seen[serial]), row=index, value=serial))
        elif serial:
            seen[serial] = index
        if len(values) == len(columns) and not problems:
            lines.append(ParsedLine(index, **values))
    if problems:
        raise ValidationFailed(_l("The statement was not imported: correct the marked cells."), problems)
    if not lines:
        raise ValidationFailed(_l("The statement has no transactions."),
                               [Problem(columns[0].header, _l("Required."))])
    return lines
