"""The frame around every screen: menus in the manual's order and per role, page titles, the error
pages, and words instead of codes on the admin and fund-office screens (all in zh, the default)."""
from __future__ import annotations

import re
from typing import Any


def menu_labels(html: str) -> list[str]:
    """The top-level menu labels of the navbar, in order."""
    menu = html[html.index('id="jm-menu"'):html.index("navbar-right")]
    return [re.sub(r"<[^>]+>|&nbsp;", "", label).strip()
            for label in re.findall(r'class="dropdown-toggle"[^>]*>(.*?)<b class="caret">', menu, re.S)]


def menu_links(html: str) -> list[str]:
    menu = html[html.index('id="jm-menu"'):html.index("navbar-right")]
    return re.findall(r'href="(/[^"#]*)"', menu)


def test_menus_follow_the_manual_and_security_comes_last(admin_client: Any, dev_a_client: Any) -> None:
    assert menu_labels(admin_client.get("/").get_data(as_text=True)) == [
        "物业区域管理", "交款管理", "维修资金管理部门", "专户银行", "统计报表", "用户权限"]
    assert menu_labels(dev_a_client.get("/").get_data(as_text=True)) == [
        "机构管理", "物业区域管理", "交款管理", "统计报表"]


def test_contract_setting_comes_after_the_order_businesses(dev_a_client: Any) -> None:
    links = menu_links(dev_a_client.get("/").get_data(as_text=True))
    assert links.index("/contracts/") > links.index("/order-form/collect")
    assert links.index("/contracts/") < links.index("/payments/batch/")


def test_empty_and_organisation_only_menus_are_left_out(admin_client: Any) -> None:
    html = admin_client.get("/").get_data(as_text=True)
    # 机构管理 serves developer users only (admin has no organisation)
    assert "机构管理" not in html
    assert "/org/info/" not in menu_links(html)
    assert {"/dashboard/", "/reports/deposits/", "/reconcile/"} <= set(menu_links(html))


def test_fund_officer_finds_the_trading_outbox_in_its_menu(officer_client: Any) -> None:
    assert "/tradeoutboxview/list/" in menu_links(officer_client.get("/").get_data(as_text=True))


def test_teller_menu_is_the_bank_screen_only(teller_client: Any) -> None:
    html = teller_client.get("/").get_data(as_text=True)
    assert menu_labels(html) == ["专户银行"] and menu_links(html) == ["/bank/"]


def test_page_titles_name_the_screen(dev_a_client: Any) -> None:
    for url, title in (("/property/houses/list/", "房屋"), ("/payments/batch/", "开发建设单位批量交款"),
                       ("/contracts/", "房屋合同号设置")):
        html = dev_a_client.get(url).get_data(as_text=True)
        assert f"<title>{title} - 江门市物业管理公众服务平台</title>" in html
    assert 'class="jm-footer"' in html


def test_not_found_and_forbidden_pages_are_translated(dev_b_client: Any, teller_client: Any,
                                                      demo: Any) -> None:
    other = dev_b_client.get(f"/property/houses/show/{demo.house_a.id}")
    assert other.status_code == 404
    page = other.get_data(as_text=True)
    assert "页面不存在" in page and "Not Found" not in page and 'id="jm-menu"' in page
    denied = teller_client.get("/property/houses/list/")
    assert denied.status_code == 403 and "无权访问" in denied.get_data(as_text=True)


def test_apis_keep_their_own_error_answers(dev_b_client: Any) -> None:
    response = dev_b_client.get("/api/v1/no-such-api/")
    assert response.status_code == 404 and "jm-http-error" not in response.get_data(as_text=True)


def test_audit_log_shows_actions_and_objects_in_words(officer_client: Any, session: Any,
                                                      demo: Any) -> None:
    from app.services.audit import record

    record(session, "notice.paid", "Notice", 7, user_id=demo.users["teller"].id, org_id=demo.org_a.id)
    record(session, "user.deactivate", "user", 8, user_id=demo.users["dev_a"].id, org_id=demo.org_a.id)
    session.commit()
    html = officer_client.get("/fund/audit/list/").get_data(as_text=True)
    for words in ("交款确认", "交款通知单", "注销用户", "用户"):
        assert f">{words}<" in html
    for code in ("notice.paid", "user.deactivate", ">Notice<"):
        assert code not in html


def test_user_screens_use_fab_labels_and_role_names(admin_client: Any, officer_client: Any) -> None:
    info = officer_client.get("/users/userinfo/").get_data(as_text=True)
    assert "用户名" in info and "维修资金管理部门" in info
    for english in ("First Name", "Last Name", "Username", "Login Count", "Fund Officer", "True"):
        assert english not in info
    users = admin_client.get("/users/list/").get_data(as_text=True)
    assert "开发建设单位管理员" in users and ">None<" not in users and "Last Login" not in users


def test_notice_page_prints_from_its_own_buttons_only(dev_a_client: Any, session: Any,
                                                       demo: Any) -> None:
    from app.services.payments.notices import issue_building_notices

    notice = issue_building_notices(session, demo.area_a, [demo.building_a.id],
                                    user_id=demo.users["dev_a"].id).notices[0]
    show = dev_a_client.get(f"/notices/show/{notice.id}").get_data(as_text=True)
    assert 'id="jm-notice-pdf"' in show and "print_selected" not in show
    assert "print_selected" in dev_a_client.get("/notices/list/").get_data(as_text=True)


def test_standard_dates_stay_on_one_line(officer_client: Any) -> None:
    html = officer_client.get("/fund/standards/list/").get_data(as_text=True)
    assert re.search(r'<span class="text-nowrap">\d{4}-\d\d-\d\d</span>', html)
