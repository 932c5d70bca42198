"""The one place that commits and rolls back: every service entry point runs in a unit of work.

``with unit_of_work(session):`` commits when the block ends normally and rolls back on any
exception, which it re-raises; ``@transaction`` does the same around a whole function whose
session is its first argument (or its ``session`` keyword). Units nest: an inner one joins the
outermost, which alone commits or rolls back, so one service may call another ("save and submit")
and a refusal half-way leaves nothing behind. Helpers called by entry points never commit; they
``flush`` when they need ids or want a lost race to surface as a domain error before the commit.

Views and APIs never commit or roll back (tests/test_architecture.py checks it).
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import wraps
from typing import Any, Callable, Iterator, TypeVar

from sqlalchemy.orm import Session, scoped_session

F = TypeVar("F", bound=Callable[..., Any])

#: Key in ``Session.info`` holding how many units of work are open on that session.
_DEPTH = "unit_of_work_depth"


@contextmanager
def unit_of_work(session: Session | scoped_session) -> Iterator[Session | scoped_session]:
    """Commit at the end of the block, roll back and re-raise on any exception (outermost only)."""
    info = session.info  # a scoped session proxies it to the session of the current scope
    depth = info.get(_DEPTH, 0)
    info[_DEPTH] = depth + 1
    try:
        yield session
        if depth == 0:
            session.commit()
    except BaseException:
        if depth == 0:
            session.rollback()
        raise
    finally:
        info[_DEPTH] = depth


def _session_of(func: Callable[..., Any], args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Session | scoped_session:
    candidate = kwargs.get("session", args[0] if args else None)
    if not isinstance(candidate, (Session, scoped_session)):
        raise TypeError(f"{func.__qualname__}: @transaction needs the session as first argument")
    return candidate


def transaction(func: F) -> F:
    """Run ``func`` in a unit of work on the session it is given (first argument or ``session=``)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with unit_of_work(_session_of(func, args, kwargs)):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def flush_or_roll_back(session: Session | scoped_session) -> None:
    """Flush now (e.g. for a new row's id); a failed flush leaves the transaction unusable, so it is
    rolled back before the error goes on. For screens whose commit FAB's ``datamodel`` owns."""
    try:
        session.flush()
    except BaseException:
        session.rollback()
        raise


def in_unit_of_work(session: Session | scoped_session) -> bool:
    """Whether an enclosing unit will commit (so a caller must not, nor read after a failed flush)."""
    return session.info.get(_DEPTH, 0) > 0
