import pytest
from flask import g


@pytest.fixture(autouse=True)
def fresh_user_per_request(app):
    def forget_cached_user() -> None:
        g.pop("_login_user", None)

    funcs = app.before_request_funcs.setdefault(None, [])
    funcs.insert(0, forget_cached_user)
    yield
    funcs.remove(forget_cached_user)


def test_pages(dev_a_client, teller_client, demo):
    for url in ["/payments/batch/", "/payments/owners/", "/payments/custom/", "/contracts/", "/notices/list/"]:
        r = dev_a_client.get(url)
        assert r.status_code == 200, r.get_data(as_text=True)[:3000]
    r = teller_client.get("/bank/")
    assert r.status_code == 200, r.get_data(as_text=True)
