"""Validators for identity numbers, phone numbers and names.

Every ``validate_*`` function returns None when the value is acceptable, else a translated (lazy)
message naming what is wrong. Validators normalise their input first (full-width characters, spaces,
lower case), so callers should store the matching ``normalise_*`` form of a value they accept.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from app.domain.localtime import local_today
from app.domain.numbering import check_char
from app.errors import Problem

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

ID_TYPE_RESIDENT_ID = "01"
ID_TYPE_PASSPORT = "02"
ID_TYPE_HK_MACAU_PERMIT = "03"
ID_TYPE_TAIWAN_PERMIT = "04"
ID_TYPE_RESIDENCE_PERMIT_HKMT = "05"
ID_TYPE_USCC = "06"
ID_TYPE_OTHER = "99"

ID_TYPES: dict[str, LazyString] = {
    ID_TYPE_RESIDENT_ID: _l("Resident ID card"),
    ID_TYPE_PASSPORT: _l("Passport"),
    ID_TYPE_HK_MACAU_PERMIT: _l("Mainland Travel Permit for Hong Kong and Macao Residents"),
    ID_TYPE_TAIWAN_PERMIT: _l("Mainland Travel Permit for Taiwan Residents"),
    ID_TYPE_RESIDENCE_PERMIT_HKMT: _l("Residence Permit for Hong Kong, Macao and Taiwan Residents"),
    ID_TYPE_USCC: _l("Unified social credit code"),
    ID_TYPE_OTHER: _l("Other document"),
}

PERSON_NAME_MAX = 50
OTHER_ID_MIN, OTHER_ID_MAX = 2, 30

_HKMT_RESIDENCE_PREFIXES = ("810000", "820000", "830000")
_RESIDENT_ID_RE = re.compile(r"^\d{17}[0-9X]\Z", re.ASCII)
_PASSPORT_RE = re.compile(r"^[A-Z0-9]{5,17}\Z", re.ASCII)
_HK_MACAU_PERMIT_RE = re.compile(r"^[HM](\d{8}|\d{10})\Z", re.ASCII)
_TAIWAN_PERMIT_RE = re.compile(r"^(\d{8}|\d{10})\Z", re.ASCII)
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}\Z", re.ASCII)
# Area code 0 + 2-3 digits (010, 020, 0750); local numbers never start with 0 or 1.
_LANDLINE_RE = re.compile(r"^(0\d{2,3}-?)?[2-9]\d{6,7}((-|转)\d{1,6})?\Z", re.ASCII)


def normalise_text(value: object) -> str:
    """Return ``value`` as text: NFKC (full-width to half-width), stripped, inner spaces collapsed.

    None becomes ""; a whole float read from Excel (13800138000.0) loses its ".0".
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join(text.split())


def normalise_id_number(no: object) -> str:
    """Return an identity/document number in stored form: normalised, no whitespace, upper case."""
    return normalise_text(no).replace(" ", "").upper()


def normalise_uscc(code: object) -> str:
    """Return a unified social credit code in stored form (upper case, half-width, no spaces)."""
    return normalise_id_number(code)


