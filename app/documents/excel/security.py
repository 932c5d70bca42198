"""Checks on an uploaded workbook's bytes, made before any Excel library parses it.

``inspect_workbook`` recognises .xlsx and .xls by their magic bytes, refuses zip bombs from the zip
directory and by inflating every member under a cap (so a lying directory is caught too), refuses
XML with DOCTYPE/ENTITY declarations, encrypted workbooks, hidden sheets and formulas in the data
sheet (the first worksheet). Each refusal is one ``ExcelFileError`` with a translated message.
"""

from __future__ import annotations

import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO

import olefile
from flask_babel import gettext as _

from app.documents.excel.errors import ExcelFileError

XLSX = "xlsx"
XLS = "xls"

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WORKBOOK_PART = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
MAX_REPORTED = 5

_LOCAL_HEADER = struct.Struct("<4s22xHH")
_IN_CHUNK = 1 << 20
_OUT_CHUNK = 4 << 20
# Members smaller than this cannot hurt whatever their ratio (tiny XML compresses very well).
_RATIO_FLOOR = 1 << 20
# workbook.xml and its relationships are read whole; real ones are a few kilobytes.
_SMALL_PART_MAX = 16 << 20

_TAG_ATTRS_RE = re.compile(rb"<(?:[\w.-]+:)?(sheet|Relationship)\b([^>]*)>")
_ATTR_RE = re.compile(rb"([\w.:-]+)\s*=\s*\"([^\"]*)\"")
_ROOT_PREFIX_RE = re.compile(rb"<([\w.-]+:)?worksheet\b")
_CELL_REF_RE = re.compile(rb"\br\s*=\s*[\"']([A-Z]{1,3}[0-9]{1,7})[\"']")
# r="AB7" / r='A123456' of cells and rows: only columns of two or more letters and rows of six or
# more digits match, so an ordinary sheet yields a handful of matches. Whitespace is made spaces
# before scanning, so the literal " r" finds every r attribute.
_FAR_REF_RE = re.compile(rb""" r\s*=\s*["'](?:([A-Z]{2,3})(\d*)|[A-Z]?(\d{6,}))["']""")
_ROW_NUMBER_RE = re.compile(rb""" r\s*=\s*["'][A-Z]{0,3}(\d+)["']""")
_WHITESPACE_TO_SPACE = bytes.maketrans(b"\t\r\n", b"   ")
_NARROW_COLUMNS = 26
_SHORT_ROWS = 99_999
# A formula is reported with its cell; the cell start is looked for this far back at most.
_CELL_LOOKBACK = 1 << 20
_DTD_MARKS = (b"<!DOCTYPE", b"<!ENTITY")

# BIFF record types (MS-XLS 2.3).
_BIFF_FORMULA = 0x0006
_BIFF_EOF = 0x000A
_BIFF_FILEPASS = 0x002F
_BIFF_BOUNDSHEET = 0x0085
_BIFF_WORKSHEET = 0
# Cell records start with (row, column); MULRK/MULBLANK end with their last column.
_BIFF_CELLS = frozenset({0x0006, 0x00D6, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E})
_BIFF_MULTI_CELLS = frozenset({0x00BD, 0x00BE})


@dataclass(frozen=True)
class Limits:
    """Size limits for an uploaded workbook. Defaults fit a 100,000-row house sheet with room."""

    max_file_bytes: int = 64 * 1024 * 1024
    max_uncompressed_bytes: int = 256 * 1024 * 1024
    max_ratio: int = 200
    max_members: int = 2000
    #: Rows x columns from A1 to the farthest cell: the reader allocates that whole rectangle, so
    #: one cell written at XFD1048576 would otherwise ask for 17 billion cells.
    max_cells: int = 8_000_000


DEFAULT_LIMITS = Limits()


def inspect_workbook(
    data: bytes, limits: Limits = DEFAULT_LIMITS, max_rows: int | None = None
) -> str:
    """Return XLSX or XLS for a workbook safe to hand to a reader; raise ExcelFileError otherwise.

    ``max_rows`` lets an .xlsx with far more rows than allowed be refused before it is loaded.
    """
    if len(data) > limits.max_file_bytes:
        raise ExcelFileError(too_large_message())
    if data.startswith(ZIP_MAGIC):
        _inspect_xlsx(data, limits, max_rows)
        return XLSX
    if data.startswith(OLE_MAGIC):
        _inspect_ole(data, limits, max_rows)
        return XLS
    raise ExcelFileError(not_excel_message())


