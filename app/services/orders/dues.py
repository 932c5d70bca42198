"""A house whose amount due an order changes, as the review, the 申请表 and approval see it."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.models.property import House


@dataclass(frozen=True)
class Impact:
    """Old and new amount due, what is paid, and the refund a paid excess becomes."""

    house: House
    old_due: Decimal
    new_due: Decimal
    standard: Any
    paid: Decimal
    building: str = ""

    @property
    def refund(self) -> Decimal:
        return max(self.paid - self.new_due, Decimal("0.00"))
