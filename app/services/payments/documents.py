"""Print data for notices (交款通知单) and proofs of payment (交款证明), from the stored notices.

The print engine gets plain dataclasses (app/documents/print_models.py); every display text is
chosen here. A notice prints the same every time: lines, amounts and payers come from the notice,
only the house's location and contract number are read from the register.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.documents.print_models import BankAccount, NoticeDoc, PaymentProof, Payer
from app.documents.print_models import NoticeLine as PrintLine
from app.documents.printing import html_to_pdf, render_html
from app.domain.localtime import local_date, local_now, local_today
from app.domain.validators import ID_TYPES
from app.models.payment import (CHANNEL_BANK, CHANNEL_POS, CHANNEL_QIAODU, NOTICE_PAID, NOTICE_VOID,
                                PAYER_OWNER, Notice, NoticeLine)
from app.models.property import House, PropertyArea
from app.services.payments.notices import PAYMENT_TYPE_LABELS, house_location

CHANNEL_LABELS = {
    CHANNEL_BANK: _l("Special-account bank"),
    CHANNEL_QIAODU: _l("Qiaodu Window"),
    CHANNEL_POS: _l("Maintenance fund POS"),
}


def special_account(config: Mapping[str, Any]) -> BankAccount:
    """The fund's special account printed on every notice (FUND_BANK_NAME / _ACCOUNT_NAME / _NO)."""
    return BankAccount(bank_name=str(config.get("FUND_BANK_NAME", "")),
                       account_name=str(config.get("FUND_ACCOUNT_NAME", "")),
                       account_number=str(config.get("FUND_ACCOUNT_NO", "")))


def load_for_print(session: Session, notice_ids: Sequence[int]) -> list[Notice]:
    """The notices with their lines, houses and buildings, in the order asked."""
    query = (select(Notice).where(Notice.id.in_(list(notice_ids)))
             .options(selectinload(Notice.lines).selectinload(NoticeLine.house)
                      .selectinload(House.building),
                      selectinload(Notice.area).selectinload(PropertyArea.organisation),
                      selectinload(Notice.building)))
    found = {n.id: n for n in session.scalars(query)}
    return [found[i] for i in notice_ids if i in found]


def _payers(notice: Notice) -> list[Payer]:
    if notice.payer_type == PAYER_OWNER and notice.payers:
        return [Payer(name=p.get("name", ""), id_type=str(ID_TYPES.get(p.get("id_type", ""), "")),
                      id_number=p.get("id_no", ""), phone=p.get("phone", ""))
                for p in notice.payers]
    return [Payer(name=notice.payer_name, id_type=str(_l("Unified social credit code")),
                  id_number=notice.payer_id_no or "")]


def _lines(notice: Notice) -> list[PrintLine]:
    return [PrintLine(house_code=line.house.code, location=house_location(line.house),
                      area=line.house.building_area, amount=line.amount,
                      contract_number=line.house.contract_no or "")
            for line in notice.lines]


def _building_text(notice: Notice) -> str:
    if notice.building is not None:
        return notice.building.name
    names = sorted({line.house.building.name for line in notice.lines})
    return "、".join(names)


def notice_doc(notice: Notice, account: BankAccount) -> NoticeDoc:
    """One notice as the print engine wants it."""
    return NoticeDoc(
        notice_number=notice.number, payers=_payers(notice), area_name=notice.area.name,
        lines=_lines(notice), special_account=account, issued_on=local_date(notice.created_at) or local_today(),
        building=_building_text(notice),
        payment_type=str(PAYMENT_TYPE_LABELS.get(notice.payment_type, notice.payment_type)),
        org_name=notice.area.organisation.name,
        for_owner=notice.payer_type == PAYER_OWNER, void=notice.status == NOTICE_VOID,
    )


def proof_doc(notice: Notice, account: Optional[BankAccount], *, reprint: bool = False) -> PaymentProof:
    """The proof of payment of a paid notice."""
    if notice.status != NOTICE_PAID:
        raise ValueError("only a paid notice has a proof of payment")
    return PaymentProof(
        notice_number=notice.number, bank_serial=notice.bank_serial or "",
        channel=str(CHANNEL_LABELS.get(notice.channel or "", notice.channel or "")),
        paid_at=notice.paid_on or local_date(notice.confirmed_at) or local_today(), payers=_payers(notice),
        area_name=notice.area.name, lines=_lines(notice), special_account=account,
        printed_at=local_now(), reprint=reprint,
    )


def notices_html(notices: Iterable[Notice], account: BankAccount) -> str:
    return render_html("notice.html", notices=[notice_doc(n, account) for n in notices])


def notices_pdf(notices: Iterable[Notice], account: BankAccount) -> bytes:
    """All the notices in one PDF, each starting on a new sheet."""
    return html_to_pdf(notices_html(notices, account))


def proofs_html(notices: Iterable[Notice], account: Optional[BankAccount], *, reprint: bool) -> str:
    return render_html("payment_proof.html",
                       proofs=[proof_doc(n, account, reprint=reprint) for n in notices])


def proofs_pdf(notices: Iterable[Notice], account: Optional[BankAccount], *, reprint: bool) -> bytes:
    return html_to_pdf(proofs_html(notices, account, reprint=reprint))
