"""楼幢变更 (§1.3.3): correct buildings' data, or move buildings to another of the developer's areas.

The developer chooses the area, ticks the buildings in the 选择需要变更的楼幢 dialog (each becomes a
change line holding the building as it is), then either sets 物业区域 / 建成年月 / 建筑结构 for
every picked building at once (批量修改) or edits one row (name, floors, units, structure,
completion month, address). The houses of the picked buildings are locked from submit to approval.

Where a change moves a house's deposit standard (the storey count crossing a tier), the review shows
each such house's old and new amount due; approval records the new amount and turns a paid amount
above it into a refund record (refunds are processed by the fund office later).
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Optional, Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session

from app.documents.print_models import SummaryTable
from app.errors import NotFound, Problem, ValidationFailed
from app.models.codes import KIND_STRUCTURE
from app.models.order import BUILDING_CHANGE, BusinessOrder
from app.models.payment import Refund
from app.models.property import HOUSE_OPEN, Building, House, PropertyArea
from app.security.tenant import Scope
from app.services.audit import record
from app.services.ledger import balances
from app.services.orders import fields, staging
from app.services.orders.dues import Impact, impacts_summary, impacts_table, record_new_due
from app.services.orders.types.area_choice import AreaChoiceHandler
from app.services.orders.types.base import (BUILDING_PICK, ExtraTable, FormContent, LineRow,
                                            LinesTable, register_handler)
from app.services.outbox import enqueue_deposit_pushes
from app.services.reference import code_map
from app.services.standards import NoStandard, PriceRequired, StandardBook

#: A building's fields as the lines keep them (text), with their labels.
BUILDING_FIELDS: dict[str, Any] = {
    "name": _l("Building name"), "area_id": _l("Property area"), "floors": _l("Floors"),
    "unit_count": _l("Units"), "structure_code": _l("Structure"),
    "built_ym": _l("Completed (year-month)"), "address": _l("Address"),
}
#: What 批量修改 sets for every picked building (the manual's three fields).
BATCH_FIELDS = ("area_id", "built_ym", "structure_code")
#: Where the area's name is among a line's cells (``_cells``).
AREA_COLUMN = list(BUILDING_FIELDS).index("area_id")
YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def snapshot(building: Building) -> dict[str, str]:
    """The building's fields as text, the way the lines keep and compare them."""
    return {key: "" if getattr(building, key) is None else str(getattr(building, key))
            for key in BUILDING_FIELDS}


def _whole(value: str, low: int, high: int, label: Any) -> Optional[Any]:
    if not value.isdigit() or not low <= int(value) <= high:
        return _l("%(field)s must be a whole number from %(low)d to %(high)d.", field=label,
                  low=low, high=high)
    return None


def field_problem(session: Session, org_id: int, key: str, value: str) -> Optional[Any]:
    """Why ``value`` cannot be the building's ``key`` (None when it can)."""
    label = BUILDING_FIELDS[key]
    if key == "name":
        if not value:
            return _l("%(field)s is required.", field=label)
        return _l("%(field)s must be at most %(n)d characters.", field=label, n=60) \
            if len(value) > 60 else None
    if key == "area_id":
        area = session.get(PropertyArea, int(value)) if value.isdigit() and int(value) < 2**31 \
            else None
        if area is None or area.org_id != org_id or not area.active:
            return _l("Choose one of your property areas.")
        return None
    if not value:
        return None
    if key == "floors":
        return _whole(value, 1, 200, label)
    if key == "unit_count":
        return _whole(value, 1, 99, label)
    if key == "structure_code":
        return None if value in code_map(session, KIND_STRUCTURE) else _l("Choose a structure.")
    if key == "built_ym":
        match = YEAR_MONTH.match(value)
        if not match or not 1900 <= int(match.group(1)) <= 2100 \
                or not 1 <= int(match.group(2)) <= 12:
            return _l("Enter the year and month such as 2020-06.")
        return None
    return _l("%(field)s must be at most %(n)d characters.", field=label, n=200) \
        if len(value) > 200 else None


