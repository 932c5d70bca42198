"""The generic sheet reader: bytes of an .xlsx/.xls in, validated rows (or every error) out.

Columns are found by header text in any order within the first rows, every cell is parsed by its
column's parser, then row rules and file rules run. Either every row comes back or none does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, NamedTuple

from flask_babel import gettext as _
from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum

from app.documents.excel.columns import (
    CellInvalid,
    Column,
    ColumnType,
    display,
    header_key,
    make_parser,
)
from app.documents.excel.errors import ExcelFileError
from app.documents.excel.security import (
    DEFAULT_LIMITS,
    Limits,
    cell_name,
    damaged_message,
    inspect_workbook,
    password_message,
    too_many_rows_message,
)
from app.domain.validators import validate_id_number

HEADER_SEARCH_ROWS = 5
DEFAULT_MAX_ROWS = 100_000
DEFAULT_MAX_ERRORS = 1000
# Parsed values of repeated cells (building names, codes, floors) are reused, which also shares
# the objects between rows; columns of unique values stop caching once they reach this size.
_CACHE_LIMIT = 4096
_MISSING = object()

#: Checks one parsed row that had no cell errors; yields (column key, reason).
RowRule = Callable[[Mapping[str, Any]], Iterable[tuple[str, Any]]]
#: Checks all rows without errors, given as (Excel row number, row);
#: yields (row number, column key, reason).
FileRule = Callable[[Sequence[tuple[int, Mapping[str, Any]]]], Iterable[tuple[int, str, Any]]]


class CellError(NamedTuple):
    """One problem: sheet, row number as Excel shows it, column header, value, reason."""

    sheet: str
    row: int
    column: str
    value: str
    reason: str


@dataclass
class ImportResult:
    """Validated rows, or the errors that stop the import; ``rows`` is empty whenever errors exist.

    ``errors`` holds at most the reader's ``max_errors``; ``error_count`` counts them all.
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    error_count: int = 0

    @property
    def ok(self) -> bool:
        """True when the file can be stored."""
        return not self.error_count


@dataclass
class SheetData:
    """The first worksheet of a workbook as python-calamine gives it (absolute rows and columns)."""

    name: str
    table: list[list[Any]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]]
    kind: str


