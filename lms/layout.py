"""The page header every LMS page shows, rendered once per person, language and mount point.

It holds only what the key names (the person's name, department and roles; the language; the
site's name and logo; where the LMS is mounted): a name or role change is a new key. The two
things that differ per request, the session's CSRF token and the page's own address (where the
language switch returns), are put in after rendering.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from .accounts.identity import load_current_user
from .accounts.models import ADMIN, HR, TRAINER
from .i18n import current_locale, gettext
from .memo import LatestCache

#: Headers kept per process, the least recently used dropped first.
_rendered = LatestCache(size=4096, per_database=False)
#: Stand-ins no rendered text contains (Unicode private use), replaced per request.
CSRF_MARK = "\ue000csrf\ue000"
NEXT_MARK = "\ue000next\ue000"


def site_header(brand: dict[str, str], site_name: str) -> Markup:
    user = load_current_user()
    local_accounts = not current_app.extensions["lms"].uses_host_identity
    person = (user.id, user.display_name, user.department, user.roles) if user is not None else None
    key = (person, current_locale(), site_name, brand.get("logo"), local_accounts,
           current_app.config["LMS_URL_PREFIX"], request.script_root)
    html = _rendered.get(key, True)
    if html is None:
        html = render_template("lms/_site_header.html", lms_user=user, lms_locale=key[1],
                               lms_site_name=site_name, lms_local_accounts=local_accounts,
                               brand=brand, _=gettext, ROLE_ADMIN=ADMIN, ROLE_HR=HR,
                               ROLE_TRAINER=TRAINER, csrf_placeholder=CSRF_MARK,
                               next_placeholder=NEXT_MARK)
        _rendered.put(key, True, html)
    if CSRF_MARK in html:
        html = html.replace(CSRF_MARK, escape(generate_csrf()))
    return Markup(html.replace(NEXT_MARK, escape(request.full_path.rstrip("?"))))
