"""Order lines: what an order will create (``add``) or change (``update``, ``close``, ``cancel``).

A new house lives as ``OrderLine(action="add", target="house", after={...})``; a change of an
existing row as ``OrderLine(action="update", target="building", target_id=7, before={...},
after={...})``, its ``before`` a snapshot of the register taken when the line was staged. So the
review shows every business's lines the same way (before / after), and approval can refuse a line
whose row changed since (``stale_lines``). Snapshots are JSON: decimals as text, booleans as
booleans. Lines are written with one bulk INSERT and read back as plain tuples, so an order of ten
thousand houses stays fast.
"""
from __future__ import annotations

import itertools
import json
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Iterable, Iterator, Optional, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from app.errors import Problem
from app.domain.location import location_text as house_location_text
from app.domain.location import unit_number
from app.models.order import OrderLine
from app.services.accounts import BuildingInput, HouseInput, OwnerInput

ADD = "add"
UPDATE = "update"
CLOSE = "close"
CANCEL = "cancel"
#: Actions on an existing row of the register (the line has a target_id and a before snapshot).
CHANGE_ACTIONS = (UPDATE, CLOSE, CANCEL)
AREA = "area"
HOUSE = "house"
BUILDING = "building"

Location = tuple[str, str, int, str]

HOUSE_KEYS = ("building", "unit", "floor", "room", "address", "building_area", "inner_area",
              "use_code", "has_lift", "sales_status", "price", "trade_house_code", "source", "owners")
BUILDING_KEYS = ("name", "structure_code", "built_ym", "floors", "address", "trade_building_code")


def _text(value: Any) -> Optional[str]:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _decimal_text(value: Any) -> Optional[str]:
    if isinstance(value, Decimal):  # the sheet reader's values: no round trip through text
        return f"{value:.2f}"
    return None if value is None or value == "" else f"{Decimal(str(value)):.2f}"


def house_data(*, building: str, floor: int, room: str, building_area: Any, use_code: str,
               has_lift: bool, source: str, unit: Optional[str] = None,
               address: Optional[str] = None, inner_area: Any = None,
               sales_status: Optional[str] = None, price: Any = None,
               trade_house_code: Optional[str] = None,
               owners: Sequence[dict[str, Optional[str]]] = ()) -> dict[str, Any]:
    """The ``after`` of a staged house line."""
    return {
        "building": str(building).strip(), "unit": _text(unit) or "", "floor": int(floor),
        "room": str(room).strip(), "address": _text(address),
        "building_area": _decimal_text(building_area), "inner_area": _decimal_text(inner_area),
        "use_code": use_code, "has_lift": bool(has_lift), "sales_status": sales_status or "未售",
        "price": _decimal_text(price), "trade_house_code": _text(trade_house_code),
        "source": source, "owners": [dict(o) for o in owners],
    }


def building_data(*, name: str, structure_code: Optional[str] = None,
                  built_ym: Optional[str] = None, floors: Optional[int] = None,
                  address: Optional[str] = None,
                  trade_building_code: Optional[str] = None) -> dict[str, Any]:
    """The ``after`` of a staged building line (a building the order creates)."""
    return {"name": str(name).strip(), "structure_code": structure_code, "built_ym": built_ym,
            "floors": int(floors) if floors is not None else None, "address": _text(address),
            "trade_building_code": _text(trade_building_code)}


def location(data: dict[str, Any]) -> Location:
    """Building, unit, floor and room: what makes a house the same house within an area."""
    return (data["building"], unit_number(data.get("unit")), int(data["floor"]), data["room"])


def location_text(data: dict[str, Any]) -> str:
    """A staged house's place in words (the one formatting: ``app.domain.location``)."""
    return house_location_text(data["building"], data.get("unit"), data["room"], data["floor"])


def to_house_input(data: dict[str, Any], origin: str = "") -> HouseInput:
    return HouseInput(
        building_name=data["building"], unit=data.get("unit") or "", floor=int(data["floor"]),
        room=data["room"], address=data.get("address"),
        building_area=Decimal(data["building_area"]),
        inner_area=Decimal(data["inner_area"]) if data.get("inner_area") else None,
        use_code=data["use_code"], has_lift=bool(data["has_lift"]),
        sales_status=data.get("sales_status") or "未售",
        price=Decimal(data["price"]) if data.get("price") else None,
        trade_house_code=data.get("trade_house_code"),
        owners=[OwnerInput(name=o["name"], id_type=o["id_type"], id_no=o["id_no"],
                           phone=o.get("phone")) for o in data.get("owners") or []],
        origin=origin,
    )


