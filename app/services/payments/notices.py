"""交款通知单: numbers, and the three ways of issuing notices (§1.4.1–§1.4.3), reissue and void.

A house is on at most one unpaid notice: issuing a notice for a house voids every unpaid notice
that holds it, inside the same transaction, with the houses locked (``SELECT … FOR UPDATE`` on
PostgreSQL) so two people printing at once cannot both leave a payable notice behind.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Mapping, Optional, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.domain.localtime import local_today
from app.domain.location import location_text
from app.domain.money import quantize_money
from app.domain.numbering import notice_number
from app.errors import Conflict, InvalidTransition, Problem, ValidationFailed
from app.models.base import ZERO, utcnow
from app.models.payment import (NOTICE_PAID, NOTICE_UNPAID, NOTICE_VOID, PAY_FIRST, PAY_OTHER,
                                PAY_RENEW, PAY_TOPUP, PAYER_DEVELOPER, PAYER_OWNER, Notice,
                                NoticeLine, NoticeSequence)
from app.models.property import HOUSE_OPEN, Building, House, PropertyArea
from app.services.audit import record
from app.services.ledger import Balance, balances, outstanding
from app.services.payments.renewal import refusal, renew_check
from app.services.standards import renew_threshold
from app.services.unit_of_work import transaction

PAYMENT_TYPES = (PAY_FIRST, PAY_TOPUP, PAY_RENEW, PAY_OTHER)
PAYMENT_TYPE_LABELS = {
    PAY_FIRST: _l("First deposit"),
    PAY_TOPUP: _l("Top-up"),
    PAY_RENEW: _l("Replenishment"),
    PAY_OTHER: _l("Other payment"),
}
MAX_NOTICE_AMOUNT = Decimal("99999999.99")
MAX_HOUSES = 5000
_CHUNK = 900

# What to do with houses already on an unpaid notice when a building's batch notice is printed.
HELD_ASK = "ask"          # nothing is voided: answer NoticesWouldBeVoided listing them
HELD_KEEP = "keep"        # leave those houses off the new notice; their notices stay payable
HELD_REPLACE = "replace"  # void those notices and put their houses on the new one
HELD_CHOICES = (HELD_ASK, HELD_KEEP, HELD_REPLACE)

PAYER_LABELS = {PAYER_DEVELOPER: _l("Developer"), PAYER_OWNER: _l("Owner")}


def allocate_notice_numbers(session: Session, day: dt.date, count: int) -> list[str]:
    """Take ``count`` consecutive numbers of ``day`` from its sequence row (no commit).

    The UPDATE locks the day's row until the caller's transaction ends, so concurrent issuers
    wait for each other instead of taking the same number; the first issuer of a day inserts the
    row, and a racing second insert falls back to the UPDATE.
    """
    if count < 1:
        return []
    last: Optional[int] = None
    for _attempt in range(3):
        bumped = session.execute(
            update(NoticeSequence).where(NoticeSequence.day == day)
            .values(last=NoticeSequence.last + count)
            .execution_options(synchronize_session=False))
        if bumped.rowcount:
            last = session.scalar(select(NoticeSequence.last).where(NoticeSequence.day == day))
            break
        try:
            with session.begin_nested():
                session.add(NoticeSequence(day=day, last=count))
            last = count
            break
        except IntegrityError:
            continue
    if last is None:
        raise Conflict()
    if last > 999_999:
        raise Conflict(_l("No more notice numbers can be issued today."))
    return [notice_number(day, seq) for seq in range(last - count + 1, last + 1)]


@dataclass(frozen=True)
class Skipped:
    """A house left off a notice, and why."""

    house_id: int
    house_code: str
    location: str
    reason: str


@dataclass
class IssueResult:
    """What one print request did: the notices created, the notices it voided, houses left off."""

    notices: list[Notice] = field(default_factory=list)
    voided: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def notice_ids(self) -> list[int]:
        return [n.id for n in self.notices]


@dataclass(frozen=True)
class HoldingNotice:
    """An unpaid notice that already holds houses of a selection."""

    id: int
    number: str
    payer_type: str
    payer_name: str
    total: Decimal
    locations: list[str]   # the selection's houses on it
    house_ids: list[int]

    def to_dict(self) -> dict[str, object]:
        return {"number": self.number, "payer_type": self.payer_type,
                "payer": str(PAYER_LABELS.get(self.payer_type, self.payer_type)),
                "payer_name": self.payer_name, "total": f"{self.total:.2f}",
                "locations": self.locations}


class NoticesWouldBeVoided(Conflict):
    """Printing would void notices already handed out; the user must choose first."""

    default_message = _l("Some houses are already on unpaid payment notices. Choose whether to "
                         "print for the remaining houses only or to void those notices.")

    def __init__(self, notices: list[HoldingNotice]) -> None:
        super().__init__()
        self.notices = notices

    def to_dict(self) -> dict[str, object]:
        return {**super().to_dict(), "decision": "held_notices",
                "notices": [n.to_dict() for n in self.notices]}


@dataclass
class BuildingPreview:
    """One building before its batch notice is printed (§1.4.1 warning dialog)."""

    building_id: int
    name: str
    unpaid_houses: int
    total: Decimal
    without_contract: list[dict[str, str]]
    skipped: list[Skipped]
    holding: list[HoldingNotice] = field(default_factory=list)


def house_location(house: House) -> str:
    """A house's place as printed on notices: building, unit, room (``app.domain.location``)."""
    return location_text(house.building.name, house.unit, house.room)


