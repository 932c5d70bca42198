"""Notices: numbering per day, the three ways of issuing, reprint voids, print data."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.money import amount_in_words
from app.domain.numbering import parse_notice_number
from app.errors import InvalidTransition, ValidationFailed
from app.models.payment import (NOTICE_UNPAID, NOTICE_VOID, PAY_OTHER, PAY_RENEW, PAYER_DEVELOPER,
                                PAYER_OWNER, Notice)
from app.models.property import Building, House, Owner
from app.services.payments import (allocate_notice_numbers, issue_building_notices,
                                   issue_custom_notices, issue_owner_notices, preview_buildings,
                                   reissue_notice, void_notice)
from app.services.payments.documents import notice_doc, notices_html, special_account
from app.services.payments.notices import HELD_KEEP, HELD_REPLACE, NoticesWouldBeVoided
from tests.reports_support import pay, refund


def _houses(session, building_id: int) -> list[House]:
    return list(session.scalars(select(House).where(House.building_id == building_id)
                                .order_by(House.id)))


def test_numbers_are_consecutive_per_day_with_a_check_char(session):
    day = dt.date(2026, 4, 1)
    first = allocate_notice_numbers(session, day, 2)
    then = allocate_notice_numbers(session, day, 1)
    other_day = allocate_notice_numbers(session, dt.date(2026, 4, 2), 1)
    session.commit()
    assert [n[10:16] for n in first + then] == ["000001", "000002", "000003"]
    assert other_day[0].startswith("JK20260402000001")
    assert all(parse_notice_number(n) is None for n in first + then + other_day)
    wrong = first[0][:-1] + ("0" if first[0][-1] != "0" else "1")
    assert parse_notice_number(wrong) is not None


def test_batch_notice_lists_the_buildings_unpaid_houses(session, demo):
    result = issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None)
    houses = _houses(session, demo.building_a.id)
    assert len(result.notices) == 1
    notice = result.notices[0]
    assert notice.payer_type == PAYER_DEVELOPER and notice.payer_name == demo.org_a.name
    assert notice.status == NOTICE_UNPAID and notice.building_id == demo.building_a.id
    assert len(notice.lines) == len(houses)
    assert notice.total == sum((h.amount_due for h in houses), Decimal("0.00"))
    assert parse_notice_number(notice.number) is None


def test_printing_again_voids_the_old_notice(session, demo):
    first = issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None).notices[0]
    again = issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None,
                                   held=HELD_REPLACE)
    session.refresh(first)
    assert first.status == NOTICE_VOID
    assert again.voided == [first.number]
    assert first.replaced_by_id == again.notices[0].id
    assert again.notices[0].number in first.void_reason
    unpaid = session.scalars(select(Notice).where(Notice.status == NOTICE_UNPAID)).all()
    assert [n.id for n in unpaid] == [again.notices[0].id]


def test_a_building_of_another_area_is_refused(session, demo):
    with pytest.raises(ValidationFailed):
        issue_building_notices(session, demo.area_a, [demo.building_b.id], user_id=None)
    assert session.scalar(select(Notice.id)) is None


def test_preview_warns_about_houses_without_contract_and_skips_locked(session, demo):
    houses = _houses(session, demo.building_a.id)
    houses[0].contract_no = "JM2026YS999999"
    session.commit()
    preview = preview_buildings(session, demo.area_a, [demo.building_a.id])[0]
    assert preview.unpaid_houses == len(houses)
    assert len(preview.without_contract) == len(houses) - 1
    assert houses[0].code not in {h["code"] for h in preview.without_contract}


def test_owner_notices_need_owners_and_print_one_per_house(session, demo):
    picked = _houses(session, demo.building_a.id)[:2]
    with pytest.raises(ValidationFailed) as caught:
        issue_owner_notices(session, demo.area_a, [h.id for h in picked], user_id=None)
    assert len(caught.value.problems) == 2
    for house in picked:
        house.owners = [Owner(org_id=house.org_id, seq=1, name="张三", id_type="01",
                              id_no="11010519491231002X", phone="13800138000")]
    session.commit()
    result = issue_owner_notices(session, demo.area_a, [h.id for h in picked], user_id=None)
    assert len(result.notices) == 2
    assert {n.payer_type for n in result.notices} == {PAYER_OWNER}
    assert result.notices[0].payers[0]["name"] == "张三"
    assert [len(n.lines) for n in result.notices] == [1, 1]


def test_custom_renew_groups_by_building_and_proposes_the_first_deposit(session, demo):
    picked = _houses(session, demo.building_a.id)[:3]
    pay(session, picked, ["1000.00"] * 3)
    for house in picked:
        refund(session, house, "800.00", status="paid")  # 20 % of the first deposit left
    proposed = issue_custom_notices(session, demo.area_a, PAY_RENEW, {h.id: None for h in picked},
                                    user_id=None)
    assert [line.amount for line in proposed.notices[0].lines] == [Decimal("800.00")] * 3
    amounts = {h.id: Decimal("100.50") for h in picked}
    result = issue_custom_notices(session, demo.area_a, PAY_RENEW, amounts, user_id=None)
    assert len(result.notices) == 1
    assert result.notices[0].total == Decimal("301.50")
    assert result.notices[0].payment_type == PAY_RENEW


def test_custom_other_charges_what_is_still_due(session, demo):
    house = _houses(session, demo.building_a.id)[0]
    result = issue_custom_notices(session, demo.area_a, PAY_OTHER, {house.id: None}, user_id=None)
    assert result.notices[0].total == house.amount_due


def test_locked_houses_are_left_off_batches_and_refused_for_owners(session, demo):
    houses = _houses(session, demo.building_a.id)
    house = houses[0]
    house.owners = [Owner(org_id=house.org_id, seq=1, name="李四", id_type="01",
                          id_no="11010519491231002X", phone="13800138000")]
    from app.models.order import BusinessOrder

    order = BusinessOrder(org_id=house.org_id, number="TEST0001", type="house_cancel", payload={})
    session.add(order)
    session.flush()
    house.locked_by_order_id = order.id
    session.commit()
    result = issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None)
    assert house.id not in {line.house_id for line in result.notices[0].lines}
    assert [s.house_code for s in result.skipped] == [house.code]
    with pytest.raises(ValidationFailed):
        issue_owner_notices(session, demo.area_a, [house.id], user_id=None)


def test_reissue_and_void(session, demo):
    notice = issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None).notices[0]
    result = reissue_notice(session, notice, user_id=None)
    session.refresh(notice)
    assert notice.status == NOTICE_VOID and result.notices[0].total == notice.total
    with pytest.raises(InvalidTransition):
        reissue_notice(session, notice, user_id=None)
    fresh = result.notices[0]
    void_notice(session, fresh, reason="", user_id=None)
    assert fresh.status == NOTICE_VOID
    with pytest.raises(InvalidTransition):
        void_notice(session, fresh, reason="", user_id=None)


def test_print_data_has_total_words_account_and_lines(app, session, demo):
    notice = issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None).notices[0]
    account = special_account(app.config)
    doc = notice_doc(notice, account)
    assert doc.total == notice.total
    assert doc.special_account.account_number == app.config["FUND_ACCOUNT_NO"]
    assert doc.building == demo.building_a.name and len(doc.lines) == len(notice.lines)
    with app.test_request_context():
        html = notices_html([notice], account)
    assert notice.number in html
    assert amount_in_words(notice.total) in html
    assert app.config["FUND_ACCOUNT_NO"] in html
    assert "<svg" in html  # the QR code of the number


def test_buildings_other_than_residential_also_work(session, demo):
    garage = session.scalar(select(Building).where(Building.area_id == demo.area_a.id,
                                                   Building.name == "地下车库"))
    result = issue_building_notices(session, demo.area_a, [garage.id], user_id=None)
    assert len(result.notices[0].lines) == len(_houses(session, garage.id))


def test_reprinting_an_owner_notice_takes_the_current_owners(session, demo):
    house = _houses(session, demo.building_a.id)[0]
    house.owners = [Owner(org_id=house.org_id, seq=1, name="张三", id_type="01",
                          id_no="11010519491231002X", phone="13800138000")]
    session.commit()
    first = issue_owner_notices(session, demo.area_a, [house.id], user_id=None).notices[0]
    house.owners = [Owner(org_id=house.org_id, seq=1, name="王五", id_type="01",
                          id_no="440703198001010012", phone="13800138001")]
    session.commit()
    again = reissue_notice(session, first, user_id=None).notices[0]
    assert again.payer_type == PAYER_OWNER and again.payer_name == "王五"
    assert [p["id_no"] for p in again.payers] == ["440703198001010012"]


def owner_notice(session, demo, house):
    """An owner notice (代打交款通知单) for ``house`` of demo area A, its owner 王五 added first."""
    house.owners = [Owner(org_id=house.org_id, seq=1, name="王五", id_type="01",
                          id_no="440703199001011234")]
    session.commit()
    return issue_owner_notices(session, demo.area_a, [house.id], user_id=None).notices[0]


def test_batch_print_asks_before_voiding_owner_notices(session, demo):
    houses = _houses(session, demo.building_a.id)
    owner = owner_notice(session, demo, houses[0])
    preview = preview_buildings(session, demo.area_a, [demo.building_a.id])[0]
    assert [h.number for h in preview.holding] == [owner.number]
    assert preview.holding[0].payer_name == "王五" and len(preview.holding[0].locations) == 1

    with pytest.raises(NoticesWouldBeVoided) as asked:
        issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None)
    answer = asked.value.to_dict()
    assert [n["number"] for n in answer["notices"]] == [owner.number]
    session.refresh(owner)
    assert owner.status == NOTICE_UNPAID  # nothing voided before the user chose
    assert session.scalar(select(func.count(Notice.id))) == 1


def test_batch_print_for_the_remaining_houses_keeps_owner_notices(session, demo):
    houses = _houses(session, demo.building_a.id)
    owner = owner_notice(session, demo, houses[0])
    result = issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None,
                                    held=HELD_KEEP)
    session.refresh(owner)
    assert owner.status == NOTICE_UNPAID and result.voided == []
    assert len(result.notices[0].lines) == len(houses) - 1
    assert houses[0].id not in {line.house_id for line in result.notices[0].lines}
    assert [s.house_code for s in result.skipped] == [houses[0].code]
    assert owner.number in result.skipped[0].reason


def test_void_and_reprint_names_the_replacement_in_the_void_reason(session, demo):
    houses = _houses(session, demo.building_a.id)
    owner = owner_notice(session, demo, houses[0])
    result = issue_building_notices(session, demo.area_a, [demo.building_a.id], user_id=None,
                                    held=HELD_REPLACE)
    session.refresh(owner)
    assert owner.status == NOTICE_VOID and result.voided == [owner.number]
    assert result.notices[0].number in owner.void_reason
    assert "Printed again" not in owner.void_reason and "已重新打印" not in owner.void_reason
