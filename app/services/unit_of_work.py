"""The one place that commits and rolls back.

Every service entry point runs its writes inside ``unit_of_work(session)`` (or is decorated with
``@transaction``): the work is committed when the block ends normally and rolled back when anything
is raised, so a refused request leaves nothing behind. Units nest: an inner unit (a transition run
by "save and submit") joins the outer one and only the outermost commits, so two services called
as one action succeed or fail together. Views and APIs never commit or roll back.
"""
from __future__ import annotations

import functools
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

from sqlalchemy.orm import Session

F = TypeVar("F", bound=Callable[..., Any])
_DEPTH = "unit_of_work_depth"


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """Commit what the block wrote when it ends, roll back if it raises (outermost unit only)."""
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        yield session
        if depth == 0:
            session.commit()
    except BaseException:
        if depth == 0:
            session.rollback()
        raise
    finally:
        session.info[_DEPTH] = depth


def in_unit_of_work(session: Session) -> bool:
    """Whether an enclosing unit will commit (so a caller must not)."""
    return session.info.get(_DEPTH, 0) > 0


def transaction(function: F) -> F:
    """Run a service function whose first argument is the session as one unit of work."""

    @functools.wraps(function)
    def wrapper(session: Session, *args: Any, **kwargs: Any) -> Any:
        with unit_of_work(session):
            return function(session, *args, **kwargs)

    return wrapper  # type: ignore[return-value]
