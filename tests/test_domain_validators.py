"""Unit tests for app.domain.validators (pure, no app needed)."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain import validators as v

TODAY = date(2026, 11, 26)


# --- normalise_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  张三  ", "张三"),
        ("ＡＢＣ１２３", "ABC123"),
        ("张\u3000三", "张 三"),
        ("a   b\t\nc", "a b c"),
        (None, ""),
        (13800138000.0, "13800138000"),
        (12, "12"),
        ("\u00a0x\u00a0", "x"),
    ],
)
def test_normalise_text(raw: object, expected: str) -> None:
    assert v.normalise_text(raw) == expected


def test_normalise_uscc_uppercases_and_drops_spaces() -> None:
    assert v.normalise_uscc(" 91440703ma4uj7k26e ") == "91440703MA4UJ7K26E"
    assert v.normalise_uscc("９１４４ ０７０３ＭＡ４ＵＪ７Ｋ２６Ｅ") == "91440703MA4UJ7K26E"


def test_normalise_phone() -> None:
    assert v.normalise_phone("０７５０－３５０１２３４") == "0750-3501234"
    assert v.normalise_phone(" 138 0013 8000 ") == "13800138000"


# --- USCC


@pytest.mark.parametrize(
    "code",
    [
        "91440703MA4UJ7K26E",
        "91440705MA51Q8R367",
        "91440781MA53C2T672",
        "91440703ma4uj7k26e",
        " 91440705MA51Q8R367 ",
        "９１４４０７８１ＭＡ５３Ｃ２Ｔ６７２",
    ],
)
def test_uscc_valid(code: str) -> None:
    assert v.validate_uscc(code) is None


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("", "required"),
        (None, "required"),
        ("91440703MA4UJ7K26", "18 characters, not 17"),
        ("91440703MA4UJ7K26EE", "18 characters, not 19"),
        ("91440703MA4UJ7K26F", "check character"),
        ("91440703MA4UJ7K26A", "check character"),
        ("91440705MA51Q8R368", "check character"),
        ("91440781MA53C2T673", "check character"),
        ("91440703MA4UJ7K2E6", "check character"),
        ("91440703MA4UI7K26E", "invalid character I"),
        ("91440703MA4UJ7O26E", "invalid character O"),
        ("91440703ZA4UJ7K26E", "invalid character Z"),
        ("91440703MA4SJ7K26E", "invalid character S"),
        ("91440703MA4VJ7K26E", "invalid character V"),
        ("9144070-MA4UJ7K26E", "invalid character -"),
        ("91A40703MA4UJ7K26N", "region code"),
    ],
)
def test_uscc_invalid(code: str | None, fragment: str) -> None:
    message = v.validate_uscc(code)
    assert message is not None
    assert fragment in str(message)


def test_uscc_check_char_matches_known_codes() -> None:
    assert v.uscc_check_char("91440703MA4UJ7K26") == "E"
    assert v.uscc_check_char("91440705MA51Q8R36") == "7"
    assert v.uscc_check_char("91440781MA53C2T67") == "2"


# --- resident ID


@pytest.mark.parametrize(
    "no",
    [
        "11010519491231002X",  # the GB 11643 worked example
        "11010519491231002x",
        "440703199003071235",
        "440705200002294566",  # 29 Feb of a leap year
        "440781194910010010",
        "44070319800101008X",
        "440703198001010100",
        "440784202401018889",
        " 4407 0319 9003 0712 35 ",
        "４４０７０３１９９００３０７１２３５",
    ],
)
def test_resident_id_valid(no: str) -> None:
    assert v.validate_resident_id(no, today=TODAY) is None


@pytest.mark.parametrize(
    ("no", "fragment"),
    [
        ("", "required"),
        ("44070319900307123", "18 characters, not 17"),
        ("4407031990030712355", "18 characters, not 19"),
        ("440703900307123", "18 characters, not 15"),
        ("440703199003071236", "check digit"),
        ("440703199003071234", "check digit"),
        ("11010519491231002Y", "17 digits followed by a digit or X"),
        ("1101051949123100XX", "17 digits followed by a digit or X"),
        ("A40703199003071235", "17 digits followed by a digit or X"),
        ("٤40703199003071235", "17 digits followed by a digit or X"),  # Arabic-Indic digit
        ("440703199902300000", "invalid birth date 19990230"),
        ("440703199913010000", "invalid birth date 19991301"),
        ("440703199900000000", "invalid birth date 19990000"),
        ("440703200102290000", "invalid birth date 20010229"),
        ("440524188001010014", "before 1900"),  # GB 11643 example, check digit right
        ("440703202712310000", "in the future"),
        ("040703199003071235", "region code 040703"),
        ("940703199003071235", "region code 940703"),
    ],
)
def test_resident_id_invalid(no: str, fragment: str) -> None:
    message = v.validate_resident_id(no, today=TODAY)
    assert message is not None
    assert fragment in str(message)


def test_resident_id_birth_date_today_is_accepted_tomorrow_is_not() -> None:
    assert v.validate_resident_id("44070320261126000X", today=date(2026, 11, 26)) is None
    assert "future" in str(v.validate_resident_id("44070320261126000X", today=date(2026, 11, 25)))


@pytest.mark.parametrize("position", range(17))
def test_resident_id_any_single_digit_change_is_caught(position: int) -> None:
    good = "440703199003071235"
    for digit in "0123456789":
        if digit == good[position]:
            continue
        changed = good[:position] + digit + good[position + 1 :]
        assert v.validate_resident_id(changed, today=TODAY) is not None, changed


# --- passports and permits


@pytest.mark.parametrize(
    "no",
    ["E12345678", "G12345678", "EA1234567", "e12345678", "123456789", "X1234", "AB1234567890CDEFG"],
)
def test_passport_valid(no: str) -> None:
    assert v.validate_passport(no) is None


@pytest.mark.parametrize(
    "no", ["", "E123", "AB1234567890CDEFGH", "E1234-5678", "E1234567!", "护照12345"]
)
def test_passport_invalid(no: str) -> None:
    assert v.validate_passport(no) is not None


@pytest.mark.parametrize("no", ["H12345678", "M12345678", "H1234567890", "h12345678", "Ｍ１２３４５６７８"])
def test_hk_macau_permit_valid(no: str) -> None:
    assert v.validate_hk_macau_permit(no) is None


@pytest.mark.parametrize(
    "no", ["", "12345678", "A12345678", "H1234567", "H123456789", "H123456789012", "HM1234567"]
)
def test_hk_macau_permit_invalid(no: str) -> None:
    assert v.validate_hk_macau_permit(no) is not None


@pytest.mark.parametrize("no", ["12345678", "1234567890", "１２３４５６７８"])
def test_taiwan_permit_valid(no: str) -> None:
    assert v.validate_taiwan_permit(no) is None


@pytest.mark.parametrize("no", ["", "1234567", "123456789", "12345678901", "T1234567", "1234567A"])
def test_taiwan_permit_invalid(no: str) -> None:
    assert v.validate_taiwan_permit(no) is not None


@pytest.mark.parametrize("no", ["810000198001010014", "820000199506150027", "83000020010909003X"])
def test_residence_permit_hkmt_valid(no: str) -> None:
    assert v.validate_residence_permit_hkmt(no, today=TODAY) is None


@pytest.mark.parametrize(
    ("no", "fragment"),
    [
        ("440703199003071235", "810000, 820000 or 830000"),
        ("810001198001010014", "810000, 820000 or 830000"),
        ("810000198001010015", "check digit"),
        ("810000198002300014", "invalid birth date"),
        ("81000019800101001", "18 characters"),
    ],
)
def test_residence_permit_hkmt_invalid(no: str, fragment: str) -> None:
    message = v.validate_residence_permit_hkmt(no, today=TODAY)
    assert message is not None
    assert fragment in str(message)


# --- dispatch


def test_id_types_are_ordered_codes_with_labels() -> None:
    assert list(v.ID_TYPES) == ["01", "02", "03", "04", "05", "06", "99"]
    assert str(v.ID_TYPES["01"]) == "Resident ID card"
    assert all(str(label) for label in v.ID_TYPES.values())


@pytest.mark.parametrize(
    ("id_type", "no"),
    [
        ("01", "11010519491231002X"),
        ("02", "E12345678"),
        ("03", "H12345678"),
        ("04", "12345678"),
        ("05", "810000198001010014"),
        ("06", "91440703MA4UJ7K26E"),
        ("99", "军官证 123"),
        ("99", "AB"),
    ],
)
def test_validate_id_number_dispatch_valid(id_type: str, no: str) -> None:
    assert v.validate_id_number(id_type, no) is None


@pytest.mark.parametrize(
    ("id_type", "no"),
    [
        ("01", "91440703MA4UJ7K26E"),
        ("02", "E1"),
        ("03", "12345678"),
        ("04", "H12345678"),
        ("05", "11010519491231002X"),
        ("06", "11010519491231002X"),
        ("99", "A"),
        ("99", "x" * 31),
        ("99", "AB\x00CD"),
    ],
)
def test_validate_id_number_dispatch_invalid(id_type: str, no: str) -> None:
    assert v.validate_id_number(id_type, no) is not None


def test_validate_id_number_unknown_type() -> None:
    message = v.validate_id_number("07", "11010519491231002X")
    assert message is not None
    assert "Unknown identity document type 07" in str(message)


# --- phones


@pytest.mark.parametrize(
    "phone", ["13800138000", "19912345678", "15012345678", " 138 0013 8000 ", "１３８００１３８０００"]
)
def test_mobile_valid(phone: str) -> None:
    assert v.validate_mobile(phone) is None


@pytest.mark.parametrize(
    "phone",
    ["", "12800138000", "1380013800", "138001380001", "23800138000", "1380013800a", "0750-3501234"],
)
def test_mobile_invalid(phone: str) -> None:
    assert v.validate_mobile(phone) is not None


@pytest.mark.parametrize(
    "phone",
    [
        "13800138000",
        "0750-3501234",
        "07503501234",
        "0750 3501234",
        "020-88888888",
        "010-62345678",
        "3501234",
        "35012345",
        "0750-3501234-801",
        "0750-3501234转801",
        "０７５０－３５０１２３４",
    ],
)
def test_phone_valid(phone: str) -> None:
    assert v.validate_phone(phone) is None


@pytest.mark.parametrize(
    "phone",
    [
        "",
        "12345",
        "0750-350123",
        "0750-350123456",
        "0750-0501234",
        "0750--3501234",
        "750-3501234-",
        "07500-3501234",
        "0750-3501234-1234567",
        "phone",
        "12800138000",
    ],
)
def test_phone_invalid(phone: str) -> None:
    assert v.validate_phone(phone) is not None


# --- names


@pytest.mark.parametrize(
    "name", ["张三", "欧阳娜娜", "  李四 ", "John Smith", "阿卜杜·热合曼", "张三2", "x" * 50, "Ａｎｎａ"]
)
def test_person_name_valid(name: str) -> None:
    assert v.validate_person_name(name) is None


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "required"),
        ("   ", "required"),
        (None, "required"),
        ("x" * 51, "at most 50"),
        ("12345", "only digits"),
        ("１２３", "only digits"),
        ("张\x00三", "control"),
        ("张\u200b三", "control"),
        ("张\x1b三", "control"),
    ],
)
def test_person_name_invalid(name: str | None, fragment: str) -> None:
    message = v.validate_person_name(name)
    assert message is not None
    assert fragment in str(message)
