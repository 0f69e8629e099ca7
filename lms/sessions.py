"""The standalone app's signed session cookie: its signing serializer built once per key, and
re-sent only when it has something new or is a few minutes old.

Flask builds the serializer (and derives its key) again for every request, to read the cookie
and again to write it, and re-signs a permanent session's cookie on every response to slide its
expiry: a share of every page's time. The cookie, its signature and its lifetime are Flask's own;
the serializer is kept (a new secret key gets a new one), and an unchanged cookie is re-sent once
it is :data:`REFRESH_AFTER` old, so the expiry still slides with use, within those minutes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from threading import Lock

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

#: How old an unchanged cookie may be before a response signs it afresh (and its 8 hours restart)
REFRESH_AFTER = timedelta(minutes=5)


class Session(SecureCookieSession):
    #: when the cookie this session was read from was signed (None: a new session)
    signed_at: datetime | None = None


class SessionInterface(SecureCookieSessionInterface):
    session_class = Session

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}
        self._lock = Lock()

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        try:
            return self._serializers[key]
        except KeyError:
            serializer = super().get_signing_serializer(app)
            with self._lock:
                self._serializers = {key: serializer}  # only the current key is worth keeping
            return serializer

    def open_session(self, app: Flask, request: Request) -> Session | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        try:
            data, signed_at = serializer.loads(
                cookie, max_age=int(app.permanent_session_lifetime.total_seconds()),
                return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at
        return session

    def should_set_cookie(self, app: Flask, session: SecureCookieSession) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or datetime.now(UTC) - signed_at >= REFRESH_AFTER
