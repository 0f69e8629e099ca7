"""Translation helpers bound to the LMS's own catalogue."""

from __future__ import annotations

import functools

from babel import Locale
from flask import current_app, g, has_request_context, session
from flask_babel import get_locale

from .extensions import babel_domain

gettext = babel_domain.gettext
ngettext = babel_domain.ngettext
lazy_gettext = babel_domain.lazy_gettext
_ = gettext

LOCALE_SESSION_KEY = "lms_locale"


def available_locales() -> list[str]:
    return list(current_app.config["LMS_LOCALES"])


def select_locale() -> Locale:
    """The user's chosen language, then the session's, then the configured default."""
    if has_request_context():
        user = g.get("lms_user")
        if user is not None and user.locale in available_locales():
            return _parsed(user.locale)
        chosen = session.get(LOCALE_SESSION_KEY)
        if chosen in available_locales():
            return _parsed(chosen)
    return _parsed(current_app.config["LMS_LOCALE"])


@functools.lru_cache(maxsize=16)
def _parsed(name: str) -> Locale:
    """Babel parses a locale name afresh each time; every request asks for one."""
    return Locale.parse(name)


def current_locale() -> str:
    """The configured locale (e.g. ``zh_CN``) the page is shown in."""
    locale = get_locale()
    if locale is None:
        return current_app.config["LMS_LOCALE"]
    return _configured_name(locale.language, locale.territory, tuple(available_locales()),
                            current_app.config["LMS_LOCALE"])


@functools.lru_cache(maxsize=64)
def _configured_name(language: str, territory: str | None, names: tuple[str, ...], default: str) -> str:
    """The configured locale name that matches a language (and territory); every page asks."""
    for name in names:
        candidate = Locale.parse(name)
        if (candidate.language, candidate.territory) == (language, territory):
            return name
    return next((n for n in names if Locale.parse(n).language == language), default)


def html_lang() -> str:
    """The BCP 47 tag for ``<html lang>``: zh-CN, en."""
    return current_locale().replace("_", "-")
