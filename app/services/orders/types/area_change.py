"""物业区域变更 (§1.3.2): correct an area's data (name, address, district, project, permits, contact).

The manual completes it on 保存, without review; it is still an order, so the change is numbered,
kept as a before/after line, listed in 我的业务单 and audited. It pushes nothing to the trading
system (the trading system keys on houses, whose data does not change here).
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.documents.print_models import SummaryTable
from app.errors import Problem
from app.models.codes import KIND_DISTRICT
from app.models.order import AREA_CHANGE, BusinessOrder, OrderLine
from app.models.property import PropertyArea
from app.services.audit import record
from app.services.orders import fields, staging
from app.services.orders.types.area_collect import (AREA_FIELDS, area_columns, area_field_problems,
                                                    read_area_fields)
from app.services.orders.types.base import (FormContent, LineRow, LinesTable, OrderHandler,
                                            register_handler)
from app.services.reference import code_map


def snapshot(area: PropertyArea) -> dict[str, str]:
    """The area's fields as text, the way the form shows and the line keeps them."""
    values = {key: "" if getattr(area, key) is None else str(getattr(area, key))
              for key in AREA_FIELDS}
    return normalised(values)


def normalised(values: dict[str, Any]) -> dict[str, str]:
    """Text of every field, numbers written one way, so equal values compare equal."""
    result = {key: str(values.get(key) or "").strip() for key in AREA_FIELDS}
    try:
        if result["total_building_area"]:
            result["total_building_area"] = f"{Decimal(result['total_building_area']):.2f}"
    except InvalidOperation:
        pass  # kept as typed; the field check names it
    if result["planned_households"].isdigit():
        result["planned_households"] = str(int(result["planned_households"]))
    return result


class AreaChangeHandler(OrderHandler):
    type = AREA_CHANGE
    code = "QB"
    slug = "area-change"
    title = _l("Property area change")
    form_title = _l("Property Area Change Application Form")
    menu_name = "Area change"
    menu_icon = "fa-edit"
    menu_order = 20
    form_partial = "orders/forms/_area_change.html"
    needs_review = False
    line_targets = ((staging.AREA, _l("Property area")),)
    snapshot_targets = (staging.AREA,)
    field_labels = {**fields.LABELS,
                    **{f"area.{key}": label for key, (label, _n, _r) in AREA_FIELDS.items()}}

    # ------------------------------------------------ the draft

    def read_fields(self, source: Any) -> dict[str, Any]:
        return {"area_id": fields.read_id(source, "area_id"), "area": read_area_fields(source)}

    def apply_fields(self, session: Session, user: Any, order: BusinessOrder,
                     values: dict[str, Any]) -> list[Problem]:
        problems = fields.choose_area(session, user, order, values.get("area_id"), has_lines=False)
        if problems or order.area_id is None:
            return problems
        area = session.get(PropertyArea, order.area_id)
        # One line: the area before (read now) and as typed; saved again, it is staged again.
        session.execute(delete(OrderLine).where(OrderLine.order_id == order.id)
                        .execution_options(synchronize_session=False))
        staging.insert_changes(session, order.id, [(
            staging.AREA, area.id, snapshot(area), normalised(values.get("area") or {}))])
        return []

    def _line(self, session: Session, order: BusinessOrder
              ) -> Optional[tuple[int, int, dict[str, Any], dict[str, Any]]]:
        lines = staging.changes(session, order.id, staging.AREA)
        return lines[0] if lines else None

    def draft_problems(self, session: Session, order: BusinessOrder) -> list[Problem]:
        return self._problems(session, order, required=False)

    def validate(self, session: Session, order: BusinessOrder) -> list[Problem]:
        return self._problems(session, order, required=True)

    def _problems(self, session: Session, order: BusinessOrder, required: bool) -> list[Problem]:
        problems = fields.agent_problems(order, required) + fields.required_area(
            session, order, required)
        line = self._line(session, order)
        if line is None:
            return problems
        _seq, area_id, before, after = line
        problems += area_field_problems(session, order.org_id, after, True,
                                        other_than_area=area_id)
        if required and not problems and before == after:
            problems.append(Problem("area.name", _l("Nothing was changed.")))
        return problems

    def current_snapshots(self, session: Session, target: str, ids: Any) -> dict[int, dict[str, Any]]:
        areas = session.scalars(select(PropertyArea).where(PropertyArea.id.in_(list(ids))))
        return {area.id: snapshot(area) for area in areas}

    def apply(self, session: Session, order: BusinessOrder, user: Any) -> None:
        _seq, area_id, before, after = self._line(session, order)
        area = session.get(PropertyArea, area_id)
        for key, value in area_columns(after).items():
            setattr(area, key, value)
        changed = {k: [before[k], after[k]] for k in AREA_FIELDS if before[k] != after[k]}
        record(session, "area_changed", "PropertyArea", area.id, user_id=user.id,
               org_id=order.org_id, detail={"order": order.number, "changes": changed})

    # ------------------------------------------------ the form

    def form_values(self, session: Session, user: Any, order: Optional[BusinessOrder],
                    args: Any) -> dict[str, str]:
        if order is not None:
            line = self._line(session, order)
            data = line[3] if line else {}
            values = {"area_id": str(order.area_id or "")}
        else:
            area_id = fields.read_id(args, "area_id")
            area = session.get(PropertyArea, area_id) if area_id else None
            if area is None or not fields.may_choose(user, area):
                return {}
            data, values = snapshot(area), {"area_id": str(area.id)}
        values.update({f"area.{key}": str(value or "") for key, value in data.items()})
        return values

    def form_context(self, session: Session, user: Any, order: Optional[BusinessOrder]
                     ) -> dict[str, Any]:
        return {"area_fields": [(k, str(label), req) for k, (label, _n, req) in AREA_FIELDS.items()],
                "districts": list(code_map(session, KIND_DISTRICT).items())}

    def summary_rows(self, session: Session, order: BusinessOrder) -> list[tuple[str, str]]:
        return fields.area_rows(session, order.area)

    # ------------------------------------------------ display

    def _display(self, session: Session, data: dict[str, Any]) -> list[str]:
        districts = code_map(session, KIND_DISTRICT)
        return [districts.get(data.get(k) or "", data.get(k) or "") if k == "district_code"
                else str(data.get(k) or "") for k in AREA_FIELDS]

    def lines_table(self, order: BusinessOrder, lines: Any = None, *, target: str = "area"
                    ) -> LinesTable:
        from sqlalchemy.orm import object_session

        session = object_session(order)
        rows = []
        for line in list(order.lines if lines is None else lines):
            before = self._display(session, line.before or {})
            after = self._display(session, line.after or {})
            rows.append(LineRow(seq=line.seq, action=line.action, target=line.target,
                                before=before, after=after,
                                changed=[b != a for b, a in zip(before, after)]))
        return LinesTable(columns=[str(label) for label, _n, _r in AREA_FIELDS.values()], rows=rows)

    def form_content(self, session: Session, order: BusinessOrder) -> FormContent:
        line = self._line(session, order)
        rows = []
        if line is not None:
            before = self._display(session, line[2])
            after = self._display(session, line[3])
            rows = [[str(label), b, a] for (label, _n, _r), b, a
                    in zip(AREA_FIELDS.values(), before, after) if b != a]
        return FormContent(lines=SummaryTable(headers=[_("Item"), _("Before"), _("After")],
                                              rows=rows, caption=_("Changes")))


register_handler(AreaChangeHandler())
