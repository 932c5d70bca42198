"""What every report shares: its filters, its table (columns, rows, totals) and SQL helpers.

A report is a function ``(session, scope, filters) -> Report``. The scope comes from the caller
(app.security.tenant.current_scope() in a view), so services never read the request. Figures are
aggregated by the database (GROUP BY); Python only shapes the few aggregated rows.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.documents.excel.columns import Column, ColumnType
from app.domain.money import quantize_money
from app.errors import Problem, ValidationFailed
from app.models.base import ZERO
from app.models.ledger import LedgerEntry, first_deposit_total
from app.models.payment import CHANNELS

#: Rows one screen page shows; totals always cover every matching row.
PAGE_SIZE = 200
#: Rows an Excel export or a print holds at most (a city's houses fit).
EXPORT_LIMIT = 200_000
HUNDRED = Decimal(100)

LEVEL_ORG = "org"
LEVEL_AREA = "area"
LEVEL_BUILDING = "building"
LEVELS = (LEVEL_ORG, LEVEL_AREA, LEVEL_BUILDING)


@dataclass(frozen=True)
class Filters:
    """The filters a report screen offers; every report reads the ones it knows."""

    org_id: Optional[int] = None
    area_id: Optional[int] = None
    building_id: Optional[int] = None
    district: Optional[str] = None
    date_from: Optional[dt.date] = None
    date_to: Optional[dt.date] = None
    channel: Optional[str] = None
    status: Optional[str] = None
    order_type: Optional[str] = None
    level: str = LEVEL_ORG
    #: 续筹 threshold in percent of the first deposit; None takes the configured one.
    threshold: Optional[Decimal] = None
    page: int = 1

    def as_args(self) -> dict[str, str]:
        """The filters as query arguments (for links and the export/print buttons)."""
        args: dict[str, str] = {}
        for name in ("org_id", "area_id", "building_id", "district", "channel", "status",
                     "order_type", "threshold"):
            value = getattr(self, name)
            if value not in (None, ""):
                args[name] = str(value)
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value is not None:
                args[name] = value.isoformat()
        if self.level != LEVEL_ORG:
            args["level"] = self.level
        return args


def parse_filters(raw: Mapping[str, Any]) -> Filters:
    """Filters from query arguments; a bad value is a 422 naming its field, unknown keys are ignored."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for name in ("org_id", "area_id", "building_id", "page"):
        text = str(raw.get(name) or "").strip()
        if not text:
            continue
        if not text.isdigit() or not 0 < int(text) < 2**31:
            problems.append(Problem(name, _l("Choose a value from the list.")))
            continue
        values[name] = int(text)
    for name in ("date_from", "date_to"):
        text = str(raw.get(name) or "").strip()
        if not text:
            continue
        try:
            values[name] = dt.date.fromisoformat(text)
        except ValueError:
            problems.append(Problem(name, _l("Enter a date as YYYY-MM-DD.")))
    for name in ("district", "status", "order_type"):
        text = str(raw.get(name) or "").strip()[:30]
        if text:
            values[name] = text
    channel = str(raw.get("channel") or "").strip()
    if channel:
        if channel not in CHANNELS:
            problems.append(Problem("channel", _l("Choose a value from the list.")))
        else:
            values["channel"] = channel
    level = str(raw.get("level") or "").strip()
    if level:
        if level not in LEVELS:
            problems.append(Problem("level", _l("Choose a value from the list.")))
        else:
            values["level"] = level
    threshold = str(raw.get("threshold") or "").strip()
    if threshold:
        try:
            value = Decimal(threshold)
        except ArithmeticError:
            value = Decimal(-1)
        if not value.is_finite() or not ZERO < value <= HUNDRED:
            problems.append(Problem("threshold", _l("Enter a percentage between 0 and 100.")))
        else:
            values["threshold"] = value
    if problems:
        raise ValidationFailed(problems=problems)
    return Filters(**values)


@dataclass
class Report:
    """One report as shown: its columns, the rows of this page, totals over every matching row.

    ``links`` maps a column key to the name of the list behind its figures (the view turns the
    row's ids into that list's filters).
    """

    name: str
    title: Any
    columns: list[Column]
    rows: list[dict[str, Any]]
    totals: Optional[dict[str, Any]] = None
    row_count: int = 0
    page: int = 1
    page_size: int = PAGE_SIZE
    links: dict[str, str] = field(default_factory=dict)
    notes: list[Any] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.row_count // self.page_size))


def col(header: Any, key: str, kind: ColumnType = ColumnType.TEXT, width: int = 14) -> Column:
    return Column(header=str(header), key=key, type=kind, width=width)


def money(value: Any) -> Decimal:
    """A database sum as money: SQLite hands back float or int, PostgreSQL Decimal."""
    if value is None:
        return ZERO
    return quantize_money(value if isinstance(value, Decimal) else Decimal(str(value)))


def rate(paid: Decimal, due: Decimal) -> str:
    """Collection rate as shown: paid towards the amount due, in percent with two places."""
    if due <= ZERO:
        return "-"
    return f"{quantize_money(min(paid, due) * HUNDRED / due)}%"


def balance_subquery() -> Any:
    """house_id, balance, first deposit (``first_deposit_total``) per house, in one GROUP BY."""
    return (select(LedgerEntry.house_id.label("house_id"),
                   func.sum(LedgerEntry.amount).label("balance"),
                   first_deposit_total().label("first_deposit"))
            .group_by(LedgerEntry.house_id).subquery("bal"))


def outstanding_expr(due: Any, balance: Any) -> Any:
    """SQL: what a house still owes towards its amount due (never negative)."""
    return case((due > balance, due - balance), else_=0)


def paid_towards_expr(due: Any, balance: Any) -> Any:
    """SQL: the part of the balance that counts towards the amount due."""
    return case((balance > due, due), else_=balance)


def month_expr(session: Session, column: Any) -> Any:
    """SQL: 'YYYY-MM' of a datetime column on SQLite and PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def days_between_expr(session: Session, start: Any, end: Any) -> Any:
    """SQL: days (fractional) from ``start`` to ``end``."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start) / 86400.0
    return func.julianday(end) - func.julianday(start)


#: Filters that compare a column for equality, and the two that bound a date range.
_EQUAL_FILTERS = ("org_id", "area_id", "building_id", "district", "channel", "status", "order_type")


def narrow(query: Any, filters: Filters, *, dates: Any = None, **columns: Any) -> Any:
    """``query`` narrowed by every filter that has a value and a column here.

    ``columns`` maps filter names (org_id, area_id, …) to the column they compare; ``dates`` is the
    date or datetime column of the period filters (the end day counts whole).
    """
    for name in _EQUAL_FILTERS:
        value = getattr(filters, name)
        if value not in (None, "") and name in columns:
            query = query.where(columns[name] == value)
    if dates is not None and filters.date_from:
        query = query.where(dates >= filters.date_from)
    if dates is not None and filters.date_to:
        query = query.where(dates < filters.date_to + dt.timedelta(days=1))
    return query


def page_window(filters: Filters, size: int = PAGE_SIZE) -> tuple[int, int]:
    """(offset, limit) of the filters' page."""
    return (max(filters.page, 1) - 1) * size, size
