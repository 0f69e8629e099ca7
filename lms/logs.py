"""Logging of the standalone app: one JSON object per line (or plain text), at ``LMS_LOG_LEVEL``.

Configured where the process starts (``gunicorn.conf.py``, the ``lms`` command), never by
``create_app``: a host app, or a test run, keeps its own logging.
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_request_context, request

#: A request id a reverse proxy sends (``X-Request-ID``) is kept when it looks like one.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message"}``, plus ``request_id`` and ``path`` inside a
    request and ``exception`` with a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            entry["request_id"] = g.get("lms_request_id")
            entry["path"] = request.path
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` dictionary: everything to stderr at ``LMS_LOG_LEVEL``
    (default INFO), as JSON lines unless ``LMS_LOG_FORMAT=text``."""
    level = environ.get("LMS_LOG_LEVEL", "INFO").upper()
    if level not in LEVELS:
        raise ValueError(f"LMS_LOG_LEVEL must be one of {', '.join(LEVELS)}, not {level}")
    text = environ.get("LMS_LOG_FORMAT", "json").lower() == "text"
    formatter = ({"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"} if text
                 else {"()": "lms.logs.JsonFormatter"})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"lms": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "lms",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": level, "handlers": ["stderr"]},
        # gunicorn's own loggers: through the root handler, not their own
        "loggers": {
            **{name: {"level": level, "handlers": [], "propagate": True}
               for name in ("gunicorn.error", "gunicorn.access")},
            # Alembic says at INFO what it set up, on every migration check
            "alembic": {"level": "DEBUG" if level == "DEBUG" else "WARNING"},
        },
    }


def configure_logging(environ: Mapping[str, str] = os.environ) -> None:
    import logging.config

    logging.config.dictConfig(logging_config(environ))


def init_request_ids(app: Flask) -> None:
    """Give every request an id (the proxy's ``X-Request-ID`` or a new one), logged with each
    line and returned in the response, so a user's report can be matched to the logs."""

    @app.before_request
    def _request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.lms_request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def _request_id_header(response):
        response.headers.setdefault("X-Request-ID", g.get("lms_request_id", ""))
        return response
