"""Row ids: the one bound every id from a URL, a form or a JSON body is checked against."""
from __future__ import annotations

from typing import Any, Optional

#: The largest value an INTEGER column holds; PostgreSQL raises on a bigger one instead of
#: finding nothing, so such an id must be "not found" before it reaches a query.
MAX_ID = 2**31 - 1


def fits_integer(value: int) -> bool:
    """True when ``value`` fits a (signed, 32-bit) INTEGER column."""
    return -MAX_ID - 1 <= value <= MAX_ID


def row_id(value: Any) -> Optional[int]:
    """``value`` as a row id, or None when it cannot be one (text, bool, zero, negative, too large)."""
    if isinstance(value, bool):
        return None
    try:
        ident = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return ident if 0 < ident <= MAX_ID else None
