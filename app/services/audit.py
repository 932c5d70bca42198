"""Audit trail helper: services call ``record`` inside their transaction.

Where a request came from is a fact the view layer knows, not this module: it passes the client
address to ``record`` as ``ip=``, or attaches it once per request to the session with
``attach_request_facts`` (app/init.py does so before every request), so the services an action
runs through record it without each of them taking it as an argument.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy.orm import Session, scoped_session

from app.models.audit import AuditLog

_FACTS_KEY = "request_facts"


@dataclass(frozen=True)
class RequestFacts:
    """Where the current request came from, as the view layer saw it."""

    ip: Optional[str] = None


def attach_request_facts(session: Session | scoped_session, facts: RequestFacts) -> None:
    """Let every audit row written through ``session`` carry ``facts`` (until replaced)."""
    session.info[_FACTS_KEY] = facts


def request_facts(session: Session | scoped_session) -> RequestFacts:
    return session.info.get(_FACTS_KEY) or RequestFacts()


def record(session: Session, action: str, object_type: str, object_id: Optional[int], *,
           user_id: Optional[int] = None, org_id: Optional[int] = None,
           detail: Optional[dict[str, Any]] = None, ip: Optional[str] = None) -> AuditLog:
    """Add an audit row; ``ip`` defaults to the address attached to the session, if any."""
    entry = AuditLog(action=action, object_type=object_type, object_id=object_id, user_id=user_id,
                     org_id=org_id, detail=detail, ip=ip or request_facts(session).ip)
    session.add(entry)
    return entry
