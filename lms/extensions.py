"""Extension objects created once and bound to an app in ``LMS.init_app``."""

from __future__ import annotations

from flask import g, has_app_context
from flask_babel import Domain
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy

from .paths import PACKAGE_DIR

#: Used only when the app has no Flask-SQLAlchemy of its own.
db = SQLAlchemy()
#: Used only when the host supplies no identity loader (standalone accounts).
login_manager = LoginManager()


class CatalogueDomain(Domain):
    """Flask-Babel's domain, with the catalogue of the request's locale kept for the request: a
    page translates a hundred strings, and Flask-Babel looks the locale and the catalogue up
    again, through Flask's context proxies, for each one. ``force_locale`` sets another locale
    object, so a string translated inside it is looked up afresh."""

    def get_translations(self):
        context = getattr(g._get_current_object(), "_flask_babel", None) if has_app_context() else None
        kept = getattr(context, "lms_translations", None)
        if kept is not None and kept[0] is getattr(context, "babel_locale", None):
            return kept[1]
        translations = super().get_translations()
        context = getattr(g._get_current_object(), "_flask_babel", None) if has_app_context() else None
        if context is not None and getattr(context, "babel_locale", None) is not None:
            context.lms_translations = (context.babel_locale, translations)
        return translations


#: The LMS's own message catalogue, so a host's Babel set-up keeps working.
babel_domain = CatalogueDomain(translation_directories=[str(PACKAGE_DIR / "translations")], domain="lms")
