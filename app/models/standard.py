"""交存标准 (deposit standards): data edited by the fund office, never constants in code."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Timestamped

BASIS_AREA = "AREA"    # yuan per m² of building area
BASIS_PRICE = "PRICE"  # rate × house price


class DepositStandard(Timestamped, Model):
    __tablename__ = "deposit_standard"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    use_code: Mapped[str] = mapped_column(String(30), nullable=False, index=True)
    #: None: applies with and without lift.
    has_lift: Mapped[Optional[bool]] = mapped_column(Boolean)
    #: Optional storey class: applies to buildings whose total floors fall in [min, max].
    min_floors: Mapped[Optional[int]] = mapped_column(Integer)
    max_floors: Mapped[Optional[int]] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(5), nullable=False, default=BASIS_AREA)
    #: yuan/m² for AREA, a fraction (0.02 = 2 %) for PRICE.
    rate: Mapped[Decimal] = mapped_column(Numeric(12, 4, asdecimal=True), nullable=False)
    effective_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    effective_to: Mapped[Optional[dt.date]] = mapped_column(Date)
    #: Seeded rows are examples until the office replaces them.
    is_example: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    note: Mapped[Optional[str]] = mapped_column(Text)

    def describe(self) -> str:
        if self.basis == BASIS_PRICE:
            return f"{(self.rate * 100).normalize():f}%×房价"
        return f"{self.rate.quantize(Decimal('0.01'))}元/㎡"

    def __repr__(self) -> str:
        return self.name


class RenewThreshold(Timestamped, Model):
    """续筹 threshold: a house is due for replenishment once its balance falls below this share of
    its first deposit. Dated like the standards, so a change applies from its day on and the
    threshold in force on any past day can still be read."""

    __tablename__ = "renew_threshold"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Percent of the first deposit (30 = 30 %).
    percent: Mapped[Decimal] = mapped_column(Numeric(5, 2, asdecimal=True), nullable=False)
    effective_from: Mapped[dt.date] = mapped_column(Date, nullable=False, unique=True)
    note: Mapped[Optional[str]] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"{self.percent.normalize():f}%"