# ---------------------------------------------------------------------------------------- reading

def _lock_houses(session: Session, house_ids: Sequence[int]) -> dict[int, House]:
    """Load and lock the houses, in id order so two issuers never deadlock.

    ``FOR NO KEY UPDATE``: issuers exclude each other, but a confirmation inserting ledger rows
    (whose foreign keys take KEY SHARE on the house) is not blocked, so it can finish and release
    the notice an issuer is waiting for.
    """
    found: dict[int, House] = {}
    ids = sorted(set(house_ids))
    for start in range(0, len(ids), _CHUNK):
        query = (select(House).where(House.id.in_(ids[start:start + _CHUNK])).order_by(House.id)
                 .with_for_update(of=House, key_share=True)
                 .execution_options(populate_existing=True))
        found.update((h.id, h) for h in session.scalars(query))
    return found


def _building_house_ids(session: Session, building_ids: Sequence[int]) -> list[int]:
    return list(session.scalars(select(House.id).where(House.building_id.in_(list(building_ids)))
                                .order_by(House.id)))


def _check_buildings(session: Session, area: PropertyArea,
                     building_ids: Iterable[int]) -> list[Building]:
    ids = sorted({int(b) for b in building_ids})
    if not ids:
        raise ValidationFailed(_l("Choose at least one building."))
    found = {b.id: b for b in session.scalars(select(Building).where(Building.id.in_(ids)))}
    problems = [Problem("buildings", _l("Building %(id)s is not in this property area.", id=i))
                for i in ids if i not in found or found[i].area_id != area.id]
    if problems:
        raise ValidationFailed(problems=problems)
    return [found[i] for i in ids]


def holding_notices(session: Session, houses: Sequence[House]) -> list[HoldingNotice]:
    """The unpaid notices holding any of ``houses``, each with the locations of those houses."""
    by_id = {h.id: h for h in houses}
    found: dict[int, Notice] = {}
    at: dict[int, list[House]] = defaultdict(list)
    ids = sorted(by_id)
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(Notice, NoticeLine.house_id).join(NoticeLine, NoticeLine.notice_id == Notice.id)
            .where(NoticeLine.house_id.in_(ids[start:start + _CHUNK]),
                   Notice.status == NOTICE_UNPAID).order_by(Notice.id, NoticeLine.id))
        for notice, house_id in rows:
            found[notice.id] = notice
            at[notice.id].append(by_id[house_id])
    return [HoldingNotice(n.id, n.number, n.payer_type, n.payer_name, n.total,
                          [house_location(h) for h in at[n.id]], [h.id for h in at[n.id]])
            for n in found.values()]


def _unavailable_reason(house: House) -> Optional[str]:
    """Why a house cannot be on a notice at all, or None."""
    if house.status != HOUSE_OPEN:
        return str(_l("The house account is cancelled or closed."))
    if house.locked_by_order_id:
        return str(_l("The house is held by an unfinished business order."))
    return None


