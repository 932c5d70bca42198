"""The refund account (户名, 开户银行, 账号) a developer enters on an order that may owe money back.

房屋注销 refunds a cancelled house's balance, 房屋信息变更 a paid amount above a new amount due;
both keep the account in the order's payload, require it only where something is refunded,
write it on each refund record and print it on the 退款申请表. ``RefundAccountHandler`` is the
header of such a business: the property area and the account.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Optional, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.documents.print_models import BankAccount, RefundForm, RefundLine
from app.errors import Problem
from app.models.order import BusinessOrder
from app.models.payment import Refund
from app.models.property import House
from app.services.orders import fields
from app.services.orders.states import LOCAL_TZ
from app.services.orders.types.area_choice import AreaChoiceHandler

#: The refund account the developer enters: payload key → (label, longest length).
ACCOUNT_FIELDS: dict[str, tuple[Any, int]] = {
    "refund_account_name": (_l("Account name"), 100),
    "refund_bank_name": (_l("Bank"), 100),
    "refund_account_no": (_l("Account number"), 40),
}
LABELS = {key: label for key, (label, _n) in ACCOUNT_FIELDS.items()}
#: A bank account number: digits (the spaces and hyphens people group it with are removed first).
ACCOUNT_NO = re.compile(r"^\d{8,30}\Z")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def account_no_text(value: Any) -> str:
    """The account number as stored: the spaces and hyphens people group it with removed."""
    return re.sub(r"[\s-]", "", str(value or ""))


def account_problems(values: dict[str, Optional[str]], required: bool) -> list[Problem]:
    """Why the refund account cannot be used (each field named); empty fields only when allowed."""
    problems = []
    for key, (label, longest) in ACCOUNT_FIELDS.items():
        value = values.get(key) or ""
        if not value:
            if required:
                problems.append(Problem(key, _l("%(field)s is required.", field=label)))
        elif len(value) > longest:
            problems.append(Problem(key, _l("%(field)s must be at most %(n)d characters.",
                                            field=label, n=longest)))
        elif key == "refund_account_no" and not ACCOUNT_NO.match(value):
            problems.append(Problem(key, _l("Enter the account number: 8 to 30 digits.")))
        elif CONTROL.search(value):
            problems.append(Problem(key, _l("%(field)s contains characters that cannot be "
                                            "printed.", field=label)))
    return problems


class RefundAccountHandler(AreaChoiceHandler):
    """Header of a business that may refund: the property area and the refund account."""

    def read_fields(self, source: Any) -> dict[str, Any]:
        values = super().read_fields(source)
        for key in ACCOUNT_FIELDS:
            values[key] = fields.text(source.get(key))
        if values["refund_account_no"]:
            values["refund_account_no"] = account_no_text(values["refund_account_no"])
        return values

    def apply_fields(self, session: Session, user: Any, order: BusinessOrder,
                     values: dict[str, Any]) -> list[Problem]:
        problems = super().apply_fields(session, user, order, values)
        order.payload = {**(order.payload or {}), **{k: values.get(k) for k in ACCOUNT_FIELDS}}
        return problems

    def form_values(self, session: Session, user: Any, order: Optional[BusinessOrder],
                    args: Any) -> dict[str, str]:
        if order is None:
            return {}
        account = self.account(order)
        return {**super().form_values(session, user, order, args),
                **{key: account[key] or "" for key in ACCOUNT_FIELDS}}

    def form_context(self, session: Session, user: Any, order: Optional[BusinessOrder]
                     ) -> dict[str, Any]:
        return {**super().form_context(session, user, order),
                "account_fields": list(LABELS.items())}

    def summary_rows(self, session: Session, order: BusinessOrder) -> list[tuple[str, str]]:
        account = self.account(order)
        rows = super().summary_rows(session, order)
        if account["refund_account_no"]:
            rows += [(str(label), account[key] or "") for key, label in LABELS.items()]
        return rows

    def draft_problems(self, session: Session, order: BusinessOrder) -> list[Problem]:
        return super().draft_problems(session, order) + self.account_problems(order, False)

    def account(self, order: BusinessOrder) -> dict[str, Optional[str]]:
        payload = order.payload or {}
        return {key: payload.get(key) for key in ACCOUNT_FIELDS}

    def account_problems(self, order: BusinessOrder, required: bool) -> list[Problem]:
        return account_problems(self.account(order), required)

    def new_refund(self, order: BusinessOrder, house: House, amount: Any, reason: str) -> Refund:
        """A refund record of ``amount`` to the order's account (the fund office pays it later)."""
        account = self.account(order)
        return Refund(org_id=house.org_id, house_id=house.id, order_id=order.id, amount=amount,
                      account_name=account["refund_account_name"],
                      bank_name=account["refund_bank_name"],
                      account_no=account["refund_account_no"], reason=reason)

    def build_refund_form(self, session: Session, order: BusinessOrder,
                          lines: Sequence[RefundLine]) -> Optional[RefundForm]:
        """The 退款申请表 of ``lines`` to the order's account (None when nothing is refunded)."""
        from app.services.orders.documents import _agent, _org

        if not lines:
            return None
        account = self.account(order)
        applied = order.submitted_at.replace(tzinfo=dt.timezone.utc).astimezone(LOCAL_TZ).date() \
            if order.submitted_at is not None else None
        return RefundForm(
            refund_number=order.number, order_number=order.number, org=_org(order.organisation),
            area_name=self.area_name(order), reason=order.reason or "", lines=list(lines),
            account=BankAccount(bank_name=account["refund_bank_name"] or "",
                                account_name=account["refund_account_name"] or "",
                                account_number=account["refund_account_no"] or ""),
            agent=_agent(session, order), applied_on=applied)
