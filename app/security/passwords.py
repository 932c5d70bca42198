"""Password complexity, enforced everywhere a password is set (FAB forms, registration, REST)."""
from __future__ import annotations

import re

from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext as _

MIN_LENGTH = 8


def password_problem(password: str | None) -> str | None:
    """Return a translated reason why ``password`` is too weak, or None."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return _("The password must be at least %(n)d characters long.", n=MIN_LENGTH)
    classes = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    if classes < 3:
        return _("The password must contain at least three of: lower-case letters, "
                 "upper-case letters, digits, symbols.")
    return None


def check_password_complexity(password: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: FAB turns this exception into its form's or its REST
    schema's validation error (anything else would be a 500 in the REST user API)."""
    problem = password_problem(password)
    if problem:
        raise PasswordComplexityValidationError(problem)