def load_sheet(
    data: bytes, limits: Limits = DEFAULT_LIMITS, max_rows: int | None = None
) -> SheetData:
    """Inspect ``data`` for hostile content, then return its first worksheet's cells."""
    kind = inspect_workbook(data, limits, max_rows)
    workbook = None
    try:
        workbook = CalamineWorkbook.from_filelike(BytesIO(data))
        names = [m.name for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        if not names:
            raise ExcelFileError(_("The workbook has no worksheet."))
        sheet = workbook.get_sheet_by_name(names[0])
        table = sheet.to_python(skip_empty_area=False)
        return SheetData(names[0], table, list(sheet.merged_cell_ranges or []), kind)
    except ExcelFileError:
        raise
    except PasswordError as exc:
        raise ExcelFileError(password_message()) from exc
    except Exception as exc:  # parsing hostile bytes: any failure means the file is unusable
        raise ExcelFileError(damaged_message()) from exc
    finally:
        if workbook is not None:
            workbook.close()


def find_header(
    table: Sequence[Sequence[Any]], columns: Sequence[Column], sheet: str
) -> tuple[int, dict[str, int]]:
    """Return (row index, column key -> cell index) of the header row among the first rows.

    The header is the row matching the most column headers; all of them must be present.
    """
    wanted = {header_key(c.header): c for c in columns}
    best_row, best_found = -1, {}
    for index, cells in enumerate(table[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        for position, cell in enumerate(cells):
            column = wanted.get(header_key(cell)) if cell != "" else None
            if column is None:
                continue
            if column.key in found:
                raise ExcelFileError(
                    _(
                        "Column %(column)s appears more than once in the header row.",
                        column=column.header,
                    )
                )
            found[column.key] = position
        if len(found) > len(best_found):
            best_row, best_found = index, found
    missing = [c.header for c in columns if c.key not in best_found]
    if best_row < 0:
        raise ExcelFileError(
            _(
                "No header row found in the first %(rows)d rows of sheet %(sheet)s. "
                "Expected columns: %(columns)s.",
                rows=HEADER_SEARCH_ROWS,
                sheet=sheet,
                columns="、".join(c.header for c in columns),
            )
        )
    if missing:
        raise ExcelFileError(
            _(
                "The header row (row %(row)d of sheet %(sheet)s) is missing the columns: "
                "%(columns)s.",
                row=best_row + 1,
                sheet=sheet,
                columns="、".join(missing),
            )
        )
    return best_row, best_found


def refuse_merged(
    merged: Iterable[tuple[tuple[int, int], tuple[int, int]]], header_row: int
) -> None:
    """Refuse merged cells in the header or data rows; a merged title above the header is fine."""
    ranges = [
        f"{cell_name(*start)}:{cell_name(*end)}" for start, end in merged if end[0] >= header_row
    ]
    if ranges:
        raise ExcelFileError(
            _(
                "Merged cells are not allowed (%(ranges)s). Unmerge them and upload again.",
                ranges=", ".join(ranges[:5]),
            )
        )


def read_sheet(
    data: bytes,
    columns: Sequence[Column],
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    row_rules: Sequence[RowRule] = (),
    file_rules: Sequence[FileRule] = (),
    limits: Limits = DEFAULT_LIMITS,
    max_errors: int = DEFAULT_MAX_ERRORS,
) -> ImportResult:
    """Read and validate the first worksheet of ``data`` against ``columns``.

    Raises ExcelFileError when the file as a whole is unusable; otherwise returns every row as a
    dict keyed by ``Column.key``, or, if anything is wrong, no rows and the errors.
    """
    sheet = load_sheet(data, limits, max_rows)
    if not any(cell != "" for cells in sheet.table for cell in cells):
        raise ExcelFileError(_("The sheet %(sheet)s is empty.", sheet=sheet.name))
    header_row, positions = find_header(sheet.table, columns, sheet.name)
    refuse_merged(sheet.merged, header_row)
    return _SheetReader(sheet.name, columns, positions, max_rows, max_errors).read(
        sheet.table, header_row, row_rules, file_rules
    )


class _SheetReader:
    """Parses the data rows of one sheet; kept as a class so the hot loop sees only locals."""

    def __init__(
        self,
        sheet: str,
        columns: Sequence[Column],
        positions: dict[str, int],
        max_rows: int,
        max_errors: int,
    ) -> None:
        self.sheet = sheet
        self.columns = {c.key: c for c in columns}
        self.order = {c.header: i for i, c in enumerate(columns)}
        self.plan = [(c.key, positions[c.key], make_parser(c), {}) for c in columns]
        self.required = [c.key for c in columns if c.required]
        self.id_checks = [
            (c.key, c.id_type_key)
            for c in columns
            if c.type is ColumnType.ID_NUMBER and c.id_type_key
        ]
        self.example = _example_row(
            columns, [parse for _key, _position, parse, _cache in self.plan]
        )
        self.max_rows = max_rows
        self.max_errors = max_errors
        self.errors: list[CellError] = []
        self.error_count = 0

    def error(self, row: int, key: str, value: Any, reason: Any, parsed: bool = False) -> None:
        """Record one error, keeping at most ``max_errors``; a ``parsed`` code shows its label."""
        self.error_count += 1
        if len(self.errors) < self.max_errors:
            column = self.columns[key]
            if parsed and column.type is ColumnType.CODE and value is not None:
                value = column.label_of(value)
            self.errors.append(
                CellError(self.sheet, row, column.header, display(value), str(reason))
            )

    def read(
        self,
        table: list[list[Any]],
        header_row: int,
        row_rules: Sequence[RowRule],
        file_rules: Sequence[FileRule],
    ) -> ImportResult:
        good: list[tuple[int, dict[str, Any]]] = []
        seen = 0
        for index in range(header_row + 1, len(table)):
            cells = table[index]
            table[index] = []  # rows become dicts; dropping the raw cells keeps peak memory down
            if cells.count("") == len(cells):
                continue
            row = self.parse_row(cells, index + 1, seen == 0)
            if row is None:
                continue
            seen += 1
            if seen > self.max_rows:
                raise ExcelFileError(too_many_rows_message(self.max_rows))
            if row is not _MISSING and self.row_ok(row, index + 1, row_rules):
                good.append((index + 1, row))
        if not seen:
            raise ExcelFileError(
                _("The sheet %(sheet)s has no data rows below the header.", sheet=self.sheet)
            )
        by_number = dict(good)
        for rule in file_rules:
            for number, key, reason in rule(good):
                self.error(number, key, by_number[number].get(key), reason, parsed=True)
        if self.error_count:
            self.errors.sort(key=lambda e: (e.row, self.order.get(e.column, 0)))
            return ImportResult([], self.errors, self.error_count)
        return ImportResult([row for _number, row in good], [], 0)

    def parse_row(self, cells: list[Any], number: int, first: bool) -> Any:
        """Return the parsed row, None for a blank row, or _MISSING if anything in it is wrong."""
        row: dict[str, Any] = {}
        failed = False
        for key, position, parse, cache in self.plan:
            raw = cells[position]
            if raw == "":
                row[key] = None
                continue
            if raw.__class__ is bool:
                raw = "TRUE" if raw else "FALSE"  # True == 1 would share 1's cache entry
            value = cache.get(raw, _MISSING)
            if value is _MISSING:
                try:
                    value = parse(raw)
                except CellInvalid as exc:
                    self.error(number, key, raw, exc.reason)
                    failed = True
                else:
                    if len(cache) < _CACHE_LIMIT:
                        cache[raw] = value
            row[key] = value
        if not failed and list(row.values()).count(None) == len(row):
            return None
        if first and not failed and row == self.example:
            key, position = self.plan[0][0], self.plan[0][1]
            self.error(
                number,
                key,
                cells[position],
                _("This is the template's example row; delete it before importing."),
            )
            return _MISSING
        for key in self.required:
            if row[key] is None:
                self.error(number, key, None, _("Required."))
                failed = True
        return _MISSING if failed else row

    def row_ok(self, row: dict[str, Any], number: int, row_rules: Sequence[RowRule]) -> bool:
        """Run ID-number checks and row rules on a row whose cells parsed; False on a problem."""
        before = self.error_count
        for key, type_key in self.id_checks:
            if row[key] is not None and row[type_key] is not None:
                problem = validate_id_number(row[type_key], row[key])
                if problem is not None:
                    self.error(number, key, row[key], problem)
        if self.error_count == before:
            for rule in row_rules:
                for key, reason in rule(row):
                    self.error(number, key, row.get(key), reason, parsed=True)
        return self.error_count == before


def _example_row(
    columns: Sequence[Column], parsers: Sequence[Callable[[Any], Any]]
) -> dict[str, Any] | None:
    """Return the template's example row as the reader parses it, or None if there is none."""
    if any(c.example is None for c in columns):
        return None
    try:
        return {c.key: parse(c.example) for c, parse in zip(columns, parsers, strict=True)}
    except CellInvalid:
        return None
