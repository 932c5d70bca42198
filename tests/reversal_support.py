"""Helpers of the reversal (冲正) tests: a second fund officer and a paid notice."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.domain.localtime import local_today
from app.models.ledger import LedgerEntry
from app.models.payment import CHANNEL_BANK, Notice
from app.security.roles import ROLE_OFFICER
from app.services.payments import confirm_payment, issue_building_notices
from tests.conftest import DEMO_PASSWORD

CHECKER = "officer2"


def second_officer(app: Any, session: Any) -> Any:
    """A second Fund Officer (the demo has one), to be the checker of the demo officer's request."""
    sm = app.appbuilder.sm
    user = sm.find_user(username=CHECKER)
    if user is None:
        # FAB's add_user commits by itself.
        user = sm.add_user(CHECKER, "审核", "李", f"{CHECKER}@demo.jiangmen.invalid",
                           [sm.find_role(ROLE_OFFICER)], password=DEMO_PASSWORD)
    return session.merge(user)


def paid_notice(session: Any, demo: Any, serial: str = "BOC-PAY-1", building_offset: int = 0) -> Notice:
    notice = issue_building_notices(session, demo.area_a, [demo.building_a.id + building_offset],
                                    user_id=None).notices[0]
    return confirm_payment(session, notice.number, serial, CHANNEL_BANK, local_today(),
                           notice.total, demo.users["teller"].id)


def ledger_sum(session: Any, house_ids: list[int]) -> Any:
    return session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                          .where(LedgerEntry.house_id.in_(house_ids)))
