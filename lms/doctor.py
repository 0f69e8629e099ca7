"""``lms doctor``: everything an operator must get right, one line each, with the fix."""

from __future__ import annotations

import stat
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

from .health import (
    NOT_CONFIGURED,
    OK,
    PROBLEM,
    Check,
    database_checks,
    fonts_check,
    graphviz_check,
    queue_check,
)

#: Secret keys copied from examples and tutorials.
PLACEHOLDER_KEYS = {"dev", "secret", "changeme", "change-me", "change me", "secret-key", "your-secret-key",
                    "test", "test secret", "development", "default"}
MIN_KEY_LENGTH = 24
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
NEW_KEY = "python3 -c 'import secrets; print(secrets.token_hex(32))'"


def _private_file(name: str, path: Path) -> Check | None:
    """A problem when ``path`` can be read by other users."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return Check(name, PROBLEM, f"{path} can be read by other users", f"chmod 600 {path}")
    return None


def secret_key_check(app: Flask) -> Check:
    key = app.config.get("SECRET_KEY") or ""
    if key.strip().lower() in PLACEHOLDER_KEYS or len(key) < MIN_KEY_LENGTH:
        return Check("secret key", PROBLEM, f"the secret key is a placeholder or shorter than "
                     f"{MIN_KEY_LENGTH} characters", f"set LMS_SECRET_KEY to the output of {NEW_KEY}")
    files = [Path(app.instance_path) / "secret_key",
             Path(app.config.get("LMS_SIGNING_KEY") or Path(app.instance_path) / "signing_key.pem")]
    for path in files:
        problem = _private_file("secret key", path)
        if problem:
            return problem
    return Check("secret key", OK, "the secret key is set and its files are private")


def instance_check(app: Flask) -> Check:
    folder = Path(app.instance_path)
    fix = f"create {folder} writable by this user, or set LMS_INSTANCE_PATH to such a folder"
    if not folder.is_dir():
        return Check("instance folder", PROBLEM, f"{folder} does not exist", fix)
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError:
        return Check("instance folder", PROBLEM, f"{folder} is not writable", fix)
    if sys.prefix != sys.base_prefix and folder.resolve().is_relative_to(Path(sys.prefix).resolve()):
        return Check("instance folder", PROBLEM, f"{folder} is inside the virtualenv and goes when it is "
                     "rebuilt", "set LMS_INSTANCE_PATH to a folder outside it (e.g. /var/lib/lms) and "
                     "move its files there")
    return Check("instance folder", OK, f"{folder} is writable")


def public_url_check(app: Flask) -> Check:
    url = app.config.get("LMS_PUBLIC_URL")
    if not url:
        return Check("public URL", PROBLEM, "LMS_PUBLIC_URL is not set: no certificate can be issued and "
                     "no reminder sent", "set LMS_PUBLIC_URL to the address people reach the site at, "
                     "e.g. https://training.example.com")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Check("public URL", PROBLEM, f"LMS_PUBLIC_URL is not a web address: {url}",
                     "set it like https://training.example.com")
    if parts.scheme != "https" and parts.hostname not in LOCAL_HOSTS:
        return Check("public URL", PROBLEM, f"{url} is not https: certificates would print a link "
                     "anyone on the way can alter", f"serve the site over HTTPS and set "
                     f"LMS_PUBLIC_URL=https://{parts.netloc}{parts.path}")
    return Check("public URL", OK, f"certificates and emails link to {url}")


def mail_check(app: Flask) -> Check:
    from .reminders.mail import Mailer, MailError

    if not app.config.get("LMS_MAIL_SERVER"):
        return Check("mail", NOT_CONFIGURED, "no SMTP server: reminders and notices show on the "
                     "dashboard only (set LMS_MAIL_SERVER to send email)")
    try:
        with Mailer.from_config(app.config, timeout=10):
            pass
    except MailError as error:
        return Check("mail", PROBLEM, f"the SMTP server refuses: {error}",
                     "correct LMS_MAIL_SERVER, LMS_MAIL_PORT, LMS_MAIL_USE_TLS and the login")
    return Check("mail", OK, f"{app.config['LMS_MAIL_SERVER']} accepts a connection and the login")


def doctor_checks(app: Flask) -> list[Check]:
    """Every check, in the order an operator fixes them (inside an app context)."""
    database, migrations = database_checks(explain=True)
    return [fonts_check(), graphviz_check(), database, migrations, secret_key_check(app), instance_check(app),
            public_url_check(app), mail_check(app), queue_check(app)]

