"""Server-side sessions: logout ends a session, a new password or deactivation ends the others.

A signed cookie alone cannot be taken back: a copy keeps working until it expires. So every web
login and every JWT login gets a row in ``auth_session`` (shared by all workers through the
database); the cookie holds the row's random key under ``SESSION_KEY`` and both JWTs (access and
refresh) the same key in their ``SID_CLAIM``. A request is signed in only while its row lives.

* logout deletes the row of that session;
* a changed password or a deactivated account deletes every row of the user except the session
  making the change (checked on every flush, so no code path that sets a password can forget);
* rows past their lifetime are ignored and swept at the next login.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any, Optional

from flask import Flask, current_app, g, has_request_context
from flask import session as cookie
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import ColumnElement, delete, event, exists, inspect, select
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.security.models import AuthSession

#: Key of the session id in Flask's signed cookie, and claim of it in the JWTs.
SESSION_KEY = "_jm_sid"
SID_CLAIM = "jm_sid"
WEB, API = "web", "api"
_SESSIONS = AuthSession.__table__


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def lifetime(kind: str) -> dt.timedelta:
    """How long a session may live: the cookie's lifetime, or the refresh token's for the API."""
    config = current_app.config
    if kind == API:
        refresh = config.get("JWT_REFRESH_TOKEN_EXPIRES", dt.timedelta(days=30))
        return refresh if isinstance(refresh, dt.timedelta) else dt.timedelta(days=30)
    return config["PERMANENT_SESSION_LIFETIME"]


def start(db_session: Session, user_id: int, kind: str) -> str:
    """A new session of the user; returns its key (the row keeps only the hash). Commits."""
    now = utcnow()
    db_session.execute(delete(AuthSession).where(AuthSession.expires_at < now))
    key = secrets.token_urlsafe(32)
    db_session.add(AuthSession(key_hash=key_hash(key), user_id=user_id, kind=kind, created_at=now,
                               expires_at=now + lifetime(kind)))
    db_session.commit()
    return key


def usable_key(key: Any) -> bool:
    return bool(key) and isinstance(key, str)


def live(key: str, user_id: Any) -> ColumnElement[bool]:
    """SQL condition: the session ``key`` exists, belongs to ``user_id`` (a value or a column,
    e.g. the user's id in the query loading that user) and has not expired."""
    return exists().where(AuthSession.key_hash == key_hash(key), AuthSession.user_id == user_id,
                          AuthSession.expires_at > utcnow())


def end(db_session: Session, key: Optional[str]) -> None:
    """Delete one session (logout). Commits."""
    if key:
        db_session.execute(delete(AuthSession).where(AuthSession.key_hash == key_hash(key)))
        db_session.commit()


def count(db_session: Session, user_id: int) -> int:
    return len(db_session.scalars(select(AuthSession.key_hash).where(AuthSession.user_id == user_id)).all())


def current_key() -> Optional[str]:
    """The key of the session making this request (cookie or verified JWT), if any."""
    if not has_request_context():
        return None
    claims = g.get("_jwt_extended_jwt") or {}
    return claims.get(SID_CLAIM) or cookie.get(SESSION_KEY)


def _credentials_changed(user: User) -> bool:
    state = inspect(user)
    if state.attrs.password.history.has_changes():
        return True
    active = state.attrs.active.history
    return bool(active.has_changes() and active.added and not active.added[0])


def _end_other_sessions_on_credential_change(db_session: Session, _context: Any) -> None:
    """``after_flush``: a new password or a deactivation ends the user's other sessions.

    Runs in the flush's own transaction, so the sessions end exactly when the change commits.
    """
    users = [obj for obj in db_session.dirty if isinstance(obj, User) and _credentials_changed(obj)]
    if not users:
        return
    keep = current_key()
    connection = db_session.connection()
    for user in users:
        statement = _SESSIONS.delete().where(_SESSIONS.c.user_id == user.id)
        if keep and user.active:
            statement = statement.where(_SESSIONS.c.key_hash != key_hash(keep))
        connection.execute(statement)


def jwt_claims(identity: Any) -> dict[str, str]:
    """``additional_claims_loader``: both tokens of one login share a session; a refreshed access
    token keeps the session of the refresh token it came from."""
    refreshing = g.get("_jwt_extended_jwt") or {}
    if refreshing.get(SID_CLAIM):
        return {SID_CLAIM: refreshing[SID_CLAIM]}
    fresh_keys = g.setdefault("_jm_new_api_sessions", {})
    if str(identity) not in fresh_keys:
        from app.extensions import db

        fresh_keys[str(identity)] = start(db.session, int(identity), API)
    return {SID_CLAIM: fresh_keys[str(identity)]}


def on_web_login(_app: Flask, user: Any) -> None:
    """``user_logged_in``: a fresh server-side session for the fresh cookie."""
    from app.extensions import db

    cookie[SESSION_KEY] = start(db.session, user.id, WEB)


def on_web_logout(_app: Flask, user: Any) -> None:
    """``user_logged_out``: the session ends on the server, not only in this browser."""
    from app.extensions import db

    end(db.session, cookie.pop(SESSION_KEY, None))


def install(app: Flask) -> None:
    from flask_login import user_logged_in, user_logged_out

    # FAB hands over ``current_app``; blinker keys senders by identity, so use the real app.
    app = app._get_current_object() if hasattr(app, "_get_current_object") else app
    user_logged_in.connect(on_web_login, app)
    user_logged_out.connect(on_web_logout, app)
    if not event.contains(Session, "after_flush", _end_other_sessions_on_credential_change):
        event.listen(Session, "after_flush", _end_other_sessions_on_credential_change)
