"""The one password rule, enforced everywhere a password is set: the organisation-user screens,
registration, self-service and admin reset, the admin user screen, the REST user API and the CLI."""
from __future__ import annotations

import re
from typing import Any, Callable, Optional

from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext as _
from wtforms.validators import ValidationError

MIN_LENGTH = 8


def password_problem(password: str | None, username: str | None = None) -> str | None:
    """Return a translated reason why ``password`` is too weak for ``username``, or None."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return _("The password must be at least %(n)d characters long.", n=MIN_LENGTH)
    classes = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    if classes < 3:
        return _("The password must contain at least three of: lower-case letters, "
                 "upper-case letters, digits, symbols.")
    if username and username.strip() and username.strip().lower() in password.lower():
        return _("The password must not contain the user name.")
    return None


def check_password_complexity(password: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: FAB turns this exception into its form's or its REST
    schema's validation error (anything else would be a 500 in the REST user API). FAB gives no
    user name here; the screens that set a password use ``PasswordRule`` with the user's name."""
    problem = password_problem(password)
    if problem:
        raise PasswordComplexityValidationError(problem)


class PasswordRule:
    """WTForms validator: the platform's password rule for the user ``username_of(form)`` names."""

    def __init__(self, username_of: Callable[[Any], Optional[str]]) -> None:
        self.username_of = username_of

    def __call__(self, form: Any, field: Any) -> None:
        problem = password_problem(field.data, self.username_of(form))
        if problem:
            raise ValidationError(problem)
