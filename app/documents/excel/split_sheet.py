"""The split / merge sheet (房屋拆分合并): the picked houses out, the resulting houses back in.

导出 writes one row per picked house with its 房屋编号 in 原房屋编号; the developer turns the rows
into the houses that result: several rows with one 原房屋编号 split that house, one row listing
several 原房屋编号 (separated by 、 , ; or spaces) merges them. The house columns are the house
sheet's own (same headers, codes and rules), so the two sheets read alike.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.documents.excel.columns import Column
from app.documents.excel.export import export_rows
from app.documents.excel.house_sheet import (HouseCodes, house_columns, inner_area_fits, price_rule,
                                             unique_houses)
from app.documents.excel.reader import DEFAULT_MAX_ROWS, ImportResult, read_sheet
from app.documents.excel.security import DEFAULT_LIMITS, Limits

SHEET_NAME = "拆分合并房屋"
SOURCES = "原房屋编号"
#: The house sheet's columns a resulting house needs (the building's own data is the register's).
HOUSE_KEYS = ("building_name", "unit", "floor", "room", "address", "building_area", "inner_area",
              "use_code", "has_lift", "sales_status", "price")
_SEPARATORS = re.compile(r"[\s,，;；、/]+")


def source_codes(text: Any) -> list[str]:
    """The 房屋编号 listed in a 原房屋编号 cell, in order, each once."""
    return list(dict.fromkeys(code for code in _SEPARATORS.split(str(text or "")) if code))


def split_columns(codes: HouseCodes) -> tuple[Column, ...]:
    """原房屋编号, then the house columns of ``HOUSE_KEYS`` in the house sheet's order."""
    houses = {column.key: column for column in house_columns(codes)}
    sources = Column(SOURCES, "sources", required=True, max_length=2000, width=22,
                     example="440703000010000012",
                     note=_l("The 房屋编号 this house comes from: one for each part of a split "
                             "house, several (separated by 、) for a merged house."))
    return (sources, *(houses[key] for key in HOUSE_KEYS))


def export_split_sheet(codes: HouseCodes, rows: Iterable[Mapping[str, Any]]) -> bytes:
    """The picked houses as a sheet to edit (rows keyed like ``split_columns``)."""
    return export_rows(split_columns(codes), rows, SHEET_NAME)


def read_split_sheet(
    data: bytes,
    codes: HouseCodes,
    *,
    price_required: Callable[[Mapping[str, Any]], bool],
    file_rules: Sequence[Callable[..., Iterable[tuple[int, str, Any]]]] = (),
    max_rows: int = DEFAULT_MAX_ROWS,
    limits: Limits = DEFAULT_LIMITS,
) -> ImportResult:
    """Read the edited sheet; ``sources`` comes back as a list of 房屋编号.

    ``file_rules`` add the caller's checks of whole rows (e.g. against the register); they see
    rows whose cells are all valid, as (Excel row number, row).
    """
    result = read_sheet(data, split_columns(codes), max_rows=max_rows,
                        row_rules=(sources_listed, inner_area_fits, price_rule(price_required)),
                        file_rules=(unique_houses, *file_rules), limits=limits)
    for row in result.rows:
        row["sources"] = source_codes(row["sources"])
    return result


def sources_listed(row: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    """原房屋编号 must name at least one house."""
    if not source_codes(row["sources"]):
        yield "sources", _("Enter the 房屋编号 of the house this one comes from.")
