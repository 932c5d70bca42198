"""The per-house ledger (分户账明细): append-only; a house's balance is the sum of its rows."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

from flask_appbuilder import Model
from sqlalchemy import (DDL, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint,
                        case, event, func, select)
from sqlalchemy.orm import Mapped, column_property, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from app.models.base import Money, OrgOwned, utcnow
from app.models.payment import PAY_FIRST, PAY_TOPUP
from app.models.property import House

ENTRY_DEPOSIT = "deposit"            # 交存 (首期, 补交, 续筹 …)
ENTRY_REFUND = "refund"              # 退款 (negative)
ENTRY_TRANSFER_IN = "transfer_in"    # 拆分合并转入
ENTRY_TRANSFER_OUT = "transfer_out"  # 拆分合并转出 (negative)
ENTRY_REVERSAL = "reversal"          # 冲正: a deposit taken back (negative, same notice and round)
ENTRY_KINDS = (ENTRY_DEPOSIT, ENTRY_REFUND, ENTRY_TRANSFER_IN, ENTRY_TRANSFER_OUT, ENTRY_REVERSAL)
#: Rows that make up what was deposited: a reversal is a deposit taken back.
DEPOSIT_KINDS = (ENTRY_DEPOSIT, ENTRY_REVERSAL)


class LedgerEntry(OrgOwned, Model):
    __tablename__ = "ledger_entry"
    #: A confirmation of a notice credits each of its houses once: the database refuses a second
    #: deposit row of the same round, so a confirmation that slipped past every other check still
    #: cannot count twice; a reversal takes a round back once, and the notice's next confirmation
    #: books a new round.
    #: Every balance (a house's, a page's, an area's) sums amounts by house: the index holds them.
    __table_args__ = (UniqueConstraint("notice_id", "house_id", "kind", "notice_round",
                                       name="uq_ledger_notice_house_round"),
                      Index("ix_ledger_entry_house_kind_amount", "house_id", "kind", "amount"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("house.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    #: Signed: money into the house account is positive, money out negative.
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    payment_type: Mapped[Optional[str]] = mapped_column(String(20))  # 首期 / 补交 / 续筹 / 其他
    notice_id: Mapped[Optional[int]] = mapped_column(ForeignKey("notice.id"), index=True)
    order_id: Mapped[Optional[int]] = mapped_column(ForeignKey("business_order.id"), index=True)
    refund_id: Mapped[Optional[int]] = mapped_column(ForeignKey("refund.id"))
    #: For transfers: the house on the other side of the move.
    counterpart_house_id: Mapped[Optional[int]] = mapped_column(ForeignKey("house.id"))
    booked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    value_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    memo: Mapped[Optional[str]] = mapped_column(String(200))
    #: Which confirmation of ``notice_id`` the row belongs to (1 for rows without a notice).
    notice_round: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    reversal_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("payment_reversal.id", name="fk_ledger_entry_reversal"))


#: A refund is paid out of its house once: the database refuses a second refund row for it, the
#: last of the payout's guards (app/services/refunds.py). Rows without a refund are not concerned.
Index("uq_ledger_refund", LedgerEntry.refund_id, LedgerEntry.kind, unique=True)


class LedgerIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete a ledger row."""


@event.listens_for(LedgerEntry, "before_update")
def _refuse_update(mapper, connection, target) -> None:  # noqa: ANN001 - SQLAlchemy hook
    raise LedgerIsAppendOnly("ledger rows are append-only; book a correcting entry instead")


@event.listens_for(LedgerEntry, "before_delete")
def _refuse_delete(mapper, connection, target) -> None:  # noqa: ANN001 - SQLAlchemy hook
    raise LedgerIsAppendOnly("ledger rows are append-only; book a correcting entry instead")


#: The database refuses to change or remove a ledger row whatever the path (ORM, bulk statement,
#: raw SQL, a console): the ORM hooks above only see the ORM. Created by the table's
#: ``after_create`` event below (``create_all``) and by migration c0de00000014 (same statements).
APPEND_ONLY_MESSAGE = "ledger_entry rows are append-only; book a correcting entry instead"
APPEND_ONLY_DDL: dict[str, tuple[str, ...]] = {
    "sqlite": (
        "CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_entry "
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
        "CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry "
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION ledger_entry_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' USING ERRCODE = 'restrict_violation'; "
        "END $$",
        "CREATE TRIGGER ledger_entry_no_change BEFORE UPDATE OR DELETE ON ledger_entry "
        "FOR EACH ROW EXECUTE FUNCTION ledger_entry_append_only()",
        # TRUNCATE skips row triggers, so it gets its own.
        "CREATE TRIGGER ledger_entry_no_truncate BEFORE TRUNCATE ON ledger_entry "
        "FOR EACH STATEMENT EXECUTE FUNCTION ledger_entry_append_only()",
    ),
}
#: What removes them again (a migration's downgrade; the function outlives ``drop_all``).
DROP_APPEND_ONLY_DDL: dict[str, tuple[str, ...]] = {
    "sqlite": ("DROP TRIGGER IF EXISTS ledger_entry_no_update",
               "DROP TRIGGER IF EXISTS ledger_entry_no_delete"),
    "postgresql": ("DROP TRIGGER IF EXISTS ledger_entry_no_change ON ledger_entry",
                   "DROP TRIGGER IF EXISTS ledger_entry_no_truncate ON ledger_entry",
                   "DROP FUNCTION IF EXISTS ledger_entry_append_only()"),
}

for _dialect, _statements in APPEND_ONLY_DDL.items():
    for _statement in _statements:
        event.listen(LedgerEntry.__table__, "after_create",
                     DDL(_statement).execute_if(dialect=_dialect))
event.listen(LedgerEntry.__table__, "after_drop",
             DDL(DROP_APPEND_ONLY_DDL["postgresql"][-1]).execute_if(dialect="postgresql"))


def ledger_total() -> ColumnElement[Decimal]:
    """What ledger rows add up to: the one SQL expression for a balance (0 where there are none).

    Every balance query uses it (``House.balance`` and the aggregates in ``app.services.ledger``).
    """
    return func.coalesce(func.sum(LedgerEntry.amount), 0)


#: Ledger rows that make up a house's first deposit (首期交存额), the base of the 续筹 threshold:
#: 首期 and 补交 deposits, and money moved in or out by a split or merge (a house born of a split
#: carries its share of the old first deposit). 续筹 and other deposits and refunds do not count.
FIRST_DEPOSIT_TYPES = (PAY_FIRST, PAY_TOPUP)


def first_deposit_total() -> ColumnElement[Decimal]:
    """What ledger rows add up to as the first deposit (0 where there are none)."""
    # A reversed (冲正) 首期 is no first deposit: its reversal row carries the same payment type.
    counted = ((LedgerEntry.kind.in_(DEPOSIT_KINDS) & LedgerEntry.payment_type.in_(FIRST_DEPOSIT_TYPES))
               | LedgerEntry.kind.in_((ENTRY_TRANSFER_IN, ENTRY_TRANSFER_OUT)))
    return func.coalesce(func.sum(case((counted, LedgerEntry.amount), else_=0)), 0)


# A house's balance, derived from its ledger. Deferred so plain house lists do not pay for it;
# list queries that show money use ``undefer(House.balance)`` or the aggregate helpers in services.ledger.
House.balance = column_property(
    select(ledger_total())
    .where(LedgerEntry.house_id == House.id)
    .correlate_except(LedgerEntry)
    .scalar_subquery(),
    deferred=True,
)
