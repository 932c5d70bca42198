"""开发建设单位 (developer organisations) and the history of their information changes."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Timestamped, utcnow

ORG_ACTIVE = "active"
ORG_SUSPENDED = "suspended"


class Organisation(Timestamped, Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False, unique=True)
    legal_rep: Mapped[str] = mapped_column(String(50), nullable=False)
    legal_rep_id_type: Mapped[str] = mapped_column(String(4), nullable=False, default="01")
    legal_rep_id_no: Mapped[str] = mapped_column(String(30), nullable=False)
    contact: Mapped[str] = mapped_column(String(50), nullable=False)
    phone: Mapped[str] = mapped_column(String(20), nullable=False)
    address: Mapped[str] = mapped_column(String(200), nullable=False)
    district_code: Mapped[str] = mapped_column(String(6), nullable=False)
    email: Mapped[Optional[str]] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=ORG_ACTIVE)
    #: §1.1 step 5: paper copies of the registration 要件 are checked with the first order.
    papers_checked: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    papers_checked_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    papers_checked_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("ab_user.id", use_alter=True, name="fk_organisation_papers_checked_by"))
    agreement_accepted_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    changes: Mapped[list["OrganisationChange"]] = relationship(
        back_populates="organisation", order_by="OrganisationChange.changed_at.desc()"
    )

    @property
    def org_id(self) -> int:
        """The tenant key of an organisation is its own id."""
        return self.id

    def __repr__(self) -> str:
        return self.name


class OrganisationChange(Model):
    """One saved 信息变更: who, when, and every field's before/after."""

    __tablename__ = "organisation_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), nullable=False, index=True)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    changed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    #: [{"field": "phone", "label": "联系电话", "before": "...", "after": "..."}]
    changes: Mapped[list] = mapped_column(JSON, nullable=False)
    note: Mapped[Optional[str]] = mapped_column(Text)

    organisation: Mapped[Organisation] = relationship(back_populates="changes")
    changed_by = relationship("PlatformUser", foreign_keys=[changed_by_id])