def not_excel_message() -> str:
    """Return the message for a file that is not an Excel workbook at all."""
    return _("The file is not an Excel workbook. Save it as .xlsx or .xls and upload it again.")


def damaged_message() -> str:
    """Return the message for a workbook whose structure is broken."""
    return _(
        "The file is damaged and cannot be read. Open it in Excel, save it again and upload it."
    )


def too_large_message() -> str:
    """Return the message for a workbook too large (or too compressed) to open safely."""
    return _("The file is too large or too highly compressed to be read safely.")


def too_many_rows_message(max_rows: int) -> str:
    """Return the message for a sheet with more data rows than one import takes."""
    return _("The file has more than %(max)d data rows. Split it into smaller files.", max=max_rows)


def password_message() -> str:
    """Return the message for an encrypted workbook."""
    return _("The file is password-protected. Remove the password, save it and upload it again.")


def _hidden_message(names: list[str]) -> str:
    return _(
        "Hidden sheets are not allowed (%(sheets)s). Unhide or delete them and upload again.",
        sheets="、".join(names),
    )


def _formula_message(cells: list[str]) -> str:
    return _(
        "Formulas are not allowed (cells %(cells)s). Copy the sheet, paste values only and "
        "upload again.",
        cells=", ".join(cells),
    )


# --- .xlsx -----------------------------------------------------------------------------------


def _inspect_xlsx(data: bytes, limits: Limits, max_rows: int | None) -> None:
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ExcelFileError(damaged_message()) from exc
    _check_directory(members, limits)
    by_name = {info.filename: info for info in members}
    if WORKBOOK_PART not in by_name:
        raise ExcelFileError(not_excel_message())
    workbook_xml = _read_small(data, by_name[WORKBOOK_PART])
    sheet_path = _first_worksheet_path(workbook_xml, data, by_name)
    for info in members:
        if info.filename == sheet_path:
            _scan_data_sheet(data, info, limits, max_rows)
        else:
            for _piece in _scan_member(data, info):
                pass


