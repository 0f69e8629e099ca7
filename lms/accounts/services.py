"""Accounts: creating people, roles, passwords, signing in. Plain functions; the caller commits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import fields
from ..db import session, utcnow
from ..signals import roles_changed
from .models import ROLES, User, UserRole

MIN_PASSWORD_LENGTH = 8
# A valid hash, so a login for an unknown user costs as much as one for a known user.
_DUMMY_HASH = generate_password_hash("not a password")


class AccountError(ValueError):
    """A request that cannot be carried out, with the field it concerns."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def normalise_username(username: str) -> str:
    return fields.normalise(username, fields.USERNAME).lower()


def _clean(field: str, value: str | None, rule: fields.TextRule) -> str:
    try:
        return fields.clean(value, rule)
    except fields.TextRuleError as error:
        raise AccountError(field, fields.field_message(error.problem)) from None


def hash_password(password: str) -> str:
    method = current_app.config.get("LMS_PASSWORD_HASH_METHOD")
    return generate_password_hash(password, method=method) if method else generate_password_hash(password)


def check_password_policy(password: str) -> None:
    from ..i18n import gettext as _

    _clean("password", password, fields.PASSWORD)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password", _("The password must have at least %(n)d characters.",
                                         n=MIN_PASSWORD_LENGTH))


def display_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a display name, as the person entering it is told; None when it can.

    Every name may end up on a certificate: it must fit the layout, and the certificate fonts
    must have each of its characters (:func:`lms.certificates.fonts.name_problem`)."""
    from ..certificates.fonts import NAME_MAX_LENGTH, name_problem
    from ..i18n import gettext as _

    control = fields.text_problem(fields.normalise(name, fields.DISPLAY_NAME), fields.DISPLAY_NAME)
    if control is not None and control.kind == "control":
        return fields.field_message(control)
    problem = name_problem(name)
    if problem is None:
        return None
    if problem.too_long:
        return _("A name has at most %(n)d characters: a certificate has no room for more.",
                 n=NAME_MAX_LENGTH)
    return _("Certificates cannot print %(chars)s: no font has these characters. Remove them, or use a "
             "common form of the character.", chars=problem.shown)


def check_display_name(name: str) -> None:
    message = display_name_problem(name)
    if message:
        raise AccountError("display_name", message)


def _username_required() -> str:
    from ..i18n import gettext as _

    return _("Give a username.")


def get_user(user_id: int) -> User | None:
    return session.get(User, user_id)


def find_user(username: str) -> User | None:
    return session.scalar(select(User).where(User.username == normalise_username(username)))


@dataclass(frozen=True)
class UserDetails:
    display_name: str
    employee_no: str | None = None
    department: str | None = None
    email: str | None = None

    def cleaned(self, fallback_name: str, current_name: str | None = None) -> UserDetails:
        """The details by the field rules (empty optional values as None, the display name
        ``fallback_name`` when none is given); raises AccountError naming the field. A name
        left as ``current_name`` is not checked again."""
        name = fields.normalise(self.display_name or "", fields.DISPLAY_NAME) or fallback_name
        if name != current_name:
            check_display_name(name)
        return UserDetails(
            display_name=name,
            employee_no=_clean("employee_no", self.employee_no, fields.EMPLOYEE_NO) or None,
            department=_clean("department", self.department, fields.DEPARTMENT) or None,
            email=_clean("email", self.email, fields.EMAIL) or None)


def _check_unique(user: User | None, username: str | None, employee_no: str | None) -> None:
    from ..i18n import gettext as _

    if username is not None:
        other = find_user(username)
        if other is not None and other is not user:
            raise AccountError("username", _("The username %(name)s is taken.", name=username))
    if employee_no:
        other = session.scalar(select(User).where(User.employee_no == employee_no))
        if other is not None and other is not user:
            raise AccountError("employee_no",
                               _("The employee number %(no)s belongs to %(name)s.",
                                 no=employee_no, name=other.display_name))


def create_user(username: str, password: str | None, roles: Iterable[str],
                details: UserDetails, actor: User | None = None) -> User:
    username = _clean("username", username, fields.USERNAME).lower()
    if not username:
        raise AccountError("username", _username_required())
    details = details.cleaned(username)
    _check_unique(None, username, details.employee_no)
    if password is not None:
        check_password_policy(password)
    user = User(username=username, display_name=details.display_name,
                employee_no=details.employee_no, department=details.department,
                email=details.email,
                password_hash=hash_password(password) if password is not None else None)
    session.add(user)
    set_roles(user, roles, actor)
    return user


def update_user(user: User, details: UserDetails, is_active: bool | None = None) -> None:
    cleaned = details.cleaned(user.username, current_name=user.display_name)
    _check_unique(user, None, cleaned.employee_no)
    user.display_name = cleaned.display_name
    user.employee_no = cleaned.employee_no
    user.department = cleaned.department
    user.email = cleaned.email
    if is_active is not None:
        user.is_active = is_active
    session.flush()


def set_roles(user: User, roles: Iterable[str], actor: User | None = None) -> bool:
    """Give ``user`` exactly ``roles`` (audited); returns whether anything changed."""
    from ..audit.services import record

    existing = user.id is not None
    wanted = set(roles)
    unknown = wanted - set(ROLES)
    if unknown:
        raise AccountError("roles", f"unknown role(s): {', '.join(sorted(unknown))}")
    before = set(user.roles)
    if wanted == before and user.id is not None:
        return False
    user.role_rows = [row for row in user.role_rows if row.role in wanted] + [
        UserRole(role=role) for role in sorted(wanted - user.roles)
    ]
    session.flush()
    record("user.roles", user.username, actor, {"roles": sorted(wanted), "previous": sorted(before)})
    if existing:
        end_sessions(user)
    roles_changed.send(user)
    return True


def set_password(user: User, password: str) -> None:
    """Change the password (by the user or an administrator): every session of the user ends."""
    check_password_policy(password)
    user.password_hash = hash_password(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Sign ``user`` out everywhere: every session cookie issued so far stops working at its
    next request (see ``User.get_id``)."""
    user.session_version = User.session_version + 1  # in SQL: concurrent ends both count
    session.flush()


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (in constant time either way)."""
    user = find_user(username)
    if user is None or user.password_hash is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    user.last_login_at = utcnow()
    return user


def users_query(search: str = "", role: str | None = None):
    """Users matching a search of name, username, employee number or department."""
    query = select(User).order_by(User.department, User.employee_no, User.username)
    search = fields.search_text(search)
    if search:
        needle = search.lower()
        query = query.where(or_(*(func.lower(column).contains(needle, autoescape=True) for column in
                                  (User.username, User.display_name, User.employee_no, User.department))))
    if role:
        query = query.where(User.role_rows.any(UserRole.role == role))
    return query


def list_users(search: str = "", role: str | None = None) -> list[User]:
    return list(session.scalars(users_query(search, role)))
