"""Money helpers: parsing amounts safely, rounding to the cent, Chinese capital amounts (大写)."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

CENT = Decimal("0.01")
MAX_IN_WORDS = Decimal(10) ** 16

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("仟", "佰", "拾", "")
_CURRENCY_PREFIXES = ("人民币", "RMB", "CNY")
_PLAIN_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)\Z", re.ASCII)
_GROUPED_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?\Z", re.ASCII)


def quantize_money(d: Decimal | int) -> Decimal:
    """Return ``d`` rounded half-up to two decimal places; TypeError for float (use to_money)."""
    if isinstance(d, bool) or not isinstance(d, (Decimal, int)):
        raise TypeError(f"quantize_money needs Decimal or int, got {type(d).__name__}")
    return Decimal(d).quantize(CENT, rounding=ROUND_HALF_UP)


def share_by_weights(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``total`` shared in proportion to ``weights``: each share half-up to the cent, the last one
    taking the remainder, so the shares always add up to ``total`` exactly (拆分: by floor area).

    Zero weights in all share equally. ``ValueError`` for no weights or a negative one.
    """
    if not weights or any(w < 0 for w in weights):
        raise ValueError("share_by_weights needs at least one weight, none negative")
    total = quantize_money(total)
    whole = sum(weights, Decimal(0))
    parts = list(weights) if whole else [Decimal(1)] * len(weights)
    whole = whole or Decimal(len(weights))
    shares = [quantize_money(total * part / whole) for part in parts[:-1]]
    return shares + [total - sum(shares, Decimal(0))]


def _split_sign(text: str) -> tuple[str, str]:
    """Return (sign, rest) where sign is "+", "-" or ""."""
    if text[:1] in ("+", "-"):
        return text[0], text[1:]
    return "", text


def _clean_amount_text(value: str) -> str:
    """Return amount text without spaces, full-width forms and a leading currency / trailing 元.

    Marks are removed only at the ends, so "1元2" stays invalid instead of becoming 12.
    """
    text = unicodedata.normalize("NFKC", value).replace("\u2212", "-")
    sign, text = _split_sign("".join(text.split()).upper())
    for prefix in _CURRENCY_PREFIXES:
        text = text.removeprefix(prefix)
    text = text.removeprefix("¥").removesuffix("元")
    if not sign:
        sign, text = _split_sign(text)
    return sign + text


def _amount_decimal(value: object) -> Decimal:
    """``value`` as an unrounded finite Decimal (the parsing rules of ``to_money``)."""
    if value is None or isinstance(value, bool):
        raise ValueError(_l("Amount is missing or not a number."))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(_l("Amount %(value)s is not a finite number.", value=value))
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(_l("Amount %(value)s is not a finite number.", value=value))
        return value
    if isinstance(value, int):
        return Decimal(value)
    if not isinstance(value, str):
        raise ValueError(_l("Amount is missing or not a number."))
    text = _clean_amount_text(value)
    if not text:
        raise ValueError(_l("Amount is empty."))
    if _GROUPED_RE.match(text):
        text = text.replace(",", "")
    if not _PLAIN_RE.match(text):
        raise ValueError(_l("Amount %(value)s is not a valid number.", value=value.strip()))
    return Decimal(text)


def to_money(value: object) -> Decimal:
    """Return ``value`` as a Decimal rounded half-up to the cent.

    Accepts Decimal, int, float (via its shortest repr, so an Excel 12.3 stays 12.30) and text with
    full-width digits, "¥"/"元"/"人民币" marks and thousands commas ("1,234.50"). Raises ValueError
    with a translated message for anything else, including "12,50", exponents, NaN and infinity.
    """
    number = _amount_decimal(value)
    try:
        return quantize_money(number)
    except InvalidOperation as exc:
        raise ValueError(_l("Amount %(value)s is too large.", value=str(value).strip())) from exc


def to_exact_money(value: object) -> Decimal:
    """Return ``value`` as a Decimal of two places, refusing whatever ``to_money`` would round.

    For amounts that must match to the cent (a bank's payment confirmation, amounts typed for
    notices): a binary float is refused outright (it may already have lost digits; decode JSON
    with ``json_loads_exact``), and so is any amount written with more than two decimal places,
    "7201.801" as well as "7201.800". The text forms of ``to_money`` are accepted.
    """
    if isinstance(value, float):
        raise ValueError(_l("Amount %(value)s must be sent as text or as an exact decimal number.",
                            value=repr(value)))
    number = _amount_decimal(value)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError(_l("Amount %(value)s has more than two decimal places.",
                            value=str(value).strip()))
    return to_money(number)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def json_loads_exact(data: str | bytes) -> object:
    """``json.loads`` whose numbers with a fraction stay Decimal (never float); NaN and Infinity
    are refused (ValueError), as strict JSON has them not."""
    return json.loads(data, parse_float=Decimal, parse_constant=_refuse_constant)


def _words_below_10k(n: int) -> str:
    """Return 0 < n < 10000 in capitals; inner zeros become one 零, trailing zeros vanish."""
    out: list[str] = []
    pending_zero = False
    for digit, unit in zip(f"{n:04d}", _SMALL_UNITS, strict=True):
        if digit == "0":
            pending_zero = bool(out)
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(_DIGITS[int(digit)] + unit)
    return "".join(out)


def _words_with_unit(n: int, base: int, unit: str, lower: Callable[[int], str]) -> str:
    """Return n in capitals as (n // base) + unit + remainder, 零 if the remainder's top is 0."""
    high, low = divmod(n, base)
    if not high:
        return lower(low)
    text = lower(high) + unit
    if low:
        text += ("零" if low < base // 10 else "") + lower(low)
    return text


def _words_below_1e8(n: int) -> str:
    """Return 0 < n < 10**8 in capitals using 万."""
    return _words_with_unit(n, 10**4, "万", _words_below_10k)


def _integer_words(n: int) -> str:
    """Return 0 < n < 10**16 in capitals using 万 and 亿."""
    return _words_with_unit(n, 10**8, "亿", _words_below_1e8)


def amount_in_words(value: Decimal | int | str) -> str:
    """Return the amount in Chinese financial capitals as written on bank slips, without "人民币".

    Examples: 0 -> 零元整, 1004.50 -> 壹仟零肆元伍角, 10000.07 -> 壹万元零柒分, 0.5 -> 伍角,
    -3 -> 负叁元整. The value is parsed with ``to_money``; ValueError if it is 10**16 or more.
    """
    amount = to_money(value)
    if abs(amount) >= MAX_IN_WORDS:
        raise ValueError(_l("Amount %(value)s is too large to write in words.", value=amount))
    cents = int(abs(amount) * 100)
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    if cents == 0:
        return "零元整"
    text = _integer_words(yuan) + "元" if yuan else ""
    if jiao:
        text += _DIGITS[jiao] + "角"
    if fen:
        text += ("零" if yuan and not jiao else "") + _DIGITS[fen] + "分"
    if not rest:
        text += "整"
    return ("负" if amount < 0 else "") + text