class BuildingChangeHandler(AreaChoiceHandler):
    type = BUILDING_CHANGE
    code = "LB"
    slug = "building-change"
    title = _l("Building change")
    form_title = _l("Building Change Application Form")
    menu_name = "Building change"
    menu_icon = "fa-building"
    menu_order = 30
    form_partial = "orders/forms/_area_choice.html"
    intake = (BUILDING_PICK,)
    line_targets = ((staging.BUILDING, _l("Buildings")),)
    snapshot_targets = (staging.BUILDING,)
    field_labels = {**fields.LABELS, **{key: label for key, label in BUILDING_FIELDS.items()},
                    "buildings": _l("Buildings")}

    # ------------------------------------------------ header

    def form_context(self, session: Session, user: Any, order: Optional[BusinessOrder]
                     ) -> dict[str, Any]:
        return {**super().form_context(session, user, order),
                "structures": list(code_map(session, KIND_STRUCTURE).items())}

    # ------------------------------------------------ lines

    def pick(self, session: Session, user: Any, order: BusinessOrder, ids: list[int]) -> int:
        if order.area_id is None:
            raise ValidationFailed(_l("Choose the property area first."),
                                   [Problem("area_id", _l("Choose the property area."))])
        scope = Scope.for_user(user)
        buildings = session.scalars(select(Building).where(Building.id.in_(ids))).all()
        if len(buildings) != len(ids) or any(
                b.area_id != order.area_id or not scope.allows(b) for b in buildings):
            raise NotFound()
        staged = {target for _s, target, _b, _a in staging.changes(session, order.id,
                                                                  staging.BUILDING)}
        fresh = [b for b in buildings if b.id not in staged]
        problems = self._held_elsewhere(session, order, [b.id for b in fresh])
        if problems:
            raise ValidationFailed(_l("%(n)d of the buildings are held by other unfinished "
                                      "orders.", n=len(problems)), problems)
        fresh.sort(key=lambda b: b.name)
        return staging.insert_changes(session, order.id, [
            (staging.BUILDING, b.id, snapshot(b), snapshot(b)) for b in fresh])

    def modify(self, session: Session, user: Any, order: BusinessOrder,
               seqs: Optional[list[int]], values: dict[str, Any]) -> int:
        lines = staging.changes(session, order.id, staging.BUILDING)
        chosen = lines if seqs is None else [line for line in lines if line[0] in set(seqs)]
        if not chosen:
            raise ValidationFailed(_l("Pick the buildings first."), [])
        allowed = BUILDING_FIELDS if len(chosen) == 1 and seqs is not None else BATCH_FIELDS
        wanted = {k: str(v if v is not None else "").strip() for k, v in values.items()
                  if k in allowed}
        if not wanted:
            raise ValidationFailed(_l("Enter at least one new value."), [])
        problems = [Problem(key, reason) for key, value in wanted.items()
                    if (reason := field_problem(session, order.org_id, key, value)) is not None]
        if problems:
            raise ValidationFailed(_l("Please correct the marked fields."), problems)
        staging.set_after(session, order.id, {seq: {**after, **wanted}
                                              for seq, _t, _b, after in chosen})
        return len(chosen)

    def _held_elsewhere(self, session: Session, order: BusinessOrder,
                        building_ids: Sequence[int]) -> list[Problem]:
        from app.services.orders import workflow

        house_ids = list(session.scalars(select(House.id).where(
            House.building_id.in_(list(building_ids)), House.status == HOUSE_OPEN)))
        return workflow.houses_held_elsewhere(session, order, house_ids)

    def house_ids_to_lock(self, session: Session, order: BusinessOrder) -> list[int]:
        ids = [t for _s, t, _b, _a in staging.changes(session, order.id, staging.BUILDING)]
        if not ids:
            return []
        return list(session.scalars(select(House.id).where(House.building_id.in_(ids),
                                                           House.status == HOUSE_OPEN)))

    def current_snapshots(self, session: Session, target: str, ids: Any) -> dict[int, dict[str, Any]]:
        return {b.id: snapshot(b)
                for b in session.scalars(select(Building).where(Building.id.in_(list(ids))))}

    def line_name(self, target: str, snapshot_: dict[str, Any]) -> str:
        return str(snapshot_.get("name") or "")

    # ------------------------------------------------ checks

    def draft_problems(self, session: Session, order: BusinessOrder) -> list[Problem]:
        problems = fields.agent_problems(order, False) + fields.required_area(session, order, False)
        return problems + self._held_elsewhere(session, order, [
            t for _s, t, _b, _a in staging.changes(session, order.id, staging.BUILDING)])

    def validate(self, session: Session, order: BusinessOrder) -> list[Problem]:
        problems = fields.agent_problems(order, True) + fields.required_area(session, order, True)
        lines = staging.changes(session, order.id, staging.BUILDING)
        if not lines:
            return problems + [Problem("buildings", _l("Pick the buildings to change."))]
        if all(before == after for _s, _t, before, after in lines):
            problems.append(Problem("buildings", _l("Nothing was changed.")))
        for seq, _target, before, after in lines:
            for key in BUILDING_FIELDS:
                if after.get(key) != before.get(key):
                    reason = field_problem(session, order.org_id, key, after.get(key) or "")
                    if reason is not None:
                        problems.append(Problem(after.get("name") or before.get("name"),
                                                reason, row=seq))
        problems += self._name_clashes(session, lines)
        _impacts, unpriced = self.impacts(session, order)
        problems += unpriced
        return problems

    def _name_clashes(self, session: Session, lines: Sequence[tuple[int, int, dict, dict]]
                      ) -> list[Problem]:
        """Two buildings of one area may not share a name once the order is applied."""
        moved = {target: after for _s, target, _b, after in lines}
        areas = {int(after["area_id"]) for after in moved.values() if after.get("area_id", "").isdigit()}
        final: dict[tuple[int, str], list[int]] = {}
        for building_id, area_id, name in session.execute(
                select(Building.id, Building.area_id, Building.name)
                .where(Building.area_id.in_(areas))):
            if building_id not in moved:
                final.setdefault((area_id, name), []).append(building_id)
        for building_id, after in moved.items():
            if after.get("area_id", "").isdigit():
                final.setdefault((int(after["area_id"]), after["name"]), []).append(building_id)
        return [Problem(name, _l("Two buildings of the property area would both be named %(name)s.",
                                 name=name))
                for (_area, name), ids in final.items() if len(ids) > 1
                and any(i in moved for i in ids)]

    def impacts(self, session: Session, order: BusinessOrder
                ) -> tuple[list[Impact], list[Problem]]:
        """Houses whose amount due changes with the new storey counts, and those left unpriced."""
        changed = {target: int(after["floors"]) if after.get("floors") else None
                   for _s, target, before, after in staging.changes(session, order.id,
                                                                    staging.BUILDING)
                   if after.get("floors") != before.get("floors")}
        if not changed:
            return [], []
        book = StandardBook.load(session)
        rows = session.execute(select(House, Building.name)
                               .join(Building, Building.id == House.building_id)
                               .where(House.building_id.in_(list(changed)),
                                      House.status == HOUSE_OPEN)
                               .order_by(Building.name, House.unit, House.floor, House.room)).all()
        paid = balances(session, [house.id for house, _name in rows])
        impacts: list[Impact] = []
        problems: list[Problem] = []
        for house, name in rows:
            try:
                standard, due = book.price(house.use_code, house.has_lift,
                                           changed[house.building_id], house.building_area,
                                           house.price, house.deposit_time_point or dt.date.today())
            except (NoStandard, PriceRequired) as error:
                problems.append(Problem(house.code, error.message))
                continue
            if due != house.amount_due:
                impacts.append(Impact(house, house.amount_due, due, standard,
                                      paid[house.id].paid, building=name))
        return impacts, problems

    # ------------------------------------------------ approval

    def apply(self, session: Session, order: BusinessOrder, user: Any) -> None:
        impacts, _unpriced = self.impacts(session, order)  # validate() refused unpriced houses
        for _seq, target, before, after in staging.changes(session, order.id, staging.BUILDING):
            building = session.get(Building, target)
            building.name = after["name"]
            building.floors = int(after["floors"]) if after.get("floors") else None
            building.unit_count = int(after["unit_count"]) if after.get("unit_count") else None
            building.structure_code = after.get("structure_code") or None
            building.built_ym = after.get("built_ym") or None
            building.address = after.get("address") or None
            if after["area_id"] != before["area_id"]:
                building.area_id = int(after["area_id"])
                session.execute(update(House).where(House.building_id == building.id)
                                .values(area_id=building.area_id)
                                .execution_options(synchronize_session=False))
            record(session, "building_changed", "Building", building.id, user_id=user.id,
                   org_id=order.org_id, detail={"order": order.number, "changes": {
                       k: [before.get(k), after.get(k)] for k in BUILDING_FIELDS
                       if before.get(k) != after.get(k)}})
        reason = _("Amount due changed by order %(number)s", number=order.number)
        for impact in impacts:
            house = impact.house
            record_new_due(impact)
            if impact.refund > 0:
                session.add(Refund(org_id=house.org_id, house_id=house.id, order_id=order.id,
                                   amount=impact.refund, reason=reason))
        session.flush()
        enqueue_deposit_pushes(session, [i.house for i in impacts], reason=reason)

    # ------------------------------------------------ display

    def _cells(self, session: Session, data: Optional[dict[str, Any]]) -> Optional[list[str]]:
        if data is None:
            return None
        structures = code_map(session, KIND_STRUCTURE)
        cells = []
        for key in BUILDING_FIELDS:
            value = data.get(key) or ""
            if key == "area_id" and value.isdigit():
                area = session.get(PropertyArea, int(value))
                value = area.name if area is not None else value
            elif key == "structure_code":
                value = structures.get(value, value)
            cells.append(str(value))
        return cells

    def lines_table(self, order: BusinessOrder, lines: Any = None, *,
                    target: str = staging.BUILDING) -> LinesTable:
        session = object_session(order)
        rows = []
        for line in list(order.lines if lines is None else lines):
            before = self._cells(session, line.before) or []
            after = self._cells(session, line.after) or []
            # The row's edit dialog types for its area (the areas are never printed): the line
            # brings its area's name for the box to show.
            data = None if line.after is None else {
                **line.after, "area_id_label": after[AREA_COLUMN] if after else ""}
            rows.append(LineRow(seq=line.seq, action=line.action, target=line.target,
                                before=before, after=after,
                                changed=[b != a for b, a in zip(before, after)],
                                data=data))
        return LinesTable(columns=[str(label) for label in BUILDING_FIELDS.values()], rows=rows)

    def _impact_table(self, session: Session, order: BusinessOrder) -> SummaryTable:
        return impacts_table(self.impacts(session, order)[0], with_place=True)

    def extra_tables(self, session: Session, order: BusinessOrder) -> list[ExtraTable]:
        table = self._impact_table(session, order)
        return [ExtraTable("impacts", table.caption, table)]

    def lines_summary(self, session: Session, order: BusinessOrder) -> str:
        return impacts_summary(self.impacts(session, order)[0])

    def form_content(self, session: Session, order: BusinessOrder) -> FormContent:
        rows = []
        for _seq, _target, before, after in staging.changes(session, order.id, staging.BUILDING):
            old, new = self._cells(session, before), self._cells(session, after)
            changes = "；".join(f"{label}：{b or '—'} → {a or '—'}" for label, b, a
                               in zip(BUILDING_FIELDS.values(), old, new) if b != a)
            rows.append([before.get("name") or "", changes or _("No change")])
        impacts, _unpriced = self.impacts(session, order)
        refund = sum((i.refund for i in impacts), Decimal("0.00"))
        return FormContent(
            lines=SummaryTable(headers=[_("Building"), _("Changes")], rows=rows,
                               caption=_("Buildings to change")),
            totals=[(_("Buildings"), len(rows)), (_("Houses whose amount due changes"), len(impacts)),
                    (_("Refunds"), f"{refund:,.2f}")])


register_handler(BuildingChangeHandler())