def _check_directory(members: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Refuse bombs from the zip directory alone: member count, total size, compression ratio."""
    if len(members) > limits.max_members:
        raise ExcelFileError(too_large_message())
    if len({info.filename for info in members}) != len(members):
        raise ExcelFileError(damaged_message())
    if sum(info.file_size for info in members) > limits.max_uncompressed_bytes:
        raise ExcelFileError(too_large_message())
    for info in members:
        if info.flag_bits & 0x1:
            raise ExcelFileError(password_message())
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ExcelFileError(damaged_message())
        if info.file_size > _RATIO_FLOOR and info.file_size > limits.max_ratio * info.compress_size:
            raise ExcelFileError(too_large_message())


def _inflate(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Yield a member's content, refusing it as soon as it grows past its declared size."""
    if len(data) < info.header_offset + _LOCAL_HEADER.size:
        raise ExcelFileError(damaged_message())
    magic, name_len, extra_len = _LOCAL_HEADER.unpack_from(data, info.header_offset)
    start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
    if magic != ZIP_MAGIC or start + info.compress_size > len(data):
        raise ExcelFileError(damaged_message())
    raw = memoryview(data)[start : start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise ExcelFileError(damaged_message())
        for offset in range(0, len(raw), _OUT_CHUNK):
            yield bytes(raw[offset : offset + _OUT_CHUNK])
        return
    yield from _inflate_deflated(raw, info.file_size)


def _read_small(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """Return the whole content of a part that is small in any real workbook."""
    if info.file_size > _SMALL_PART_MAX:
        raise ExcelFileError(too_large_message())
    return b"".join(_inflate(data, info))


def _inflate_deflated(raw: memoryview, declared: int) -> Iterator[bytes]:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    try:
        for offset in range(0, len(raw), _IN_CHUNK):
            pending: bytes | memoryview = raw[offset : offset + _IN_CHUNK]
            while pending and not inflater.eof:
                out = inflater.decompress(pending, _OUT_CHUNK)
                produced += len(out)
                if produced > declared:
                    raise ExcelFileError(too_large_message())
                if out:
                    yield out
                pending = inflater.unconsumed_tail
    except zlib.error as exc:
        raise ExcelFileError(damaged_message()) from exc
    if not inflater.eof or produced != declared:
        raise ExcelFileError(damaged_message())


def _scan_member(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Yield a member's content, refusing a DTD (entity expansion attacks) in its prolog.

    A DOCTYPE may only stand before the root element, so the first piece is the one to check.
    """
    first = True
    for piece in _inflate(data, info):
        if first:
            _refuse_dtd(piece)
            first = False
        yield piece


def _refuse_dtd(text: bytes) -> None:
    for mark in _DTD_MARKS:
        if mark in text:
            raise ExcelFileError(damaged_message())


def _attributes(tag_attrs: bytes) -> dict[str, str]:
    """Return a tag's attributes by their written names (prefix included)."""
    return {
        name.decode("ascii", "replace"): value.decode("utf-8", "replace")
        for name, value in _ATTR_RE.findall(tag_attrs)
    }


def _first_worksheet_path(
    workbook_xml: bytes, data: bytes, by_name: dict[str, zipfile.ZipInfo]
) -> str:
    """Refuse hidden sheets and return the zip path of the first worksheet."""
    _refuse_dtd(workbook_xml)
    sheets = [
        _attributes(attrs) for tag, attrs in _TAG_ATTRS_RE.findall(workbook_xml) if tag == b"sheet"
    ]
    if not sheets:
        raise ExcelFileError(damaged_message())
    hidden = [s.get("name", "") for s in sheets if s.get("state", "visible") != "visible"]
    if hidden:
        raise ExcelFileError(_hidden_message(hidden))
    targets = _relationship_targets(data, by_name)
    for sheet in sheets:
        target = targets.get(_relationship_id(sheet))
        if target is not None and target[0].endswith("/worksheet"):
            if target[1] not in by_name:
                break
            return target[1]
    raise ExcelFileError(damaged_message())


def _relationship_id(sheet: dict[str, str]) -> str:
    """Return a <sheet>'s relationship id whatever prefix the writer gave the namespace."""
    for name, value in sheet.items():
        if name.endswith(":id"):
            return value
    return ""


def _relationship_targets(
    data: bytes, by_name: dict[str, zipfile.ZipInfo]
) -> dict[str, tuple[str, str]]:
    """Return relationship id -> (type, zip path) from the workbook's relationships part."""
    if WORKBOOK_RELS not in by_name:
        raise ExcelFileError(damaged_message())
    rels_xml = _read_small(data, by_name[WORKBOOK_RELS])
    _refuse_dtd(rels_xml)
    targets: dict[str, tuple[str, str]] = {}
    for tag, attrs in _TAG_ATTRS_RE.findall(rels_xml):
        if tag != b"Relationship":
            continue
        found = _attributes(attrs)
        target = found.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        targets[found.get("Id", "")] = (found.get("Type", ""), posixpath.normpath(path))
    return targets


def _row_cap(max_rows: int | None) -> int | None:
    """Return the row number beyond which a sheet surely has more data rows than allowed.

    Formatted empty rows also count as <row> elements, hence the generous allowance.
    """
    return None if max_rows is None else 2 * max_rows + 100


class _Extent:
    """The farthest row and column a sheet uses, or upper bounds of them, for the size guard."""

    def __init__(self, rows: int, columns: int) -> None:
        self.rows = rows
        self.columns = columns
        # Rows actually named by the file; ``rows`` may start as an assumed upper bound, which
        # must not count against the row cap (it would refuse every file under a small cap).
        self.seen_rows = 0

    def add(self, row: int, column: int) -> None:
        self.rows = max(self.rows, row)
        self.columns = max(self.columns, column)
        self.seen_rows = max(self.seen_rows, row)

    def add_far_refs(self, text: bytes) -> None:
        for letters, digits, long_digits in _FAR_REF_RE.findall(text):
            number = digits or long_digits
            self.add(
                int(number) if number else 0, column_number(letters.decode()) if letters else 0
            )

    def check(self, limits: Limits, max_rows: int | None) -> None:
        if self.rows * self.columns > limits.max_cells:
            raise ExcelFileError(too_large_message())
        row_cap = _row_cap(max_rows)
        if row_cap is not None and self.seen_rows > row_cap:
            raise ExcelFileError(too_many_rows_message(max_rows or 0))


def _scan_data_sheet(
    data: bytes, info: zipfile.ZipInfo, limits: Limits, max_rows: int | None
) -> None:
    """Refuse formulas (naming the first cells), far too many rows and a too large cell range."""
    formula_cells: list[str] = []
    # Until a far reference says otherwise, rows are below 100,000 and columns within A-Z.
    extent = _Extent(_SHORT_ROWS, _NARROW_COLUMNS)
    rows = 0
    row_cap = _row_cap(max_rows)
    prefix: bytes | None = None
    carry = b""
    for piece in _scan_member(data, info):
        buffer = carry + piece.translate(_WHITESPACE_TO_SPACE)
        if prefix is None:
            match = _ROOT_PREFIX_RE.search(buffer)
            prefix = (match.group(1) or b"") if match else b""
        # Cut before the last cell start so a formula is seen with the <c ...> holding it.
        cut = buffer.rfind(b"<" + prefix + b"c ", max(0, len(buffer) - _CELL_LOOKBACK))
        if cut <= 0:
            cut = buffer.rfind(b"<")
        if cut <= 0:
            carry = buffer
            continue
        head, carry = buffer[:cut], buffer[cut:]
        if len(formula_cells) < MAX_REPORTED:
            formula_cells.extend(_formula_cells(head, prefix, MAX_REPORTED - len(formula_cells)))
        extent.add_far_refs(head)
        if row_cap is not None:
            # Also counts a <rowBreaks> element, at most one per sheet.
            rows += head.count(b"<" + prefix + b"row")
            last_row = head.rfind(b"<" + prefix + b"row ")
            number = _ROW_NUMBER_RE.search(head, last_row, last_row + 200) if last_row >= 0 else None
            if number:
                # Rows come in order, so the chunk's last <row r="N"> is the farthest so far.
                extent.seen_rows = max(extent.seen_rows, int(number.group(1)))
            if rows > row_cap:
                raise ExcelFileError(too_many_rows_message(max_rows or 0))
    extent.add_far_refs(carry)
    if len(formula_cells) < MAX_REPORTED:
        formula_cells.extend(
            _formula_cells(carry, prefix or b"", MAX_REPORTED - len(formula_cells))
        )
    if formula_cells:
        raise ExcelFileError(_formula_message(formula_cells))
    if extent.rows == _SHORT_ROWS and extent.rows * extent.columns > limits.max_cells:
        # Only a sheet with very many columns gets here; its exact last row decides.
        extent.rows = _last_row(data, info)
    extent.check(limits, max_rows)


def _last_row(data: bytes, info: zipfile.ZipInfo) -> int:
    """Return the largest row number any cell or row of the sheet part names."""
    last = 0
    carry = b""
    for piece in _inflate(data, info):
        buffer = carry + piece.translate(_WHITESPACE_TO_SPACE)
        cut = buffer.rfind(b"<")
        head, carry = (buffer[:cut], buffer[cut:]) if cut > 0 else (b"", buffer)
        last = max([last, *map(int, _ROW_NUMBER_RE.findall(head))])
    return max([last, *map(int, _ROW_NUMBER_RE.findall(carry))])


def _formula_cells(text: bytes, prefix: bytes, limit: int) -> list[str]:
    """Return up to ``limit`` references of cells in ``text`` that hold an <f> element."""
    opening = b"<" + prefix + b"f"
    cell_opening = b"<" + prefix + b"c"
    cells: list[str] = []
    position = text.find(opening)
    while position >= 0 and len(cells) < limit:
        after = text[position + len(opening) : position + len(opening) + 1]
        if after in (b" ", b">", b"/"):
            start = text.rfind(cell_opening, 0, position)
            match = _CELL_REF_RE.search(text, start, position) if start >= 0 else None
            cells.append(match.group(1).decode("ascii") if match else "?")
        position = text.find(opening, position + 1)
    return cells


# --- .xls and other OLE files -----------------------------------------------------------------


def _inspect_ole(data: bytes, limits: Limits, max_rows: int | None) -> None:
    """Accept a BIFF .xls; refuse encrypted OOXML (OLE holding EncryptedPackage) and others."""
    try:
        ole = olefile.OleFileIO(BytesIO(data))
        streams = {"/".join(parts).lower() for parts in ole.listdir()}
        if "encryptedpackage" in streams or "encryptioninfo" in streams:
            raise ExcelFileError(password_message())
        name = "workbook" if "workbook" in streams else "book" if "book" in streams else None
        if name is None:
            raise ExcelFileError(not_excel_message())
        if ole.get_size(name) > limits.max_uncompressed_bytes:
            raise ExcelFileError(too_large_message())
        stream = ole.openstream(name).read()
    except ExcelFileError:
        raise
    except Exception as exc:  # olefile raises many types on broken containers; all mean "damaged"
        raise ExcelFileError(damaged_message()) from exc
    _inspect_biff(stream, limits, max_rows)


def _biff_records(stream: bytes, position: int) -> Iterator[tuple[int, int, int]]:
    """Yield (record type, payload offset, payload length) from ``position`` up to an EOF record."""
    end = len(stream)
    unpack = struct.Struct("<HH").unpack_from
    while position + 4 <= end:
        kind, length = unpack(stream, position)
        yield kind, position + 4, length
        if kind == _BIFF_EOF:
            return
        position += 4 + length


def _inspect_biff(stream: bytes, limits: Limits, max_rows: int | None) -> None:
    """Refuse encryption (FILEPASS), hidden sheets, and formulas or a too large range in the
    first worksheet."""
    first_sheet: int | None = None
    hidden: list[str] = []
    for kind, offset, length in _biff_records(stream, 0):
        if kind == _BIFF_FILEPASS:
            raise ExcelFileError(password_message())
        if kind == _BIFF_BOUNDSHEET and length >= 6:
            position, state, sheet_type = struct.unpack_from("<IBB", stream, offset)
            if state & 0x3:
                hidden.append(_biff_sheet_name(stream[offset + 6 : offset + length]))
            if sheet_type == _BIFF_WORKSHEET and first_sheet is None:
                first_sheet = position
    if hidden:
        raise ExcelFileError(_hidden_message(hidden))
    if first_sheet is None or first_sheet >= len(stream):
        raise ExcelFileError(damaged_message())
    cells: list[str] = []
    extent = _Extent(0, 0)
    unpack = struct.Struct("<HH").unpack_from
    for kind, offset, length in _biff_records(stream, first_sheet):
        if length < 4 or (kind not in _BIFF_CELLS and kind not in _BIFF_MULTI_CELLS):
            continue
        row, column = unpack(stream, offset)
        if kind in _BIFF_MULTI_CELLS and length >= 6:
            column = struct.unpack_from("<H", stream, offset + length - 2)[0]
        extent.add(row + 1, column + 1)
        if kind == _BIFF_FORMULA and len(cells) < MAX_REPORTED:
            cells.append(cell_name(row, column))
    if cells:
        raise ExcelFileError(_formula_message(cells))
    extent.check(limits, max_rows)


def _biff_sheet_name(payload: bytes) -> str:
    """Decode a BIFF8 short unicode string (length, flags, then Latin-1 or UTF-16 characters)."""
    if len(payload) < 2:
        return ""
    count, flags = payload[0], payload[1]
    if flags & 0x1:
        return payload[2 : 2 + 2 * count].decode("utf-16-le", "replace")
    return payload[2 : 2 + count].decode("latin-1")


def column_letter(index: int) -> str:
    """Return the Excel column letters of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    """Return the 1-based column number of Excel column letters (A -> 1, AA -> 27)."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def cell_name(row: int, column: int) -> str:
    """Return the A1 name of a 0-based (row, column)."""
    return f"{column_letter(column)}{row + 1}"