def _skip(house: House, reason: str) -> Skipped:
    return Skipped(house.id, house.code, house_location(house), reason)


def preview_buildings(session: Session, area: PropertyArea,
                      building_ids: Iterable[int]) -> list[BuildingPreview]:
    """Per building: the unpaid houses and total a batch notice would carry, the houses on it
    without a bound contract (those will need manual filing), and the houses it would leave off."""
    previews = []
    for building in _check_buildings(session, area, building_ids):
        houses = list(session.scalars(select(House).where(House.building_id == building.id)
                                      .order_by(House.unit, House.floor, House.room)))
        money = balances(session, [h.id for h in houses])
        total, count, without, skipped, printable = ZERO, 0, [], [], []
        for house in houses:
            due = outstanding(house.amount_due, money[house.id].paid)
            if due <= ZERO:
                continue
            reason = _unavailable_reason(house)
            if reason:
                if house.status == HOUSE_OPEN:
                    skipped.append(_skip(house, reason))
                continue
            count += 1
            total += due
            printable.append(house)
            if not house.contract_no:
                without.append({"code": house.code, "location": house_location(house)})
        previews.append(BuildingPreview(building.id, building.name, count, quantize_money(total),
                                        without, skipped, holding_notices(session, printable)))
    return previews


# ---------------------------------------------------------------------------------------- writing

@dataclass
class _Draft:
    """A notice about to be created."""

    building: Optional[Building]
    payer_type: str
    payer_name: str
    payer_id_no: Optional[str]
    payers: Optional[list[dict[str, str]]]
    lines: list[tuple[House, Decimal]]


def _void_unpaid_holding(session: Session, house_ids: Sequence[int], *,
                         reason: str) -> list[Notice]:
    """Void every unpaid notice that holds one of the houses; returns them (locked first).

    The caller records the audit once it knows what replaced them."""
    voided: dict[int, Notice] = {}
    ids = sorted(set(house_ids))
    for start in range(0, len(ids), _CHUNK):
        holding = select(NoticeLine.notice_id).where(NoticeLine.house_id.in_(ids[start:start + _CHUNK]))
        query = (select(Notice).where(Notice.id.in_(holding), Notice.status == NOTICE_UNPAID)
                 .order_by(Notice.id).with_for_update(of=Notice)
                 .execution_options(populate_existing=True))
        for notice in session.scalars(query):
            if notice.status == NOTICE_UNPAID and notice.id not in voided:
                _mark_void(notice, reason)
                voided[notice.id] = notice
    return list(voided.values())


def _mark_void(notice: Notice, reason: str) -> None:
    notice.status = NOTICE_VOID
    notice.voided_at = utcnow()
    notice.void_reason = reason[:200]


def _create(session: Session, area: PropertyArea, payment_type: str, drafts: list[_Draft], *,
            user_id: Optional[int]) -> list[Notice]:
    numbers = allocate_notice_numbers(session, local_today(), len(drafts))
    notices = []
    for number, draft in zip(numbers, drafts):
        total = quantize_money(sum((amount for _h, amount in draft.lines), ZERO))
        notice = Notice(org_id=area.org_id, number=number, area_id=area.id,
                        building_id=draft.building.id if draft.building else None,
                        payer_type=draft.payer_type, payer_name=draft.payer_name[:100],
                        payer_id_no=draft.payer_id_no, payers=draft.payers,
                        payment_type=payment_type, total=total, status=NOTICE_UNPAID,
                        created_by_id=user_id, created_at=utcnow())
        notice.lines = [NoticeLine(org_id=area.org_id, house_id=house.id, amount=amount)
                        for house, amount in draft.lines]
        session.add(notice)
        notices.append(notice)
    session.flush()
    for notice in notices:
        record(session, "notice.issue", "Notice", notice.id, user_id=user_id, org_id=notice.org_id,
               detail={"number": notice.number, "total": str(notice.total),
                       "houses": len(notice.lines), "payment_type": payment_type})
    return notices


