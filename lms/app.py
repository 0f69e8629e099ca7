"""The standalone application: ``create_app()``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, redirect, render_template, url_for

from .config import from_environment, instance_secret_key, standalone_defaults
from .database import UNAVAILABLE
from .extension import LMS
from .headers import apply_security_headers


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the standalone app. ``config`` overrides the environment; nothing touches the
    database here: ``lms init`` creates the schema and ``lms import`` loads content."""
    instance_path = os.environ.get("LMS_INSTANCE_PATH") or None
    app = Flask("lms", instance_path=instance_path, static_folder=None)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(standalone_defaults(app.instance_path))
    app.config.from_mapping(from_environment())
    if config:
        app.config.from_mapping(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)

    LMS(app)
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
