"""Audit trail helper: services call ``record`` inside their transaction."""
from __future__ import annotations

from typing import Any, Optional

from flask import has_request_context, request
from sqlalchemy.orm import Session

from app.models.audit import AuditLog


def record(session: Session, action: str, object_type: str, object_id: Optional[int], *,
           user_id: Optional[int] = None, org_id: Optional[int] = None,
           detail: Optional[dict[str, Any]] = None) -> AuditLog:
    entry = AuditLog(action=action, object_type=object_type, object_id=object_id, user_id=user_id,
                     org_id=org_id, detail=detail,
                     ip=request.remote_addr if has_request_context() else None)
    session.add(entry)
    return entry
