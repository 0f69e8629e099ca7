"""Sign-in, language, and the administrators' user management."""

from __future__ import annotations

import math
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
from ..db import utcnow
from ..i18n import LOCALE_SESSION_KEY, available_locales, ngettext
from ..i18n import gettext as _
from ..params import int_arg
from ..throttle import address_key
from ..urls import PublicUrlMissing
from . import activation, services
from .access import roles_required
from .forms import ROLE_LABELS, ActivationForm, LanguageForm, LoginForm, UserForm
from .identity import load_current_user
from .models import ADMIN, HR, ROLES

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


def _clear_session() -> None:
    """Empty the session, keeping the language chosen."""
    locale = session.get(LOCALE_SESSION_KEY)
    session.clear()
    if locale:
        session[LOCALE_SESSION_KEY] = locale


def _start_session(user) -> None:
    """Sign ``user`` in on a fresh session carrying their session version (see
    ``User.get_id``): ending their sessions later makes this cookie worthless."""
    _clear_session()
    flask_login.login_user(user)
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
def login():
    _local_accounts_only()
    form = LoginForm()
    target = safe_next(request.values.get("next"), _dashboard_url())
    if load_current_user() is not None:
        return redirect(target)
    status, headers = 200, {}
    if form.validate_on_submit():
        # The throttles count on a connection of their own: this request must hold no lock
        # (SQLite's one writer) while they do. Nothing has been written yet.
        db_session.rollback()
        throttles = current_app.extensions["lms.throttles"]
        username = services.normalise_username(form.username.data)
        address = address_key(request.remote_addr)
        wait = max(throttles.login_user.retry_after(username) or 0,
                   throttles.login_address.retry_after(address) or 0)
        if wait:
            form.form_errors.append(ngettext(
                "Too many failed sign-in attempts. Try again in %(num)d minute.",
                "Too many failed sign-in attempts. Try again in %(num)d minutes.", math.ceil(wait / 60)))
            status, headers = 429, {"Retry-After": str(wait)}
        elif (user := services.authenticate(form.username.data, form.password.data)) is None:
            db_session.rollback()  # release the lock authenticating took, before counting
            throttles.login_user.hit(username)
            throttles.login_address.hit(address)
            form.form_errors.append(_("Wrong username or password."))
            status = 401
        else:
            _start_session(user)
            db_session.commit()  # before the throttle's own connection writes (SQLite's one writer)
            throttles.login_user.reset(username)  # only this user's count: the address's stays
            return redirect(target)
    elif request.method == "POST":
        status = 400
    form.next.data = target
    return render_template("lms/accounts/login.html", form=form), status, headers


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    _local_accounts_only()
    if request.method == "POST":
        user = load_current_user()
        if user is not None:
            services.end_sessions(user)  # this cookie and any copy of it, on every device
            db_session.commit()
        flask_login.logout_user()
        g.lms_user = None
        _clear_session()
        flash(_("You have signed out."), "info")
        return redirect(url_for("lms.accounts.login"))
    if load_current_user() is None:
        return redirect(url_for("lms.accounts.login"))
    return render_template("lms/accounts/logout.html")


@bp.route("/activate/<token>", methods=["GET", "POST"])
def activate(token: str):
    """An activation (or password) link: set a password once, then go to the dashboard."""
    _local_accounts_only()
    user, problem = activation.read_link(token)
    if problem is not None:
        return render_template("lms/accounts/link_invalid.html", problem=problem.value), 410
    form = ActivationForm()
    if form.validate_on_submit():
        try:
            activation.activate(user, form.password.data)
        except services.AccountError as error:
            form.password.errors.append(error.message)
        else:
            user.last_login_at = utcnow()
            _start_session(user)
            db_session.commit()
            flash(_("Your password is set. Welcome!"), "success")
            return redirect(_dashboard_url())
    status = 400 if request.method == "POST" else 200
    return render_template("lms/accounts/activate.html", form=form, user=user, token=token), status


@bp.post("/people/<lms_id:user_id>/link")
@roles_required(HR)
def create_link(user_id: int):
    """HR or an administrator makes a person's activation (or password) link: shown to copy, or
    emailed (``send=email``)."""
    actor = load_current_user()
    user = services.get_user(user_id) or abort(404)
    if not activation.may_create_link(actor, user):
        abort(403)
    back = safe_next(request.form.get("next"), url_for("lms.hr.person", user_id=user.id))
    try:
        if request.form.get("send") == "email":
            if not activation.mail_configured():
                abort(400)
            sent = activation.send_links([user], actor)
            db_session.commit()
            flash_sending(sent)
            return redirect(back)
        link = activation.create_link(user, actor)
    except PublicUrlMissing:
        flash(_("Links need the site's public address: set LMS_PUBLIC_URL."), "error")
        return redirect(back)
    db_session.commit()
    return render_template("lms/accounts/link.html", user=user, link=link, back=back,
                           days=activation.valid_days(), reset=activation.is_activated(user))


def flash_sending(sent: activation.Sending) -> None:
    if sent.sent:
        flash(_("Link emailed to %(names)s.", names="、".join(u.display_name for u in sent.sent)), "success")
    if sent.no_email:
        flash(_("No email address, nothing sent: %(names)s.",
                names="、".join(u.display_name for u in sent.no_email)), "error")
    if sent.failed:
        flash(_("Not sent (%(reason)s): %(names)s.", reason=sent.failed[0][1],
                names="、".join(u.display_name for u, _reason in sent.failed)), "error")


@bp.post("/language")
def set_language():
    form = LanguageForm()
    target = safe_next(form.next.data, _dashboard_url())
    if form.validate_on_submit() and form.locale.data in available_locales():
        session[LOCALE_SESSION_KEY] = form.locale.data
        user = load_current_user()
        if user is not None:
            user.locale = form.locale.data
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
            db_session.flush()  # the new session version, for this admin's own session
            if user == load_current_user():  # an admin editing themselves keeps this session
                _start_session(user)
            flash(_("Changes to %(name)s saved.", name=user.display_name), "success")
            return redirect(url_for(".users"))
    status = 400 if request.method == "POST" else 200
    return render_template("lms/accounts/user_form.html", form=form, user=user,
                           mail=activation.mail_configured()), status


def _details(form: UserForm) -> services.UserDetails:
    return services.UserDetails(display_name=form.display_name.data,
                                employee_no=(form.employee_no.data or "").strip() or None,
                                department=(form.department.data or "").strip() or None,
                                email=(form.email.data or "").strip() or None)

