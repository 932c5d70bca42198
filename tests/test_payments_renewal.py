"""The 续筹 rule: only houses below the threshold (data beside the standards) of their first deposit
get a replenishment notice; the others are refused with the reason naming the house."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.errors import ValidationFailed
from app.models.audit import AuditLog
from app.models.payment import PAY_RENEW, Notice
from app.models.property import House
from app.models.standard import RenewThreshold
from app.services.ledger import Balance, balances, book_transfer
from app.services.payments import issue_custom_notices, reissue_notice
from app.services.payments.renewal import RenewCheck, refusal, renew_check
from app.services.standards import NoRenewThreshold, renew_threshold, renew_threshold_problems
from tests.reports_support import pay, refund

D = Decimal


def _houses(session: Any, demo: Any, n: int) -> list[House]:
    return list(session.scalars(select(House).where(House.building_id == demo.building_a.id)
                                .order_by(House.id).limit(n)))


def _issue(session: Any, demo: Any, amounts: dict[int, Any]) -> Any:
    return issue_custom_notices(session, demo.area_a, PAY_RENEW, amounts, user_id=None)


# ------------------------------------------------------------------ the rule itself

@pytest.mark.parametrize("first, balance, due", [
    ("0.00", "0.00", False),        # never paid
    ("1000.00", "1000.00", False),  # full
    ("1000.00", "300.00", False),   # exactly the threshold is not below it
    ("1000.00", "299.99", True),
    ("0.03", "0.00", True),
])
def test_due_only_strictly_below_the_threshold_of_a_paid_first_deposit(first: str, balance: str,
                                                                      due: bool) -> None:
    check = RenewCheck(D(first), D(balance), D("30"))
    assert check.due is due
    assert check.proposed == max(D(first) - D(balance), D("0.00"))


def test_refusals_name_the_house_and_say_why(app: Any) -> None:
    with force_locale("en"):
        never = refusal("H-1（1栋101）", RenewCheck(D("0.00"), D("0.00"), D("30")))
        above = refusal("H-2（1栋102）", RenewCheck(D("1000.00"), D("450.00"), D("30")))
        assert refusal("H-3", RenewCheck(D("1000.00"), D("10.00"), D("30"))) is None
    assert "H-1（1栋101）" in never and "never paid a first deposit" in never
    assert "H-2（1栋102）" in above and "45.00%" in above and "30%" in above


def test_transfers_carry_the_first_deposit_and_renewals_do_not_count(session: Any, demo: Any) -> None:
    source, target = _houses(session, demo, 2)
    pay(session, [source], ["1000.00"])
    book_transfer(session, source, target, D("400.00"), order_id=None)
    session.commit()
    pay(session, [target], ["50.00"], payment_type=PAY_RENEW)
    money = balances(session, [source.id, target.id])
    assert (money[source.id].first, money[source.id].balance) == (D("600.00"), D("600.00"))
    assert (money[target.id].first, money[target.id].balance) == (D("400.00"), D("450.00"))
    assert renew_check(Balance(D("0"), D("100.00"), D("400.00")), D("30")).due


# ------------------------------------------------------------------ issuing

def test_a_house_that_never_paid_is_refused_and_nothing_is_stored(session: Any, demo: Any) -> None:
    """The old flaw: 0.00-paid houses took a 续筹 amount that then counted as a partial first deposit."""
    never, = _houses(session, demo, 1)
    with force_locale("en"), pytest.raises(ValidationFailed) as caught:
        _issue(session, demo, {never.id: D("500.00")})
    problem, = caught.value.problems
    assert problem.field == never.code
    with force_locale("en"):
        assert never.code in str(problem.reason) and "never paid" in str(problem.reason)
    assert session.scalar(select(func.count(Notice.id))) == 0


def test_partly_paid_and_full_houses_are_refused_below_houses_get_the_proposal(session: Any,
                                                                              demo: Any) -> None:
    partly, full, low = _houses(session, demo, 3)
    pay(session, [partly, full, low], ["100.00", "2000.00", "2000.00"])
    refund(session, low, "1500.00", status="paid")  # 25 %
    with pytest.raises(ValidationFailed) as caught:
        _issue(session, demo, {partly.id: None, full.id: None, low.id: None})
    assert {p.field for p in caught.value.problems} == {partly.code, full.code}
    notice, = _issue(session, demo, {low.id: None}).notices
    assert notice.total == D("1500.00") and notice.payment_type == PAY_RENEW
    given, = _issue(session, demo, {low.id: D("200.50")}).notices
    assert given.total == D("200.50")


def test_the_threshold_is_data_dated_like_the_standards(session: Any, demo: Any) -> None:
    house, = _houses(session, demo, 1)
    pay(session, [house], ["1000.00"])
    refund(session, house, "600.00", status="paid")  # 40 %
    assert renew_threshold(session) == D("30")
    with pytest.raises(ValidationFailed):
        _issue(session, demo, {house.id: None})
    tomorrow = dt.date.today() + dt.timedelta(days=2)
    session.add(RenewThreshold(percent=D("50"), effective_from=dt.date(2026, 1, 1)))
    session.add(RenewThreshold(percent=D("10"), effective_from=tomorrow))  # not yet in force
    session.commit()
    assert renew_threshold(session) == D("50")
    assert renew_threshold(session, tomorrow) == D("10")
    assert renew_threshold(session, dt.date(2010, 1, 1)) == D("30")
    assert _issue(session, demo, {house.id: None}).notices[0].total == D("600.00")
    with pytest.raises(NoRenewThreshold):
        renew_threshold(session, dt.date(1999, 12, 31))


def test_threshold_values_are_checked() -> None:
    assert renew_threshold_problems(D("30"), dt.date(2026, 1, 1)) == []
    for bad in (None, D("0"), D("-1"), D("100.01"), D("30.005")):
        assert [p.field for p in renew_threshold_problems(bad, dt.date(2026, 1, 1))] == ["percent"], bad
    assert [p.field for p in renew_threshold_problems(D("30"), None)] == ["effective_from"]


def test_reprinting_leaves_off_a_house_no_longer_below_the_threshold(session: Any, demo: Any) -> None:
    low, still = _houses(session, demo, 2)
    pay(session, [low, still], ["1000.00", "1000.00"])
    refund(session, low, "900.00", status="paid")
    refund(session, still, "900.00", status="paid")
    notice = _issue(session, demo, {low.id: None, still.id: None}).notices[0]
    pay(session, [low], ["900.00"], payment_type=PAY_RENEW)  # paid back meanwhile, another way
    result = reissue_notice(session, notice, user_id=None)
    assert [line.house_id for line in result.notices[0].lines] == [still.id]
    assert [s.house_code for s in result.skipped] == [low.code]


# ------------------------------------------------------------------ screens

def test_the_custom_issue_call_answers_the_refusal_naming_the_house(dev_a_client: Any, session: Any,
                                                                   demo: Any) -> None:
    never, = _houses(session, demo, 1)
    answer = dev_a_client.post("/payments/custom/issue", json={
        "area_id": demo.area_a.id, "payment_type": "renew", "house_ids": [never.id],
        "amounts": {str(never.id): "100.00"}})
    assert answer.status_code == 422
    problem, = answer.get_json()["problems"]
    assert problem["field"] == never.code and never.code in problem["reason"]
    assert "从未交存首期维修资金" in problem["reason"]


def test_the_office_edits_the_threshold_beside_the_standards(officer_client: Any, dev_a_client: Any,
                                                             session: Any) -> None:
    page = officer_client.get("/fund/standards/list/").get_data(as_text=True)
    assert 'id="jm-renew-threshold"' in page and "30%" in page
    refused = officer_client.post("/fund/renew-threshold/add", data={
        "percent": "150", "effective_from": "2026-01-01"})
    assert refused.status_code == 200  # the form again, with the problem
    assert "请输入大于 0 且不超过 100 的百分比" in refused.get_data(as_text=True)
    assert session.scalar(select(func.count(RenewThreshold.id))) == 1
    added = officer_client.post("/fund/renew-threshold/add", data={
        "percent": "35", "effective_from": "2026-01-01", "note": "市局通知"})
    assert added.status_code == 302
    session.expire_all()
    assert renew_threshold(session) == D("35")
    assert session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.object_type == "RenewThreshold")) == 1
    assert dev_a_client.get("/fund/renew-threshold/list/").status_code == 403
    assert dev_a_client.post("/fund/renew-threshold/add", data={
        "percent": "1", "effective_from": "2026-02-01"}).status_code == 403
    session.expire_all()
    assert renew_threshold(session) == D("35")


def test_the_warning_report_proposes_back_to_the_first_deposit(app: Any, api_headers: Any, session: Any,
                                                               demo: Any) -> None:
    low, = _houses(session, demo, 1)
    pay(session, [low], ["1000.00"])
    refund(session, low, "750.00", status="paid")
    client = app.test_client()
    body = client.get(f"/api/v1/report/renew?building_id={demo.building_a.id}",
                      headers=api_headers("officer")).get_json()
    assert [(r["code"], r["proposed"]) for r in body["rows"]] == [(low.code, "750.00")]
    assert body["totals"]["proposed"] == "750.00"
    other = client.get("/api/v1/report/renew", headers=api_headers("dev_b")).get_json()
    assert other["rows"] == []  # a developer sees only its own houses


def test_the_warning_export_holds_the_screen_table(officer_client: Any, session: Any, demo: Any) -> None:
    from tests.test_reports import _sheet, _table

    houses = _houses(session, demo, 3)
    pay(session, houses, ["1000.00", "1000.00", "1000.00"])
    for house in houses[:2]:
        refund(session, house, "900.00", status="paid")
    query = f"?building_id={demo.building_a.id}"
    shown = _table(officer_client.get(f"/reports/renew/{query}").get_data(as_text=True))
    sheet = _sheet(officer_client.get(f"/reports/renew/export{query}").get_data())
    assert sheet == shown and len(shown) == 3  # two houses and the totals
    assert shown[-1][-1] == "1,800.00"
