"""One real house, one account: who already holds a trading-system project, building or house.

A project, building or house of the trading system may belong to at most one active row of the
register (a property area, a building, an open house) and be held by at most one unfinished order
(draft, submitted, accepted or sent back). Fetching, importing, submitting and approving all ask
here and refuse, naming the order number or the property area that has it; the partial unique
indexes on ``house.trade_house_code``, ``building.trade_building_code`` and
``area_trade_project.project_id`` make the same rule hold for any race or future code path, and
``conflict_message`` turns their refusal back into a sentence that names the code.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, Sequence

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import Problem
from app.models.order import BusinessOrder, OrderLine
from app.models.property import HOUSE_OPEN, AreaTradeProject, Building, House, PropertyArea
from app.services.orders.states import EDITABLE, LOCKING

#: Order statuses that hold what the order adds: every status from draft until the decision.
HOLDING = EDITABLE | LOCKING
#: Codes per IN list (keeps each query well under the drivers' parameter limits).
CHUNK = 500
ADD = "add"
HOUSE = "house"
BUILDING = "building"
#: Where a code comes from in a PostgreSQL unique violation: ``Key (column)=(value) already exists``.
_PG_KEY = re.compile(r"Key \((\w+)\)=\((.*?)\) already exists")


@dataclass(frozen=True)
class Holder:
    """Who has a code: an unfinished order (by number) or a property area (with the house's
    account number when it is a house)."""

    order_number: Optional[str] = None
    area_name: Optional[str] = None
    house_code: Optional[str] = None

    def reason(self, what: str, code: str) -> LazyString:
        """The sentence for ``what`` (project, building or house) ``code`` being taken."""
        if self.order_number:
            return _l("Trading-system %(what)s %(code)s is already held by unfinished order "
                      "%(number)s.", what=_what(what), code=code, number=self.order_number)
        if self.house_code:
            return _l("Trading-system house %(code)s already has the account %(account)s in "
                      "%(area)s.", code=code, account=self.house_code, area=self.area_name)
        return _l("Trading-system %(what)s %(code)s is already collected as %(area)s.",
                  what=_what(what), code=code, area=self.area_name)


def _what(kind: str) -> LazyString:
    return {"project": _l("project"), BUILDING: _l("building"), HOUSE: _l("house")}[kind]


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = sorted({v for v in values if v})
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def order_project_ids(order: BusinessOrder) -> list[str]:
    return [str(p) for p in (order.payload or {}).get("trade_project_ids") or [] if p]


# ---------------------------------------------------------------- who holds what

def project_holders(session: Session, project_ids: Iterable[str], *,
                    except_order_id: Optional[int] = None,
                    except_area_id: Optional[int] = None) -> dict[str, Holder]:
    """Projects collected into an area (other than ``except_area_id``) or in another open order."""
    wanted = {p for p in project_ids if p}
    if not wanted:
        return {}
    holders = _in_areas(session, AreaTradeProject.project_id, AreaTradeProject.area_id, wanted,
                        except_area_id)
    # Open orders are few; their project lists live in the JSON payload, read here in Python.
    query = select(BusinessOrder.number, BusinessOrder.payload).where(
        BusinessOrder.status.in_(HOLDING)).order_by(BusinessOrder.id)
    if except_order_id is not None:
        query = query.where(BusinessOrder.id != except_order_id)
    for number, payload in session.execute(query):
        for pid in (payload or {}).get("trade_project_ids") or []:
            if pid in wanted:
                holders.setdefault(pid, Holder(order_number=number))
    return holders


def _in_areas(session: Session, code: Any, area_id: Any, codes: Iterable[str],
              except_area_id: Optional[int]) -> dict[str, Holder]:
    """Codes of rows (``code`` column, in the area of ``area_id``) outside ``except_area_id``."""
    holders: dict[str, Holder] = {}
    for chunk in _chunks(codes):
        query = (select(code, PropertyArea.name).join(PropertyArea, PropertyArea.id == area_id)
                 .where(code.in_(chunk)))
        if except_area_id is not None:
            query = query.where(area_id != except_area_id)
        for value, name in session.execute(query):
            holders[value] = Holder(area_name=name)
    return holders


def _held_by_orders(session: Session, target: str, key: str, codes: Iterable[str],
                    except_order_id: Optional[int]) -> dict[str, Holder]:
    """Codes that add-lines of ``target`` in another open order carry under ``key``."""
    holders: dict[str, Holder] = {}
    code = OrderLine.after[key].as_string()
    for chunk in _chunks(codes):
        query = (select(code, BusinessOrder.number)
                 .join(BusinessOrder, BusinessOrder.id == OrderLine.order_id)
                 .where(BusinessOrder.status.in_(HOLDING), OrderLine.target == target,
                        OrderLine.action == ADD, code.in_(chunk))
                 .order_by(BusinessOrder.id))
        if except_order_id is not None:
            query = query.where(BusinessOrder.id != except_order_id)
        for value, number in session.execute(query):
            holders.setdefault(value, Holder(order_number=number))
    return holders


def house_code_holders(session: Session, codes: Iterable[str], *,
                       except_order_id: Optional[int] = None) -> dict[str, Holder]:
    """Trading-system house codes of an open house or of a house line of another open order."""
    codes = list(codes)
    holders = _held_by_orders(session, HOUSE, "trade_house_code", codes, except_order_id)
    for chunk in _chunks(codes):
        for value, account, area in session.execute(
                select(House.trade_house_code, House.code, PropertyArea.name)
                .join(PropertyArea, PropertyArea.id == House.area_id)
                .where(House.status == HOUSE_OPEN, House.trade_house_code.in_(chunk))):
            holders[value] = Holder(area_name=area, house_code=account)
    return holders


def building_code_holders(session: Session, codes: Iterable[str], *,
                          except_order_id: Optional[int] = None,
                          except_area_id: Optional[int] = None) -> dict[str, Holder]:
    """Trading-system building codes of a building (outside ``except_area_id``) or of a building
    line of another open order."""
    codes = list(codes)
    holders = _held_by_orders(session, BUILDING, "trade_building_code", codes, except_order_id)
    holders.update(_in_areas(session, Building.trade_building_code, Building.area_id, codes,
                             except_area_id))
    return holders


# ---------------------------------------------------------------- the checks

def project_problems(session: Session, order: BusinessOrder, project_ids: Sequence[str],
                     area_id: Optional[int]) -> list[Problem]:
    """Projects ``order`` may not take: collected into another area or held by another order.

    ``area_id`` is the area the order adds to (a supplement may fetch its own area's project).
    """
    holders = project_holders(session, project_ids, except_order_id=order.id,
                              except_area_id=area_id)
    return [Problem(pid, holders[pid].reason("project", pid)) for pid in project_ids
            if pid in holders]


def incoming_problems(session: Session, order: BusinessOrder, area_id: Optional[int],
                      houses: Sequence[dict[str, Any]], labels: Sequence[str],
                      buildings: Sequence[dict[str, Any]]) -> list[tuple[int, str, Any]]:
    """(index, label, reason) of incoming houses whose trading-system house or building is taken.

    Taken means: an open house or another open order has the house code, a building outside the
    order's area or another open order has the building code, or this order already has the code.
    A building's problem is reported on its first incoming house.
    """
    codes = [h.get("trade_house_code") for h in houses]
    holders = house_code_holders(session, [c for c in codes if c], except_order_id=order.id)
    staged = {data.get("trade_house_code"): seq for seq, data in _staged(session, order.id, HOUSE)}
    result: list[tuple[int, str, Any]] = []
    seen: dict[str, str] = {}
    for index, code in enumerate(codes):
        if not code:
            continue
        label = labels[index]
        if code in holders:
            result.append((index, label, holders[code].reason(HOUSE, code)))
        elif code in staged:
            result.append((index, label, _l("Trading-system house %(code)s is already in this "
                                            "order.", code=code)))
        elif code in seen:
            result.append((index, label, _l("Trading-system house %(code)s is listed twice: also "
                                            "at %(other)s.", code=code, other=seen[code])))
        seen.setdefault(code, label)
    first_house = {}
    for index, data in enumerate(houses):
        first_house.setdefault(data["building"], index)
    taken = building_code_holders(
        session, [b.get("trade_building_code") for b in buildings if b.get("trade_building_code")],
        except_order_id=order.id, except_area_id=area_id)
    for data in buildings:
        code = data.get("trade_building_code")
        if code in taken and data["name"] in first_house:
            result.append((first_house[data["name"]], str(data["name"]),
                           taken[code].reason(BUILDING, code)))
    return result


def order_problems(session: Session, order: BusinessOrder, area_id: Optional[int],
                   houses: Sequence[tuple[int, dict[str, Any]]],
                   label: Callable[[int, dict[str, Any]], str]) -> list[Problem]:
    """Everything of the order another order or the register already has, for submit and approval.

    ``houses`` are (序号, data) pairs; ``label`` names a house line as the order pages show it.
    """
    problems = project_problems(session, order, order_project_ids(order), area_id)
    holders = house_code_holders(session, [d.get("trade_house_code") for _n, d in houses
                                           if d.get("trade_house_code")],
                                 except_order_id=order.id)
    seen: dict[str, str] = {}
    for number, data in houses:
        code = data.get("trade_house_code")
        if not code:
            continue
        where = label(number, data)
        if code in holders:
            problems.append(Problem(where, holders[code].reason(HOUSE, code), row=number))
        elif code in seen:
            problems.append(Problem(where, _l("Trading-system house %(code)s is listed twice: "
                                              "also at %(other)s.", code=code, other=seen[code]),
                                    row=number))
        seen.setdefault(code, where)
    buildings = [data for _s, data in _staged(session, order.id, BUILDING)
                 if data.get("trade_building_code")]
    taken = building_code_holders(session, [b["trade_building_code"] for b in buildings],
                                  except_order_id=order.id, except_area_id=area_id)
    for data in buildings:
        code = data["trade_building_code"]
        if code in taken:
            problems.append(Problem(str(data["name"]), taken[code].reason(BUILDING, code)))
    return problems


def locations_added_elsewhere(session: Session, area_id: int, order_id: Optional[int]
                              ) -> dict[tuple[str, str, int, str], str]:
    """Where other unfinished orders (submitted until decided) add houses to the area: each
    house's place (``staging.location``) → that order's number."""
    from app.services.orders.staging import location

    rows = session.execute(
        select(BusinessOrder.number, OrderLine.after)
        .join(OrderLine, OrderLine.order_id == BusinessOrder.id)
        .where(BusinessOrder.area_id == area_id, BusinessOrder.id != (order_id or 0),
               BusinessOrder.status.in_(LOCKING), OrderLine.target == HOUSE,
               OrderLine.action == ADD))
    return {location(after): number for number, after in rows}


def _staged(session: Session, order_id: int, target: str) -> list[tuple[int, dict[str, Any]]]:
    rows = session.execute(select(OrderLine.seq, OrderLine.after).where(
        OrderLine.order_id == order_id, OrderLine.target == target, OrderLine.action == ADD))
    return [(seq, after or {}) for seq, after in rows]


# ---------------------------------------------------------------- claiming on approval

def claim_projects(session: Session, area: PropertyArea, project_ids: Iterable[str]) -> None:
    """Record that ``project_ids`` were collected into ``area`` (the caller commits).

    A project another area holds makes the flush fail with an ``IntegrityError`` on
    ``uq_area_trade_project``, which the workflow reports through ``conflict_message``.
    """
    wanted = [p for p in dict.fromkeys(project_ids) if p]
    if not wanted:
        return
    have = set(session.scalars(select(AreaTradeProject.project_id)
                               .where(AreaTradeProject.area_id == area.id)))
    for pid in wanted:
        if pid not in have:
            session.add(AreaTradeProject(project_id=pid, area_id=area.id))
    listed = [p for p in (area.trade_project_ids or "").split(",") if p]
    area.trade_project_ids = ",".join(dict.fromkeys(listed + wanted)) or None
    session.flush()


# ---------------------------------------------------------------- database refusals in words

def conflict_message(session: Session, order_id: int, error: IntegrityError) -> Optional[LazyString]:
    """Name what a unique index refused when approving ``order_id`` (None: not one of ours).

    Called after the rollback, when the other transaction's rows are visible. PostgreSQL names the
    value; SQLite only the column, so the order's codes are looked up again.
    """
    text = str(getattr(error, "orig", error))
    lowered = text.lower()
    if "trade_house_code" in lowered or "uq_house_trade_code_open" in lowered:
        kind, column = HOUSE, "trade_house_code"
    elif "trade_building_code" in lowered or "uq_building_trade_code" in lowered:
        kind, column = BUILDING, "trade_building_code"
    elif "area_trade_project" in lowered:
        kind, column = "project", "project_id"
    else:
        return None
    match = _PG_KEY.search(text)
    codes = [match.group(2)] if match and match.group(1) == column else []
    order = session.get(BusinessOrder, order_id)
    if not codes and order is not None:
        codes = _order_codes(session, order, kind)
    holders: dict[str, Holder] = {}
    if kind == HOUSE:
        holders = house_code_holders(session, codes, except_order_id=order_id)
    elif kind == BUILDING:
        holders = building_code_holders(session, codes, except_order_id=order_id)
    else:
        holders = project_holders(session, codes, except_order_id=order_id)
    found = [holders[c].reason(kind, c) for c in codes if c in holders][:3]
    if found:
        return _l("Not approved, another order took the same trading-system data a moment ago: "
                  "%(details)s", details=" ".join(str(r) for r in found))
    if codes:
        return _l("Not approved, another order took trading-system %(what)s %(code)s a moment ago.",
                  what=_what(kind), code=codes[0])
    return _l("Not approved, another order took the same trading-system %(what)s a moment ago.",
              what=_what(kind))


def _order_codes(session: Session, order: BusinessOrder, kind: str) -> list[str]:
    if kind == "project":
        return order_project_ids(order)
    key = "trade_house_code" if kind == HOUSE else "trade_building_code"
    return [data[key] for _s, data in _staged(session, order.id, kind) if data.get(key)]
