"""Houses picked in the 楼盘表 for a business that changes existing houses (注销, 权属变更, …).

The picker only helps the user choose: every id is loaded here, checked to be a house of the
order's area that the user may see (another organisation's house is ``NotFound``), and the
houses already staged are left out, so picking twice adds nothing.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.excel import CellError
from app.documents.excel.house_sheet import HOUSE_CODE
from app.errors import NotFound, Problem, ValidationFailed
from app.models.order import BusinessOrder
from app.models.payment import NOTICE_UNPAID, Notice, NoticeLine
from app.models.property import HOUSE_OPEN, Building, House
from app.security.tenant import Scope
from app.services.orders import fields, staging
from app.services.orders.sheets import LinesSheet, SheetRow

CHUNK = 900  # under every driver's bound-parameter limit


def fresh_picks(session: Session, user: Any, order: BusinessOrder, ids: Sequence[int]
                ) -> list[tuple[House, str]]:
    """(house, building name) of the picked houses not yet on the order, in building order."""
    if order.area_id is None:
        raise ValidationFailed(_l("Choose the property area first."),
                               [Problem("area_id", _l("Choose the property area."))])
    scope = Scope.for_user(user)
    rows = with_buildings(session, ids)
    if len(rows) != len(set(ids)) or any(h.area_id != order.area_id or not scope.allows(h)
                                         for h, _name in rows):
        raise NotFound()
    staged = set(staged_ids(session, order))
    fresh = [(h, name) for h, name in rows if h.id not in staged]
    fresh.sort(key=lambda row: (row[1], row[0].unit, row[0].floor, row[0].room))
    return fresh


def with_buildings(session: Session, ids: Sequence[int]) -> list[tuple[House, str]]:
    """(house, building name) of the houses ``ids``, read in chunks."""
    ids = sorted(set(ids))
    rows: list[tuple[House, str]] = []
    for start in range(0, len(ids), CHUNK):
        rows += [(h, name) for h, name in session.execute(
            select(House, Building.name).join(Building, Building.id == House.building_id)
            .where(House.id.in_(ids[start:start + CHUNK])))]
    return rows


def staged_ids(session: Session, order: BusinessOrder) -> list[int]:
    """The houses of the order's change lines, in line order."""
    return [t for _s, t, _b, _a in staging.changes(session, order.id, staging.HOUSE)]


def staged_houses(session: Session, order: BusinessOrder) -> list[House]:
    """The houses of the order's change lines, in line order."""
    ids = staged_ids(session, order)
    position = {house_id: n for n, house_id in enumerate(ids)}
    return sorted((h for h, _name in with_buildings(session, ids)), key=lambda h: position[h.id])


def unavailable(session: Session, order: BusinessOrder, houses: Sequence[House]) -> list[Problem]:
    """Houses the order cannot take: closed or cancelled, or held by another unfinished order."""
    from app.services.orders import workflow

    problems = [Problem(h.code, _l("Is already cancelled or closed."))
                for h in houses if h.status != HOUSE_OPEN]
    return problems + workflow.houses_held_elsewhere(session, order, [h.id for h in houses])


def unpaid_notices(session: Session, house_ids: Sequence[int]) -> dict[int, str]:
    """House id → number of an unpaid notice (not voided) that still holds it."""
    found: dict[int, str] = {}
    ids = sorted(set(house_ids))
    for start in range(0, len(ids), CHUNK):
        for house_id, number in session.execute(
                select(NoticeLine.house_id, Notice.number)
                .join(Notice, Notice.id == NoticeLine.notice_id)
                .where(NoticeLine.house_id.in_(ids[start:start + CHUNK]),
                       Notice.status == NOTICE_UNPAID)):
            found.setdefault(house_id, number)
    return found


def unclosable(session: Session, order: BusinessOrder, houses: Sequence[House]) -> list[Problem]:
    """Houses an order cannot close (注销, 拆分合并): the unavailable ones, and those an unpaid
    notice would still credit once they are closed."""
    notices = unpaid_notices(session, [h.id for h in houses])
    return unavailable(session, order, houses) + [
        Problem(h.code, _l("Is on the unpaid notice %(number)s; void the notice first.",
                           number=notices[h.id]))
        for h in houses if h.id in notices]


