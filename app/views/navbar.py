"""The navbar's menu, rendered once per set of permissions instead of on every page.

Deciding which entries a user may open costs one permission check per entry (about forty a page)
and their translation: a fifth of a list page's CPU time. What the menu shows depends only on the
permissions the user's roles hold, the entries' menu conditions, the language and the URL prefix,
so the rendered HTML is kept under exactly those. The permissions in the key are the ones read
from the database for this request (``PlatformSecurityManager.granted_for``), not a version number:
a permission granted or taken away, by this process or another one, gives another key at the next
request, and nothing has to be told to forget anything.
"""
from __future__ import annotations

import threading
from typing import Any, Optional

from flask import current_app, g, request
from flask_appbuilder import AppBuilder
from flask_babel import get_locale
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from app.security.tenant import current_user

#: Different keys in use at once: a few per role combination and language. Beyond this (roles
#: edited all day) the oldest half is forgotten.
MAX_ENTRIES = 256


class MenuCache:
    def __init__(self) -> None:
        self._entries: dict[tuple, Markup] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Optional[Markup]:
        return self._entries.get(key)

    def put(self, key: tuple, html: Markup) -> None:
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                for old in list(self._entries)[:MAX_ENTRIES // 2]:
                    self._entries.pop(old, None)
            self._entries[key] = html

    def __len__(self) -> int:
        return len(self._entries)


def _key(menu: Any) -> Optional[tuple]:
    """What the rendered menu depends on, or None when it is not to be kept (no user logged in, or
    a role whose permissions FAB keeps in configuration)."""
    user = current_user()
    if user is None or getattr(g, "_api_key_user", False):
        return None
    sm = current_app.appbuilder.sm
    roles = list(user.roles or [])
    if any(role.name in sm.builtin_roles for role in roles):
        return None
    granted = sm.granted_for(role.id for role in roles)
    conditions = tuple(bool(item.should_render()) for item in _items(menu) if item.cond is not None)
    return str(get_locale()), request.script_root, conditions, granted


def _items(menu: Any) -> list:
    return [child for item in menu.get_list() for child in [item, *(item.childs or [])] if child]


@pass_context
def render_menu(context: Context, menu: Any) -> Markup:
    """platform_menu.html in the page's own context (its translations among it), or as kept."""
    cache: MenuCache = current_app.extensions["jm.menu_cache"]
    key = _key(menu)
    html = cache.get(key) if key is not None else None
    if html is None:
        template = context.environment.get_template("platform_menu.html")
        html = Markup(template.render({**context.get_all(), "menu": menu}))
        if key is not None:
            cache.put(key, html)
    return html


def register(appbuilder: AppBuilder) -> None:
    app = appbuilder.app
    app.extensions["jm.menu_cache"] = MenuCache()
    app.jinja_env.globals["jm_menu"] = render_menu
