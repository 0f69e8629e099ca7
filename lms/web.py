"""The parent blueprint every LMS page hangs from: ``lms.<domain>.<view>``."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from markupsafe import Markup
from wtforms import ValidationError

from .accounts.identity import load_current_user
from .accounts.models import ADMIN, HR, TRAINER
from .accounts.views import bp as accounts_bp
from .db import utcnow
from .i18n import current_locale, gettext, html_lang, ngettext

blueprint = Blueprint("lms", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/static")

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


@blueprint.before_request
def _before_request() -> None:
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


@blueprint.after_request
def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    return response


@blueprint.context_processor
def template_context() -> dict:
    return {
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
        "csrf_token": generate_csrf,
        "lms_user": load_current_user(),
        "lms_locale": current_locale(),
        "lms_html_lang": html_lang(),
        "lms_site_name": current_app.config.get("LMS_SITE_NAME") or gettext("Collector Training"),
        "lms_local_accounts": not current_app.extensions["lms"].uses_host_identity,
        "ROLE_ADMIN": ADMIN, "ROLE_HR": HR, "ROLE_TRAINER": TRAINER,
        "lms_now": utcnow,
    }


def _error_page(error, status: int):
    return render_template("lms/errors/error.html", error=error), status


@blueprint.errorhandler(CSRFError)
def _csrf_error(error):
    return _error_page(error, 400)


for _status in (400, 401, 403, 404, 405, 409, 429):
    blueprint.register_error_handler(_status, lambda error, s=_status: _error_page(error, s))