def to_building_input(data: dict[str, Any]) -> BuildingInput:
    return BuildingInput(name=data["name"], structure_code=data.get("structure_code"),
                         built_ym=data.get("built_ym"), floors=data.get("floors"),
                         address=data.get("address"),
                         trade_building_code=data.get("trade_building_code"))


# ---------------------------------------------------------------- reading and writing lines

READ_ONCE_KEY = "staged_lines_read_once"


@contextmanager
def lines_read_once(session: Session) -> Iterator[None]:
    """Within the block ``staged`` reads each order's lines of a target once.

    An approval validates and then applies the same 10,000 staged houses, and decoding their
    JSON dominates both; the block ends before anything else may change them, and a write
    through this module inside it forgets what was read.
    """
    session.info[READ_ONCE_KEY] = {}
    try:
        yield
    finally:
        session.info.pop(READ_ONCE_KEY, None)


def _forget_read_lines(session: Session) -> None:
    read = session.info.get(READ_ONCE_KEY)
    if read:
        read.clear()


def staged(session: Session, order_id: int, target: str) -> list[tuple[int, dict[str, Any]]]:
    """(seq, after) of the order's ``add`` lines of ``target``, in order."""
    read = session.info.get(READ_ONCE_KEY)
    if read is not None and (order_id, target) in read:
        return list(read[order_id, target])
    rows = session.execute(
        select(OrderLine.seq, OrderLine.after)
        .where(OrderLine.order_id == order_id, OrderLine.target == target,
               OrderLine.action == ADD)
        .order_by(OrderLine.seq))
    lines = [(seq, after) for seq, after in rows]
    if read is not None:
        read[order_id, target] = lines
        return list(lines)
    return lines


def remember_house_inputs(session: Session, order_id: int, inputs: list[HouseInput]) -> None:
    """Within a read-once block, keep the inputs validation built from the order's staged houses
    (in their order), so applying the order does not build ten thousand of them again."""
    read = session.info.get(READ_ONCE_KEY)
    if read is not None:
        read[order_id, "house inputs"] = inputs


def remembered_house_inputs(session: Session, order_id: int) -> Optional[list[HouseInput]]:
    """The inputs ``remember_house_inputs`` kept in this read-once block (None: none kept, or a
    line was written since)."""
    read = session.info.get(READ_ONCE_KEY)
    return None if read is None else read.get((order_id, "house inputs"))


def count_lines(session: Session, order_id: int, target: Optional[str] = None) -> int:
    query = select(func.count(OrderLine.id)).where(OrderLine.order_id == order_id)
    if target:
        query = query.where(OrderLine.target == target)
    return session.scalar(query) or 0


def insert_lines(session: Session, order_id: int,
                 rows: Iterable[tuple[str, dict[str, Any]]]) -> int:
    """Append ``(target, after)`` add-lines after the order's last line.

    The lines are streamed to the database driver in the session's transaction: COPY on
    PostgreSQL, one executemany fed by a generator on SQLite. An import of 100,000 houses so
    neither holds every line's parameters at once nor pays SQLAlchemy's parameter work per line
    (on PostgreSQL psycopg's too: more CPU than the rest of staging). ``after`` is written as the
    text the JSON column's own binding sends (``json.dumps``, both drivers' default).
    """
    _forget_read_lines(session)
    start = session.scalar(select(func.max(OrderLine.seq)).where(OrderLine.order_id == order_id)) or 0
    seqs = itertools.count(start + 1)
    lines = ((order_id, next(seqs), ADD, target, json.dumps(after)) for target, after in rows)
    driver = session.connection().connection.driver_connection
    if session.get_bind().dialect.name == "postgresql":
        with driver.cursor() as cursor:
            with cursor.copy('COPY order_line (order_id, seq, action, target, "after") FROM STDIN') as copy:
                for line in lines:
                    copy.write_row(line)
    else:
        cursor = driver.cursor()
        try:
            cursor.executemany('INSERT INTO order_line (order_id, seq, action, target, "after") '
                               "VALUES (?, ?, ?, ?, ?)", lines)
        finally:
            cursor.close()
    return next(seqs) - start - 1


