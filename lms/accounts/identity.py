"""Who is asking: the LMS's own signed-in user, or the host app's user mirrored into the LMS."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import flask_login
from flask import current_app, g
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from .. import fields
from ..db import insert_missing, session
from ..extensions import login_manager
from ..transaction import begin_writing
from .models import ROLES, User


@dataclass(frozen=True)
class HostUser:
    """What a host app's ``identity_loader`` returns for the signed-in person.

    ``id`` is the host's own user id; the LMS refers to the host user by it alone.
    ``roles`` are LMS roles: any of trainee, trainer, hr, admin.
    """

    id: str | int
    display_name: str
    roles: Iterable[str] = field(default=("trainee",))
    username: str | None = None
    employee_no: str | None = None
    department: str | None = None
    email: str | None = None


def _host_name(identity: HostUser, user: User | None) -> str | None:
    """The host's name for the user, unless no certificate could print it: then the name the LMS
    has (a new user: the host username, or the id), and a warning in the log once per app."""
    from .services import display_name_problem

    name = identity.display_name
    if user is not None and name == user.display_name:
        return name
    problem = display_name_problem(name)
    if problem is None:
        return name
    refused = current_app.extensions.setdefault("lms.refused_host_names", set())  # warn once per app
    if (str(identity.id), name) not in refused:
        refused.add((str(identity.id), name))
        current_app.logger.warning("host user %s: name %r refused: %s", identity.id, name, problem)
    return None if user is not None else identity.username or f"host:{identity.id}"


_HOST_FIELDS = {"employee_no": fields.EMPLOYEE_NO, "department": fields.DEPARTMENT, "email": fields.EMAIL}


def _host_value(identity: HostUser, name: str) -> str | None:
    """The host's value by the field's rule; one that breaks it is left out (logged)."""
    value = getattr(identity, name)
    if value is None:
        return None
    rule = _HOST_FIELDS[name]
    value = fields.normalise(str(value), rule)
    if fields.text_problem(value, rule) is not None:
        current_app.logger.warning("host user %s: %s %r refused: it breaks the field's rule",
                                   identity.id, name, value[:80])
        return None
    return value or None


def _host_changes(identity: HostUser, user: User | None) -> dict[str, str]:
    """The host's values (each by its field's rule) that ``user`` does not have yet."""
    wanted = {"display_name": _host_name(identity, user),
              **{name: _host_value(identity, name) for name in _HOST_FIELDS},
              "username": identity.username or None}
    return {name: value for name, value in wanted.items()
            if value is not None and (user is None or getattr(user, name) != value)}


_HOST_USER = select(User).where(User.external_id == bindparam("external_id"))


def sync_host_user(identity: HostUser) -> User:
    """The LMS user mirroring ``identity``, created or updated to match it. A name no
    certificate can print is refused (see :func:`_host_name`): fix it in the host.

    Usually it matches and nothing is written. When it does not, the request is a GET that must
    write: it takes the write lock first (``begin_writing``) and reads the user again, so two
    first requests of a new host user at once create one user."""
    from .services import set_roles

    external_id = str(identity.id)
    roles = [role for role in identity.roles if role in ROLES]
    user = session.scalar(_HOST_USER, {"external_id": external_id})
    if user is not None and not _host_changes(identity, user) and user.roles == frozenset(roles):
        return user
    begin_writing()
    user = session.scalar(_HOST_USER, {"external_id": external_id})
    if user is None:
        insert_missing(User, {"external_id": external_id, "username": f"host:{external_id}",
                              "display_name": _host_name(identity, None)}, ("external_id",))
        user = session.scalar(_HOST_USER, {"external_id": external_id})
    for name, value in _host_changes(identity, user).items():
        setattr(user, name, value)
    set_roles(user, roles)
    session.flush()  # committed with the request (see lms.transaction)
    return user


def load_current_user() -> User | None:
    """The signed-in LMS user for this request, cached on ``g``."""
    if "lms_user" in g:
        return g.lms_user
    extension = current_app.extensions["lms"]
    user: User | None
    if extension.uses_host_identity:
        identity = extension.load_host_identity()
        user = sync_host_user(identity) if identity is not None else None
    else:
        candidate = flask_login.current_user._get_current_object()
        user = candidate if candidate.is_authenticated else None
    g.lms_user = user
    return user


#: Every request's user: one query by primary key, roles joined (every page asks for them). Built
#: once, as the other statements of every page are: SQLAlchemy then neither rebuilds the
#: statement nor recomputes its cache key per request.
_USER_WITH_ROLES = (select(User).where(User.id == bindparam("user_id"))
                    .options(joinedload(User.role_rows)))


@login_manager.user_loader
def _load_local_user(session_id: str) -> User | None:
    """The user of a session cookie: its id and session version (``User.get_id``) must match an
    active user; a cookie from before sign-out or a password or role change no longer does."""
    user_id, _, version = session_id.partition(":")
    try:
        wanted = int(user_id)
    except ValueError:
        return None
    user = session.execute(_USER_WITH_ROLES, {"user_id": wanted}).unique().scalar_one_or_none()
    if user is None or not user.is_active or version != str(user.session_version):
        return None
    return user
