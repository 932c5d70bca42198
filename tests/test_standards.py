"""交存标准: amount due (app/services/standards.py) and the fund office's standards and code screens."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Optional

import pytest
from sqlalchemy import func, select

from app.models.standard import BASIS_AREA, BASIS_PRICE, DepositStandard
from app.services.standards import (NoStandard, PriceRequired, StandardBook, choose_standard,
                                    compute_amount_due)

FROM_2020 = dt.date(2020, 1, 1)
TODAY = dt.date(2026, 6, 1)


def std(use: str = "residential", rate: str = "50", basis: str = BASIS_AREA, lift: Optional[bool] = None,
        min_f: Optional[int] = None, max_f: Optional[int] = None, start: dt.date = FROM_2020,
        end: Optional[dt.date] = None, name: str = "") -> DepositStandard:
    return DepositStandard(name=name or f"{use}-{rate}", use_code=use, has_lift=lift, min_floors=min_f,
                           max_floors=max_f, basis=basis, rate=Decimal(rate), effective_from=start,
                           effective_to=end)


# The city's tiers in the spirit of the spec: 50 / 55 / 90 per m² for no lift / lift / 7 floors and more.
TIERS = [
    std(rate="50", lift=False, name="no lift"),
    std(rate="55", lift=True, max_f=6, name="lift, up to 6 floors"),
    std(rate="90", lift=True, min_f=7, name="lift, 7 floors and more"),
    std(use="commercial", rate="0.02", basis=BASIS_PRICE, name="commercial 2%"),
]


# --- rounding -------------------------------------------------------------------------------

@pytest.mark.parametrize("area, rate, expected", [
    ("1.79990", "50", "90.00"),       # 89.995 rounds half up, not to even
    ("1.79989", "50", "89.99"),       # 89.9945
    ("0.0001", "50", "0.01"),         # 0.005
    ("0.00009", "50", "0.00"),        # 0.0045
    ("123.45", "90", "11110.50"),
    ("88.88", "55", "4888.40"),
    ("100.005", "1", "100.01"),
])
def test_area_basis_rounds_half_up_to_the_cent(area: str, rate: str, expected: str) -> None:
    amount = compute_amount_due(std(rate=rate), Decimal(area), None)
    assert amount == Decimal(expected)
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize("price, rate, expected", [
    ("1234567.25", "0.02", "24691.35"),   # 24691.345
    ("999999.99", "0.02", "20000.00"),    # 19999.9998
    ("500000", "0.015", "7500.00"),
    ("333.25", "0.03", "10.00"),          # 9.9975
])
def test_price_basis_is_price_times_rate(price: str, rate: str, expected: str) -> None:
    standard = std(use="commercial", rate=rate, basis=BASIS_PRICE)
    assert compute_amount_due(standard, Decimal("100"), Decimal(price)) == Decimal(expected)


@pytest.mark.parametrize("price", [None, Decimal("0"), Decimal("-1")])
def test_price_basis_without_a_price_raises_price_required(price: Optional[Decimal]) -> None:
    with pytest.raises(PriceRequired):
        compute_amount_due(std(use="commercial", rate="0.02", basis=BASIS_PRICE), Decimal("50"), price)


def test_area_basis_ignores_the_price() -> None:
    assert compute_amount_due(std(rate="50"), Decimal("100"), None) == Decimal("5000.00")
    assert compute_amount_due(std(rate="50"), Decimal("100"), Decimal("1")) == Decimal("5000.00")


# --- which standard applies -------------------------------------------------------------------

@pytest.mark.parametrize("lift, floors, expected", [
    (False, 6, "no lift"),
    (False, 30, "no lift"),
    (True, 6, "lift, up to 6 floors"),
    (True, 7, "lift, 7 floors and more"),
    (True, 33, "lift, 7 floors and more"),
])
def test_lift_and_storey_class_choose_the_tier(lift: bool, floors: int, expected: str) -> None:
    assert choose_standard(TIERS, "residential", lift, floors, TODAY).name == expected


def test_a_specific_standard_beats_a_general_one() -> None:
    general = std(rate="45", name="any residential")
    book = [general, *TIERS]
    assert choose_standard(book, "residential", True, 18, TODAY).name == "lift, 7 floors and more"
    assert choose_standard([general, TIERS[0]], "residential", True, 18, TODAY).name == "any residential"
    assert choose_standard([general, TIERS[0]], "residential", False, 3, TODAY).name == "no lift"


def test_storey_class_needs_the_floor_count() -> None:
    only_high = [std(rate="90", lift=True, min_f=7, name="high")]
    assert choose_standard(only_high, "residential", True, None, TODAY) is None


def test_effective_dates_choose_the_standard_in_force() -> None:
    old = std(rate="50", end=dt.date(2026, 1, 1), name="old")
    new = std(rate="60", start=dt.date(2026, 1, 1), name="new")
    assert choose_standard([old, new], "residential", False, 5, dt.date(2025, 12, 31)).name == "old"
    assert choose_standard([old, new], "residential", False, 5, dt.date(2026, 1, 1)).name == "new"
    future = std(rate="70", start=dt.date(2030, 1, 1), name="future")
    assert choose_standard([future], "residential", False, 5, TODAY) is None


def test_a_later_standard_of_the_same_kind_replaces_an_open_ended_one() -> None:
    first = std(rate="50", name="2020")
    second = std(rate="52", start=dt.date(2025, 1, 1), name="2025")
    assert choose_standard([first, second], "residential", False, 5, TODAY).name == "2025"
    assert choose_standard([first, second], "residential", False, 5, dt.date(2024, 6, 1)).name == "2020"


def test_no_standard_for_the_use_raises_no_standard() -> None:
    book = StandardBook(TIERS)
    with pytest.raises(NoStandard):
        book.price("garage", False, 1, Decimal("12"), None, TODAY)


def test_book_prices_and_tells_when_a_price_is_needed() -> None:
    book = StandardBook(TIERS)
    standard, amount = book.price("residential", True, 18, Decimal("99.99"), None, TODAY)
    assert standard.name == "lift, 7 floors and more" and amount == Decimal("8999.10")
    assert book.needs_price("commercial", False, 2, TODAY)
    assert not book.needs_price("residential", False, 2, TODAY)
    with pytest.raises(PriceRequired):
        book.price("commercial", False, 2, Decimal("50"), None, TODAY)


def test_book_index_chooses_what_a_scan_of_every_standard_chooses() -> None:
    dated = [std(rate="60", lift=False, start=dt.date(2026, 1, 1), name="no lift 2026"),
             std(rate="45", lift=False, end=dt.date(2022, 1, 1), name="no lift until 2022"),
             std(use="garage", rate="20", min_f=1, max_f=1, name="ground-floor garage"),
             std(use="office", rate="70", lift=True, name="office with lift")]
    standards = TIERS + dated
    book = StandardBook(standards)
    for use in ("residential", "commercial", "garage", "office", "other"):
        for lift in (True, False):
            for floors in (None, 1, 6, 7, 33):
                for on in (dt.date(2021, 6, 1), dt.date(2025, 12, 31), TODAY):
                    for _twice in range(2):  # the second answer comes from the kept choice
                        assert book.choose(use, lift, floors, on) is choose_standard(
                            standards, use, lift, floors, on), (use, lift, floors, on)


def test_book_looks_up_a_kind_of_house_once_among_its_use_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import app.services.standards as standards

    scanned: list[list[str]] = []
    real = standards.choose_standard

    def counting(candidates: Any, *args: Any) -> Any:
        scanned.append([s.use_code for s in candidates])
        return real(candidates, *args)

    monkeypatch.setattr(standards, "choose_standard", counting)
    book = StandardBook(TIERS)
    for i in range(3000):
        book.price("residential", i % 2 == 0, 5 + i % 3 * 10, Decimal("88.88"), None, TODAY)
        book.needs_price("commercial", False, 2, TODAY)
    assert len(scanned) == 2 * 3 + 1  # (lift or not) × 5, 15 or 25 floors, and commercial once
    assert all(set(uses) == {uses[0]} for uses in scanned)


def test_book_loads_the_seeded_examples(session: Any) -> None:
    book = StandardBook.load(session)
    assert len(book.standards) >= 7
    standard, amount = book.price("residential", True, 18, Decimal("100"), None, TODAY)
    assert standard.is_example and amount == Decimal("9000.00")


# --- the standards screen -----------------------------------------------------------------------

def _form(**changes: str) -> dict[str, str]:
    data = {"name": "住宅（无电梯）2026", "use_code": "residential", "has_lift": "0", "min_floors": "",
            "max_floors": "", "basis": BASIS_AREA, "rate": "52", "effective_from": "2026-07-01",
            "effective_to": "", "note": "2026年调整"}
    data.update(changes)
    return data


def _count(session: Any, model: Any, *where: Any) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("changes, message", [
    ({"rate": "0"}, "greater than zero"),
    ({"rate": "-3"}, "greater than zero"),
    ({"basis": BASIS_PRICE, "rate": "2"}, "at most 1"),
    ({"min_floors": "10", "max_floors": "6"}, "must not be below"),
    ({"effective_to": "2026-07-01"}, "after the start date"),
    ({"effective_to": "2026-01-01"}, "after the start date"),
])
def test_invalid_standard_is_refused_and_nothing_is_written(officer_client: Any, session: Any,
                                                            changes: dict, message: str) -> None:
    from app.models.audit import AuditLog

    before = (_count(session, DepositStandard), _count(session, AuditLog))
    officer_client.get("/lang/en")
    response = officer_client.post("/fund/standards/add", data=_form(**changes))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert (_count(session, DepositStandard), _count(session, AuditLog)) == before


def test_officer_adds_edits_and_deletes_a_standard_with_audit(officer_client: Any, session: Any) -> None:
    from app.models.audit import AuditLog

    response = officer_client.post("/fund/standards/add", data=_form(has_lift=""))
    assert response.status_code == 302
    created = session.scalar(select(DepositStandard).where(DepositStandard.name == "住宅（无电梯）2026"))
    assert created.rate == Decimal("52") and created.has_lift is None and not created.is_example
    audit = session.scalars(select(AuditLog).where(AuditLog.object_type == "DepositStandard")).all()
    assert [(a.action, a.object_id) for a in audit] == [("create", created.id)]
    assert audit[0].user_id is not None and Decimal(audit[0].detail["rate"]) == Decimal("52")

    response = officer_client.post(f"/fund/standards/edit/{created.id}", data=_form(rate="53.5", has_lift="1"))
    assert response.status_code == 302
    session.expire_all()
    assert created.rate == Decimal("53.5") and created.has_lift is True
    change = session.scalars(select(AuditLog).where(AuditLog.action == "update")).one()
    rate = change.detail["changes"]["rate"]
    assert (Decimal(rate["before"]), Decimal(rate["after"])) == (Decimal("52"), Decimal("53.5"))
    assert change.detail["changes"]["has_lift"] == {"before": None, "after": True}

    created_id = created.id
    assert officer_client.post(f"/fund/standards/delete/{created_id}").status_code == 302
    assert _count(session, DepositStandard, DepositStandard.id == created_id) == 0
    assert _count(session, AuditLog, AuditLog.action == "delete", AuditLog.object_id == created_id) == 1


def test_a_standard_houses_were_priced_with_cannot_be_deleted(officer_client: Any, session: Any,
                                                               demo: Any) -> None:
    used = demo.house_a.standard_id
    assert used is not None
    officer_client.get("/lang/en")
    response = officer_client.post(f"/fund/standards/delete/{used}", follow_redirects=True)
    assert "set an end date" in response.get_data(as_text=True)
    assert _count(session, DepositStandard, DepositStandard.id == used) == 1


def test_examples_stand_out_in_the_list(officer_client: Any) -> None:
    html = officer_client.get("/fund/standards/list/").get_data(as_text=True)
    assert len(re.findall(r'class="label label-warning jm-example"', html)) >= 7
    assert 'id="jm-check-form"' in html


@pytest.mark.parametrize("query, amount", [
    ("use_code=residential&has_lift=y&floors=18&building_area=99.99", "8,999.10"),
    ("use_code=residential&floors=18&building_area=99.99", "4,999.50"),
    ("use_code=residential&has_lift=y&floors=6&building_area=100", "5,500.00"),
    ("use_code=commercial&floors=2&building_area=100&price=1234567.25", "24,691.35"),
])
def test_checker_shows_the_standard_and_amount(officer_client: Any, query: str, amount: str) -> None:
    html = officer_client.get(f"/fund/standards/check?{query}").get_data(as_text=True)
    assert 'id="jm-check-result"' in html
    assert f'<strong class="jm-amount">{amount}</strong>' in html


def test_checker_explains_missing_price_and_missing_standard(officer_client: Any, session: Any) -> None:
    officer_client.get("/lang/en")
    html = officer_client.get("/fund/standards/check?use_code=commercial&floors=2&building_area=100").get_data(
        as_text=True)
    assert "enter the price" in html
    session.execute(DepositStandard.__table__.update().where(DepositStandard.use_code == "garage")
                    .values(effective_to=dt.date(2020, 1, 2)))
    session.commit()
    html = officer_client.get("/fund/standards/check?use_code=garage&building_area=12").get_data(as_text=True)
    assert "No deposit standard applies" in html


def test_developers_have_no_fund_office_screens(dev_a_client: Any) -> None:
    for url in ("/fund/standards/list/", "/fund/standards/check", "/fund/codes/list/", "/fund/audit/list/",
                "/fund/standards/add"):
        assert dev_a_client.get(url).status_code == 403, url


# --- code tables and the audit log --------------------------------------------------------------

def test_officer_adds_a_code_once_and_edits_it(officer_client: Any, session: Any) -> None:
    from app.models.audit import AuditLog
    from app.models.codes import CodeItem

    data = {"kind": "structure", "code": "frame", "name": "框架结构", "name_en": "Frame", "sort_order": "9",
            "active": "y"}
    assert officer_client.post("/fund/codes/add", data=data).status_code == 302
    item = session.scalar(select(CodeItem).where(CodeItem.kind == "structure", CodeItem.code == "frame"))
    assert item.name == "框架结构"
    officer_client.get("/lang/en")
    again = officer_client.post("/fund/codes/add", data=data)
    assert again.status_code == 200 and "already exists" in again.get_data(as_text=True)
    assert _count(session, CodeItem, CodeItem.code == "frame") == 1

    assert officer_client.post(f"/fund/codes/edit/{item.id}", data={
        "name": "框架", "name_en": "Frame", "sort_order": "9"}).status_code == 302
    session.expire_all()
    assert item.name == "框架" and item.code == "frame" and item.active is False
    actions = session.scalars(select(AuditLog.action).where(AuditLog.object_type == "CodeItem")).all()
    assert actions == ["create", "update"]
    assert officer_client.post(f"/fund/codes/delete/{item.id}").status_code == 404


def test_audit_log_lists_entries_for_the_fund_office(officer_client: Any, session: Any, demo: Any) -> None:
    from app.models.audit import AuditLog
    from app.services.audit import record

    record(session, "approve", "BusinessOrder", 42, user_id=demo.users["officer"].id, org_id=demo.org_a.id,
           detail={"number": "HX-AUDIT-1"})
    session.commit()
    html = officer_client.get("/fund/audit/list/").get_data(as_text=True)
    # The object type shows in words ("BusinessOrder" → 业务单); an unknown action code as it is.
    assert "业务单" in html and ">BusinessOrder<" not in html and "approve" in html
    assert demo.org_a.name in html
    entry = session.scalar(select(func.max(AuditLog.id)))
    assert "HX-AUDIT-1" in officer_client.get(f"/fund/audit/show/{entry}").get_data(as_text=True)
    assert officer_client.post(f"/fund/audit/edit/{entry}").status_code == 404
