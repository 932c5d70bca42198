"""Platform users: FAB's ab_user extended with the organisation they belong to."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Table
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

    #: Account lockout (app/security/lockout.py): failed logins in the current window, when that
    #: window started, and until when the account refuses every login.
    lockout_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0", nullable=False)
    lockout_window_start: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    locked_until: Mapped[Optional[dt.datetime]] = mapped_column(DateTime, index=True)

    organisation = relationship("Organisation", foreign_keys=[org_id])
    areas = relationship("PropertyArea", secondary=user_area)

    @property
    def display_name(self) -> str:
        return f"{self.last_name}{self.first_name}".strip() or self.username

    def get_full_name(self) -> str:
        """Chinese order: family name first, no space (FAB prints "first last")."""
        return self.display_name


class AuthSession(Model):
    """One signed-in browser or one JWT login (its access and refresh tokens), server-side.

    The cookie or token carries a random key; only its SHA-256 is stored. A request whose key has
    no row here is anonymous: logout deletes the row, a password change or deactivation deletes
    every other row of the user (app/security/sessions.py).
    """

    __tablename__ = "auth_session"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # "web" or "api"
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, index=True)