class PickedHouses:
    """What every business on picked houses shares, mixed in before its base handler.

    The picked houses are the order's house change lines, each with the snapshot the business
    takes (``house_snapshot``); they are locked while the order is open, checked against the
    register before submit and approval, and named by their house number.
    """

    #: Written by each business; ``register_handler`` refuses a handler without them.
    required_hooks = ("house_snapshot",)
    #: What the business records of a picked house, given its building's name (the line's
    #: ``before``).
    house_snapshot: Callable[[House, str], dict[str, Any]]

    #: The line action of a picked house (``staging.CANCEL`` for 注销).
    pick_action = staging.UPDATE

    def picked_after(self, before: dict[str, Any]) -> dict[str, Any]:
        """The line's ``after`` when the house is picked (unchanged until it is edited)."""
        return before

    def pick_problems(self, session: Session, order: BusinessOrder,
                      houses: Sequence[House]) -> list[Problem]:
        """Why some of the picked houses cannot join the order (closed, held elsewhere…)."""
        return unavailable(session, order, houses)

    def pick_refusal(self, count: int) -> Any:
        return _l("%(n)d of the houses cannot be changed.", n=count)

    def pick(self, session: Session, user: Any, order: BusinessOrder, ids: list[int]) -> int:
        fresh = fresh_picks(session, user, order, ids)
        problems = self.pick_problems(session, order, [h for h, _name in fresh])
        if problems:
            raise ValidationFailed(self.pick_refusal(len(problems)), problems)
        rows = []
        for house, name in fresh:
            before = self.house_snapshot(house, name)
            rows.append((staging.HOUSE, house.id, before, self.picked_after(dict(before))))
        return staging.insert_changes(session, order.id, rows, action=self.pick_action)

    def house_ids_to_lock(self, session: Session, order: BusinessOrder) -> list[int]:
        return staged_ids(session, order)

    def current_snapshots(self, session: Session, target: str, ids: Any) -> dict[int, dict[str, Any]]:
        return {h.id: self.house_snapshot(h, name) for h, name in with_buildings(session, list(ids))}

    def line_name(self, target: str, snapshot_: dict[str, Any]) -> str:
        return str(snapshot_.get("code") or "")

    def draft_problems(self, session: Session, order: BusinessOrder) -> list[Problem]:
        """On every save: the header's format (agent, area, then the base handler's own fields)
        and the picked houses another unfinished order holds."""
        header = fields.agent_problems(order, False) + fields.required_area(session, order, False)
        return (header + super().draft_problems(session, order)  # type: ignore[misc]
                + self.held_elsewhere(session, order))

    def held_elsewhere(self, session: Session, order: BusinessOrder) -> list[Problem]:
        """The picked houses another unfinished order holds (reported on every save)."""
        from app.services.orders import workflow

        return workflow.houses_held_elsewhere(session, order, staged_ids(session, order))



class PickedHousesSheet(LinesSheet):
    """批量导出 / 批量导入 of picked houses: the sheet's rows name their house by its number, and
    the business says how a house's rows change its line (``sheet_after``)."""

    required_hooks = ("sheet_after",)
    #: One house's line ``after`` with the cells of its rows applied:
    #: ``sheet_after(session, order, after, rows) -> (after, cell errors)``.
    sheet_after: Callable[[Session, BusinessOrder, dict[str, Any], Sequence[SheetRow]],
                          tuple[dict[str, Any], list[CellError]]]

    def sheet_changes(self, session: Session, user: Any, order: BusinessOrder,
                      rows: Sequence[SheetRow]) -> tuple[dict[int, dict[str, Any]], list[CellError]]:
        """Rows matched to the lines by house number; a number that is not a house of the
        order (or not the user's at all) refuses its row."""
        lines = {before.get("code"): (seq, after)
                 for seq, _t, before, after in staging.changes(session, order.id, staging.HOUSE)}
        grouped: dict[int, list[Any]] = {}
        strangers = []
        for row in rows:
            code = str(row.values.get("code") or "").upper()
            if code in lines:
                grouped.setdefault(lines[code][0], []).append(row)
            else:
                strangers.append((row, code))
        errors = self._stranger_errors(session, user, strangers)
        changes: dict[int, dict[str, Any]] = {}
        for seq, after in lines.values():
            if seq not in grouped:
                continue
            new, problems = self.sheet_after(session, order, after, grouped[seq])
            errors += problems
            if new != after:
                changes[seq] = new
        errors.sort(key=lambda e: e.row)
        return ({} if errors else changes), errors

    def _stranger_errors(self, session: Session, user: Any, rows: Sequence[tuple[Any, str]]
                         ) -> list[CellError]:
        """Why each row naming a house outside the order is refused (another organisation's
        house reads like a missing one)."""
        if not rows:
            return []
        scope = Scope.for_user(user)
        codes = sorted({code for _r, code in rows})
        yours = {h.code for start in range(0, len(codes), CHUNK) for h in session.scalars(
            select(House).where(House.code.in_(codes[start:start + CHUNK]))) if scope.allows(h)}
        return [CellError(self.sheet_name, row.number, HOUSE_CODE, code, str(
            _l("This house is not in the order: add it with the house picker first.")
            if code in yours else _l("No house of yours has this number."))) for row, code in rows]
