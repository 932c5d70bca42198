"""The factory builds a working app over the migrated demo database."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select


def test_home_page_is_chinese_by_default(anon_client):
    html = anon_client.get("/").get_data(as_text=True)
    assert "江门市物业管理公众服务平台" in html


def test_demo_users_log_in(client_for):
    for username in ("admin", "officer", "teller", "dev_a", "dev_a_staff", "dev_b"):
        response = client_for(username).get("/")
        assert response.status_code == 200


def test_demo_houses_have_accounts_and_amounts_due(session, demo):
    from app.models.property import House

    count = session.scalar(select(func.count(House.id)).where(House.area_id == demo.area_a.id))
    assert count > 200
    assert demo.house_a.amount_due > Decimal("0")
    assert demo.house_a.standard_text


def test_two_apps_in_one_process(app):
    from tests.conftest import build_test_app

    other = build_test_app(SQLALCHEMY_DATABASE_URI="sqlite://")
    assert other is not app
    assert other.extensions["appbuilder"] is not app.extensions["appbuilder"]


def test_clients_of_two_users_do_not_share_a_login(officer_client, dev_a_client):
    assert "officer" in officer_client.get("/users/userinfo/").get_data(as_text=True)
    page = dev_a_client.get("/users/userinfo/").get_data(as_text=True)
    assert "dev_a" in page and ">officer<" not in page
