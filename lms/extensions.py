"""Extension objects created once and bound to an app in ``LMS.init_app``."""

from __future__ import annotations

from flask_babel import Domain
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy

from .paths import PACKAGE_DIR

#: Used only when the app has no Flask-SQLAlchemy of its own.
db = SQLAlchemy()
#: Used only when the host supplies no identity loader (standalone accounts).
login_manager = LoginManager()
#: The LMS's own message catalogue, so a host's Babel set-up keeps working.
babel_domain = Domain(translation_directories=[str(PACKAGE_DIR / "translations")], domain="lms")
