"""The order modules import in a bare interpreter: no app, no request, no translation looked up.

A lazy string evaluated at import (``str(_l(...))`` or an f-string in a class body) works by luck
outside an app and freezes the text in one language inside it, so the child process makes every
translation lookup fail while the modules are imported.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = (
    "app.services.orders.types.base",
    "app.services.orders.types.new_houses",
    "app.services.orders.types.area_collect",
    "app.services.orders.types.house_supplement",
    "app.services.orders.types",
    "app.services.orders.workflow",
    "app.services.orders.drafts",
    "app.services.orders.intake",
    "app.services.orders.documents",
    "app.views.orders_common",
    "app.views.orders_form",
    "app.views.orders",
    "app.views.review",
)

CHILD = """
import flask_babel, importlib, sys

def refuse(*args, **kwargs):
    raise RuntimeError("a translation was looked up at import time")

flask_babel.get_domain = refuse
for name in sys.argv[1:]:
    importlib.import_module(name)
from app.services.orders.types import registered_types
assert registered_types(), "no order handler registered"
flask_babel.get_domain = flask_babel.Domain
from app.services.orders.types.area_collect import AREA_FIELDS
assert isinstance(AREA_FIELDS["name"][0], flask_babel.LazyString)
print("imported", len(sys.argv) - 1)
"""


def run_child(*modules: str, path: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT}:{path}"}
    return subprocess.run([sys.executable, "-c", CHILD, *modules], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=env)


def test_order_modules_import_without_an_app() -> None:
    result = run_child(*MODULES)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"imported {len(MODULES)}"


def test_the_child_notices_a_translation_at_import(tmp_path: Path) -> None:
    (tmp_path / "eager_text.py").write_text(
        "from flask_babel import lazy_gettext as _l\n\n\n"
        "class Handler:\n    title = f\"{_l('Title')}\"\n", encoding="utf-8")
    result = run_child("eager_text", path=tmp_path)
    assert result.returncode != 0
    assert "a translation was looked up at import time" in result.stderr
