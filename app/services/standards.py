"""Amount due (应交金额) from the deposit standard table."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Optional, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.localtime import local_today
from app.errors import DomainError, Problem
from app.models.standard import BASIS_AREA, BASIS_PRICE, DepositStandard, RenewThreshold

CENT = Decimal("0.01")


class NoStandard(DomainError):
    default_message = _l("No deposit standard applies to this house.")


class PriceRequired(DomainError):
    default_message = _l("The deposit standard for this house is a share of the price: enter the price.")


def _specificity(std: DepositStandard) -> tuple[int, int, dt.date]:
    return (std.has_lift is not None, std.min_floors is not None or std.max_floors is not None,
            std.effective_from)


def _applies(std: DepositStandard, use_code: str, has_lift: bool, floors: Optional[int],
             on: dt.date) -> bool:
    if std.use_code != use_code or std.effective_from > on:
        return False
    if std.effective_to is not None and std.effective_to <= on:
        return False
    if std.has_lift is not None and std.has_lift != has_lift:
        return False
    if std.min_floors is not None and (floors is None or floors < std.min_floors):
        return False
    if std.max_floors is not None and floors is not None and floors > std.max_floors:
        return False
    return True


def choose_standard(standards: Iterable[DepositStandard], use_code: str, has_lift: bool,
                    floors: Optional[int], on: dt.date) -> Optional[DepositStandard]:
    """The most specific standard in force on ``on`` (lift and storey class beat "any")."""
    candidates = [s for s in standards if _applies(s, use_code, has_lift, floors, on)]
    return max(candidates, key=_specificity) if candidates else None


def compute_amount_due(standard: DepositStandard, building_area: Decimal,
                       price: Optional[Decimal]) -> Decimal:
    """building area × yuan/m², or price × rate; rounded half-up to the cent."""
    if standard.basis == BASIS_AREA:
        raw = Decimal(building_area) * standard.rate
    elif standard.basis == BASIS_PRICE:
        if price is None or Decimal(price) <= 0:
            raise PriceRequired()
        raw = Decimal(price) * standard.rate
    else:  # pragma: no cover - guarded by the model's choices
        raise DomainError(_l("Unknown deposit basis %(basis)s.", basis=standard.basis))
    return raw.quantize(CENT, rounding=ROUND_HALF_UP)


class StandardBook:
    """All standards loaded once, for pricing thousands of houses without a query each.

    Standards are indexed by use, and the choice for each (use, lift, storeys, date) is kept:
    100,000 houses of a few kinds cost a few choices and dict look-ups, not a scan each.
    """

    def __init__(self, standards: Sequence[DepositStandard]):
        self.standards = tuple(standards)
        self._by_use: dict[str, list[DepositStandard]] = {}
        for std in self.standards:
            self._by_use.setdefault(std.use_code, []).append(std)
        self._chosen: dict[tuple[str, bool, Optional[int], dt.date], Optional[DepositStandard]] = {}

    @classmethod
    def load(cls, session: Session) -> "StandardBook":
        return cls(session.scalars(select(DepositStandard)).all())

    def choose(self, use_code: str, has_lift: bool, floors: Optional[int],
               on: Optional[dt.date] = None) -> Optional[DepositStandard]:
        """``choose_standard`` over the book, from the index."""
        key = (use_code, has_lift, floors, on or local_today())
        try:
            return self._chosen[key]
        except KeyError:
            std = choose_standard(self._by_use.get(use_code, ()), *key)
            self._chosen[key] = std
            return std

    def find(self, use_code: str, has_lift: bool, floors: Optional[int],
             on: Optional[dt.date] = None) -> DepositStandard:
        std = self.choose(use_code, has_lift, floors, on)
        if std is None:
            raise NoStandard()
        return std

    def needs_price(self, use_code: str, has_lift: bool, floors: Optional[int],
                    on: Optional[dt.date] = None) -> bool:
        std = self.choose(use_code, has_lift, floors, on)
        return std is not None and std.basis == BASIS_PRICE

    def price(self, use_code: str, has_lift: bool, floors: Optional[int], building_area: Decimal,
              price: Optional[Decimal], on: Optional[dt.date] = None
              ) -> tuple[DepositStandard, Decimal]:
        std = self.find(use_code, has_lift, floors, on)
        return std, compute_amount_due(std, building_area, price)


# ------------------------------------------------------------------ 续筹 threshold

class NoRenewThreshold(DomainError):
    default_message = _l("No replenishment threshold is in force: the fund office sets one beside "
                         "the deposit standards.")


MAX_RENEW_PERCENT = Decimal("100")


def renew_threshold_problems(percent: Optional[Decimal], effective_from: Optional[dt.date]) -> list[Problem]:
    """Every reason a 续筹 threshold cannot be saved."""
    problems: list[Problem] = []
    if percent is None or not isinstance(percent, Decimal) or percent <= 0 or percent > MAX_RENEW_PERCENT:
        problems.append(Problem("percent", _l("Enter a percentage above 0 and at most 100.")))
    elif percent != percent.quantize(CENT):
        problems.append(Problem("percent", _l("At most 2 decimal places.")))
    if effective_from is None:
        problems.append(Problem("effective_from", _l("The start date is required.")))
    return problems


def renew_threshold(session: Session, on: Optional[dt.date] = None) -> Decimal:
    """The 续筹 threshold (percent of the first deposit) in force on ``on`` (default today)."""
    day = on or local_today()
    percent = session.scalar(select(RenewThreshold.percent)
                             .where(RenewThreshold.effective_from <= day)
                             .order_by(RenewThreshold.effective_from.desc()).limit(1))
    if percent is None:
        raise NoRenewThreshold()
    return Decimal(percent)
