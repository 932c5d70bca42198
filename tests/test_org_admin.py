"""Fund office → 开发建设单位: all organisations for the office, never for a developer."""
from __future__ import annotations

from sqlalchemy import select

from app.models.organisation import Organisation
from app.services.attachments import store_attachment
from app.services.organisation import change_organisation
from tests.test_org_support import pdf_bytes


def test_officer_sees_every_organisation_and_can_search(officer_client, demo):
    page = officer_client.get("/office/organisations/").get_data(as_text=True)
    assert demo.org_a.name in page and demo.org_b.name in page
    found = officer_client.get("/office/organisations/?q=锦江").get_data(as_text=True)
    assert demo.org_b.name in found and demo.org_a.name not in found
    by_code = officer_client.get(f"/office/organisations/?q={demo.org_a.uscc[-6:].lower()}")
    assert demo.org_a.name in by_code.get_data(as_text=True)
    by_district = officer_client.get(f"/office/organisations/?district={demo.org_b.district_code}")
    assert demo.org_a.name not in by_district.get_data(as_text=True)
    # LIKE wildcards are taken literally
    assert demo.org_a.name not in officer_client.get("/office/organisations/?q=%25").get_data(as_text=True)


def test_show_has_attachments_users_history(app, officer_client, session, demo):
    att = store_attachment(session, org_id=demo.org_b.id, kind="business_license",
                           filename="营业执照.pdf", data=pdf_bytes(),
                           upload_folder=app.config["UPLOAD_FOLDER"])
    session.commit()
    change_organisation(session, demo.org_b.id, {"phone": "13700000077"}, demo.users["dev_b"].id)
    page = officer_client.get(f"/office/organisations/show/{demo.org_b.id}").get_data(as_text=True)
    assert f'href="/attachments/{att.id}"' in page and "营业执照.pdf" in page
    assert "dev_b" in page and "dev_a_staff" not in page
    assert "13700000077" in page
    assert officer_client.get(f"/attachments/{att.id}").status_code == 200


def test_officer_sets_paper_documents_flag(officer_client, session, demo):
    response = officer_client.post(f"/office/organisations/papers/{demo.org_a.id}", data={"checked": "1"})
    assert response.status_code == 302
    session.expire_all()
    org = session.get(Organisation, demo.org_a.id)
    assert org.papers_checked and org.papers_checked_at is not None
    assert org.papers_checked_by_id == demo.users["officer"].id
    page = officer_client.get(f"/office/organisations/show/{org.id}").get_data(as_text=True)
    assert 'id="jm-papers-uncheck"' in page
    listed = officer_client.get("/office/organisations/?papers=yes").get_data(as_text=True)
    assert demo.org_a.name in listed and demo.org_b.name not in listed

    officer_client.post(f"/office/organisations/papers/{org.id}", data={"checked": "0"})
    session.expire_all()
    org = session.get(Organisation, demo.org_a.id)
    assert not org.papers_checked and org.papers_checked_by_id is None


def test_developer_never_reaches_the_office_list(dev_a_client, session, demo):
    assert dev_a_client.get("/office/organisations/").status_code == 403
    assert dev_a_client.get(f"/office/organisations/show/{demo.org_a.id}").status_code == 403
    assert dev_a_client.get(f"/office/organisations/show/{demo.org_b.id}").status_code == 403
    response = dev_a_client.post(f"/office/organisations/papers/{demo.org_a.id}", data={"checked": "1"})
    assert response.status_code == 403
    session.expire_all()
    checked = select(Organisation.papers_checked).where(Organisation.id == demo.org_a.id)
    assert session.scalar(checked) is False
    assert "/office/organisations/" not in dev_a_client.get("/").get_data(as_text=True)


def test_anonymous_is_sent_to_login(anon_client):
    response = anon_client.get("/office/organisations/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_menu_entry_for_officer(officer_client, teller_client):
    assert "/office/organisations/" in officer_client.get("/").get_data(as_text=True)
    assert teller_client.get("/office/organisations/").status_code == 403