def normalise_phone(phone: object) -> str:
    """Return a phone number in stored form: half-width, without spaces."""
    return normalise_text(phone).replace(" ", "")


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a credit code."""
    total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def validate_uscc(code: object) -> LazyString | None:
    """Validate a 统一社会信用代码 (GB 32100-2015): 18 chars, region digits, check character."""
    text = normalise_uscc(code)
    if not text:
        return _l("Unified social credit code is required.")
    if len(text) != 18:
        return _l(
            "Unified social credit code must be 18 characters, not %(actual)d.", actual=len(text)
        )
    bad = [ch for ch in text if ch not in USCC_CHARS]
    if bad:
        return _l(
            "Unified social credit code contains invalid character %(char)s.", char=bad[0]
        )
    if not text[2:8].isdigit():
        return _l("Unified social credit code characters 3-8 must be a 6-digit region code.")
    if uscc_check_char(text[:17]) != text[17]:
        return _l("Unified social credit code check character is wrong.")
    return None


def _birth_date_problem(digits: str, today: date) -> LazyString | None:
    """Return a message if YYYYMMDD ``digits`` is not a real birth date from 1900 to ``today``."""
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return _l("ID number contains an invalid birth date %(date)s.", date=digits)
    if born.year < 1900:
        return _l("ID number birth year %(year)d is before 1900.", year=born.year)
    if born > today:
        return _l("ID number birth date %(date)s is in the future.", date=digits)
    return None


def _gb11643_problem(
    text: str, today: date | None, region_problem: Callable[[str], LazyString | None]
) -> LazyString | None:
    """Return a message if ``text`` is not an 18-char GB 11643 number with a good date and check.

    ``region_problem`` judges the first six digits once the overall shape is known to be right.
    """
    if not text:
        return _l("ID number is required.")
    if len(text) != 18:
        return _l("ID number must be 18 characters, not %(actual)d.", actual=len(text))
    if not _RESIDENT_ID_RE.match(text):
        return _l("ID number must be 17 digits followed by a digit or X.")
    problem = region_problem(text[:6])
    if problem is None:
        problem = _birth_date_problem(text[6:14], today or local_today())
    if problem is not None:
        return problem
    if check_char(text[:17]) != text[17]:
        return _l("ID number check digit is wrong.")
    return None


def validate_resident_id(no: object, today: date | None = None) -> LazyString | None:
    """Validate a 居民身份证 number (GB 11643): 18 chars, region, birth date, check digit.

    ``today`` bounds the birth date (defaults to the current date).
    """
    return _gb11643_problem(normalise_id_number(no), today, _resident_region_problem)


def _resident_region_problem(region: str) -> LazyString | None:
    """Return a message if a resident ID region code cannot exist (first digit must be 1-8)."""
    if region[0] not in "12345678":
        return _l("ID number region code %(code)s is not valid.", code=region)
    return None


def validate_residence_permit_hkmt(no: object, today: date | None = None) -> LazyString | None:
    """Validate a 港澳台居民居住证 number: GB 11643 form starting 810000, 820000 or 830000."""
    return _gb11643_problem(normalise_id_number(no), today, _hkmt_region_problem)


def _hkmt_region_problem(region: str) -> LazyString | None:
    """Return a message unless the region code is the Hong Kong, Macao or Taiwan one."""
    if region not in _HKMT_RESIDENCE_PREFIXES:
        return _l("Residence permit number must start with 810000, 820000 or 830000.")
    return None


def validate_passport(no: object) -> LazyString | None:
    """Validate a passport number: 5-17 letters or digits (Chinese: E/G + 8 digits)."""
    text = normalise_id_number(no)
    if not text:
        return _l("Passport number is required.")
    if not _PASSPORT_RE.match(text):
        return _l("Passport number must be 5 to 17 letters or digits.")
    return None


def validate_hk_macau_permit(no: object) -> LazyString | None:
    """Validate a 港澳居民来往内地通行证 number: H or M followed by 8 or 10 digits."""
    text = normalise_id_number(no)
    if not text:
        return _l("Permit number is required.")
    if not _HK_MACAU_PERMIT_RE.match(text):
        return _l("Hong Kong/Macao permit number must be H or M followed by 8 or 10 digits.")
    return None


def validate_taiwan_permit(no: object) -> LazyString | None:
    """Validate a 台湾居民来往大陆通行证 number: 8 or 10 digits."""
    text = normalise_id_number(no)
    if not text:
        return _l("Permit number is required.")
    if not _TAIWAN_PERMIT_RE.match(text):
        return _l("Taiwan permit number must be 8 or 10 digits.")
    return None


def validate_other_id(no: object) -> LazyString | None:
    """Validate an identity number of type "other": 2-30 characters, no control characters."""
    text = normalise_text(no)
    if not OTHER_ID_MIN <= len(text) <= OTHER_ID_MAX:
        return _l(
            "Document number must be %(min)d to %(max)d characters.",
            min=OTHER_ID_MIN,
            max=OTHER_ID_MAX,
        )
    if _has_control_char(text):
        return _l("Document number contains control characters.")
    return None


_VALIDATORS: dict[str, Callable[[object], LazyString | None]] = {
    ID_TYPE_RESIDENT_ID: validate_resident_id,
    ID_TYPE_PASSPORT: validate_passport,
    ID_TYPE_HK_MACAU_PERMIT: validate_hk_macau_permit,
    ID_TYPE_TAIWAN_PERMIT: validate_taiwan_permit,
    ID_TYPE_RESIDENCE_PERMIT_HKMT: validate_residence_permit_hkmt,
    ID_TYPE_USCC: validate_uscc,
    ID_TYPE_OTHER: validate_other_id,
}


def validate_id_number(id_type: str, no: object) -> LazyString | None:
    """Validate ``no`` as a document of ``id_type`` (a key of ID_TYPES); unknown types fail."""
    validator = _VALIDATORS.get(normalise_text(id_type))
    if validator is None:
        return _l("Unknown identity document type %(code)s.", code=id_type)
    return validator(no)


def validate_mobile(phone: object) -> LazyString | None:
    """Validate a mainland mobile number: 11 digits, 1[3-9] then 9 digits."""
    text = normalise_phone(phone)
    if not text:
        return _l("Mobile number is required.")
    if not _MOBILE_RE.match(text):
        return _l("Mobile number must be 11 digits starting with 13 to 19.")
    return None


def validate_phone(phone: object) -> LazyString | None:
    """Validate a mobile or landline number, e.g. 13800138000, 0750-3501234, 3501234-801."""
    text = normalise_phone(phone)
    if not text:
        return _l("Phone number is required.")
    if _MOBILE_RE.match(text) or _LANDLINE_RE.match(text):
        return None
    return _l("Phone number must be a mobile number or a landline such as 0750-3501234.")


def _has_control_char(text: str) -> bool:
    """Return True if ``text`` holds control, format, private-use or surrogate code points."""
    return any(unicodedata.category(ch) in {"Cc", "Cf", "Co", "Cs"} for ch in text)


def validate_person_name(name: object) -> LazyString | None:
    """Validate a person's name: 1-50 chars once normalised, not only digits, no control chars."""
    text = normalise_text(name)
    if not text:
        return _l("Name is required.")
    if len(text) > PERSON_NAME_MAX:
        return _l("Name must be at most %(max)d characters.", max=PERSON_NAME_MAX)
    if text.isdigit():
        return _l("Name cannot be only digits.")
    if _has_control_char(text):
        return _l("Name contains control characters.")
    return None


