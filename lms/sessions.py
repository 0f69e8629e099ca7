"""The standalone app's signed session cookie, its signing serializer built once per key.

Flask builds the serializer (and derives its key) again for every request, to read the cookie
and again to write it: a share of every page's time. The cookie, its signature and its lifetime
are Flask's own; only the serializer is kept, and a new secret key gets a new one.
"""

from __future__ import annotations

from threading import Lock

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SessionInterface(SecureCookieSessionInterface):
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
