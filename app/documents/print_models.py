"""Plain data for the printables: services fill these, the print engine only reads them.

Text fields hold display text already chosen by the service (a house use such as "住宅", a payment
channel, an ID type): the engine never looks anything up. Money and areas are ``Decimal``; totals are
computed here from the lines, so a printed total can never disagree with the lines printed above it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from app.domain.money import quantize_money

Cell = str | int | Decimal | date | None


def _sum(values: list[Decimal]) -> Decimal:
    """Return the cent-rounded sum of ``values`` (Decimal zero for none)."""
    return quantize_money(sum(values, Decimal(0)))


@dataclass(frozen=True, slots=True)
class Org:
    """The applying organisation (开发建设单位)."""

    name: str
    credit_code: str = ""
    legal_representative: str = ""
    contact: str = ""
    phone: str = ""
    address: str = ""


@dataclass(frozen=True, slots=True)
class Agent:
    """The person handling the order (经办人)."""

    name: str
    phone: str
    id_number: str
    id_type: str = ""


@dataclass(frozen=True, slots=True)
class Payer:
    """Who pays a notice or receives a proof: the developer, or one owner of a house."""

    name: str
    id_type: str = ""
    id_number: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class BankAccount:
    """A bank account: the fund's special account on notices, the payee's account on refunds."""

    bank_name: str
    account_name: str
    account_number: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """One required document (要件) handed in with an order."""

    name: str
    count: int = 1
    note: str = ""


@dataclass(frozen=True, slots=True)
class SummaryTable:
    """A table chosen by the caller: column headers and rows of cells.

    Decimal cells print with two decimals and, like int cells, right-aligned.
    """

    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    caption: str = ""


@dataclass(frozen=True, slots=True)
class OrderForm:
    """The application form (申请表) of any order type.

    ``title`` is the full form title, e.g. "物业区域采集申请表". ``totals`` are (label, value) pairs
    printed under the lines, e.g. ("应交金额合计（元）", Decimal("1004.50")).
    """

    order_number: str
    title: str
    org: Org
    area_name: str
    lines: SummaryTable
    agent: Agent | None = None
    reason: str = ""
    area_address: str = ""
    district: str = ""
    submitted_on: date | None = None
    totals: Sequence[tuple[str, Cell]] = ()
    attachments: Sequence[Attachment] = ()


@dataclass(frozen=True, slots=True)
class AccountListRow:
    """One house on the account opening list (开户清册)."""

    house_code: str
    building: str
    unit: str
    floor: str
    room: str
    use: str
    has_lift: bool
    area: Decimal
    standard: str
    amount_due: Decimal


@dataclass(frozen=True, slots=True)
class AccountList:
    """The account opening list of an order: every house opened and its amount due."""

    order_number: str
    org_name: str
    area_name: str
    rows: Sequence[AccountListRow]
    deposit_point: str = ""
    printed_on: date | None = None

    @property
    def house_count(self) -> int:
        """Number of houses listed."""
        return len(self.rows)

    @property
    def total_area(self) -> Decimal:
        """Sum of the building areas."""
        return _sum([r.area for r in self.rows])

    @property
    def total_amount(self) -> Decimal:
        """Sum of the amounts due."""
        return _sum([r.amount_due for r in self.rows])


@dataclass(frozen=True, slots=True)
class NoticeLine:
    """One house on a payment notice or a proof of payment."""

    house_code: str
    location: str
    area: Decimal
    amount: Decimal
    contract_number: str = ""


@dataclass(frozen=True, slots=True)
class NoticeDoc:
    """A payment notice (交款通知单): one per building for the developer, one per house for owners.

    ``for_owner`` selects the owners' wording: they may pay at the bank, 侨都之窗 or the fund's POS;
    the developer pays at the special-account bank counter.
    """

    notice_number: str
    payers: Sequence[Payer]
    area_name: str
    lines: Sequence[NoticeLine]
    special_account: BankAccount
    issued_on: date
    building: str = ""
    payment_type: str = ""
    org_name: str = ""
    for_owner: bool = False
    void: bool = False

    @property
    def total(self) -> Decimal:
        """Amount to pay: the sum of the lines."""
        return _sum([line.amount for line in self.lines])

    @property
    def total_area(self) -> Decimal:
        """Sum of the building areas on the notice."""
        return _sum([line.area for line in self.lines])


@dataclass(frozen=True, slots=True)
class RefundLine:
    """One house on a refund application: what was paid, what is due now, what goes back."""

    house_code: str
    location: str
    area: Decimal
    amount_paid: Decimal
    amount_due: Decimal
    refund: Decimal


@dataclass(frozen=True, slots=True)
class RefundForm:
    """The refund application (退款申请表) created by a house change or cancellation."""

    refund_number: str
    order_number: str
    org: Org
    area_name: str
    lines: Sequence[RefundLine]
    account: BankAccount
    reason: str
    agent: Agent | None = None
    applied_on: date | None = None

    @property
    def total(self) -> Decimal:
        """Total refund: the sum of the lines."""
        return _sum([line.refund for line in self.lines])


@dataclass(frozen=True, slots=True)
class PaymentProof:
    """Proof of payment (交款证明) of a confirmed notice; ``reprint`` marks a copy printed later."""

    notice_number: str
    bank_serial: str
    channel: str
    paid_at: date | datetime
    payers: Sequence[Payer]
    area_name: str
    lines: Sequence[NoticeLine]
    special_account: BankAccount | None = None
    printed_at: datetime | None = None
    reprint: bool = False

    @property
    def total(self) -> Decimal:
        """Amount paid: the sum of the lines."""
        return _sum([line.amount for line in self.lines])

    @property
    def total_area(self) -> Decimal:
        """Sum of the building areas paid for."""
        return _sum([line.area for line in self.lines])
