"""The standalone application: ``create_app()``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, redirect, render_template, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from .brand import init_brand
from .config import default_instance_path, from_environment, instance_secret_key, standalone_defaults
from .database import UNAVAILABLE
from .extension import LMS
from .headers import apply_security_headers
from .logs import init_request_ids
from .sessions import SessionInterface


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the standalone app. ``config`` overrides the environment; nothing touches the
    database here: ``lms init`` creates the schema and ``lms import`` loads content."""
    app = Flask("lms", instance_path=os.path.abspath(default_instance_path()), static_folder=None)
    os.makedirs(app.instance_path, mode=0o700, exist_ok=True)  # keys and the database: the app's alone
    app.config.from_mapping(standalone_defaults(app.instance_path))
    app.config.from_mapping(from_environment())
    if config:
        app.config.from_mapping(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)

    app.session_interface = SessionInterface()
    LMS(app)
    _trust_proxies(app, app.config["LMS_TRUSTED_PROXIES"])
    init_request_ids(app)
    init_brand(app)
    # The blueprint sets them on its own responses; standalone, every response gets them.
    app.after_request(apply_security_headers)

    from .web import server_error_page, template_context, unavailable_page

    @app.errorhandler(404)
    def not_found(error):
        # Outside the blueprint (unknown URLs): give the page the LMS's template context.
        return render_template("lms/errors/error.html", error=error, **template_context()), 404

    app.register_error_handler(500, server_error_page)
    for error in UNAVAILABLE:
        app.register_error_handler(error, unavailable_page)

    if app.config["LMS_URL_PREFIX"]:
        @app.get("/")
        def root():
            return redirect(url_for("lms.learning.dashboard"))

    return app


def _trust_proxies(app: Flask, count: int) -> None:
    """Behind ``count`` reverse proxies, take the client's address and scheme from the headers
    they add (X-Forwarded-For, X-Forwarded-Proto), so throttles and records see the real client.
    X-Forwarded-Host is not read: no absolute URL is built from the host (see lms.urls)."""
    if count < 0:
        raise ValueError(f"LMS_TRUSTED_PROXIES must be 0 or more, not {count}")
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=0, x_port=0,
                                x_prefix=0)
