"""Domain errors: a translated message and an HTTP status.

Services raise them; ``app.views.errors`` flashes them on screens and the APIs turn them into JSON,
so a user sees the same text everywhere.
"""
from __future__ import annotations

from typing import Any, Iterable

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A business rule said no. ``problems`` lists field- or row-level details."""

    status = 400
    default_message = _l("The request could not be completed.")

    def __init__(self, message: Any = None, problems: Iterable["Problem"] | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.problems = list(problems or [])
        super().__init__(str(self.message))

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": str(self.message),
            "problems": [p.to_dict() for p in self.problems],
        }


class Problem:
    """One thing wrong with the input: a field (or sheet/row/column) and a reason."""

    def __init__(self, field: str, reason: Any, *, row: int | None = None, value: Any = None,
                 sheet: str | None = None) -> None:
        self.field = field
        self.reason = reason
        self.row = row
        self.value = value
        self.sheet = sheet

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"field": self.field, "reason": str(self.reason)}
        if self.row is not None:
            data["row"] = self.row
        if self.sheet is not None:
            data["sheet"] = self.sheet
        if self.value is not None:
            data["value"] = str(self.value)
        return data

    def __str__(self) -> str:
        where = self.field if self.row is None else f"{self.row}:{self.field}"
        return f"{where}: {self.reason}"


class ValidationFailed(DomainError):
    status = 422
    default_message = _l("Please correct the marked fields.")


class NotFound(DomainError):
    status = 404
    default_message = _l("Not found.")


class PermissionDenied(DomainError):
    status = 403
    default_message = _l("You are not allowed to do this.")


class Conflict(DomainError):
    status = 409
    default_message = _l("Someone else changed this at the same time; reload and try again.")


class InvalidTransition(Conflict):
    default_message = _l("This action is not possible in the current status.")