def person_problems(name: object, phone: object, id_type: str, id_no: object, *,
                    required: bool = True) -> list[tuple[str, LazyString]]:
    """Every wrong part of a person (an agent 经办人, an owner) as (part, message) pairs, the part
    being "name", "phone", "id_type" or "id_no".

    ``phone=None`` leaves the phone out (a contract row has none). When not ``required`` (a
    draft) blank parts pass and only what was typed is judged.
    """
    checks: list[tuple[str, LazyString | None]] = []
    if name or required:
        checks.append(("name", validate_person_name(name)))
    if phone is not None and (phone or required):
        checks.append(("phone", validate_phone(phone)))
    if normalise_text(id_type) not in ID_TYPES:
        checks.append(("id_type", _l("Choose the ID type.")))
        if required and not normalise_id_number(id_no):
            checks.append(("id_no", _l("ID number is required.")))
    elif id_no or required:
        checks.append(("id_no", validate_id_number(id_type, id_no)))
    return [(part, message) for part, message in checks if message is not None]


def agent_problems(name: object, phone: object, id_type: str, id_no: object, *,
                   required: bool = True) -> list[Problem]:
    """The agent (经办人) of an order or a setting: ``person_problems`` on the fields
    agent_name, agent_phone, agent_id_type and agent_id_no."""
    return [Problem(f"agent_{part}", message)
            for part, message in person_problems(name, phone, id_type, id_no, required=required)]
