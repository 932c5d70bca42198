"""A house whose amount due an order changes, as the review, the 申请表 and approval see it."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence

from flask_babel import gettext as _

from app.documents.print_models import SummaryTable
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


def record_new_due(impact: Impact) -> None:
    """Put the new amount due and the standard that gives it on the house (at approval)."""
    house = impact.house
    house.amount_due = impact.new_due
    house.standard_id = impact.standard.id
    house.standard_text = impact.standard.describe()


def impacts_summary(impacts: Sequence[Impact]) -> str:
    """The line above the order's lines: how many houses change their amount due, by how much."""
    if not impacts:
        return ""
    difference = sum((i.new_due - i.old_due for i in impacts), Decimal("0.00"))
    return _("%(n)d houses change their amount due by %(diff)s yuan in all.",
             n=len(impacts), diff=f"{difference:+,.2f}")


def impacts_table(impacts: Sequence[Impact], *, with_place: bool = False) -> SummaryTable:
    """Each house's amount due before and after, paid, difference and refund (the review)."""
    place = [_("Building"), _("Location")] if with_place else []
    return SummaryTable(
        headers=[_("House number"), *place, _("Amount due before"), _("Amount due after"),
                 _("Paid"), _("Difference"), _("Refund")],
        rows=[[i.house.code,
               *([i.building, f"{i.house.unit} {i.house.floor} {i.house.room}".strip()]
                 if with_place else []),
               f"{i.old_due:,.2f}", f"{i.new_due:,.2f}", f"{i.paid:,.2f}",
               f"{i.new_due - i.old_due:+,.2f}", f"{i.refund:,.2f}"] for i in impacts],
        caption=_("Houses whose amount due changes"))
