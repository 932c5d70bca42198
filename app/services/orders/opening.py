"""开户 in bulk for approved orders: the same accounts as ``accounts.open_houses``, written with
one INSERT per table instead of one ORM object per house.

An approval may open ten thousand houses in one transaction; building that many ORM objects and
flushing them costs seconds. Here the houses are priced with a per-kind cache of the standard,
inserted with a single executemany (ids returned in order), then their owners the same way.
Numbering, fields and standards are exactly those of ``accounts.open_houses``; validation
(``check_new_houses``) has already run in the same transaction, under the order's row lock.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Optional, Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.domain.money import quantize_money
from app.domain.numbering import house_account_number
from app.models.base import utcnow
from app.models.property import HOUSE_OPEN, Building, House, Owner, PropertyArea
from app.services.accounts import BuildingInput, HouseInput, area_code
from app.services.standards import StandardBook, compute_amount_due


@dataclass
class Opened:
    """What a bulk opening created: house ids in input order, and the total amount due."""

    house_ids: list[int] = field(default_factory=list)
    total_due: Decimal = Decimal("0.00")


def _buildings_by_name(session: Session, area: PropertyArea,
                       specs: Sequence[BuildingInput]) -> dict[str, Building]:
    """The area's buildings, creating the missing ones of ``specs`` (codes as open_houses does)."""
    by_name = {b.name: b for b in session.scalars(select(Building).where(Building.area_id == area.id))}
    count = session.scalar(select(func.count(Building.id)).where(Building.area_id == area.id)) or 0
    for spec in specs:
        if spec.name in by_name:
            continue
        count += 1
        building = Building(org_id=area.org_id, area_id=area.id, name=spec.name,
                            code=f"{area_code(area)}{count:03d}", structure_code=spec.structure_code,
                            built_ym=spec.built_ym, floors=spec.floors, address=spec.address,
                            trade_building_code=spec.trade_building_code)
        session.add(building)
        by_name[spec.name] = building
    session.flush()
    return by_name


def open_in_bulk(session: Session, area: PropertyArea, buildings: Sequence[BuildingInput],
                 houses: Sequence[HouseInput], sources: Sequence[str], book: StandardBook, *,
                 order_id: Optional[int], deposit_time_point: Optional[dt.date],
                 on: Optional[dt.date]) -> Opened:
    """Create the buildings and the houses (``sources[i]`` is where house i came from)."""
    by_name = _buildings_by_name(session, area, buildings)
    seq = session.scalar(select(func.count(House.id)).where(House.area_id == area.id)) or 0
    now = utcnow()
    standards: dict[tuple, object] = {}
    rows = []
    total = Decimal(0)
    for spec, source in zip(houses, sources):
        building = by_name[spec.building_name]
        kind = (spec.use_code, spec.has_lift, building.floors)
        standard = standards.get(kind)
        if standard is None:
            standard = standards[kind] = book.find(spec.use_code, spec.has_lift, building.floors, on)
        due = compute_amount_due(standard, spec.building_area, spec.price)
        total += due
        seq += 1
        rows.append({
            "org_id": area.org_id, "created_at": now, "area_id": area.id, "building_id": building.id,
            "code": house_account_number(area.district_code, area.id, seq),
            "unit": spec.unit or "", "floor": int(spec.floor), "room": spec.room,
            "address": spec.address, "building_area": spec.building_area,
            "inner_area": spec.inner_area, "use_code": spec.use_code, "has_lift": spec.has_lift,
            "sales_status": spec.sales_status, "price": spec.price, "status": HOUSE_OPEN,
            "amount_due": due, "standard_id": standard.id, "standard_text": standard.describe(),
            "deposit_time_point": deposit_time_point, "opened_at": now,
            "opened_by_order_id": order_id, "source": source,
            "trade_house_code": spec.trade_house_code, "contract_no": spec.contract_no,
        })
    if not rows:
        return Opened()
    ids = list(session.scalars(insert(House).returning(House.id, sort_by_parameter_order=True),
                               rows))
    owners = [{"org_id": area.org_id, "house_id": house_id, "seq": i + 1, "name": o.name,
               "id_type": o.id_type, "id_no": o.id_no, "phone": o.phone}
              for house_id, spec in zip(ids, houses) for i, o in enumerate(spec.owners)]
    if owners:
        session.execute(insert(Owner), owners)
    return Opened(house_ids=ids, total_due=quantize_money(total))