def _issue(session: Session, area: PropertyArea, payment_type: str, drafts: list[_Draft],
           skipped: list[Skipped], *, user_id: Optional[int], business: Any,
           money: Optional[Mapping[int, Balance]] = None) -> IssueResult:
    """Void what the new notices replace and create them; a lost race becomes Conflict.

    A voided notice's reason names the notice that replaced it and the business (``business``,
    a label) that printed it: that is what the teller reads when the old one is presented.
    """
    if not drafts:
        problems = [Problem(s.house_code, s.reason) for s in skipped]
        raise ValidationFailed(_l("No house on the selection has anything to pay."), problems)
    house_ids = [house.id for draft in drafts for house, _amount in draft.lines]
    before = balances(session, house_ids) if money is None else money
    try:
        voided = _void_unpaid_holding(session, house_ids, reason=str(_l("Printed again")))
        # A confirmation that committed while we waited for its notice changed what is due.
        if balances(session, house_ids) != {i: before[i] for i in house_ids}:
            raise StaleDataError("a payment was confirmed meanwhile")
        notices = _create(session, area, payment_type, drafts, user_id=user_id)
        replacement = {line.house_id: n.id for n in notices for line in n.lines}
        numbers = {n.id: n.number for n in notices}
        for old in voided:
            old.replaced_by_id = next((replacement[line.house_id] for line in old.lines
                                       if line.house_id in replacement), None)
            new = sorted({numbers[replacement[line.house_id]] for line in old.lines
                          if line.house_id in replacement})
            old.void_reason = str(_l("Replaced by notice %(numbers)s (%(business)s)",
                                     numbers=", ".join(new), business=business))[:200]
            record(session, "notice.void", "Notice", old.id, user_id=user_id, org_id=old.org_id,
                   detail={"number": old.number, "reason": old.void_reason})
        session.flush()  # a lost race surfaces here, before the unit of work commits
    except (StaleDataError, IntegrityError) as exc:
        raise Conflict() from exc
    return IssueResult(notices, [n.number for n in voided], skipped)


def _developer_draft(area: PropertyArea, building: Optional[Building],
                     lines: list[tuple[House, Decimal]]) -> _Draft:
    org = area.organisation
    return _Draft(building, PAYER_DEVELOPER, org.name, org.uscc, None, lines)


@transaction
def issue_building_notices(session: Session, area: PropertyArea, building_ids: Iterable[int], *,
                           user_id: Optional[int], held: str = HELD_ASK) -> IssueResult:
    """开发建设单位批量交款 (§1.4.1): one notice per building for its unpaid houses, payer the
    developer. Houses held by an order are left off and reported.

    Houses already on an unpaid notice (an owner's notice handed to a buyer, an earlier batch)
    follow ``held``: by default nothing is voided and ``NoticesWouldBeVoided`` lists those
    notices; ``HELD_KEEP`` leaves their houses off, ``HELD_REPLACE`` voids and reprints them.
    """
    if held not in HELD_CHOICES:
        raise ValidationFailed(problems=[Problem("held", _l("Choose what to do with the houses "
                                                            "already on a payment notice."))])
    buildings = _check_buildings(session, area, building_ids)
    houses = _lock_houses(session, _building_house_ids(session, [b.id for b in buildings]))
    money = balances(session, houses.keys())
    printable: list[House] = []
    skipped: list[Skipped] = []
    for house in sorted(houses.values(), key=lambda h: (h.unit, h.floor, h.room)):
        due = outstanding(house.amount_due, money[house.id].paid)
        if due <= ZERO or house.status != HOUSE_OPEN:
            continue
        reason = _unavailable_reason(house)
        if reason:
            skipped.append(_skip(house, reason))
        else:
            printable.append(house)
    holding = holding_notices(session, printable) if held != HELD_REPLACE else []
    if holding and held == HELD_ASK:  # the unit of work rolls the row locks back
        raise NoticesWouldBeVoided(holding)
    kept = {house_id: n for n in holding for house_id in n.house_ids}
    drafts = []
    for building in buildings:
        lines = []
        for house in (h for h in printable if h.building_id == building.id):
            notice = kept.get(house.id)
            if notice is not None:
                skipped.append(_skip(house, str(_l("Already on notice %(number)s (%(payer)s)",
                                                   number=notice.number,
                                                   payer=notice.payer_name))))
                continue
            lines.append((house, outstanding(house.amount_due, money[house.id].paid)))
        if lines:
            drafts.append(_developer_draft(area, building, lines))
    return _issue(session, area, PAY_FIRST, drafts, skipped, user_id=user_id, money=money,
                  business=_l("Developer batch payment"))


