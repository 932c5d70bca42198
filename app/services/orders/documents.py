"""The printables of an order: its application form (申请表) and, for orders that open houses, the
account opening list (开户清册). Builds the print engine's plain data; the engine renders it."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Optional

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.print_models import AccountList, AccountListRow, Agent, Attachment, Org, OrderForm
from app.errors import NotFound
from app.models.codes import KIND_ATTACHMENT, KIND_DISTRICT, KIND_HOUSE_USE, KIND_ID_TYPE
from app.models.order import Attachment as AttachmentRow
from app.models.order import BusinessOrder
from app.models.organisation import Organisation
from app.models.property import Building, House
from app.services.orders import staging
from app.services.orders.types import display_handler
from app.services.orders.types.area_collect import area_data
from app.services.orders.types.new_houses import Pricer, deposit_point
from app.services.orders.states import LOCAL_TZ
from app.services.reference import code_map

NOT_YET = "—"


def _org(org: Organisation) -> Org:
    return Org(name=org.name, credit_code=org.uscc, legal_representative=org.legal_rep,
               contact=org.contact, phone=org.phone, address=org.address)


def _agent(session: Session, order: BusinessOrder) -> Optional[Agent]:
    if not order.agent_name:
        return None
    id_types = code_map(session, KIND_ID_TYPE)
    return Agent(name=order.agent_name, phone=order.agent_phone or "",
                 id_number=order.agent_id_no or "",
                 id_type=id_types.get(order.agent_id_type or "", order.agent_id_type or ""))


def _attachments(session: Session, order: BusinessOrder) -> list[Attachment]:
    kinds = code_map(session, KIND_ATTACHMENT)
    rows = session.scalars(select(AttachmentRow).where(AttachmentRow.order_id == order.id)
                           .order_by(AttachmentRow.id)).all()
    counts = Counter(a.kind for a in rows)
    names: dict[str, list[str]] = {}
    for a in rows:
        names.setdefault(a.kind, []).append(a.original_name)
    return [Attachment(name=kinds.get(kind, kind), count=count, note="、".join(names[kind])[:80])
            for kind, count in counts.items()]


def _area_place(session: Session, order: BusinessOrder) -> tuple[str, str]:
    """(address, district name) of the order's area, or of the area it will create."""
    districts = code_map(session, KIND_DISTRICT)
    if order.area is not None:
        return order.area.address, districts.get(order.area.district_code, "")
    data = area_data(order)
    return data.get("address") or "", districts.get(data.get("district_code") or "", "")


def application_form(session: Session, order: BusinessOrder) -> OrderForm:
    handler = display_handler(order.type)
    content = handler.form_content(session, order)
    address, district = _area_place(session, order)
    submitted = None
    if order.submitted_at is not None:
        submitted = order.submitted_at.replace(tzinfo=dt.timezone.utc).astimezone(LOCAL_TZ).date()
    return OrderForm(
        order_number=order.number, title=str(handler.form_title), org=_org(order.organisation),
        area_name=handler.area_name(order), lines=content.lines, agent=_agent(session, order),
        reason=order.reason or "", area_address=address, district=district,
        submitted_on=submitted, totals=content.totals, attachments=_attachments(session, order),
    )


def account_list(session: Session, order: BusinessOrder) -> AccountList:
    """Every house the order opens with its amount due: the accounts themselves once approved,
    the staged houses priced with the current standard before."""
    handler = display_handler(order.type)
    if not handler.prints_account_list:
        raise NotFound()
    uses = code_map(session, KIND_HOUSE_USE)
    opened = session.execute(
        select(House, Building.name).join(Building, Building.id == House.building_id)
        .where(House.opened_by_order_id == order.id).order_by(House.id)).all()
    if opened:
        rows = [AccountListRow(house_code=h.code, building=name, unit=h.unit, floor=str(h.floor),
                               room=h.room, use=uses.get(h.use_code, h.use_code),
                               has_lift=h.has_lift, area=h.building_area,
                               standard=h.standard_text, amount_due=h.amount_due)
                for h, name in opened]
    else:
        prices = Pricer(session, order)
        rows = []
        for _seq, data in staging.staged(session, order.id, staging.HOUSE):
            standard, due = prices.price(data)
            rows.append(AccountListRow(
                house_code=NOT_YET, building=data["building"], unit=data.get("unit") or "",
                floor=str(data["floor"]), room=data["room"],
                use=uses.get(data["use_code"], data["use_code"]), has_lift=bool(data["has_lift"]),
                area=Decimal(data["building_area"]), standard=standard or _("No standard"),
                amount_due=due if due is not None else Decimal("0.00")))
    point = deposit_point(order)
    return AccountList(order_number=order.number, org_name=order.organisation.name,
                       area_name=handler.area_name(order), rows=rows,
                       deposit_point=point.isoformat() if point else "")
