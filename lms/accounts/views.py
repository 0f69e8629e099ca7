"""Sign-in, language, and the administrators' user management."""

from __future__ import annotations

from urllib.parse import urlsplit

import flask_login
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from ..db import session as db_session
from ..i18n import LOCALE_SESSION_KEY, available_locales
from ..i18n import gettext as _
from ..params import int_arg
from . import services
from .access import roles_required
from .forms import ROLE_LABELS, LanguageForm, LoginForm, UserForm
from .identity import load_current_user
from .models import ADMIN, ROLES

bp = Blueprint("accounts", __name__)
USERS_PER_PAGE = 50


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site, else ``fallback`` (no open redirects)."""
    if not target:
        return fallback
    target = target.strip()
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(c) < 32 for c in target)):
        return fallback
    return target


def _dashboard_url() -> str:
    return url_for("lms.learning.dashboard")


def _local_accounts_only() -> None:
    if current_app.extensions["lms"].uses_host_identity:
        abort(404)


@bp.route("/login", methods=["GET", "POST"])
def login():
    _local_accounts_only()
    form = LoginForm()
    target = safe_next(request.values.get("next"), _dashboard_url())
    if load_current_user() is not None:
        return redirect(target)
    status = 200
    if form.validate_on_submit():
        throttle = current_app.extensions["lms.login_throttle"]
        keys = (f"ip:{request.remote_addr}", f"user:{services.normalise_username(form.username.data)}")
        if throttle.is_blocked(*keys):
            form.form_errors.append(_("Too many failed sign-in attempts. Wait 15 minutes and "
                                      "try again, or ask an administrator to reset your password."))
            status = 429
        else:
            user = services.authenticate(form.username.data, form.password.data)
            if user is None:
                throttle.record_failure(*keys)
                form.form_errors.append(_("Wrong username or password."))
                status = 401
            else:
                throttle.reset(keys[1])
                locale = session.get(LOCALE_SESSION_KEY)
                session.clear()
                if locale:
                    session[LOCALE_SESSION_KEY] = locale
                flask_login.login_user(user)
                session.permanent = True
                db_session.commit()
                return redirect(target)
    elif request.method == "POST":
        status = 400
    form.next.data = target
    return render_template("lms/accounts/login.html", form=form), status


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    _local_accounts_only()
    if request.method == "POST":
        flask_login.logout_user()
        g.lms_user = None
        locale = session.get(LOCALE_SESSION_KEY)
        session.clear()
        if locale:
            session[LOCALE_SESSION_KEY] = locale
        flash(_("You have signed out."), "info")
        return redirect(url_for("lms.accounts.login"))
    if load_current_user() is None:
        return redirect(url_for("lms.accounts.login"))
    return render_template("lms/accounts/logout.html")


@bp.post("/language")
def set_language():
    form = LanguageForm()
    target = safe_next(form.next.data, _dashboard_url())
    if form.validate_on_submit() and form.locale.data in available_locales():
        session[LOCALE_SESSION_KEY] = form.locale.data
        user = load_current_user()
        if user is not None:
            user.locale = form.locale.data
            db_session.commit()
    return redirect(target)


@bp.get("/admin/users")
@roles_required(ADMIN)
def users():
    search = request.args.get("q", "")
    role = request.args.get("role") if request.args.get("role") in ROLES else None
    page = current_app.extensions["sqlalchemy"].paginate(
        services.users_query(search, role), page=int_arg("page", 1), per_page=USERS_PER_PAGE,
        error_out=False)
    return render_template("lms/accounts/users.html", page=page, users=page.items,
                           search=search, role=role, role_labels=ROLE_LABELS)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_user():
    form = UserForm()
    if request.method == "GET":
        form.roles.data = ["trainee"]
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors.append(_("Give the new user a password."))
        else:
            try:
                user = services.create_user(form.username.data, form.password.data,
                                            form.roles.data, _details(form), load_current_user())
                user.is_active = form.is_active.data
            except services.AccountError as error:
                getattr(form, error.field).errors.append(error.message)
            else:
                db_session.commit()
                flash(_("User %(name)s created.", name=user.display_name), "success")
                return redirect(url_for(".users"))
    status = 400 if request.method == "POST" else 200
    return render_template("lms/accounts/user_form.html", form=form, user=None), status


@bp.route("/admin/users/<lms_id:user_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def edit_user(user_id: int):
    user = services.get_user(user_id) or abort(404)
    form = UserForm(obj=user)
    form.username.data = user.username
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
    if form.validate_on_submit():
        if current_app.extensions["lms"].uses_host_identity:  # the host owns roles and passwords
            form.roles.data, form.password.data = sorted(user.roles), ""
        try:
            if user == load_current_user() and (ADMIN not in form.roles.data
                                                 or not form.is_active.data):
                raise services.AccountError(
                    "roles", _("You cannot remove your own administrator role or account."))
            services.update_user(user, _details(form), is_active=form.is_active.data)
            services.set_roles(user, form.roles.data, load_current_user())
            if form.password.data:
                services.set_password(user, form.password.data)
        except services.AccountError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            db_session.commit()
            flash(_("Changes to %(name)s saved.", name=user.display_name), "success")
            return redirect(url_for(".users"))
    status = 400 if request.method == "POST" else 200
    return render_template("lms/accounts/user_form.html", form=form, user=user), status


def _details(form: UserForm) -> services.UserDetails:
    return services.UserDetails(display_name=form.display_name.data,
                                employee_no=(form.employee_no.data or "").strip() or None,
                                department=(form.department.data or "").strip() or None,
                                email=(form.email.data or "").strip() or None)

