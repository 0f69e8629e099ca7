"""What a running site needs, checked: shared by ``/healthz`` (load balancers) and ``lms doctor``.

Each check answers with a :class:`Check`: a state, one sentence and, on a problem, the fix. The
sentences never carry configuration values or exception text, so ``/healthz`` can show them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

OK = "ok"
PROBLEM = "problem"
NOT_CONFIGURED = "not configured"
NOT_INSTALLED = "not installed"  # an optional tool: the site works without what it adds

#: ``app.extensions[QUEUE_CHECK]``: a function returning the queue's :class:`Check`; the job queue
#: registers one when it is set up. Without it the queue is reported as not configured.
QUEUE_CHECK = "lms.queue_check"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    state: str
    message: str
    fix: str | None = None

    @property
    def is_ok(self) -> bool:
        return self.state != PROBLEM

    def line(self) -> str:
        """``name: ok — message`` or ``name: problem — message; fix: …``."""
        fix = f"; fix: {self.fix}" if self.fix else ""
        return f"{self.name}: {self.state} — {self.message}{fix}"


@functools.cache
def _script_heads() -> frozenset[str]:
    """The migrations this code ships (read once: they do not change while the code runs)."""
    from alembic.script import ScriptDirectory

    from .migrate import alembic_config

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def database_checks(explain: bool = False) -> tuple[Check, Check]:
    """The database answers, and its schema is at this code's migration head (one connection).
    ``explain`` adds the driver's error to the message (for the operator's terminal only)."""
    from alembic.runtime.migration import MigrationContext

    from .db import engine
    from .migrate import VERSION_TABLE

    try:
        with engine().connect() as connection:
            current = frozenset(MigrationContext.configure(
                connection, opts={"version_table": VERSION_TABLE}).get_current_heads())
    except SQLAlchemyError as error:
        logger.warning("database check failed: %s", error)
        fix = "start the database server, or correct LMS_DATABASE_URL (lms doctor shows the error)"
        reason = f" ({type(error).__name__}: {str(error).splitlines()[0]})" if explain else ""
        return (Check("database", PROBLEM, f"the database does not answer{reason}", fix),
                Check("migrations", PROBLEM, "unknown: the database does not answer"))
    database = Check("database", OK, "the database answers")
    heads = _script_heads()
    if current == heads:
        return database, Check("migrations", OK, "the schema is at the newest migration")
    if not current:
        return database, Check("migrations", PROBLEM, "the database has no schema", "run lms init")
    if current - heads:
        return database, Check("migrations", PROBLEM, "the database was migrated by a newer version",
                               "deploy the newer version of this software")
    return database, Check("migrations", PROBLEM, "the schema is behind this version", "run lms init")


def fonts_check() -> Check:
    from .certificates.fonts import fonts_problem

    problem = fonts_problem()
    if problem is None:
        return Check("fonts", OK, "certificate fonts and the HarfBuzz subsetter are installed")
    message, _, fix = problem.partition("; fix: ")
    return Check("fonts", PROBLEM, message, fix or None)


def graphviz_check() -> Check:
    from .authoring.simmap import dot_available

    if dot_available():
        return Check("graphviz", OK, "Graphviz's dot draws the maps of call simulations")
    return Check("graphviz", NOT_INSTALLED, "Graphviz's dot is not installed: the authoring pages show "
                 "call simulations as text outlines without their maps", "sudo apt-get install graphviz")


def queue_not_configured() -> Check:
    return Check("queue", NOT_CONFIGURED, "no job queue is configured; work runs in the web process")


def queue_check(app: Flask | None = None) -> Check:
    check: Callable[[], Check] = (app or current_app).extensions.get(QUEUE_CHECK, queue_not_configured)
    try:
        return check()
    except Exception as error:  # a broken queue must not break the health page
        logger.warning("queue check failed: %s", error)
        return Check("queue", PROBLEM, "the job queue does not answer", "start Redis, or see lms doctor")


def site_checks() -> list[Check]:
    """What ``/healthz`` reports: database, migrations, fonts, Graphviz, queue."""
    return [*database_checks(), fonts_check(), graphviz_check(), queue_check()]


#: Outside the ``lms`` blueprint on purpose: no sign-in, no session, no CSRF, no locale.
blueprint = Blueprint("lms_health", __name__)


@blueprint.get("/healthz")
def healthz():
    """For load balancers and monitoring: 200 when every check passes, 503 otherwise."""
    checks = site_checks()
    healthy = all(check.is_ok for check in checks)
    response = jsonify(status=OK if healthy else PROBLEM,
                       checks={check.name: {"state": check.state, "message": check.message}
                               for check in checks})
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