def _picked_houses(session: Session, area: PropertyArea, house_ids: Iterable[int]
                   ) -> tuple[dict[int, House], dict[int, Balance]]:
    ids = sorted({int(h) for h in house_ids})
    if not ids:
        raise ValidationFailed(_l("Choose at least one house."))
    if len(ids) > MAX_HOUSES:
        raise ValidationFailed(_l("Choose at most %(n)d houses at a time.", n=MAX_HOUSES))
    houses = _lock_houses(session, ids)
    problems = [Problem("houses", _l("House %(id)s is not in this property area.", id=i))
                for i in ids if i not in houses or houses[i].area_id != area.id]
    if problems:
        raise ValidationFailed(problems=problems)
    return houses, balances(session, ids)


def _owner_payers(house: House) -> list[dict[str, str]]:
    return [{"name": o.name, "id_type": o.id_type, "id_no": o.id_no, "phone": o.phone or ""}
            for o in house.owners]


@transaction
def issue_owner_notices(session: Session, area: PropertyArea, house_ids: Iterable[int], *,
                        user_id: Optional[int]) -> IssueResult:
    """代打交款通知单 (§1.4.2): one notice per house, its owners as payers."""
    houses, money = _picked_houses(session, area, house_ids)
    problems, drafts = [], []
    for house in sorted(houses.values(), key=lambda h: (h.building_id, h.unit, h.floor, h.room)):
        where = house.code
        reason = _unavailable_reason(house)
        due = outstanding(house.amount_due, money[house.id].paid)
        if reason:
            problems.append(Problem(where, reason))
        elif due <= ZERO:
            problems.append(Problem(where, _l("The amount due is paid in full.")))
        elif not house.owners:
            problems.append(Problem(where, _l("The house has no owner: add its owners first.")))
        else:
            payers = _owner_payers(house)
            drafts.append(_Draft(house.building, PAYER_OWNER, "、".join(p["name"] for p in payers),
                                 payers[0]["id_no"], payers, [(house, due)]))
    if problems:
        raise ValidationFailed(_l("%(n)d houses cannot get a notice.", n=len(problems)), problems)
    return _issue(session, area, PAY_FIRST, drafts, [], user_id=user_id, money=money,
                  business=_l("Owner payment notice"))


def _custom_amount(given: Optional[Decimal], due: Decimal) -> tuple[Optional[Decimal], Optional[str]]:
    """The amount of one house on a custom notice, or why there is none."""
    if given is not None:
        if not isinstance(given, Decimal):
            raise TypeError("custom amounts are Decimal")
        amount = quantize_money(given)
        if amount <= ZERO:
            return None, str(_l("The amount must be greater than zero."))
        if amount > MAX_NOTICE_AMOUNT:
            return None, str(_l("The amount is too large."))
        return amount, None
    if due <= ZERO:
        return None, str(_l("The amount due is paid in full."))
    return due, None


def _house_label(house: House) -> str:
    """A house as a refusal names it: its code and its place."""
    return f"{house.code}（{house_location(house)}）"


def _renew_amount(house: House, given: Optional[Decimal], money: Balance, threshold: Decimal
                  ) -> tuple[Optional[Decimal], Optional[str]]:
    """A 续筹 line: refused unless the house is below the threshold; without an amount, the
    replenishment back to the first deposit."""
    check = renew_check(money, threshold)
    why = refusal(_house_label(house), check)
    if why:
        return None, why
    return _custom_amount(check.proposed if given is None else given, ZERO)


