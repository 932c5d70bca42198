"""Account lockout beside the per-address rate limit: too many failed logins lock the account.

The per-address limit (AUTH_RATE_LIMIT) cannot stop guessing from many addresses; this one counts
per account. ``max_failures`` failed logins within ``window`` lock the account for ``duration``;
while locked, even the right password is refused. A fund officer can unlock earlier. Every login,
failure, lock and unlock is written to the audit log; sign-in rows name the user, not the
organisation: they record no change to the organisation's data.

The failure counter is raised with one UPDATE, so concurrent logins in several workers count every
failure (the row lock orders them).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models.base import utcnow
from app.security.models import PlatformUser
from app.services import audit
from app.services.unit_of_work import transaction

LOGIN, LOGIN_FAILED, LOGIN_LOCKED, UNLOCK = "user.login", "user.login_failed", "user.locked", "user.unlock"


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 10
    window: dt.timedelta = dt.timedelta(minutes=15)
    duration: dt.timedelta = dt.timedelta(minutes=15)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "LockoutPolicy":
        return cls(max_failures=int(config.get("LOCKOUT_MAX_FAILURES", 10)),
                   window=dt.timedelta(minutes=int(config.get("LOCKOUT_WINDOW_MINUTES", 15))),
                   duration=dt.timedelta(minutes=int(config.get("LOCKOUT_MINUTES", 15))))


def locked_until(session: Session, user_id: int, now: Optional[dt.datetime] = None) -> Optional[dt.datetime]:
    """When the user's lock ends, or None if the account is not locked now."""
    until = session.scalar(select(PlatformUser.locked_until).where(PlatformUser.id == user_id))
    return until if until is not None and until > (now or utcnow()) else None


@transaction
def register_failure(session: Session, user: PlatformUser, policy: LockoutPolicy,
                     now: Optional[dt.datetime] = None) -> Optional[dt.datetime]:
    """Count a failed login of ``user``; returns the end of the lock it caused, if any. Commits."""
    now = now or utcnow()
    fresh = or_(PlatformUser.lockout_window_start.is_(None), PlatformUser.lockout_window_start < now - policy.window)
    session.execute(update(PlatformUser).where(PlatformUser.id == user.id).values(
        lockout_failures=case((fresh, 1), else_=PlatformUser.lockout_failures + 1),
        lockout_window_start=case((fresh, now), else_=PlatformUser.lockout_window_start),
    ).execution_options(synchronize_session=False))
    failures = session.scalar(select(PlatformUser.lockout_failures).where(PlatformUser.id == user.id))
    until = None
    if failures >= policy.max_failures:
        until = now + policy.duration
        session.execute(update(PlatformUser).where(PlatformUser.id == user.id).values(
            locked_until=until, lockout_failures=0, lockout_window_start=None,
        ).execution_options(synchronize_session=False))
    audit.record(session, LOGIN_FAILED, "user", user.id, user_id=user.id,
                 detail={"failures": failures, "locked_until": until.isoformat() if until else None})
    if until is not None:
        audit.record(session, LOGIN_LOCKED, "user", user.id, user_id=user.id,
                     detail={"until": until.isoformat(), "failures": failures})
    session.expire(user)
    return until


@transaction
def register_refusal(session: Session, user: Optional[PlatformUser], username: str, reason: str) -> None:
    """A login refused before its password was judged (locked, inactive, unknown user). Commits."""
    detail: dict[str, Any] = {"reason": reason}
    if user is None:
        detail["username"] = (username or "")[:64]
    audit.record(session, LOGIN_FAILED, "user", getattr(user, "id", None), user_id=getattr(user, "id", None),
                 detail=detail)


@transaction
def register_success(session: Session, user: PlatformUser) -> None:
    """A successful login clears the failure count. Commits."""
    session.execute(update(PlatformUser).where(PlatformUser.id == user.id).values(
        lockout_failures=0, lockout_window_start=None, locked_until=None,
    ).execution_options(synchronize_session=False))
    audit.record(session, LOGIN, "user", user.id, user_id=user.id)
    session.expire(user)


def locked_accounts(session: Session, now: Optional[dt.datetime] = None) -> list[PlatformUser]:
    """Accounts locked now, the lock ending soonest first."""
    return list(session.scalars(select(PlatformUser).where(PlatformUser.locked_until > (now or utcnow()))
                                .order_by(PlatformUser.locked_until, PlatformUser.username)))


@transaction
def unlock(session: Session, user_id: Any, *, actor_id: int) -> PlatformUser:
    """The fund office lifts a lock (and the failures counted so far). Commits."""
    try:
        ident = int(user_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    user = session.get(PlatformUser, ident)
    if user is None:
        raise NotFound()
    was = user.locked_until
    user.locked_until = None
    user.lockout_failures = 0
    user.lockout_window_start = None
    audit.record(session, UNLOCK, "user", user.id, user_id=actor_id, org_id=user.org_id,
                 detail={"username": user.username, "was_locked_until": was.isoformat() if was else None})
    return user
