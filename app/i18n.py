"""Flask-Babel's translations, looked up once per request and language instead of on every call.

A page makes 150–200 ``gettext`` calls (our templates, FAB's, lazy strings). Flask-Babel 4
resolves each one from scratch: its context through three ``g`` proxy look-ups, the request's
locale (three more), ``str(locale)``, then its process-wide catalogue dictionary.
``RequestDomain`` keeps the translations object on the request's own Flask-Babel context
(``g._flask_babel``, where Flask-Babel keeps the request's locale), tagged with the very locale
object it was found for. ``force_locale`` and ``refresh`` replace that locale object, so the next
call finds the tag stale and looks up again: a language can never outlive the locale it was found
for, nor cross into another request or thread (each has its own application context and ``g``).
"""
from __future__ import annotations

from typing import Any, Union

from babel import support
from flask import Flask, g
from flask_babel import Domain, get_locale
from flask_babel import _get_current_context as babel_context

#: Attribute of the request's Flask-Babel context holding (locale, domain, translations).
KEPT = "jm_translations"
#: Flask-Babel's attribute of ``g`` holding its per-context state.
BABEL_STATE = "_flask_babel"

Translations = Union[support.Translations, support.NullTranslations]


class RequestDomain(Domain):
    """Flask-Babel's ``Domain`` whose translations are kept per request and locale."""

    def get_translations(self) -> Translations:
        try:
            # One proxy look-up instead of Flask-Babel's three; its helper creates the state.
            context = g._get_current_object().__dict__.get(BABEL_STATE) or babel_context()
        except RuntimeError:  # no application context: Flask-Babel's answer too
            return support.NullTranslations()
        locale = getattr(context, "babel_locale", None) or get_locale()
        kept = getattr(context, KEPT, None)
        if kept is not None and kept[0] is locale and kept[1] is self:
            return kept[2]
        translations = super().get_translations()
        setattr(context, KEPT, (locale, self, translations))
        return translations


def install(app: Flask) -> None:
    """Make a ``RequestDomain`` the app's default domain (FAB created the ``Babel`` instance) and
    give the templates' ``_``/``gettext`` the domain directly.

    Flask-Babel's template callables go through ``get_domain()`` (a per-request override set by
    ``Domain.as_default()``, which the platform never uses) on every call.
    """
    babel: Any = app.extensions["babel"].instance
    domain = babel.domain_instance
    if not isinstance(domain, RequestDomain):
        domain = RequestDomain(translation_directories=domain._translation_directories,
                               domain=";".join(domain.domain))
        # ``domain_instance`` is a cached_property: the instance attribute replaces it.
        babel.domain_instance = domain
    translations = domain.get_translations
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True)
