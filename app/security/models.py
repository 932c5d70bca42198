"""Platform users: FAB's ab_user extended with the organisation they belong to."""
from __future__ import annotations

from typing import Optional

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

#: Developer Staff may be restricted to chosen property areas (no rows: all areas of the organisation).
user_area = Table(
    "user_area",
    Model.metadata,
    Column("user_id", Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", Integer, ForeignKey("property_area.id", ondelete="CASCADE"), primary_key=True),
)


class PlatformUser(User):
    __tablename__ = "ab_user"
    __table_args__ = {"extend_existing": True}

    #: None for internal users (Admin, Fund Officer, Bank Teller).
    org_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organisation.id"), index=True)
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    id_type: Mapped[Optional[str]] = mapped_column(String(4))
    id_no: Mapped[Optional[str]] = mapped_column(String(30))

    organisation = relationship("Organisation", foreign_keys=[org_id])
    areas = relationship("PropertyArea", secondary=user_area)

    @property
    def display_name(self) -> str:
        return f"{self.last_name}{self.first_name}".strip() or self.username

    def get_full_name(self) -> str:
        """Chinese order: family name first, no space (FAB prints "first last")."""
        return self.display_name
