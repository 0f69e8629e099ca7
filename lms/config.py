"""Configuration: defaults, and the ``LMS_*`` environment variables of the standalone app."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .paths import PROJECT_DIR


def default_instance_path(environ: Mapping[str, str] = os.environ) -> str:
    """Where the SQLite database and generated keys live unless ``LMS_INSTANCE_PATH`` says:
    ``instance/`` in a source checkout; installed from a wheel, ``$XDG_DATA_HOME/lms``
    (``~/.local/share/lms``), which survives rebuilding the virtualenv."""
    if environ.get("LMS_INSTANCE_PATH"):
        return environ["LMS_INSTANCE_PATH"]
    if (PROJECT_DIR / "pyproject.toml").is_file():
        return str(PROJECT_DIR / "instance")
    data_home = environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(data_home, "lms")


def _default_content_dir(name: str) -> str:
    bundled = PROJECT_DIR / name
    return str(bundled if bundled.is_dir() else Path.cwd() / name)


#: Defaults for both the extension and the standalone app; a host may set any of them.
EXTENSION_DEFAULTS: dict[str, Any] = {
    "LMS_URL_PREFIX": "",
    "LMS_COURSES_DIR": _default_content_dir("courses"),
    "LMS_QUIZZES_DIR": _default_content_dir("quizzes"),
    "LMS_LOCALE": "zh_CN",
    "LMS_LOCALES": ("zh_CN", "en"),
    "LMS_TIMEZONE": "Asia/Shanghai",
    "LMS_RATELIMIT_STORAGE_URI": "database",  # or redis://host:6379/0 (the `redis` extra)
    "LMS_LOGIN_FAILURE_LIMIT": "5 per 15 minutes",  # failed sign-ins per username
    "LMS_LOGIN_ADDRESS_LIMIT": "100 per 15 minutes",  # per client address: a call centre shares one
    "LMS_LOGIN_URL": None,  # under a host: where to send anonymous users
    "LMS_SITE_NAME": None,  # shown in the header; defaults to the translated product name
    "LMS_PUBLIC_URL": None,  # e.g. https://training.example.com: the base of verification URLs
    "LMS_CERTIFICATE_PREFIX": "CC",
    "LMS_ISSUER": "信用卡催收培训中心",
    "LMS_SIGNING_KEY": None,  # PEM key that signs certificates; None: one generated in the instance folder
    "LMS_SIGNING_CERT": None,  # its PEM certificate (set both or neither)
    "LMS_VERIFY_LIMIT": "60 per minute",  # verification requests per address
    "LMS_MAIL_SERVER": None,  # SMTP host for `lms remind`; no email without it
    "LMS_MAIL_PORT": 25,
    "LMS_MAIL_USERNAME": None,  # log in when set
    "LMS_MAIL_PASSWORD": None,
    "LMS_MAIL_USE_TLS": False,  # STARTTLS
    "LMS_MAIL_FROM": "training@localhost",
    "LMS_MAIL_HR": None,  # comma-separated addresses for the daily digest of overdue trainees
    "LMS_BRAND_DIR": _default_content_dir("static"),  # the standalone app's logo, favicon, brand.css
    "LMS_QUEUE_URL": None,  # None: SQLite in the instance folder; redis://…; "immediate": no worker
    "LMS_MAX_IMAGE_BYTES": 5 * 1024 * 1024,  # an uploaded course image; at most 5 MB, as `lms check`
    "LMS_EXPORT_DAYS": 7,  # HR's finished exports can be downloaded this long, then are deleted
    "LMS_ACTIVATION_DAYS": 7,  # how long an activation (or password) link works
    # Database timeouts, in seconds (applied when the LMS creates the engine, i.e. not under a host
    # that brings its own Flask-SQLAlchemy): past them a page answers 503 instead of hanging.
    "LMS_DB_CONNECT_TIMEOUT": 5,
    "LMS_DB_POOL_TIMEOUT": 5,  # waiting for a free connection
    "LMS_DB_PING_AFTER": 10,  # a pooled connection idle this long is checked before use
    "LMS_DB_STATEMENT_TIMEOUT": 10,  # PostgreSQL statement_timeout (0: none; `lms` commands use 0)
    "LMS_RETRY_AFTER": 30,  # the Retry-After of a 503 while the database is unavailable
}

#: Environment variables read by ``create_app``: name -> (config key, parser).
ENVIRONMENT = {
    "LMS_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "LMS_SECRET_KEY": ("SECRET_KEY", str),
    "LMS_COURSES_DIR": ("LMS_COURSES_DIR", str),
    "LMS_QUIZZES_DIR": ("LMS_QUIZZES_DIR", str),
    "LMS_LOCALE": ("LMS_LOCALE", str),
    "LMS_TIMEZONE": ("LMS_TIMEZONE", str),
    "LMS_URL_PREFIX": ("LMS_URL_PREFIX", str),
    "LMS_RATELIMIT_STORAGE_URI": ("LMS_RATELIMIT_STORAGE_URI", str),
    "LMS_LOGIN_FAILURE_LIMIT": ("LMS_LOGIN_FAILURE_LIMIT", str),
    "LMS_LOGIN_ADDRESS_LIMIT": ("LMS_LOGIN_ADDRESS_LIMIT", str),
    "LMS_VERIFY_LIMIT": ("LMS_VERIFY_LIMIT", str),
    "LMS_TRUSTED_PROXIES": ("LMS_TRUSTED_PROXIES", int),
    "LMS_PUBLIC_URL": ("LMS_PUBLIC_URL", str),
    "LMS_CERTIFICATE_PREFIX": ("LMS_CERTIFICATE_PREFIX", str),
    "LMS_ISSUER": ("LMS_ISSUER", str),
    "LMS_SIGNING_KEY": ("LMS_SIGNING_KEY", str),
    "LMS_SIGNING_CERT": ("LMS_SIGNING_CERT", str),
    "LMS_SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", lambda v: v.lower() in {"1", "true", "yes"}),
    "LMS_MAIL_SERVER": ("LMS_MAIL_SERVER", str),
    "LMS_MAIL_PORT": ("LMS_MAIL_PORT", int),
    "LMS_MAIL_USERNAME": ("LMS_MAIL_USERNAME", str),
    "LMS_MAIL_PASSWORD": ("LMS_MAIL_PASSWORD", str),
    "LMS_MAIL_USE_TLS": ("LMS_MAIL_USE_TLS", lambda v: v.lower() in {"1", "true", "yes"}),
    "LMS_MAIL_FROM": ("LMS_MAIL_FROM", str),
    "LMS_MAIL_HR": ("LMS_MAIL_HR", str),
    "LMS_BRAND_DIR": ("LMS_BRAND_DIR", str),
    "LMS_QUEUE_URL": ("LMS_QUEUE_URL", str),
    "LMS_MAX_IMAGE_BYTES": ("LMS_MAX_IMAGE_BYTES", int),
    "LMS_EXPORT_DAYS": ("LMS_EXPORT_DAYS", int),
    "LMS_ACTIVATION_DAYS": ("LMS_ACTIVATION_DAYS", int),
    "LMS_DB_CONNECT_TIMEOUT": ("LMS_DB_CONNECT_TIMEOUT", int),
    "LMS_DB_POOL_TIMEOUT": ("LMS_DB_POOL_TIMEOUT", float),
    "LMS_DB_PING_AFTER": ("LMS_DB_PING_AFTER", float),
    "LMS_DB_STATEMENT_TIMEOUT": ("LMS_DB_STATEMENT_TIMEOUT", float),
}


def from_environment(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    return {key: parse(environ[name]) for name, (key, parse) in ENVIRONMENT.items() if environ.get(name)}


def standalone_defaults(instance_path: str) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(instance_path, "lms.db"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "lms_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "LMS_TRUSTED_PROXIES": 0,  # reverse proxies in front whose X-Forwarded-For/-Proto to trust
    }


def instance_secret_key(instance_path: str) -> str:
    """A secret key kept in the instance folder, shared by every worker on this machine."""
    path = os.path.join(instance_path, "secret_key")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another worker may be writing it right now
            with open(path, encoding="ascii") as handle:
                key = handle.read().strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty: delete it or set LMS_SECRET_KEY") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        key = secrets.token_hex(32)
        handle.write(key)
    return key
