"""Domain errors: a translated message and an HTTP status.

Services raise them; ``app.views.errors`` flashes them on screens and the APIs turn them into JSON,
so a user sees the same text everywhere.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Iterable, Mapping

from flask_babel import lazy_gettext as _l

log = logging.getLogger(__name__)


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


#: Field name (as a service names it in a Problem) → the label the screens show for it.
#: Services and views register their own with ``register_field_labels``; the general ones are here.
FIELD_LABELS: dict[str, Any] = {
    "agreement": _l("Agreement"),
    "house": _l("House"),
    "houses": _l("Chosen houses"),
    "buildings": _l("Buildings"),
    "held": _l("Houses already on a notice"),
    "rows": _l("Rows"),
    "owners": _l("Owners"),
    "file": _l("File"),
    "payment_type": _l("Payment type"),
    "notice_number": _l("Notice number"),
    "bank_serial": _l("Bank serial number"),
    "channel": _l("Payment channel"),
    "paid_on": _l("Paid on"),
    "amount": _l("Amount"),
    "username": _l("User name"),
    "password": _l("Password"),
    "password_confirm": _l("Confirm password"),
    "email": _l("E-mail"),
    "name": _l("Name"),
    "phone": _l("Mobile phone"),
    "id_type": _l("ID type"),
    "id_no": _l("ID number"),
    "owner_name": _l("Owner name"),
    "contract_no": _l("Contract number"),
    "agent_name": _l("Agent"),
    "agent_phone": _l("Agent phone"),
    "agent_id_type": _l("ID type"),
    "agent_id_no": _l("Agent ID number"),
    "roles": _l("Roles"),
    "area_ids": _l("Property areas"),
    "active": _l("Active"),
    "opinion": _l("Opinion"),
    "basis": _l("Basis"),
    "rate": _l("Rate"),
    "min_floors": _l("Floors from"),
    "max_floors": _l("Floors to"),
    "effective_from": _l("Effective from"),
    "effective_to": _l("Effective until (exclusive)"),
    "area": _l("Property area"),
    "area_id": _l("Property area"),
    "area.name": _l("Property area name"),
}
#: What a service calls a field: identifiers such as ``id_no`` or ``area.name``. Anything else
#: (a house code, a location, an Excel column header) is already what the user knows it by.
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")


def register_field_labels(labels: Mapping[str, Any]) -> None:
    """Add or replace field labels (lazy translations), e.g. a business order's own fields."""
    FIELD_LABELS.update(labels)


def field_label(field: str) -> Any | None:
    """The label of a field name: itself, its dotted tail (``lines.3.id_no`` → ``id_no``)."""
    if field in FIELD_LABELS:
        return FIELD_LABELS[field]
    parts = field.split(".")
    for start in range(1, len(parts)):
        label = FIELD_LABELS.get(".".join(parts[start:]))
        if label is not None:
            return label
    return None


class Problem:
    """One thing wrong with the input: a field (or sheet/row/column) and a reason.

    ``field`` is what the screen uses to find and highlight the input; the user reads ``label``:
    the given one, else the registered label of the field (``FIELD_LABELS``), else the field
    itself when it is not an internal name (a house code, a column header), else nothing.
    """

    def __init__(self, field: str, reason: Any, *, row: int | None = None, value: Any = None,
                 sheet: str | None = None, label: Any = None) -> None:
        self.field = field
        self.reason = reason
        self.row = row
        self.value = value
        self.sheet = sheet
        self._label = label

    @property
    def label(self) -> str:
        """What the user calls the field, in the current language ("" when nothing fits)."""
        if self._label is not None:
            return str(self._label)
        label = field_label(self.field)
        if label is not None:
            return str(label)
        if _IDENTIFIER.match(self.field or ""):
            log.warning("no label registered for field %r; register_field_labels() it", self.field)
            return ""
        return self.field or ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"field": self.field, "label": self.label, "reason": str(self.reason)}
        if self.row is not None:
            data["row"] = self.row
        if self.sheet is not None:
            data["sheet"] = self.sheet
        if self.value is not None:
            data["value"] = str(self.value)
        return data

    def __str__(self) -> str:
        label, reason = self.label, str(self.reason)
        if self.row is not None and label:
            return str(_l("Row %(row)s, %(field)s: %(reason)s", row=self.row, field=label,
                          reason=reason))
        if self.row is not None:
            return str(_l("Row %(row)s: %(reason)s", row=self.row, reason=reason))
        return f"{label}: {reason}" if label else reason


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
