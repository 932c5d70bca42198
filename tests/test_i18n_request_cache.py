"""The translations kept per request (app/i18n.py) follow each request's language and never leak
between requests, threads or a ``force_locale`` block."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Iterator

from babel import support
from flask import Flask, render_template_string, session
from flask_babel import force_locale, get_domain, gettext, refresh

from app.i18n import KEPT, RequestDomain


@contextmanager
def _request(app: Flask, path: str = "/") -> Iterator[None]:
    """A request with its own application context (and so its own ``g``), as in production."""
    with app.app_context(), app.test_request_context(path):
        yield


def test_the_app_domain_keeps_translations_per_request(app: Flask) -> None:
    with _request(app):
        assert isinstance(get_domain(), RequestDomain)
        assert gettext("Logout") == "退出登录"
        from flask import g

        locale, domain, translations = getattr(g._flask_babel, KEPT)
        assert str(locale) == "zh" and domain is get_domain()
        assert get_domain().get_translations() is translations


def test_two_requests_in_one_thread_get_their_own_language(app: Flask) -> None:
    for _ in range(2):
        with _request(app, "/?_l_=en"):
            assert gettext("Logout") == "Logout"
            assert render_template_string("{{ _('Logout') }}") == "Logout"
        with _request(app, "/"):
            assert gettext("Logout") == "退出登录"
            assert render_template_string("{{ _('Logout') }}") == "退出登录"


def test_force_locale_switches_and_restores_within_a_request(app: Flask) -> None:
    with _request(app):
        assert gettext("Logout") == "退出登录"
        with force_locale("en"):
            assert gettext("Logout") == "Logout"
            assert render_template_string("{{ _('Logout') }}") == "Logout"
        assert gettext("Logout") == "退出登录"
        assert render_template_string("{{ _('Logout') }}") == "退出登录"


def test_refresh_after_a_language_change_takes_the_new_language(app: Flask) -> None:
    with _request(app):
        assert gettext("Logout") == "退出登录"
        session["locale"] = "en"
        refresh()
        assert gettext("Logout") == "Logout"


def test_threads_in_different_languages_keep_their_own(app: Flask) -> None:
    barrier = threading.Barrier(2)
    seen: dict[str, set[str]] = {"en": set(), "zh": set()}

    def clerk(language: str) -> None:
        for _ in range(20):
            with _request(app, f"/?_l_={language}"):
                barrier.wait(timeout=10)  # both threads inside a request at once
                seen[language].add(gettext("Logout"))
                seen[language].add(render_template_string("{{ _('Logout') }}"))

    threads = [threading.Thread(target=clerk, args=(language,)) for language in seen]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert seen == {"en": {"Logout"}, "zh": {"退出登录"}}


def test_pages_of_two_clients_in_different_languages_alternate(client_for: Any) -> None:
    english, chinese = client_for("dev_a"), client_for("dev_b")
    english.get("/lang/en")
    for _ in range(2):
        assert "Record Count" in english.get("/property/houses/list/").get_data(as_text=True)
        assert "记录数" in chinese.get("/property/houses/list/").get_data(as_text=True)


def test_outside_an_application_context_nothing_is_translated() -> None:
    assert isinstance(RequestDomain().get_translations(), support.NullTranslations)
