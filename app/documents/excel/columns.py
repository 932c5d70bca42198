"""Column specs for Excel businesses, and the cell parsers built from them.

A ``Column`` says what one sheet column holds; ``make_parser`` turns it into a function that takes
a raw cell as python-calamine returns it (str, float, int, bool, date, datetime, time) and gives
back a normalised python value, None for a blank cell, or raises ``CellInvalid`` with a
translated reason.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from flask_babel import gettext as _

from app.domain.money import to_money
from app.domain.validators import (
    normalise_id_number,
    normalise_phone,
    normalise_text,
    validate_phone,
)

Parser = Callable[[Any], Any]
#: A cell's problem as text, or None when the value is fine (validators return lazy strings).
Check = Callable[[Any], Any]

_INT_RE = re.compile(r"([+-]?\d+)(?:\.0*)?")
_DECIMAL_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_GROUPED_RE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
# 2005-03, 2005/3, 2005.03, 2005年3月, with an optional day and time after it.
_YEAR_MONTH_RE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?"
    r"(?:\s*[-/.]?\s*\d{1,2}\s*日?)?"
    r"(?:[\sT]+\d{1,2}:\d{2}(?::\d{2})?)?"
)
_YEAR_MONTH_DIGITS_RE = re.compile(r"(\d{4})(\d{2})")
# Excel's day 0 in the 1900 date system (the 1900 leap-year bug makes it 30 Dec, not 31).
_EXCEL_EPOCH = date(1899, 12, 30)
_SERIAL_MAX = 2958465  # 9999-12-31
_YEAR_MIN, _YEAR_MAX = 1900, 2100
# Excel keeps 15 significant digits; a longer number typed into a number cell is already damaged.
_EXACT_FLOAT_LIMIT = 10**15


class ColumnType(StrEnum):
    """What a column holds; decides its parser, template format and export format."""

    TEXT = "text"
    INT = "int"
    DECIMAL = "decimal"
    YEAR_MONTH = "year_month"
    CODE = "code"
    ID_NUMBER = "id_number"
    PHONE = "phone"


#: Columns the template formats as text, so Excel keeps leading zeros and does not make dates.
TEXT_LIKE = frozenset(
    {
        ColumnType.TEXT,
        ColumnType.CODE,
        ColumnType.ID_NUMBER,
        ColumnType.PHONE,
        ColumnType.YEAR_MONTH,
    }
)


class CellInvalid(ValueError):
    """A cell's value is not acceptable; ``reason`` is the translated text shown to the user."""

    def __init__(self, reason: Any) -> None:
        self.reason = str(reason)
        super().__init__(self.reason)


@dataclass(frozen=True)
class Column:
    """One column of an Excel business: its header text, the dict key it fills and its rules.

    ``codes`` are (code, label) pairs for CODE columns; a cell may hold the label, the code or an
    ``aliases`` key (alias text -> label). ``id_type_key`` names the column holding the document
    type an ID_NUMBER column is checked against. ``check`` is an extra validator for the parsed
    value returning a message or None. ``note`` and ``example`` feed the template.
    """

    header: str
    key: str
    type: ColumnType = ColumnType.TEXT
    required: bool = False
    codes: Sequence[tuple[Any, Any]] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    note: Any = ""
    example: Any = None
    max_length: int | None = None
    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None
    places: int = 2
    money: bool = False
    id_type_key: str | None = None
    check: Check | None = None
    width: int = 14

    def labels(self) -> list[str]:
        """Return the code labels as text, in table order."""
        return [str(label) for _code, label in self.codes]

    def label_of(self, code: Any) -> str:
        """Return the label of ``code``, or the code as text when it is not in the table."""
        for known, label in self.codes:
            if known == code:
                return str(label)
        return "" if code is None else str(code)


def code_key(value: Any) -> str:
    """Return the form code-list cells are matched in: half-width, no spaces, case-folded."""
    return normalise_text(value).replace(" ", "").casefold()


def header_key(value: Any) -> str:
    """Return the form header cells are matched in: half-width, no spaces or required marks."""
    return code_key(value).strip("*")


def make_parser(column: Column) -> Parser:
    """Return the cell parser for ``column``'s type."""
    builders: dict[ColumnType, Callable[[Column], Parser]] = {
        ColumnType.TEXT: _text_parser,
        ColumnType.INT: _int_parser,
        ColumnType.DECIMAL: _decimal_parser,
        ColumnType.YEAR_MONTH: _year_month_parser,
        ColumnType.CODE: _code_parser,
        ColumnType.ID_NUMBER: _id_number_parser,
        ColumnType.PHONE: _phone_parser,
    }
    return builders[column.type](column)


