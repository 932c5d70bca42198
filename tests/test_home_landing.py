"""The landing page gives each role its own starting points, under its tenant scope."""
from __future__ import annotations

import re
from typing import Any

from app.models.order import AREA_COLLECT, DRAFT, SUBMITTED, BusinessOrder


def _panel(html: str, panel_id: str) -> str:
    """The HTML of one landing-page panel (up to the next panel), or "" when it is not shown."""
    start = html.find(f'id="{panel_id}"')
    if start < 0:
        return ""
    following = [i for i in (html.find('id="jm-home-', start + 1), html.find("</footer>", start))
                 if i > 0]
    return html[start:min(following)]


def _issue_notice(session: Any, demo: Any) -> Any:
    from app.services.payments.notices import issue_building_notices

    result = issue_building_notices(session, demo.area_a, [demo.building_a.id],
                                    user_id=demo.users["dev_a"].id)
    return result.notices[0]


def _order(session: Any, demo: Any, number: str, status: str) -> BusinessOrder:
    order = BusinessOrder(org_id=demo.org_a.id, number=number, type=AREA_COLLECT, status=status,
                          payload={"area": {"name": "江滨花园"}})
    session.add(order)
    session.commit()
    return order


def test_visitors_get_login_and_registration(anon_client: Any) -> None:
    html = anon_client.get("/").get_data(as_text=True)
    assert 'id="jm-login"' in html and 'id="jm-register"' in html
    assert "jm-home-areas" not in html and "jm-home-bank" not in html


def test_the_index_view_is_the_platform_home(app: Any) -> None:
    # FAB swallows an import error of FAB_INDEX_VIEW and falls back to its own page; "/" would 404.
    from app.views.home import HomeView

    assert isinstance(app.appbuilder._indexview, HomeView)


def test_developer_sees_its_areas_orders_and_unpaid_notices(dev_a_client: Any, session: Any,
                                                           demo: Any) -> None:
    notice = _issue_notice(session, demo)
    draft = _order(session, demo, "CJ2026010100901", DRAFT)
    html = dev_a_client.get("/").get_data(as_text=True)

    areas = _panel(html, "jm-home-areas")
    assert f'href="/property/areas/show/{demo.area_a.id}"' in areas and demo.area_a.name in areas
    assert demo.area_b.name not in html
    assert re.search(r"\d{1,3}(,\d{3})+\.\d\d", areas), "area amounts have thousands separators"

    orders = _panel(html, "jm-home-orders")
    assert f'href="/orders/{draft.id}"' in orders and "江滨花园" in orders and "草稿" in orders

    notices = _panel(html, "jm-home-notices")
    assert f'href="/notices/show/{notice.id}"' in notices and notice.number in notices
    assert f"{notice.total:,.2f}" in notices

    shortcuts = _panel(html, "jm-home-shortcuts")
    for url in ("/order-form/collect", "/contracts/", "/payments/batch/", "/payments/owners/"):
        assert url in shortcuts


def test_another_developer_sees_none_of_it(dev_b_client: Any, session: Any, demo: Any) -> None:
    notice = _issue_notice(session, demo)
    _order(session, demo, "CJ2026010100902", SUBMITTED)
    html = dev_b_client.get("/").get_data(as_text=True)
    assert notice.number not in html and "CJ2026010100902" not in html
    assert demo.area_a.name not in html and demo.area_b.name in _panel(html, "jm-home-areas")
    assert "jm-home-office" not in html and "jm-home-bank" not in html


def test_fund_office_sees_its_queue_counts(officer_client: Any, session: Any, demo: Any) -> None:
    _order(session, demo, "CJ2026010100903", SUBMITTED)
    _issue_notice(session, demo)
    html = officer_client.get("/").get_data(as_text=True)
    office = _panel(html, "jm-home-office")
    submitted = re.search(r'id="jm-card-submitted" href="([^"]+)">\s*<div class="panel-body">'
                          r'<div class="jm-figure">(\d+)</div>', office)
    assert submitted is not None
    assert submitted.group(1) == "/review/?status=submitted" and submitted.group(2) == "1"
    assert 'id="jm-card-unpaid-notices"' in office and 'id="jm-card-failed-pushes"' in office
    assert "jm-home-areas" not in html
    assert 'action="/bank/"' in html  # the fund office confirms payments too


def test_bank_teller_gets_only_the_notice_lookup(teller_client: Any, session: Any, demo: Any) -> None:
    _issue_notice(session, demo)
    html = teller_client.get("/").get_data(as_text=True)
    bank = _panel(html, "jm-home-bank")
    assert 'action="/bank/"' in bank and 'name="number"' in bank
    for hidden in ("jm-home-office", "jm-home-areas", "/review/", "/property/", "/notices/"):
        assert hidden not in html
    assert demo.area_a.name not in html
