"""Per-account lockout: 10 failures in 15 minutes lock the account for 15 minutes, from any address;
the user is told, the fund officer unlocks, and logins and failures are in the audit log."""
from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.models.audit import AuditLog
from app.models.base import utcnow
from app.security.models import PlatformUser
from app.services import lockout
from tests.conftest import DEMO_PASSWORD

WRONG = "Wrong#2026x"
LOCK_MESSAGE_ZH = "多次登录失败已被锁定"


def _web_login(app: Flask, username: str, password: str, address: str = "10.0.0.1") -> Any:
    return app.test_client().post("/login/", data={"username": username, "password": password},
                                  environ_base={"REMOTE_ADDR": address}, follow_redirects=True)


def _logged_in(response: Any) -> bool:
    return "/login" not in response.request.path


def _user(session: Any, username: str) -> PlatformUser:
    session.expire_all()
    return session.scalar(select(PlatformUser).where(PlatformUser.username == username))


def _audit_count(session: Any, action: str, user_id: Any = None) -> int:
    query = select(func.count(AuditLog.id)).where(AuditLog.action == action)
    if user_id is not None:
        query = query.where(AuditLog.user_id == user_id)
    return session.scalar(query)


def test_ten_failures_from_many_addresses_lock_the_account_and_the_user_is_told(app: Flask, session: Any) -> None:
    for attempt in range(9):
        assert not _logged_in(_web_login(app, "dev_a", WRONG, f"10.0.0.{attempt + 1}"))
    assert _user(session, "dev_a").locked_until is None
    tenth = _web_login(app, "dev_a", WRONG, "10.0.1.1")
    assert LOCK_MESSAGE_ZH in tenth.get_data(as_text=True)
    user = _user(session, "dev_a")
    assert user.locked_until is not None
    assert dt.timedelta(minutes=14) < user.locked_until - utcnow() <= dt.timedelta(minutes=15)

    refused = _web_login(app, "dev_a", DEMO_PASSWORD)  # even the right password
    assert not _logged_in(refused) and LOCK_MESSAGE_ZH in refused.get_data(as_text=True)
    api = app.test_client().post("/api/v1/security/login", json={
        "username": "dev_a", "password": DEMO_PASSWORD, "provider": "db"})
    assert api.status_code == 401 and LOCK_MESSAGE_ZH in api.get_json()["message"]
    assert _logged_in(_web_login(app, "dev_b", DEMO_PASSWORD))  # other accounts are unaffected

    assert _audit_count(session, lockout.LOGIN_FAILED, user.id) >= 10
    assert _audit_count(session, lockout.LOGIN_LOCKED, user.id) == 1


def test_the_lock_ends_by_itself(app: Flask, session: Any) -> None:
    user = _user(session, "dev_a")
    user.locked_until = utcnow() - dt.timedelta(seconds=1)
    session.commit()
    assert _logged_in(_web_login(app, "dev_a", DEMO_PASSWORD))


def test_failures_older_than_the_window_start_a_new_count(app: Flask, session: Any) -> None:
    policy = lockout.LockoutPolicy()
    user = _user(session, "dev_a")
    start = utcnow() - dt.timedelta(minutes=20)
    for minute in range(9):
        lockout.register_failure(session, user, policy, start + dt.timedelta(seconds=minute))
    assert lockout.register_failure(session, user, policy, utcnow()) is None  # window expired
    assert _user(session, "dev_a").lockout_failures == 1


def test_a_successful_login_clears_the_count(app: Flask, session: Any) -> None:
    for _ in range(5):
        _web_login(app, "dev_a", WRONG)
    assert _user(session, "dev_a").lockout_failures == 5
    assert _logged_in(_web_login(app, "dev_a", DEMO_PASSWORD))
    assert _user(session, "dev_a").lockout_failures == 0
    assert _audit_count(session, lockout.LOGIN, _user(session, "dev_a").id) >= 1


def test_concurrent_failures_are_all_counted(app: Flask, session: Any) -> None:
    user_id = _user(session, "dev_a").id
    barrier = threading.Barrier(4)

    def fail() -> None:
        barrier.wait()
        for _ in range(3):
            _web_login(app, "dev_a", WRONG)

    threads = [threading.Thread(target=fail) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    user = _user(session, "dev_a")
    assert user.locked_until is not None  # 12 failures ≥ 10
    assert _audit_count(session, lockout.LOGIN_FAILED, user_id) == 12


def test_unknown_users_and_inactive_users_are_audited(app: Flask, session: Any) -> None:
    _web_login(app, "nobody-here", WRONG)
    entry = session.scalar(select(AuditLog).where(AuditLog.action == lockout.LOGIN_FAILED)
                           .order_by(AuditLog.id.desc()))
    assert entry.user_id is None and entry.detail["username"] == "nobody-here"


def test_the_fund_officer_unlocks_on_the_screen(app: Flask, session: Any, officer_client: Any,
                                                dev_a_client: Any) -> None:
    user = _user(session, "dev_b")
    user.locked_until = utcnow() + dt.timedelta(minutes=10)
    session.commit()
    page = officer_client.get("/fund/locked-accounts/").get_data(as_text=True)
    assert 'data-username="dev_b"' in page
    assert dev_a_client.get("/fund/locked-accounts/").status_code in (302, 403)
    assert dev_a_client.post(f"/fund/locked-accounts/unlock/{user.id}").status_code in (302, 403)
    assert _user(session, "dev_b").locked_until is not None

    response = officer_client.post(f"/fund/locked-accounts/unlock/{user.id}")
    assert response.status_code == 302
    assert _user(session, "dev_b").locked_until is None
    assert _audit_count(session, lockout.UNLOCK) == 1
    assert 'data-username="dev_b"' not in officer_client.get("/fund/locked-accounts/").get_data(as_text=True)
    assert _logged_in(_web_login(app, "dev_b", DEMO_PASSWORD))
    assert officer_client.post("/fund/locked-accounts/unlock/999999").status_code == 404