def _checked(column: Column, value: Any) -> Any:
    """Apply ``column.check`` to a parsed value, raising CellInvalid with its message."""
    if column.check is not None:
        problem = column.check(value)
        if problem:
            raise CellInvalid(problem)
    return value


# The readers below run once per cell of files of 100,000 rows. These guards are exact tests for
# text that the normalise_* functions would return unchanged, so the common case skips the call.


def _is_normal_text(raw: Any) -> bool:
    """True if normalise_text(raw) == raw: printable (so no whitespace but " "), no " ", NFKC."""
    return (
        raw.__class__ is str
        and raw.isprintable()
        and " " not in raw
        and unicodedata.is_normalized("NFKC", raw)
    )


def _is_normal_id(raw: Any) -> bool:
    """True if normalise_id_number(raw) == raw: ASCII letters and digits, no lower case."""
    return (
        raw.__class__ is str
        and raw.isascii()
        and raw.isalnum()
        and (raw.isupper() or raw.isdigit())
    )


def _is_normal_phone(raw: Any) -> bool:
    """True if normalise_phone(raw) == raw: printable ASCII without spaces."""
    return raw.__class__ is str and raw.isascii() and raw.isprintable() and " " not in raw


def _text(raw: Any) -> str:
    return raw if _is_normal_text(raw) else normalise_text(raw)


def _too_long(column: Column, text: str) -> None:
    """Raise CellInvalid if ``text`` is longer than the column allows."""
    if column.max_length is not None and len(text) > column.max_length:
        raise CellInvalid(_("At most %(max)d characters.", max=column.max_length))


def _outside(column: Column, value: int | Decimal) -> bool:
    """True if ``value`` lies outside the column's minimum / maximum."""
    low, high = column.minimum, column.maximum
    return (low is not None and value < low) or (high is not None and value > high)


def _in_range(column: Column, value: int | Decimal) -> None:
    """Raise CellInvalid if ``value`` lies outside the column's minimum / maximum."""
    low, high = column.minimum, column.maximum
    if low is not None and high is not None and not low <= value <= high:
        raise CellInvalid(_("Must be between %(min)s and %(max)s.", min=low, max=high))
    if low is not None and value < low:
        raise CellInvalid(_("Must be at least %(min)s.", min=low))
    if high is not None and value > high:
        raise CellInvalid(_("Must be at most %(max)s.", max=high))


def _text_parser(column: Column) -> Parser:
    limit = column.max_length or 0

    def parse(raw: Any) -> str | None:
        text = _text(raw)
        if not text:
            return None
        if limit and len(text) > limit:
            _too_long(column, text)
        return _checked(column, text) if column.check else text

    return parse


def _int_parser(column: Column) -> Parser:
    def parse(raw: Any) -> int | None:
        kind = raw.__class__
        if kind is float:
            if not raw.is_integer():
                raise CellInvalid(_("Must be a whole number."))
            value = int(raw)
        elif kind is int:
            value = raw
        else:
            text = normalise_text(raw).replace(" ", "")
            if not text:
                return None
            match = _INT_RE.fullmatch(text)
            if match is None:
                raise CellInvalid(_("Must be a whole number."))
            value = int(match.group(1))
        if _outside(column, value):
            _in_range(column, value)
        return _checked(column, value) if column.check else value

    return parse


def _decimal_parser(column: Column) -> Parser:
    quantum = Decimal(1).scaleb(-column.places)

    def parse(raw: Any) -> Decimal | None:
        kind = raw.__class__
        if kind is float:
            if not math.isfinite(raw):
                raise CellInvalid(_("Must be a number."))
            number = Decimal(repr(raw))
        elif kind is int:
            number = Decimal(raw)
        else:
            number = _decimal_from_text(column, raw)
            if number is None:
                return None
        try:
            value = number.quantize(quantum)
        except InvalidOperation as exc:
            raise CellInvalid(_("Must be a number.")) from exc
        if value != number:
            raise CellInvalid(_("At most %(places)d decimal places.", places=column.places))
        if _outside(column, value):
            _in_range(column, value)
        return _checked(column, value) if column.check else value

    return parse


