"""开户: create buildings and houses in an area and open each house's fund account.

Shared by the approval of 物业区域采集 / 房屋补充 orders and by the demo loader. Callers own the
transaction: nothing here commits.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Mapping, Optional, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.domain.location import unit_number
from app.domain.money import quantize_money
from app.domain.numbering import house_account_numbers
from app.errors import Problem, ValidationFailed
from app.models.base import utcnow
from app.models.property import HOUSE_OPEN, Building, House, Owner, PropertyArea
from app.models.standard import DepositStandard
from app.services.standards import NoStandard, PriceRequired, StandardBook, compute_amount_due


@dataclass
class OwnerInput:
    name: str
    id_type: str
    id_no: str
    phone: Optional[str] = None


@dataclass
class BuildingInput:
    name: str
    structure_code: Optional[str] = None
    built_ym: Optional[str] = None
    floors: Optional[int] = None
    address: Optional[str] = None
    trade_building_code: Optional[str] = None


@dataclass
class HouseInput:
    building_name: str
    floor: int
    room: str
    building_area: Decimal
    use_code: str
    has_lift: bool
    unit: str = ""
    address: Optional[str] = None
    inner_area: Optional[Decimal] = None
    sales_status: str = "未售"
    price: Optional[Decimal] = None
    trade_house_code: Optional[str] = None
    contract_no: Optional[str] = None
    owners: list[OwnerInput] = field(default_factory=list)
    #: Where the row came from (Excel row number or trading-system code), for error messages.
    origin: str = ""

    def location(self) -> tuple[str, str, int, str]:
        """What makes it the same house in an area; "1" and "1单元" are the same unit."""
        return (self.building_name, unit_number(self.unit), int(self.floor), self.room)


def area_code(area: PropertyArea) -> str:
    return f"{area.district_code}{area.id:05d}"


def _highest_sequence(session: Session, column: object, prefix: str, width: int) -> int:
    """The highest sequence number issued after ``prefix`` in ``column`` (0 when none)."""
    highest = session.scalar(select(func.max(func.substr(column, len(prefix) + 1, width)))
                             .where(column.like(f"{prefix}%")))  # type: ignore[attr-defined]
    return int(highest) if highest and str(highest).isdigit() else 0


def existing_locations(session: Session, area_id: int) -> set[tuple[str, str, int, str]]:
    rows = session.execute(
        select(Building.name, House.unit, House.floor, House.room)
        .join(House, House.building_id == Building.id)
        .where(Building.area_id == area_id, House.status == HOUSE_OPEN)
    )
    return {(name, unit_number(unit), floor, room) for name, unit, floor, room in rows}


def building_floors(session: Session, area_id: Optional[int],
                    proposed: Mapping[str, Optional[int]] | None = None) -> dict[str, Optional[int]]:
    """Storeys by building name, as the deposit standard is looked up: the area's buildings from
    the register, plus the ``proposed`` new ones (staged or typed). A building already in the
    register keeps its registered floors, as ``open_houses`` then uses them."""
    floors = dict(proposed or {})
    if area_id:
        for name, count in session.execute(select(Building.name, Building.floors)
                                           .where(Building.area_id == area_id)):
            floors[name] = count
    return floors


def check_new_houses(session: Session, area_id: Optional[int], houses: Sequence[HouseInput],
                     book: StandardBook, buildings: Sequence[BuildingInput],
                     on: Optional[dt.date] = None) -> list[Problem]:
    """Every reason the houses cannot be opened: duplicates (in the list or the area), no standard."""
    problems: list[Problem] = []
    taken = existing_locations(session, area_id) if area_id else set()
    seen: dict[tuple, str] = {}
    floors = building_floors(session, area_id, {b.name: b.floors for b in buildings})
    for house in houses:
        where = house.origin or "/".join(str(p) for p in house.location())
        loc = house.location()
        if loc in taken:
            problems.append(Problem(where, _l("This house already exists in the property area.")))
        if loc in seen:
            problems.append(Problem(where, _l("Listed twice: also at %(other)s.", other=seen[loc])))
        seen.setdefault(loc, where)
        try:
            book.price(house.use_code, house.has_lift, floors.get(house.building_name),
                       house.building_area, house.price, on)
        except (NoStandard, PriceRequired) as error:
            problems.append(Problem(where, error.message))
    return problems


#: House codes looked up per query after a bulk insert (well under every database's bind limit).
ID_LOOKUP_CHUNK = 900


def _insert_houses(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the house rows with one executemany and return their ids in input order.

    Not ``INSERT … RETURNING`` with ``sort_by_parameter_order``: on SQLite that runs one
    statement per row. Every new house has a fresh unique code, so ids are read back by code.
    """
    session.execute(insert(House.__table__), rows)  # Core executemany: no ORM work per row
    codes = [row["code"] for row in rows]
    by_code: dict[str, int] = {}
    for start in range(0, len(codes), ID_LOOKUP_CHUNK):
        for code, house_id in session.execute(select(House.code, House.id).where(
                House.code.in_(codes[start:start + ID_LOOKUP_CHUNK]))):
            by_code[code] = house_id
    return [by_code[code] for code in codes]


