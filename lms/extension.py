"""The Flask extension: ``LMS(app)`` or ``LMS().init_app(app)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Flask
from flask_babel import Babel
from sqlalchemy import event

from .config import EXTENSION_DEFAULTS
from .database import check_idle_connections, engine_options
from .extensions import db, login_manager
from .health import QUEUE_CHECK
from .i18n import select_locale
from .jobs import check_queue
from .throttle import Throttles
from .transaction import READS_IN_AUTOCOMMIT, own_sqlite_transactions, read_in_autocommit

if TYPE_CHECKING:
    from .accounts.identity import HostUser

IdentityLoader = Callable[[], "HostUser | None"]

#: How long a SQLite writer waits for the write lock before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000


class LMS:
    """Mounts the training blueprints on an app.

    A host app with its own accounts passes ``identity_loader``: a function called on each
    request that returns a :class:`lms.HostUser` for the signed-in person (or ``None``).
    Without one, the LMS keeps its own accounts and login pages.
    """

    def __init__(self, app: Flask | None = None, *, identity_loader: IdentityLoader | None = None):
        self._identity_loader = identity_loader
        if app is not None:
            self.init_app(app)

    def identity_loader(self, loader: IdentityLoader) -> IdentityLoader:
        """Decorator form of the ``identity_loader`` argument."""
        self._identity_loader = loader
        return loader

    @property
    def uses_host_identity(self) -> bool:
        return self._identity_loader is not None

    def load_host_identity(self) -> HostUser | None:
        assert self._identity_loader is not None
        return self._identity_loader()

    def init_app(self, app: Flask) -> None:
        for key, value in EXTENSION_DEFAULTS.items():
            app.config.setdefault(key, value)
        app.extensions["lms"] = self
        app.extensions["lms.throttles"] = Throttles.from_config(app.config)
        app.extensions.setdefault(QUEUE_CHECK, check_queue)

        if "sqlalchemy" not in app.extensions:
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
            db.init_app(app)
            with app.app_context():
                _tune_sqlite(db.engine)
                options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
                if db.engine.dialect.name != "sqlite" and "pool_pre_ping" not in options:
                    check_idle_connections(db.engine, app.config["LMS_DB_PING_AFTER"])
                if db.engine.dialect.name == "postgresql":
                    app.extensions[READS_IN_AUTOCOMMIT] = True
                    read_in_autocommit(db.engine)
        if "babel" not in app.extensions:
            Babel(app, locale_selector=select_locale,
                  default_locale=app.config["LMS_LOCALE"],
                  default_timezone=app.config["LMS_TIMEZONE"])
        if not self.uses_host_identity:
            login_manager.init_app(app)

        from .cli import lms_group
        from .health import blueprint as health_blueprint
        from .params import IdConverter
        from .web import blueprint

        app.url_map.converters["lms_id"] = IdConverter  # before the routes that use it are added
        app.register_blueprint(blueprint, url_prefix=app.config["LMS_URL_PREFIX"] or None)
        app.register_blueprint(health_blueprint, url_prefix=app.config["LMS_URL_PREFIX"] or None)
        if "lms" not in app.cli.commands:
            app.cli.add_command(lms_group)


def _tune_sqlite(engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # durable enough with WAL, far fewer fsyncs
            # writers queue for the write lock (BEGIN IMMEDIATE); one that renders a certificate
            # holds it for a second or more, so the queue must be allowed to wait that long
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    own_sqlite_transactions(engine)
