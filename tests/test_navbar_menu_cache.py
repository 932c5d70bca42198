"""The navbar's menu is rendered once per set of permissions (app/views/navbar.py) and never shows
an entry the user may not open: a permission taken away or given back, a language switch, a
different role or organisation give another menu at the very next request."""
from __future__ import annotations

from typing import Any

from tests.test_ui_shell import menu_labels, menu_links


def _menu_item(app: Any, url: str) -> Any:
    with app.test_request_context("/"):
        for item in app.appbuilder.menu.get_list():
            for child in item.childs or []:
                if child and child.name != "-" and child.get_url() == url:
                    return child
    raise AssertionError(f"no menu entry opens {url}")


def test_an_entry_taken_away_leaves_the_menu_at_the_next_request(app, client_for, session):
    client = client_for("dev_a")
    assert "/contracts/" in menu_links(client.get("/").get_data(as_text=True))
    sm = app.appbuilder.sm
    user = sm.find_user(username="dev_a")
    pv = sm.find_permission_view_menu("menu_access", _menu_item(app, "/contracts/").name)
    holders = [role for role in user.roles if pv in role.permissions]
    assert holders
    for role in holders:
        sm.del_permission_role(role, pv)
    links = menu_links(client.get("/").get_data(as_text=True))
    assert "/contracts/" not in links and "/property/houses/list/" in links
    # another user of the same roles, its first page: the same, from the kept menu
    assert "/contracts/" not in menu_links(client_for("dev_a").get("/").get_data(as_text=True))
    for role in holders:
        sm.add_permission_role(role, pv)
    assert "/contracts/" in menu_links(client.get("/").get_data(as_text=True))


def test_users_of_the_same_roles_share_one_kept_menu(app, client_for):
    cache = app.extensions["jm.menu_cache"]
    first = client_for("dev_a").get("/property/houses/list/").get_data(as_text=True)
    size = len(cache)
    again = client_for("dev_a").get("/notices/list/").get_data(as_text=True)
    assert len(cache) == size
    assert menu_links(again) == menu_links(first)


def test_the_menu_follows_the_language_and_the_role(app, client_for):
    client = client_for("dev_a")
    assert menu_labels(client.get("/").get_data(as_text=True))[0] == "机构管理"
    client.get("/lang/en")
    assert menu_labels(client.get("/").get_data(as_text=True))[0] == "Organisation Management"
    client.get("/lang/zh")
    assert menu_labels(client.get("/").get_data(as_text=True))[0] == "机构管理"
    teller = client_for("teller").get("/").get_data(as_text=True)
    assert menu_labels(teller) == ["专户银行"] and menu_links(teller) == ["/bank/"]


def test_the_organisation_condition_is_part_of_what_the_menu_is_kept_under(app, client_for,
                                                                           session):
    """机构管理 serves users of an organisation (menu_cond): the same roles without one do not
    see it, even though a user with one was served the menu first."""
    sm = app.appbuilder.sm
    staff = sm.find_user(username="dev_a")
    assert "/org/info/" in menu_links(client_for("dev_a").get("/").get_data(as_text=True))
    org_id = staff.org_id
    staff.org_id = None
    session.commit()
    assert "/org/info/" not in menu_links(client_for("dev_a").get("/").get_data(as_text=True))
    staff.org_id = org_id
    session.commit()
