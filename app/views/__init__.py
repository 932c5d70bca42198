"""Screens. Each module here defines ``register(appbuilder)``; menus come first, in a fixed order."""
from __future__ import annotations

from flask_appbuilder import AppBuilder


def register_all(appbuilder: AppBuilder) -> None:
    from app.discovery import iter_modules
    from app.views.menus import create_categories

    create_categories(appbuilder)
    modules = list(iter_modules("app.views")) + list(iter_modules("app.api"))
    for module in sorted(modules, key=lambda m: getattr(m, "REGISTER_ORDER", 50)):
        register = getattr(module, "register", None)
        if register is not None:
            register(appbuilder)
