"""物业区域 → 楼幢 → 房屋, and the owners (业主) of each house."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import (DDL, Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String,
                        UniqueConstraint, event, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Area, Money, OrgOwned, Timestamped

# House account states (分户账状态)
HOUSE_OPEN = "open"            # 已开户
HOUSE_CANCELLED = "cancelled"  # 已注销 (§1.3.8)
HOUSE_CLOSED = "closed"        # closed by a split/merge (§1.3.4); its money moved on
HOUSE_STATES = (HOUSE_OPEN, HOUSE_CANCELLED, HOUSE_CLOSED)

SOURCE_TRADE = "trade"   # 接口获取 from the trading system
SOURCE_EXCEL = "excel"   # template import
SOURCE_ORDER = "order"   # created by a split/merge order

#: One real house, one account: a trading-system house code belongs to at most one open house, a
#: building code to at most one building. Partial unique indexes so closed and cancelled houses
#: (whose code a successor may take over) and rows without a code do not count.
OPEN_TRADE_HOUSE_WHERE = "status = 'open' AND trade_house_code IS NOT NULL"
TRADE_BUILDING_WHERE = "trade_building_code IS NOT NULL"


def keyword_index(name: str, column: str) -> Index:
    """A trigram index (PostgreSQL's pg_trgm) answering ``column LIKE '%text%'``: the house list's
    keyword box searches inside house numbers, contract numbers and owner names. PostgreSQL only:
    SQLite has no such index, and a plain one there would only slow every insert."""
    return Index(name, column, postgresql_using="gin",
                 postgresql_ops={column: "gin_trgm_ops"}).ddl_if(dialect="postgresql")


# pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
event.listen(Model.metadata, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))


class PropertyArea(OrgOwned, Timestamped, Model):
    """物业区域 (a 小区), created by an approved 物业区域采集 order."""

    __tablename__ = "property_area"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_area_org_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    district_code: Mapped[str] = mapped_column(String(6), nullable=False)
    address: Mapped[str] = mapped_column(String(200), nullable=False)
    project_name: Mapped[Optional[str]] = mapped_column(String(100))
    presale_permit_no: Mapped[Optional[str]] = mapped_column(String(60))
    land_use_cert_no: Mapped[Optional[str]] = mapped_column(String(60))
    planned_households: Mapped[Optional[int]] = mapped_column(Integer)
    total_building_area: Mapped[Optional[Decimal]] = mapped_column(Area)
    contact: Mapped[Optional[str]] = mapped_column(String(50))
    contact_phone: Mapped[Optional[str]] = mapped_column(String(20))
    #: The trading system's project id(s) this area was fetched from, comma separated.
    trade_project_ids: Mapped[Optional[str]] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    organisation = relationship("Organisation")
    buildings: Mapped[list["Building"]] = relationship(back_populates="area", order_by="Building.name")

    @property
    def area_id(self) -> int:
        return self.id

    @property
    def deposit_time_points(self) -> str:
        """The 交存时点 of the area's open houses (one per collection or supplement), for its page."""
        from sqlalchemy import distinct, select
        from sqlalchemy.orm import object_session

        session = object_session(self)
        if session is None:
            return ""
        days = session.scalars(select(distinct(House.deposit_time_point)).where(
            House.area_id == self.id, House.status == HOUSE_OPEN,
            House.deposit_time_point.is_not(None)).order_by(House.deposit_time_point))
        return "、".join(day.isoformat() for day in days)

    def __repr__(self) -> str:
        return self.name


class Building(OrgOwned, Timestamped, Model):
    """楼幢."""

    __tablename__ = "building"
    __table_args__ = (
        UniqueConstraint("area_id", "name", name="uq_building_area_name"),
        Index("uq_building_trade_code", "trade_building_code", unique=True,
              sqlite_where=text(TRADE_BUILDING_WHERE), postgresql_where=text(TRADE_BUILDING_WHERE)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("property_area.id"), nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(30), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    structure_code: Mapped[Optional[str]] = mapped_column(String(30))
    built_ym: Mapped[Optional[str]] = mapped_column(String(7))  # 建成年月 YYYY-MM
    floors: Mapped[Optional[int]] = mapped_column(Integer)
    #: 单元数 (number of stair units), declared by the developer.
    unit_count: Mapped[Optional[int]] = mapped_column(Integer)
    address: Mapped[Optional[str]] = mapped_column(String(200))
    trade_building_code: Mapped[Optional[str]] = mapped_column(String(60), index=True)

    area: Mapped[PropertyArea] = relationship(back_populates="buildings")
    houses: Mapped[list["House"]] = relationship(back_populates="building")

    def __repr__(self) -> str:
        return self.name


class House(OrgOwned, Timestamped, Model):
    """房屋 with its fund account (分户账). Balance and paid amount come from the ledger."""

    __tablename__ = "house"
    __table_args__ = (
        Index("ix_house_location", "building_id", "unit", "floor", "room"),
        # Covers the per-area totals (open houses, amount due) of the area list and the home page.
        Index("ix_house_area_status_due", "area_id", "status", "amount_due"),
        Index("uq_house_trade_code_open", "trade_house_code", unique=True,
              sqlite_where=text(OPEN_TRADE_HOUSE_WHERE),
              postgresql_where=text(OPEN_TRADE_HOUSE_WHERE)),
        # The keyword box (views/property.HouseKeywordFilter): one index per thing it matches.
        keyword_index("ix_house_code_trgm", "code"),
        keyword_index("ix_house_contract_no_trgm", "contract_no"),
        Index("ix_house_room", "room").ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("property_area.id"), nullable=False)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), nullable=False, index=True)
    #: 房屋编号 / 分户账号, unique across the platform.
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    unit: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    floor: Mapped[int] = mapped_column(Integer, nullable=False)
    room: Mapped[str] = mapped_column(String(20), nullable=False)
    address: Mapped[Optional[str]] = mapped_column(String(200))
    building_area: Mapped[Decimal] = mapped_column(Area, nullable=False)
    inner_area: Mapped[Optional[Decimal]] = mapped_column(Area)
    use_code: Mapped[str] = mapped_column(String(30), nullable=False)
    has_lift: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    sales_status: Mapped[str] = mapped_column(String(20), nullable=False, default="未售")
    price: Mapped[Optional[Decimal]] = mapped_column(Money)

    status: Mapped[str] = mapped_column(String(12), nullable=False, default=HOUSE_OPEN, index=True)
    amount_due: Mapped[Decimal] = mapped_column(Money, nullable=False)
    #: The standard applied and a readable copy of it, so later edits of the table do not rewrite history.
    standard_id: Mapped[Optional[int]] = mapped_column(ForeignKey("deposit_standard.id"))
    standard_text: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    deposit_time_point: Mapped[Optional[dt.date]] = mapped_column(Date)  # 交存时点
    opened_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    opened_by_order_id: Mapped[Optional[int]] = mapped_column(ForeignKey("business_order.id"))
    closed_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    source: Mapped[str] = mapped_column(String(10), nullable=False, default=SOURCE_EXCEL)
    trade_house_code: Mapped[Optional[str]] = mapped_column(String(60), index=True)
    contract_no: Mapped[Optional[str]] = mapped_column(String(60), index=True)
    contract_bound_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)

    #: Set while an unfinished business order holds this house (§3: locked against other orders).
    locked_by_order_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("business_order.id", name="fk_house_locked_order"), index=True
    )
    area: Mapped[PropertyArea] = relationship()
    building: Mapped[Building] = relationship(back_populates="houses")
    owners: Mapped[list["Owner"]] = relationship(
        back_populates="house", order_by="Owner.seq", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"{self.code}"


class AreaTradeProject(Model):
    """A trading-system project collected into a property area: each project into one area only.

    ``PropertyArea.trade_project_ids`` keeps the readable list; this table is what the database
    can hold unique.
    """

    __tablename__ = "area_trade_project"
    __table_args__ = (UniqueConstraint("project_id", name="uq_area_trade_project"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str] = mapped_column(String(40), nullable=False)
    area_id: Mapped[int] = mapped_column(ForeignKey("property_area.id"), nullable=False, index=True)

    area: Mapped[PropertyArea] = relationship()


class Owner(OrgOwned, Model):
    """业主 of a house; one row per person."""

    __tablename__ = "owner"
    #: The 楼盘表 shows each house's first owner name and owner count, read from this index alone.
    __table_args__ = (Index("ix_owner_house_name", "house_id", "name"),
                      keyword_index("ix_owner_name_trgm", "name"),
                      Index("ix_owner_id_no", "id_no").ddl_if(dialect="postgresql"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("house.id"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    id_type: Mapped[str] = mapped_column(String(4), nullable=False, default="01")
    id_no: Mapped[str] = mapped_column(String(30), nullable=False)
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    share: Mapped[Optional[Decimal]] = mapped_column(Numeric(5, 2))

    house: Mapped[House] = relationship(back_populates="owners")

    def __repr__(self) -> str:
        return self.name