@transaction
def issue_custom_notices(session: Session, area: PropertyArea, payment_type: str,
                         amounts: Mapping[int, Optional[Decimal]], *,
                         user_id: Optional[int]) -> IssueResult:
    """自定义交款 (§1.4.3): notices of the chosen payment type, one per building, payer the developer.

    ``amounts`` maps each picked house to its amount; None means "what is still due", or for
    续筹 the replenishment back to the first deposit. 续筹 is refused for a house not below the
    threshold of its first deposit (``payments.renewal``), naming the house.
    """
    if payment_type not in PAYMENT_TYPES:
        raise ValidationFailed(problems=[Problem("payment_type", _l("Choose a payment type."))])
    houses, money = _picked_houses(session, area, amounts.keys())
    threshold = renew_threshold(session) if payment_type == PAY_RENEW else None
    problems: list[Problem] = []
    by_building: dict[int, list[tuple[House, Decimal]]] = defaultdict(list)
    for house in sorted(houses.values(), key=lambda h: (h.building_id, h.unit, h.floor, h.room)):
        reason = _unavailable_reason(house)
        if reason:
            amount, why = None, reason
        elif threshold is not None:
            amount, why = _renew_amount(house, amounts.get(house.id), money[house.id], threshold)
        else:
            amount, why = _custom_amount(amounts.get(house.id),
                                         outstanding(house.amount_due, money[house.id].paid))
        if why:
            problems.append(Problem(house.code, why))
        else:
            by_building[house.building_id].append((house, amount))
    if problems:
        raise ValidationFailed(_l("%(n)d houses cannot get a notice.", n=len(problems)), problems)
    drafts = [_developer_draft(area, lines[0][0].building, lines) for lines in by_building.values()]
    return _issue(session, area, payment_type, drafts, [], user_id=user_id, money=money,
                  business=_l("Custom payment"))


@transaction
def reissue_notice(session: Session, notice: Notice, *, user_id: Optional[int]) -> IssueResult:
    """Print an unpaid notice again under a new number with today's amounts; the old one is voided.

    续筹 and other custom amounts are kept; amounts due are recomputed, and houses paid or held
    by an order meanwhile are left off, as are 续筹 houses no longer below the threshold.
    """
    if notice.status != NOTICE_UNPAID:
        raise InvalidTransition(_l("Only an unpaid notice can be printed again."))
    area = notice.area
    houses = _lock_houses(session, [line.house_id for line in notice.lines])
    money = balances(session, houses.keys())
    lines, skipped = [], []
    keep_amount = notice.payment_type in (PAY_RENEW, PAY_OTHER)
    threshold = renew_threshold(session) if notice.payment_type == PAY_RENEW else None
    for line in notice.lines:
        house = houses[line.house_id]
        reason = _unavailable_reason(house)
        due = line.amount if keep_amount else outstanding(house.amount_due, money[house.id].paid)
        if reason is None and threshold is not None:
            reason = refusal(_house_label(house), renew_check(money[house.id], threshold))
        if reason is None and due <= ZERO:
            reason = str(_l("The amount due is paid in full."))
        if reason:
            skipped.append(_skip(house, reason))
        else:
            lines.append((house, due))
    drafts = []
    if lines:
        payer_name, payer_id_no, payers = notice.payer_name, notice.payer_id_no, notice.payers
        owners = _owner_payers(lines[0][0]) if notice.payer_type == PAYER_OWNER else []
        if owners:
            # Owners edited since the first print are the payers now.
            payer_name = "、".join(p["name"] for p in owners)
            payer_id_no, payers = owners[0]["id_no"], owners
        drafts.append(_Draft(notice.building, notice.payer_type, payer_name, payer_id_no, payers, lines))
    return _issue(session, area, notice.payment_type, drafts, skipped, user_id=user_id,
                  money=money, business=_l("Printed again"))


@transaction
def void_notice(session: Session, notice: Notice, *, reason: str, user_id: Optional[int]) -> Notice:
    """Void an unpaid notice so it can no longer be paid."""
    locked = session.scalar(select(Notice).where(Notice.id == notice.id).with_for_update()
                            .execution_options(populate_existing=True))
    if locked is None or locked.status != NOTICE_UNPAID:
        raise InvalidTransition(_l("Only an unpaid notice can be voided."))
    text = (reason or "").strip() or str(_l("Voided by the developer"))
    _mark_void(locked, text)
    record(session, "notice.void", "Notice", locked.id, user_id=user_id, org_id=locked.org_id,
           detail={"number": locked.number, "reason": text})
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict() from exc
    return locked


NOTICE_STATUS_LABELS = {
    NOTICE_UNPAID: _l("Awaiting payment"),
    NOTICE_PAID: _l("Payment confirmed"),
    NOTICE_VOID: _l("Voided"),
}
