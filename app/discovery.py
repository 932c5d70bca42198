"""Find the modules of a package, so new views, APIs and commands register themselves.

Its own module, importing nothing of the app: both the start-up steps (``app.init``) and the
packages they discover (``app.views``) use it without importing each other.
"""
from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Iterator


def iter_modules(package_name: str) -> Iterator[ModuleType]:
    """Import every module of a package, in name order, skipping private ``_name`` modules."""
    package = importlib.import_module(package_name)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{package_name}.{info.name}")
