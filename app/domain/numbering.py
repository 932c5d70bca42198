"""Readable, checkable document numbers: pure formatters and parsers.

Sequence allocation belongs to the services (it needs the database); this module only formats a
sequence into a number and checks numbers typed back in. The check character is ISO 7064 MOD 11-2,
the same scheme as the resident ID card, so one mistyped digit or two swapped digits are caught.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

NOTICE_PREFIX = "JK"
NOTICE_LENGTH = 17
HOUSE_ACCOUNT_LENGTH = 18

_NOTICE_RE = re.compile(r"^JK(\d{8})(\d{6})([0-9X])\Z", re.ASCII)
_HOUSE_ACCOUNT_RE = re.compile(r"^\d{17}[0-9X]\Z", re.ASCII)
_DISTRICT_RE = re.compile(r"^\d{6}\Z", re.ASCII)
_TYPE_CODE_RE = re.compile(r"^[A-Z]{1,4}\Z", re.ASCII)


def _compact(value: object) -> str:
    """Return ``value`` as half-width upper case text without any whitespace."""
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    return "".join(text.split()).upper()


def _check_seq(seq: int, digits: int, what: str) -> None:
    """Raise ValueError unless ``seq`` fits in ``digits`` digits and is at least 1."""
    if isinstance(seq, bool) or not isinstance(seq, int):
        raise TypeError(f"{what} must be an int, got {type(seq).__name__}")
    if not 1 <= seq < 10**digits:
        raise ValueError(f"{what} must be between 1 and {10**digits - 1}, got {seq}")


def check_char(body: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character ("0"-"9" or "X") of a string of digits.

    Raises ValueError if ``body`` is empty or contains anything but ASCII digits.
    """
    if not body or not (body.isascii() and body.isdigit()):
        raise ValueError(f"check_char needs a non-empty string of digits, got {body!r}")
    total = 0
    for ch in body:
        total = (total + int(ch)) * 2 % 11
    value = (12 - total) % 11
    return "X" if value == 10 else str(value)


def with_check(body: str) -> str:
    """Return ``body`` followed by the check character of the digits it contains.

    Letters such as a "JK" prefix are kept but do not enter the check.
    Raises ValueError if there are no digits.
    """
    digits = "".join(ch for ch in body if ch.isascii() and ch.isdigit())
    return body + check_char(digits)


def is_valid_numbered(no: str) -> bool:
    """Return True if the last character of ``no`` is the right check character for its digits.

    Input is normalised first (full-width, spaces, lower-case "x").
    """
    text = _compact(no)
    if len(text) < 2:
        return False
    digits = "".join(ch for ch in text[:-1] if ch.isascii() and ch.isdigit())
    if not digits:
        return False
    return check_char(digits) == text[-1]


def notice_number(day: date, seq: int) -> str:
    """Return a payment-notice number: "JK" + YYYYMMDD + 6-digit seq + check char (17 chars).

    Raises ValueError if ``seq`` is not in 1..999999.
    """
    _check_seq(seq, 6, "Notice sequence")
    return with_check(f"{NOTICE_PREFIX}{day:%Y%m%d}{seq:06d}")


def parse_notice_number(no: str) -> LazyString | None:
    """Return None if ``no`` is a well-formed notice number, else a translated message saying why.

    Checks prefix, length, date and check character; full-width input, spaces and lower
    case are accepted.
    """
    text = _compact(no)
    if not text:
        return _l("Notice number is required.")
    if not text.startswith(NOTICE_PREFIX):
        return _l("Notice number must start with %(prefix)s.", prefix=NOTICE_PREFIX)
    if len(text) != NOTICE_LENGTH:
        return _l(
            "Notice number must be %(length)d characters long, not %(actual)d.",
            length=NOTICE_LENGTH,
            actual=len(text),
        )
    match = _NOTICE_RE.match(text)
    if match is None:
        return _l("Notice number must be JK followed by 14 digits and a check character.")
    day_text, seq_text, _check = match.groups()
    try:
        datetime.strptime(day_text, "%Y%m%d")
    except ValueError:
        return _l("Notice number contains an invalid date %(date)s.", date=day_text)
    if int(seq_text) == 0:
        return _l("Notice number has sequence 000000, which is never issued.")
    if not is_valid_numbered(text):
        return _l("Notice number check character is wrong; please check the digits.")
    return None


def notice_number_parts(no: str) -> tuple[date, int]:
    """Return (date, sequence) of a valid notice number; ValueError with the message otherwise."""
    message = parse_notice_number(no)
    if message is not None:
        raise ValueError(message)
    text = _compact(no)
    return datetime.strptime(text[2:10], "%Y%m%d").date(), int(text[10:16])


def order_number(type_code: str, day: date, seq: int) -> str:
    """Return a business-order number: type code + YYYYMMDD + 5-digit seq, e.g. "YW2026112600001".

    ``type_code`` is 1-4 upper-case ASCII letters; ValueError otherwise or if ``seq`` is not
    in 1..99999.
    """
    if not isinstance(type_code, str) or not _TYPE_CODE_RE.match(type_code):
        raise ValueError(f"Order type code must be 1-4 upper-case letters, got {type_code!r}")
    _check_seq(seq, 5, "Order sequence")
    return f"{type_code}{day:%Y%m%d}{seq:05d}"


def house_account_number(district_code: str, area_seq: int, house_seq: int) -> str:
    """Return a house account number (分户账号): district(6) + area(5) + house(6) + check char.

    Raises ValueError if ``district_code`` is not 6 digits or a sequence does not fit its width.
    """
    if not isinstance(district_code, str) or not _DISTRICT_RE.match(district_code):
        raise ValueError(f"District code must be 6 digits, got {district_code!r}")
    _check_seq(area_seq, 5, "Area sequence")
    _check_seq(house_seq, 6, "House sequence")
    return with_check(f"{district_code}{area_seq:05d}{house_seq:06d}")


def house_account_numbers(district_code: str, area_seq: int, first_seq: int, count: int) -> list[str]:
    """``house_account_number`` for ``count`` houses numbered from ``first_seq`` in one area.

    The MOD 11-2 check runs over the digits left to right, so the area's 11 digits are folded
    once and each house only adds its own six (an approval numbers ten thousand houses).
    """
    if count <= 0:
        return []
    prefix = house_account_number(district_code, area_seq, first_seq)[:11]
    _check_seq(first_seq + count - 1, 6, "House sequence")
    state = 0
    for ch in prefix:
        state = (state + int(ch)) * 2 % 11
    numbers = []
    for seq in range(first_seq, first_seq + count):
        suffix = f"{seq:06d}"
        total = state
        for ch in suffix:
            total = (total + ord(ch) - 48) * 2 % 11
        value = (12 - total) % 11
        numbers.append(f"{prefix}{suffix}{'X' if value == 10 else value}")
    return numbers


def validate_house_account_number(no: str) -> LazyString | None:
    """Return None if ``no`` is a well-formed house account number, else a translated message."""
    text = _compact(no)
    if not text:
        return _l("House account number is required.")
    if len(text) != HOUSE_ACCOUNT_LENGTH:
        return _l(
            "House account number must be %(length)d characters long, not %(actual)d.",
            length=HOUSE_ACCOUNT_LENGTH,
            actual=len(text),
        )
    if not _HOUSE_ACCOUNT_RE.match(text):
        return _l("House account number must be 17 digits followed by a check character.")
    if not is_valid_numbered(text):
        return _l("House account number check character is wrong; please check the digits.")
    return None
