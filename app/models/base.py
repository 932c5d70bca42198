"""Shared column helpers for the platform's models."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from typing import Any, Callable

from sqlalchemy import DateTime, ForeignKey, Integer, Numeric
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

#: Money: 14 digits, 2 decimals, always Decimal.
Money = Numeric(14, 2, asdecimal=True)
#: Areas in square metres.
Area = Numeric(12, 2, asdecimal=True)
ZERO = Decimal("0.00")


def utcnow() -> dt.datetime:
    """Naive UTC timestamp (SQLite keeps no zone; the UI converts to Asia/Shanghai)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def built_on(dialect: str) -> Callable[..., bool]:
    """Alembic's ``include_object`` for a database of ``dialect``: leaves out of the comparison
    what the models create only on another database (``Index(...).ddl_if(dialect=...)``)."""

    def include(obj: Any, _name: Any, _type: str, _reflected: bool, _compare_to: Any) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        return condition is None or condition.dialect in (None, dialect)

    return include


class OrgOwned:
    """Rows that belong to one developer organisation; the tenant filter keys on ``org_id``."""

    @declared_attr
    def org_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy declared_attr
        return mapped_column(Integer, ForeignKey("organisation.id"), nullable=False, index=True)


class Timestamped:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
