"""The 续筹 rule (§4): which houses may be asked to replenish their fund, and by how much.

A house is due for replenishment only when its balance is below the threshold (data beside the
deposit standards, ``services.standards.renew_threshold``) of its first deposit. A house that never
paid a first deposit owes 首期/补交, never 续筹: a 续筹 paid there would only count as a partial
first deposit. The amount proposed brings the balance back to the first deposit.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

from flask_babel import lazy_gettext as _l

from app.domain.money import quantize_money
from app.models.base import ZERO
from app.services.ledger import Balance

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class RenewCheck:
    """One house's figures against the threshold (percent of the first deposit)."""

    first: Decimal
    balance: Decimal
    threshold: Decimal

    @property
    def paid_first(self) -> bool:
        return self.first > ZERO

    @property
    def due(self) -> bool:
        # Both sides times 100 so the comparison stays exact in Decimal.
        return self.paid_first and self.balance * HUNDRED < self.first * self.threshold

    @property
    def share(self) -> Optional[Decimal]:
        """The balance in percent of the first deposit (None without a first deposit)."""
        return quantize_money(self.balance * HUNDRED / self.first) if self.paid_first else None

    @property
    def proposed(self) -> Decimal:
        """The replenishment that brings the balance back to the first deposit."""
        return max(quantize_money(self.first - self.balance), ZERO)


def renew_check(money: Balance, threshold: Decimal) -> RenewCheck:
    return RenewCheck(money.first, money.balance, threshold)


def refusal(house: str, check: RenewCheck) -> Optional[str]:
    """Why ``house`` (its code and place, as the user knows it) cannot get a 续筹 notice, or None."""
    if not check.paid_first:
        return str(_l("House %(house)s has never paid a first deposit: it owes a first deposit or "
                      "top-up, not a replenishment.", house=house))
    if not check.due:
        return str(_l("House %(house)s holds %(balance)s, %(share)s%% of its first deposit "
                      "%(first)s: replenishment is due only below %(threshold)s%%.", house=house,
                      balance=f"{check.balance:,.2f}", share=check.share, first=f"{check.first:,.2f}",
                      threshold=f"{check.threshold.normalize():f}"))
    return None
