"""Unit tests for app.domain.money (pure, no app needed)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain.money import amount_in_words, quantize_money, to_money


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234.56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1,234,567", "1234567.00"),
        ("¥1,234.50", "1234.50"),
        ("￥１，２３４．５", "1234.50"),
        ("１２３４", "1234.00"),
        ("  88 元 ", "88.00"),
        ("人民币100元", "100.00"),
        ("RMB 5", "5.00"),
        ("-12.5", "-12.50"),
        ("¥-12", "-12.00"),
        ("-¥12", "-12.00"),
        ("\u221212", "-12.00"),
        ("+7", "7.00"),
        (".5", "0.50"),
        ("5.", "5.00"),
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("2.675", "2.68"),
        ("-2.675", "-2.68"),
        (12, "12.00"),
        (0, "0.00"),
        (Decimal("3.14159"), "3.14"),
        (12.3, "12.30"),
        (0.1 + 0.2, "0.30"),
        (1234.5600000000002, "1234.56"),
        (2.675, "2.68"),  # binary 2.67499999… must not round down
        (1e15, "1000000000000000.00"),
    ],
)
def test_to_money_accepts(raw: object, expected: str) -> None:
    result = to_money(raw)
    assert isinstance(result, Decimal)
    assert result == Decimal(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        True,
        "",
        "   ",
        "abc",
        "12,50",
        "1,23,456",
        "1,2345",
        "1e5",
        "1.2.3",
        "1元2",
        "--5",
        "12-",
        "NaN",
        "Infinity",
        float("nan"),
        float("inf"),
        Decimal("NaN"),
        Decimal("Infinity"),
        [1],
        "1" * 40,
    ],
)
def test_to_money_rejects(raw: object) -> None:
    with pytest.raises(ValueError) as exc:
        to_money(raw)
    assert "Amount" in str(exc.value)


def test_to_money_error_names_the_value() -> None:
    with pytest.raises(ValueError, match="12,50"):
        to_money("12,50")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (Decimal("1.005"), "1.01"),
        (Decimal("1.004"), "1.00"),
        (Decimal("-1.005"), "-1.01"),
        (Decimal("10"), "10.00"),
        (7, "7.00"),
        (Decimal("123.4") * Decimal("55"), "6787.00"),
        (Decimal("89.37") * Decimal("0.02"), "1.79"),
    ],
)
def test_quantize_money(raw: Decimal | int, expected: str) -> None:
    assert str(quantize_money(raw)) == expected


@pytest.mark.parametrize("raw", [1.5, "1.5", True, None])
def test_quantize_money_rejects_non_decimal(raw: object) -> None:
    with pytest.raises(TypeError):
        quantize_money(raw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "零元整"),
        ("0.00", "零元整"),
        ("-0.001", "零元整"),
        ("0.5", "伍角"),
        ("0.50", "伍角"),
        ("0.05", "伍分"),
        ("0.55", "伍角伍分"),
        ("1", "壹元整"),
        ("1.01", "壹元零壹分"),
        ("1.10", "壹元壹角"),
        ("10", "壹拾元整"),
        ("11", "壹拾壹元整"),
        ("20", "贰拾元整"),
        ("101", "壹佰零壹元整"),
        ("110", "壹佰壹拾元整"),
        ("1000", "壹仟元整"),
        ("1001", "壹仟零壹元整"),
        ("1004.50", "壹仟零肆元伍角"),
        ("1010.00", "壹仟零壹拾元整"),
        ("1100", "壹仟壹佰元整"),
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("9999.99", "玖仟玖佰玖拾玖元玖角玖分"),
        ("10000", "壹万元整"),
        ("10000.07", "壹万元零柒分"),
        ("10001", "壹万零壹元整"),
        ("10010", "壹万零壹拾元整"),
        ("10100", "壹万零壹佰元整"),
        ("11000", "壹万壹仟元整"),
        ("100000", "壹拾万元整"),
        ("100001", "壹拾万零壹元整"),
        ("107000.53", "壹拾万柒仟元伍角叁分"),
        ("1000100", "壹佰万零壹佰元整"),
        ("1001000", "壹佰万壹仟元整"),
        ("1234567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        ("10000000", "壹仟万元整"),
        ("99999999.99", "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
        ("100000000", "壹亿元整"),
        ("100000001", "壹亿零壹元整"),
        ("100010000", "壹亿零壹万元整"),
        ("100100000", "壹亿零壹拾万元整"),
        ("110000000", "壹亿壹仟万元整"),
        ("123456789.01", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元零壹分"),
        ("1000000000", "壹拾亿元整"),
        ("1000000001.10", "壹拾亿零壹元壹角"),
        ("1000100000000", "壹万零壹亿元整"),
        ("1000000000000", "壹万亿元整"),
        ("9999999999999999.99", "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
        ("-3", "负叁元整"),
        ("-1004.5", "负壹仟零肆元伍角"),
        ("-0.07", "负柒分"),
    ],
)
def test_amount_in_words(amount: str, words: str) -> None:
    assert amount_in_words(amount) == words
    assert amount_in_words(Decimal(amount)) == words


def test_amount_in_words_accepts_int_and_rounds_half_up() -> None:
    assert amount_in_words(30) == "叁拾元整"
    assert amount_in_words(Decimal("0.125")) == "壹角叁分"
    assert amount_in_words(Decimal("9.995")) == "壹拾元整"


def test_amount_in_words_never_prefixes_currency() -> None:
    assert not amount_in_words("88").startswith("人民币")


@pytest.mark.parametrize("amount", ["10000000000000000", "-10000000000000000"])
def test_amount_in_words_too_large(amount: str) -> None:
    with pytest.raises(ValueError, match="too large"):
        amount_in_words(amount)
