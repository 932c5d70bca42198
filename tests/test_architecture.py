"""The layering rules, checked on the source (ast), so a new module cannot quietly break them.

- Services never read Flask's request globals: the view passes the actor, request facts and
  settings as arguments.
- Views and APIs never commit or roll back: the service entry point owns its unit of work
  (app/services/unit_of_work.py), the only service code that commits.
- The start-up steps and the views do not import each other.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"

#: Names a service must not import: they only mean something inside a request or app context.
REQUEST_GLOBALS = {
    "flask": {"request", "g", "session", "flash", "current_user", "current_app",
              "has_request_context", "has_app_context"},
    "flask_login": {"current_user"},
    "app.security.tenant": {"current_user", "current_scope"},
}
SERVICE_ALLOW: dict[str, set[str]] = {}
VIEW_TRANSACTION_ALLOW: set[str] = set()
#: Services that commit by hand: unit_of_work.py is the helper itself; ``outbox.deliver_pending``
#: commits once per message by design (one delivery outcome per transaction).
SERVICE_TRANSACTION_ALLOW = {"app/services/unit_of_work.py", "app/services/outbox.py"}


def _modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (APP / folder).rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def forbidden_imports(source: str) -> list[tuple[int, str]]:
    """(line, "module.name") of every request global ``source`` imports, at any depth."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module in REQUEST_GLOBALS:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names
                      if alias.name in REQUEST_GLOBALS[node.module]]
        elif isinstance(node, ast.Import):
            # ``import flask`` then ``flask.request`` would dodge the from-import check.
            found += [(node.lineno, alias.name) for alias in node.names
                      if alias.name in ("flask", "flask_login")]
    return found


def transaction_calls(source: str) -> list[tuple[int, str]]:
    """(line, name) of every ``.commit(`` / ``.rollback(`` call in ``source``."""
    return [(node.lineno, node.func.attr) for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("commit", "rollback")]


def test_services_take_request_facts_as_arguments() -> None:
    offenders = []
    for path in _modules("services"):
        allowed = SERVICE_ALLOW.get(_rel(path), set())
        offenders += [f"{_rel(path)}:{line} imports {name}"
                      for line, name in forbidden_imports(path.read_text(encoding="utf-8"))
                      if name.rsplit(".", 1)[-1] not in allowed]
    assert offenders == []


def _transaction_offenders(folders: tuple[str, ...], allowed: set[str]) -> list[str]:
    return [f"{_rel(path)}:{line} calls .{name}()"
            for path in _modules(*folders) if _rel(path) not in allowed
            for line, name in transaction_calls(path.read_text(encoding="utf-8"))]


def test_views_and_apis_leave_the_transaction_to_services() -> None:
    assert _transaction_offenders(("views", "api"), VIEW_TRANSACTION_ALLOW) == []


def test_only_the_unit_of_work_commits_in_services() -> None:
    assert _transaction_offenders(("services",), SERVICE_TRANSACTION_ALLOW) == []


def test_allow_lists_name_existing_modules() -> None:
    """A renamed or deleted module must leave the allow-lists, or they would hide nothing."""
    for rel in [*SERVICE_ALLOW, *VIEW_TRANSACTION_ALLOW, *SERVICE_TRANSACTION_ALLOW]:
        assert (ROOT / rel).is_file(), rel


@pytest.mark.parametrize("source, expected", [
    ("from flask import request, jsonify", [(1, "flask.request")]),
    ("def f():\n    from flask import g as flask_g", [(2, "flask.g")]),
    ("import flask", [(1, "flask")]),
    ("from flask_login import current_user", [(1, "flask_login.current_user")]),
    ("from app.security.tenant import Scope, current_scope", [(1, "app.security.tenant.current_scope")]),
    ("from flask_babel import lazy_gettext as _l\nfrom flask import Flask", []),
])
def test_forbidden_imports_are_found(source: str, expected: list[tuple[int, str]]) -> None:
    assert forbidden_imports(source) == expected


@pytest.mark.parametrize("source, expected", [
    ("db.session.commit()", [(1, "commit")]),
    ("def f(s):\n    s.rollback()", [(2, "rollback")]),
    ("session.flush()\nrollback = 1", []),
])
def test_transaction_calls_are_found(source: str, expected: list[tuple[int, str]]) -> None:
    assert transaction_calls(source) == expected


def _imports_of(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


def test_views_do_not_import_the_start_up_steps() -> None:
    """app/init.py imports the views to register them; the views must not import it back."""
    offenders = [_rel(path) for path in _modules("views", "api", "cli")
                 if "app.init" in _imports_of(path)]
    assert offenders == []
