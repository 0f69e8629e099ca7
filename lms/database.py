"""The database as a dependency that can fail: engine timeouts, telling an outage from a bug,
and checking a SQLite file before a command uses it."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine, make_url

#: Errors that mean "the database cannot answer now" (down, hanging, too slow, pool exhausted),
#: not "the code is wrong": answered with 503 and a retry hint.
UNAVAILABLE = (exc.OperationalError, exc.TimeoutError, exc.DisconnectionError)
SQLITE_HEADER = b"SQLite format 3\x00"


def engine_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """``SQLALCHEMY_ENGINE_OPTIONS`` with the LMS's timeouts added (the configured ones win).

    PostgreSQL: a connect timeout, a server-side ``statement_timeout``, and a pool timeout so
    requests waiting for a connection give up instead of piling up (connections broken by an
    outage are replaced: :func:`check_idle_connections`). SQLite keeps its busy timeout (set on
    each connection in ``extension.py``).
    """
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database not in (None, "", ":memory:"):  # in-memory databases use a static pool
            options.setdefault("pool_timeout", config["LMS_DB_POOL_TIMEOUT"])
        return options
    options.setdefault("pool_timeout", config["LMS_DB_POOL_TIMEOUT"])
    if backend == "postgresql":
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("connect_timeout", config["LMS_DB_CONNECT_TIMEOUT"])
        statement_ms = int(float(config["LMS_DB_STATEMENT_TIMEOUT"]) * 1000)
        if "statement_timeout" not in connect_args.get("options", ""):
            connect_args["options"] = " ".join(
                filter(None, [connect_args.get("options", ""), f"-c statement_timeout={statement_ms}"]))
        options["connect_args"] = connect_args
    return options


def check_idle_connections(engine: Engine, idle_seconds: float) -> None:
    """Before a request uses a pooled connection that has sat idle for ``idle_seconds``, ask the
    server ``SELECT 1``; a broken one is replaced by a new connection (SQLAlchemy's pessimistic
    disconnect handling, as ``pool_pre_ping`` does for every checkout). A busy site reuses its
    connections within milliseconds and so pays no round trip per request; a connection the server
    dropped while it was in use fails that one request, and SQLAlchemy then replaces every
    connection of the pool."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        record.info["lms_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        since = record.info.get("lms_idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_connection.rollback()  # the ping began a transaction: the request begins its own
        except Exception as error:  # noqa: BLE001 - any failure means the connection is unusable
            raise exc.DisconnectionError(str(error)) from error


def sqlite_path(uri: str) -> Path | None:
    """The file of a SQLite database URI; None for other databases and in-memory ones."""
    url = make_url(uri)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.database.startswith("file:"):  # sqlite:///file:path?uri=true
        return None
    return Path(url.database)


def sqlite_problem(path: Path, *, thorough: bool = False) -> str | None:
    """Why the existing file at ``path`` is not a usable SQLite database, or None when it is
    (or does not exist yet). ``thorough`` reads every page (``PRAGMA quick_check``)."""
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"it cannot be read ({error.strerror})"
    if not header:
        return "it is empty (0 bytes)"
    if header != SQLITE_HEADER:
        return "it is not a SQLite database file"
    try:
        connection = sqlite3.connect(path)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the schema
            if thorough:
                rows = [row[0] for row in connection.execute("PRAGMA quick_check(20)")]
                if rows != ["ok"]:
                    found = [line for row in rows for line in row.splitlines()
                             if line.strip() and not line.startswith("***")]
                    more = f", and {len(found) - 1} more problem(s)" if len(found) > 1 else ""
                    return f"it is damaged ({found[0] if found else 'integrity check failed'}{more})"
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        return f"it is damaged ({error})"
    return None


def problem_sentence(path: Path, problem: str) -> str:
    """The one sentence every command prints for a broken SQLite file."""
    return (f"{path} is not a valid database: {problem}; restore it from a backup, or run "
            "`lms init --force` to build a new empty one (the broken file is kept beside it).")
