"""The parent blueprint every LMS page hangs from: ``lms.<domain>.<view>``."""

from __future__ import annotations

from flask import Blueprint, current_app, g, make_response, render_template, request
from flask_babel import format_number
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from markupsafe import Markup
from werkzeug.exceptions import ServiceUnavailable
from wtforms import ValidationError

from .accounts.identity import load_current_user
from .accounts.models import ADMIN, HR, TRAINER
from .accounts.views import bp as accounts_bp
from .brand import brand_urls
from .database import UNAVAILABLE
from .db import session, utcnow
from .headers import apply_security_headers, style_nonce
from .i18n import current_locale, gettext, html_lang, ngettext
from .layout import site_header
from .params import check_request
from .transaction import begin, finish, teardown

blueprint = Blueprint("lms", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/static")

from .assessments.grading import shown_score  # noqa: E402
from .assessments.review_views import bp as review_bp  # noqa: E402
from .assessments.views import bp as assessments_bp  # noqa: E402
from .authoring.views import bp as author_bp  # noqa: E402
from .certificates.views import bp as certificates_bp  # noqa: E402
from .content.render import render_trainee_text  # noqa: E402
from .learning.views import bp as learning_bp  # noqa: E402
from .notices.views import bp as notices_bp  # noqa: E402
from .reports.views import bp as hr_bp  # noqa: E402

blueprint.register_blueprint(accounts_bp)
blueprint.register_blueprint(learning_bp)
blueprint.register_blueprint(assessments_bp)
blueprint.register_blueprint(review_bp)
blueprint.register_blueprint(certificates_bp)
blueprint.register_blueprint(hr_bp)
blueprint.register_blueprint(notices_bp)
blueprint.register_blueprint(author_bp)


@blueprint.app_template_filter("lms_markdown")
def _markdown_filter(text: str) -> Markup:
    """Trainee-written Markdown (e.g. a training summary): line breaks kept, no images."""
    return Markup(render_trainee_text(text or ""))


@blueprint.app_template_filter("lms_score")
def _score_filter(score: float | None) -> str:
    """A score as every page shows it (``grading.shown_score``), without the percent sign."""
    shown = shown_score(score)
    return "" if shown is None else str(shown)


@blueprint.app_template_filter("lms_number")
def _number_filter(number: int) -> str:
    """A count as the user's language writes it: 10,000."""
    return format_number(number)


@blueprint.before_request
def _before_request() -> None:
    check_request()
    if request.endpoint == "lms.static":
        return  # files need no user (nor the database, which may be down)
    begin()  # before the first query: it decides how the request's transaction starts
    load_current_user()
    if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
        _check_csrf()


def _check_csrf() -> None:
    """Every state-changing LMS request carries the session's CSRF token (form or header).

    Checked here rather than by an app-wide CSRFProtect, so a host's own views are untouched.
    """
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    token = request.form.get("csrf_token") or request.headers.get("X-CSRFToken")
    try:
        validate_csrf(token)
    except ValidationError as error:
        raise CSRFError(error.args[0]) from None


blueprint.after_request(apply_security_headers)
blueprint.after_request(finish)
blueprint.teardown_request(teardown)


@blueprint.context_processor
def template_context() -> dict:
    return {
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
        "csrf_token": generate_csrf,
        "style_nonce": style_nonce,
        "lms_user": load_current_user(),
        "lms_locale": current_locale(),
        "lms_html_lang": html_lang(),
        "lms_site_name": current_app.config.get("LMS_SITE_NAME") or gettext("Collector Training"),
        "lms_local_accounts": not current_app.extensions["lms"].uses_host_identity,
        "ROLE_ADMIN": ADMIN, "ROLE_HR": HR, "ROLE_TRAINER": TRAINER,
        "lms_now": utcnow,
        "lms_brand": brand_urls(),
        "lms_site_header": site_header,
    }


def _error_page(error, status: int):
    headers = {"Retry-After": str(error.retry_after)} if getattr(error, "retry_after", None) else {}
    return render_template("lms/errors/error.html", error=error), status, headers


def _discard_transaction() -> None:
    try:
        session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone; the page must still answer
        current_app.logger.debug("rollback failed", exc_info=True)


def unavailable_page(error):
    """503 while the database cannot answer (down, hanging, too slow, no free connection): a page
    that asks the database nothing, with a retry hint and ``Retry-After``."""
    current_app.logger.error("database unavailable (%s): %s", request.path, error)
    _discard_transaction()
    # Nothing on the page may ask the database who is signed in (Flask-Login's template context does)
    g.lms_user = None
    if hasattr(current_app, "login_manager"):
        g._login_user = current_app.login_manager.anonymous_user()
    response = make_response(render_template("lms/errors/error.html", error=ServiceUnavailable(),
                                             **template_context()), 503)
    response.headers["Retry-After"] = str(current_app.config["LMS_RETRY_AFTER"])
    return response


def server_error_page(error):
    """500 with the LMS's own page, or 503 when the cause is the database being unavailable."""
    cause = getattr(error, "original_exception", None)
    if isinstance(cause, UNAVAILABLE):
        return unavailable_page(cause)
    _discard_transaction()
    return render_template("lms/errors/error.html", error=error, **template_context()), 500


@blueprint.errorhandler(CSRFError)
def _csrf_error(error):
    return _error_page(error, 400)


for _status in (400, 401, 403, 404, 405, 409, 413, 429):
    blueprint.register_error_handler(_status, lambda error, s=_status: _error_page(error, s))
blueprint.register_error_handler(500, server_error_page)
for _error in UNAVAILABLE:
    blueprint.register_error_handler(_error, unavailable_page)
