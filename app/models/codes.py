"""Code tables (行政区划, 建筑结构, 房屋用途, 证件类型, …) kept as data, one table for all kinds."""
from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

KIND_DISTRICT = "district"
KIND_STRUCTURE = "structure"
KIND_HOUSE_USE = "house_use"
KIND_ID_TYPE = "id_type"
KIND_SALES_STATUS = "sales_status"
KIND_PAYMENT_TYPE = "payment_type"
KIND_ATTACHMENT = "attachment_kind"


class CodeItem(Model):
    __tablename__ = "code_item"
    __table_args__ = (UniqueConstraint("kind", "code", name="uq_code_item_kind_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(30), nullable=False)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    name_en: Mapped[str] = mapped_column(String(80), nullable=False, default="")
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    #: House uses: whether the 住宅 standard tier applies.
    residential: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    def __repr__(self) -> str:
        return self.name
