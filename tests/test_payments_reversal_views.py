"""冲正 screens: the request form on the teller screen, the queue, approve and reject."""
from __future__ import annotations

from sqlalchemy import select

from app.models.payment import NOTICE_PAID, NOTICE_UNPAID, Notice
from app.models.reversal import REVERSAL_PENDING, REVERSAL_REJECTED, PaymentReversal
from tests.reversal_support import CHECKER, paid_notice, second_officer


def _request(client, notice, reason="误确认：付款人付错通知单"):
    return client.post("/reversals/request", data={"number": notice.number,
                                                   "bank_serial": notice.bank_serial,
                                                   "reason": reason})


def test_request_then_approve_by_another_officer(app, session, demo, officer_client, client_for):
    notice = paid_notice(session, demo)
    detail = officer_client.get(f"/notices/show/{notice.id}").get_data(as_text=True)
    assert 'id="jm-reverse"' in detail  # the notice page leads to the request form
    page = officer_client.get(f"/bank/?number={notice.number}").get_data(as_text=True)
    assert 'id="jm-reversal-form"' in page

    response = _request(officer_client, notice)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    reversal = session.scalar(select(PaymentReversal))
    assert response.headers["Location"].endswith(f"/reversals/{reversal.id}/")
    assert reversal.status == REVERSAL_PENDING and reversal.requested_by_id == demo.users["officer"].id

    own = officer_client.get(f"/reversals/{reversal.id}/").get_data(as_text=True)
    assert 'id="jm-own-request"' in own and 'id="jm-approve"' not in own
    refused = officer_client.post(f"/reversals/{reversal.id}/approve", data={"opinion": ""},
                                  follow_redirects=True).get_data(as_text=True)
    assert "jm-error-message" in refused
    session.refresh(notice)
    assert notice.status == NOTICE_PAID
    # The teller screen shows the pending reversal instead of a second form.
    page = officer_client.get(f"/bank/?number={notice.number}").get_data(as_text=True)
    assert 'id="jm-reversal-form"' not in page and 'id="jm-notice-reversals"' in page

    second_officer(app, session)
    checker = client_for(CHECKER)
    home = checker.get("/").get_data(as_text=True)
    assert 'id="jm-card-pending-reversals"' in home
    queue = checker.get("/reversals/").get_data(as_text=True)
    assert notice.number in queue and 'class="jm-reversal-row"' in queue
    show = checker.get(f"/reversals/{reversal.id}/").get_data(as_text=True)
    assert 'id="jm-approve"' in show and 'id="jm-reject"' in show
    done = checker.post(f"/reversals/{reversal.id}/approve", data={"opinion": "同意冲正"})
    assert done.status_code == 302
    session.expire_all()
    notice = session.get(Notice, notice.id)
    assert notice.status == NOTICE_UNPAID and notice.bank_serial is None
    # Unpaid again: the teller screen offers the confirmation form once more.
    page = checker.get(f"/bank/?number={notice.number}").get_data(as_text=True)
    assert 'id="jm-confirm-form"' in page and 'id="jm-reversal-form"' not in page


def test_a_refused_request_shows_why_on_the_teller_screen(session, demo, officer_client):
    notice = paid_notice(session, demo)
    response = _request(officer_client, notice, reason="  ")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="jm-error"' in page and notice.number in page
    assert session.scalar(select(PaymentReversal)) is None


def test_reject_needs_an_opinion(app, session, demo, officer_client, client_for):
    notice = paid_notice(session, demo)
    _request(officer_client, notice)
    reversal = session.scalar(select(PaymentReversal))
    second_officer(app, session)
    checker = client_for(CHECKER)
    checker.post(f"/reversals/{reversal.id}/reject", data={"opinion": ""})
    session.refresh(reversal)
    assert reversal.status == REVERSAL_PENDING
    checker.post(f"/reversals/{reversal.id}/reject", data={"opinion": "核实为正常付款"})
    session.refresh(reversal)
    assert reversal.status == REVERSAL_REJECTED and reversal.opinion == "核实为正常付款"
    session.refresh(notice)
    assert notice.status == NOTICE_PAID


def test_tellers_and_developers_cannot_reverse(session, demo, teller_client, dev_a_client):
    notice = paid_notice(session, demo)
    page = teller_client.get(f"/bank/?number={notice.number}").get_data(as_text=True)
    assert 'id="jm-reversal-form"' not in page
    detail = dev_a_client.get(f"/notices/show/{notice.id}").get_data(as_text=True)
    assert notice.number in detail and 'id="jm-reverse"' not in detail
    for client in (teller_client, dev_a_client):
        assert client.get("/reversals/").status_code == 403
        assert _request(client, notice).status_code == 403
    assert session.scalar(select(PaymentReversal)) is None