def _decimal_from_text(column: Column, raw: Any) -> Decimal | None:
    """Return the number written in a text cell, None if blank; money columns accept ¥ and 元."""
    text = normalise_text(raw).replace(" ", "")
    if not text:
        return None
    if _GROUPED_RE.fullmatch(text):
        text = text.replace(",", "")
    if _DECIMAL_RE.fullmatch(text):
        return Decimal(text)
    if column.money:
        try:
            return to_money(text)
        except ValueError as exc:
            raise CellInvalid(exc.args[0]) from exc
    raise CellInvalid(_("Must be a number."))


def _year_month_parser(column: Column) -> Parser:
    def parse(raw: Any) -> str | None:
        kind = raw.__class__
        if kind is datetime or kind is date:
            year, month = raw.year, raw.month
        elif kind is float or kind is int:
            year, month = _year_month_from_number(raw)
        else:
            text = normalise_text(raw)
            if not text:
                return None
            match = _YEAR_MONTH_RE.fullmatch(text) or _YEAR_MONTH_DIGITS_RE.fullmatch(text)
            if match is None:
                raise CellInvalid(_("Must be a year and month such as 2005-03."))
            year, month = int(match.group(1)), int(match.group(2))
        if not (_YEAR_MIN <= year <= _YEAR_MAX and 1 <= month <= 12):
            raise CellInvalid(_("Must be a year and month such as 2005-03."))
        return _checked(column, f"{year:04d}-{month:02d}")

    return parse


def _year_month_from_number(number: float | int) -> tuple[int, int]:
    """Read 200503 as March 2005 and other whole numbers as Excel date serials.

    A bare year (2005) is refused: as a serial it would silently mean June 1905.
    """
    if isinstance(number, float) and not number.is_integer():
        raise CellInvalid(_("Must be a year and month such as 2005-03."))
    whole = int(number)
    if _YEAR_MIN * 100 + 1 <= whole <= _YEAR_MAX * 100 + 12:
        return divmod(whole, 100)
    if _YEAR_MIN <= whole <= _YEAR_MAX or not 1 <= whole <= _SERIAL_MAX:
        raise CellInvalid(_("Must be a year and month such as 2005-03."))
    day = _EXCEL_EPOCH + timedelta(days=whole)
    return day.year, day.month


def code_lookup(column: Column) -> dict[str, Any]:
    """Return match key -> code for a CODE column.

    Keys are the labels, the codes, digit codes without leading zeros and the aliases.
    """
    lookup: dict[str, Any] = {}
    by_label: dict[str, Any] = {}
    for code, label in column.codes:
        by_label[code_key(label)] = code
        lookup[code_key(label)] = code
        text = str(code)
        lookup.setdefault(code_key(text), code)
        if text.isdigit():
            # Excel turns a typed 01 into the number 1.
            lookup.setdefault(str(int(text)), code)
    for alias, label in column.aliases.items():
        if code_key(label) in by_label:
            lookup.setdefault(code_key(alias), by_label[code_key(label)])
    return lookup


def _code_parser(column: Column) -> Parser:
    lookup = code_lookup(column)
    choices = "、".join(column.labels())

    def parse(raw: Any) -> Any:
        key = code_key(raw)
        if not key:
            return None
        if key in lookup:
            return lookup[key]
        raise CellInvalid(_("Must be one of: %(choices)s.", choices=choices))

    return parse


def _exact_number_text(raw: Any) -> Any:
    """Refuse a long number Excel has stored as a float (it keeps only 15 digits)."""
    if raw.__class__ is float and (not raw.is_integer() or abs(raw) >= _EXACT_FLOAT_LIMIT):
        raise CellInvalid(
            _(
                "Excel stored this as a number and rounded it; format the column as text and "
                "type it again."
            )
        )
    return raw


def _id_number_parser(column: Column) -> Parser:
    def parse(raw: Any) -> str | None:
        text = raw if _is_normal_id(raw) else normalise_id_number(_exact_number_text(raw))
        if not text:
            return None
        _too_long(column, text)
        return _checked(column, text)

    return parse


def _phone_parser(column: Column) -> Parser:
    def parse(raw: Any) -> str | None:
        text = raw if _is_normal_phone(raw) else normalise_phone(_exact_number_text(raw))
        if not text:
            return None
        problem = validate_phone(text)
        if problem is not None:
            raise CellInvalid(problem)
        _too_long(column, text)
        return _checked(column, text)

    return parse


def display(value: Any) -> str:
    """Return a cell or parsed value as the text shown in an error: 101.0 -> "101", dates ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return unicodedata.normalize("NFC", str(value)).strip()
