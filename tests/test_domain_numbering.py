"""Unit tests for app.domain.numbering (pure, no app needed)."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.numbering import (
    check_char,
    house_account_number,
    house_account_numbers,
    is_valid_numbered,
    notice_number,
    notice_number_parts,
    order_number,
    parse_notice_number,
    validate_house_account_number,
    with_check,
)

DAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("0794", "0"),  # ISO 7064 worked examples
        ("079", "X"),
        ("11010519491231002", "X"),  # GB 11643 worked example uses the same scheme
        ("44052418800101001", "4"),
        ("44070319900307123", "5"),
        ("0", "1"),
    ],
)
def test_check_char_known_values(body: str, expected: str) -> None:
    assert check_char(body) == expected


@pytest.mark.parametrize("body", ["", "12a4", "JK1", "１２３", "12 3"])
def test_check_char_rejects_non_digits(body: str) -> None:
    with pytest.raises(ValueError):
        check_char(body)


def test_with_check_and_is_valid_numbered_roundtrip() -> None:
    assert with_check("079") == "079X"
    assert with_check("JK0794") == "JK07940"
    assert is_valid_numbered("079X")
    assert is_valid_numbered("079x")
    assert is_valid_numbered("JK07940")
    assert not is_valid_numbered("0791")
    assert not is_valid_numbered("")
    assert not is_valid_numbered("X")
    assert not is_valid_numbered("JKX")
    with pytest.raises(ValueError):
        with_check("JK")


def test_notice_number_format() -> None:
    no = notice_number(DAY, 1)
    assert no == "JK202611260000012"
    assert len(no) == 17
    assert notice_number(date(2025, 1, 2), 999999).startswith("JK20250102999999")


@pytest.mark.parametrize("seq", [0, -1, 1_000_000])
def test_notice_number_rejects_bad_seq(seq: int) -> None:
    with pytest.raises(ValueError):
        notice_number(DAY, seq)


@pytest.mark.parametrize("seq", [1, 2, 9, 10, 123, 4567, 99999, 100000, 999999])
def test_notice_number_roundtrip(seq: int) -> None:
    no = notice_number(DAY, seq)
    assert parse_notice_number(no) is None
    assert notice_number_parts(no) == (DAY, seq)


@pytest.mark.parametrize(
    "no",
    ["JK202611260000012", "jk202611260000012", " JK 20261126 000001 2 ", "ＪＫ２０２６１１２６０００００１２"],
)
def test_parse_notice_number_accepts_normalised_forms(no: str) -> None:
    assert parse_notice_number(no) is None


@pytest.mark.parametrize(
    ("no", "fragment"),
    [
        ("", "required"),
        ("YW202611260000012", "start with JK"),
        ("JK20261126000001", "17 characters long, not 16"),
        ("JK2026112600000122", "17 characters long, not 18"),
        ("JK2026112600000A2", "14 digits and a check character"),
        ("JK20261126000001Y", "14 digits and a check character"),
        ("JK202611260000013", "check character"),
        ("JK202611250000012", "check character"),
        ("JK202611260000021", "check character"),
        (with_check("JK19990230000001"), "invalid date 19990230"),
        (with_check("JK20261326000001"), "invalid date 20261326"),
        (with_check("JK20261126000000"), "sequence 000000"),
    ],
)
def test_parse_notice_number_rejects(no: str, fragment: str) -> None:
    message = parse_notice_number(no)
    assert message is not None
    assert fragment in str(message)


def test_notice_number_parts_raises_with_message() -> None:
    with pytest.raises(ValueError, match="check character"):
        notice_number_parts("JK202611260000013")


@pytest.mark.parametrize("seq", [1, 37, 480512])
def test_parse_notice_number_catches_every_single_digit_typo(seq: int) -> None:
    good = notice_number(DAY, seq)
    for pos in range(2, len(good)):
        for ch in "0123456789X":
            if ch == good[pos]:
                continue
            typo = good[:pos] + ch + good[pos + 1 :]
            assert parse_notice_number(typo) is not None, typo


def test_parse_notice_number_catches_adjacent_swaps() -> None:
    good = notice_number(DAY, 480512)
    for pos in range(2, len(good) - 1):
        if good[pos] == good[pos + 1]:
            continue
        swapped = good[:pos] + good[pos + 1] + good[pos] + good[pos + 2 :]
        assert parse_notice_number(swapped) is not None, swapped


def test_order_number() -> None:
    assert order_number("YW", DAY, 1) == "YW2026112600001"
    assert order_number("JF", date(2027, 1, 5), 99999) == "JF2027010599999"
    assert order_number("T", DAY, 42) == "T2026112600042"


@pytest.mark.parametrize(
    ("type_code", "seq"),
    [("yw", 1), ("", 1), ("YW\n", 1), ("YWXYZ", 1), ("Y1", 1), ("YW", 0), ("YW", 100000)],
)
def test_order_number_rejects(type_code: str, seq: int) -> None:
    with pytest.raises(ValueError):
        order_number(type_code, DAY, seq)


def test_order_number_rejects_non_int_seq() -> None:
    with pytest.raises(TypeError):
        order_number("YW", DAY, "1")  # type: ignore[arg-type]


def test_house_account_number() -> None:
    no = house_account_number("440703", 12, 345)
    assert no == "44070300012000345X"
    assert len(no) == 18
    assert validate_house_account_number(no) is None
    assert validate_house_account_number(no.lower()) is None
    assert house_account_number("440781", 99999, 999999).startswith("44078199999999999")


@pytest.mark.parametrize(("district", "area", "first", "count"),
                         [("440703", 12, 1, 3000), ("440781", 99999, 990_000, 9999),
                          ("440705", 7, 345, 1), ("440703", 1, 5, 0)])
def test_house_account_numbers_are_those_numbered_one_by_one(district: str, area: int, first: int,
                                                             count: int) -> None:
    numbers = house_account_numbers(district, area, first, count)
    assert numbers == [house_account_number(district, area, seq)
                       for seq in range(first, first + count)]
    assert any(no.endswith("X") for no in numbers) or count < 20


@pytest.mark.parametrize(("district", "area", "first", "count"),
                         [("44070", 1, 1, 1), ("440703", 0, 1, 1), ("440703", 1, 999_999, 2),
                          ("440703", 1, 0, 1)])
def test_house_account_numbers_reject(district: str, area: int, first: int, count: int) -> None:
    with pytest.raises(ValueError):
        house_account_numbers(district, area, first, count)


@pytest.mark.parametrize(
    ("district", "area", "house"),
    [
        ("44070", 1, 1),
        ("4407031", 1, 1),
        ("440703\n", 1, 1),
        ("٤٤٠٧٠٣", 1, 1),
        ("44O703", 1, 1),
        ("440703", 0, 1),
        ("440703", 100000, 1),
        ("440703", 1, 0),
        ("440703", 1, 1_000_000),
    ],
)
def test_house_account_number_rejects(district: str, area: int, house: int) -> None:
    with pytest.raises(ValueError):
        house_account_number(district, area, house)


@pytest.mark.parametrize(
    ("no", "fragment"),
    [
        ("", "required"),
        ("44070300012000345", "18 characters long, not 17"),
        ("44070300012000345XX", "18 characters long, not 19"),
        ("4407030001200034XX", "17 digits followed by a check character"),
        ("440703000120003459", "check character is wrong"),
        ("44070300012000354X", "check character is wrong"),
    ],
)
def test_validate_house_account_number_rejects(no: str, fragment: str) -> None:
    message = validate_house_account_number(no)
    assert message is not None
    assert fragment in str(message)