def insert_changes(session: Session, order_id: int,
                   rows: Iterable[tuple[str, int, dict[str, Any], dict[str, Any]]],
                   action: str = UPDATE) -> int:
    """Append ``(target, target_id, before, after)`` change lines after the order's last line."""
    _forget_read_lines(session)
    if action not in CHANGE_ACTIONS:
        raise ValueError(f"not a change action: {action}")
    start = session.scalar(select(func.max(OrderLine.seq)).where(OrderLine.order_id == order_id)) or 0
    values = [{"order_id": order_id, "seq": start + i, "action": action, "target": target,
               "target_id": target_id, "before": before, "after": after}
              for i, (target, target_id, before, after) in enumerate(rows, start=1)]
    if values:
        session.execute(insert(OrderLine), values)
    return len(values)


def changes(session: Session, order_id: int, target: str
            ) -> list[tuple[int, int, dict[str, Any], dict[str, Any]]]:
    """(seq, target_id, before, after) of the order's change lines of ``target``, in order."""
    rows = session.execute(
        select(OrderLine.seq, OrderLine.target_id, OrderLine.before, OrderLine.after)
        .where(OrderLine.order_id == order_id, OrderLine.target == target,
               OrderLine.action.in_(CHANGE_ACTIONS))
        .order_by(OrderLine.seq))
    return [(seq, target_id, before or {}, after or {}) for seq, target_id, before, after in rows]


def set_after(session: Session, order_id: int, afters: dict[int, dict[str, Any]]) -> None:
    """Replace the ``after`` of the given lines (by seq)."""
    _forget_read_lines(session)
    lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order_id,
                                                    OrderLine.seq.in_(list(afters))))
    for line in lines:
        line.after = afters[line.seq]


def stale_lines(session: Session, order: Any, handler: Any) -> list[Problem]:
    """Change lines whose row no longer matches the snapshot taken when they were staged.

    The handler reads the register's current snapshots (``current_snapshots``) for the targets it
    tracks; a row changed or gone since staging is refused by name, so approval never overwrites
    someone else's change unseen.
    """
    problems: list[Problem] = []
    for target in handler.snapshot_targets:
        lines = changes(session, order.id, target)
        if not lines:
            continue
        current = handler.current_snapshots(session, target, [t for _s, t, _b, _a in lines])
        for seq, target_id, before, _after in lines:
            now = current.get(target_id)
            name = handler.line_name(target, before)
            if now is None:
                problems.append(Problem(name, _l("No longer exists in the register."), row=seq))
            elif now != before:
                problems.append(Problem(name, _l(
                    "Was changed in the register after it was added to this order; remove it and "
                    "add it again."), row=seq))
    return problems


def delete_lines(session: Session, order_id: int, seqs: Optional[Iterable[int]] = None) -> int:
    """Remove the given lines (all lines when ``seqs`` is None); buildings left without houses go too."""
    _forget_read_lines(session)
    query = delete(OrderLine).where(OrderLine.order_id == order_id)
    if seqs is not None:
        wanted = sorted({int(s) for s in seqs})
        if not wanted:
            return 0
        query = query.where(OrderLine.seq.in_(wanted))
    removed = session.execute(query.execution_options(synchronize_session=False)).rowcount or 0
    used = {h["building"] for _seq, h in staged(session, order_id, HOUSE)}
    orphans = [seq for seq, b in staged(session, order_id, BUILDING) if b["name"] not in used]
    if orphans:
        session.execute(delete(OrderLine).where(OrderLine.order_id == order_id,
                                                OrderLine.seq.in_(orphans))
                        .execution_options(synchronize_session=False))
    return removed


def merge_buildings(existing: Iterable[str], new: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The building lines still to add: ``new`` minus names already staged or in the area."""
    known = set(existing)
    result = []
    for data in new:
        if data["name"] not in known:
            known.add(data["name"])
            result.append(data)
    return result