@dataclass
class Opened:
    """What an opening created: house ids in input order, and the total amount due."""

    house_ids: list[int] = field(default_factory=list)
    total_due: Decimal = Decimal("0.00")


def _buildings_by_name(session: Session, area: PropertyArea,
                       specs: Iterable[BuildingInput]) -> dict[str, Building]:
    """The area's buildings, creating the missing ones of ``specs``."""
    by_name = {b.name: b for b in session.scalars(select(Building).where(Building.area_id == area.id))}
    prefix = area.code
    count = _highest_sequence(session, Building.code, prefix, 3)
    for spec in specs:
        if spec.name in by_name:
            continue
        count += 1
        building = Building(org_id=area.org_id, area_id=area.id, name=spec.name,
                            code=f"{prefix}{count:03d}", structure_code=spec.structure_code,
                            built_ym=spec.built_ym, floors=spec.floors, address=spec.address,
                            trade_building_code=spec.trade_building_code)
        session.add(building)
        by_name[spec.name] = building
    session.flush()
    return by_name


def open_houses(session: Session, area: PropertyArea, buildings: Sequence[BuildingInput],
                houses: Sequence[HouseInput], book: StandardBook, *,
                source: str | Sequence[str], order_id: Optional[int] = None,
                deposit_time_point: Optional[dt.date] = None, on: Optional[dt.date] = None,
                validate: bool = True) -> Opened:
    """Create missing buildings and the houses with their accounts and amounts due.

    ``source`` is one source for all houses or one per house. An approval may open ten thousand
    houses in one transaction, so houses and owners are written with one INSERT per table (ids
    returned in input order) rather than one ORM object each. ``validate=False`` is for callers
    that ran ``check_new_houses`` themselves in the same transaction.
    """
    if validate:
        problems = check_new_houses(session, area.id, houses, book, list(buildings), on)
        if problems:
            raise ValidationFailed(_l("%(n)d houses cannot be opened.", n=len(problems)), problems)
    sources = [source] * len(houses) if isinstance(source, str) else list(source)
    by_name = _buildings_by_name(session, area, buildings)
    # Numbers continue after the highest issued, not the count: a building moved to another
    # area (楼幢变更) takes its houses and their numbers along.
    seq = _highest_sequence(session, House.code, f"{area.district_code}{area.id:05d}", 6)
    codes = house_account_numbers(area.district_code, area.id, seq + 1, len(houses))
    now = utcnow()
    standards: dict[tuple, tuple[DepositStandard, str]] = {}
    rows = []
    total = Decimal(0)
    for spec, origin, code in zip(houses, sources, codes):
        building = by_name[spec.building_name]
        kind = (spec.use_code, spec.has_lift, building.floors)
        found = standards.get(kind)
        if found is None:
            std = book.find(spec.use_code, spec.has_lift, building.floors, on)
            found = standards[kind] = (std, std.describe())  # described once per kind of house
        standard, standard_text = found
        due = compute_amount_due(standard, spec.building_area, spec.price)
        total += due
        rows.append({
            "org_id": area.org_id, "created_at": now, "area_id": area.id, "building_id": building.id,
            "code": code,
            "unit": spec.unit or "", "floor": int(spec.floor), "room": spec.room,
            "address": spec.address, "building_area": spec.building_area,
            "inner_area": spec.inner_area, "use_code": spec.use_code, "has_lift": spec.has_lift,
            "sales_status": spec.sales_status, "price": spec.price, "status": HOUSE_OPEN,
            "amount_due": due, "standard_id": standard.id, "standard_text": standard_text,
            "deposit_time_point": deposit_time_point, "opened_at": now,
            "opened_by_order_id": order_id, "source": origin,
            "trade_house_code": spec.trade_house_code, "contract_no": spec.contract_no,
        })
    if not rows:
        return Opened()
    ids = _insert_houses(session, rows)
    owners = [{"org_id": area.org_id, "house_id": house_id, "seq": i + 1, "name": o.name,
               "id_type": o.id_type, "id_no": o.id_no, "phone": o.phone}
              for house_id, spec in zip(ids, houses) for i, o in enumerate(spec.owners)]
    if owners:
        session.execute(insert(Owner.__table__), owners)
    return Opened(house_ids=ids, total_due=quantize_money(total))
