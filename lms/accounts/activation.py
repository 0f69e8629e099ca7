"""Activation links: an imported employee has no password; a link lets them set one, once.

The token is signed with the app's secret and names the user and a fingerprint of their password
hash as it stood when the link was made. Setting a password (through the link or otherwise)
changes the hash, so every earlier link stops working; links also expire after
``LMS_ACTIVATION_DAYS``. An administrator's password reset uses the same links.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import or_

from ..audit.services import record
from ..db import session
from ..urls import public_url
from .models import ADMIN, User
from .services import set_password

SALT = "lms.activation"


class LinkProblem(enum.Enum):
    EXPIRED = "expired"
    USED = "used"
    INVALID = "invalid"


def is_activated(user: User) -> bool:
    """Whether the person can sign in: a password of their own, or the host app's account."""
    return user.password_hash is not None or user.external_id is not None


def activated_clause():
    """``is_activated`` as SQL, for the roster."""
    return or_(User.password_hash.is_not(None), User.external_id.is_not(None))


def links_offered() -> bool:
    """Under a host's identity loader the host signs people in: no links."""
    return not current_app.extensions["lms"].uses_host_identity


def mail_configured() -> bool:
    config = current_app.config
    return bool(config.get("LMS_MAIL_SERVER") and config.get("LMS_PUBLIC_URL"))


def may_create_link(actor: User, user: User) -> bool:
    """Administrators may send anyone a link (a password reset); HR only people who have not
    activated yet and are not administrators, so HR cannot take over a working account."""
    if not links_offered() or not user.is_active:
        return False
    if actor.has_role(ADMIN):
        return True
    return not is_activated(user) and ADMIN not in user.roles


def valid_days() -> int:
    return int(current_app.config["LMS_ACTIVATION_DAYS"])


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def _state(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:20]


def create_link(user: User, actor: User | None) -> str:
    """A new link for ``user`` (audited). Raises ``PublicUrlMissing`` without ``LMS_PUBLIC_URL``."""
    token = _serializer().dumps({"u": user.id, "s": _state(user)})
    link = public_url("lms.accounts.activate", token=token)
    record("account.link_created", user.username, actor,
           {"employee_no": user.employee_no, "valid_days": valid_days(),
            "reset": is_activated(user)})
    return link


def read_link(token: str) -> tuple[User | None, LinkProblem | None]:
    """The person a link is for, or why it cannot be used."""
    try:
        data = _serializer().loads(token, max_age=valid_days() * 86400)
    except SignatureExpired:
        return None, LinkProblem.EXPIRED
    except BadSignature:
        return None, LinkProblem.INVALID
    user_id = data.get("u") if isinstance(data, dict) else None
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active:
        return None, LinkProblem.INVALID
    if data.get("s") != _state(user):
        return user, LinkProblem.USED
    return user, None


def activate(user: User, password: str) -> None:
    """Set the person's password through their link (the policy applies; audited)."""
    reset = is_activated(user)
    set_password(user, password)
    record("account.activated", user.username, user, {"employee_no": user.employee_no, "reset": reset})


@dataclass
class Sending:
    sent: list[User] = field(default_factory=list)
    no_email: list[User] = field(default_factory=list)
    failed: list[tuple[User, str]] = field(default_factory=list)


def send_links(users: Iterable[User], actor: User | None) -> Sending:
    """Email each person a new link over one SMTP connection; each link and each email sent is
    audited. People without an email address are listed, not sent anything."""
    from ..reminders.mail import Mailer, MailError
    from ..reminders.services import render_email

    result = Sending()
    addressed = []
    for user in users:
        (addressed if (user.email or "").strip() else result.no_email).append(user)
    if not addressed:
        return result
    try:
        with Mailer.from_config(current_app.config) as mailer:
            for user in addressed:
                address = user.email.strip()
                email = render_email([address], "activation", name=user.display_name,
                                     link=create_link(user, actor), days=valid_days(),
                                     reset=is_activated(user))
                try:
                    mailer.send(email)
                except MailError as error:
                    result.failed.append((user, str(error)))
                    continue
                record("account.link_sent", user.username, actor,
                       {"employee_no": user.employee_no, "email": address})
                result.sent.append(user)
    except MailError as error:
        done = {u.id for u in result.sent} | {u.id for u, _ in result.failed}
        result.failed += [(user, str(error)) for user in addressed if user.id not in done]
    return result
