"""One transaction per request, committed in one place.

Every request the LMS blueprint answers runs in one database transaction: views and services
flush, and :func:`finish` commits once the view has produced a successful response (status below
400) or rolls back otherwise; an exception rolls back too. Only the LMS's own requests are
handled, so a host app's views keep their own habits. A streamed body runs after :func:`finish`:
a generator that writes must end the request's transaction first and commit what it writes itself
(``audit.downloads``).

On SQLite, a transaction that reads and then writes cannot always upgrade its read lock (another
writer committed in between: "database is locked" at once, busy timeout or not). So a request
that may write starts with ``BEGIN IMMEDIATE``: it waits for the write lock up front, and writers
queue instead of failing. That is every request other than GET/HEAD/OPTIONS. A GET stays
``BEGIN`` (deferred) and never blocks anyone; the rare GET that finds something to write (a
trainee's quiz page whose time limit ran out closes the attempt) calls :func:`begin_writing`
first.

A request that wrote nothing (a GET, a ``reads_only`` POST) is not committed: its reading
transaction ends when the session is removed at teardown, which saves a round of the ORM on every
page. What counts as writing is anything flushed or executed as INSERT/UPDATE/DELETE through the
session, and any request that began its transaction for writing.

On PostgreSQL (an engine the LMS created), such a request reads in autocommit: at READ COMMITTED
each statement sees what is committed when it starts whether or not it runs in a transaction, so
the transaction only cost a ``BEGIN`` and a ``ROLLBACK``, two round trips of a page's five. A
write there must come after :func:`begin_writing`, which ends the autocommit reads; one that does
not is refused (:func:`refuse_writes_in_autocommit`), since its statements would each commit alone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar
from weakref import WeakSet

from flask import current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session

from .db import session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

F = TypeVar("F", bound=Callable)

#: Whether the transactions begun now take SQLite's write lock from the start.
_immediate: ContextVar[bool] = ContextVar("lms_immediate", default=False)

#: ``Session.info`` key: the session has sent a write to the database.
WROTE = "lms_wrote"


@event.listens_for(Session, "after_flush")
def _flushed(flushed: Session, _context) -> None:
    flushed.info[WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE] = True


def has_writes() -> bool:
    """Whether this request's session wrote, or holds changes a commit would write."""
    current = session()
    return bool(current.info.get(WROTE) or current.new or current.dirty or current.deleted)


def reads_only(view: F) -> F:
    """Mark a POST view that never writes (the editor's preview, sent as the trainer types): its
    transaction begins deferred, so it takes no write lock and holds up no writer."""
    view.lms_reads_only = True  # type: ignore[attr-defined]
    return view


def is_writing_request() -> bool:
    if request.method in SAFE_METHODS:
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "lms_reads_only", False)


#: ``app.extensions`` key: the request that only reads does so in autocommit (PostgreSQL).
READS_IN_AUTOCOMMIT = "lms.reads_in_autocommit"
#: Whether the connections checked out now read in autocommit.
_autocommit_reads: ContextVar[bool] = ContextVar("lms_autocommit_reads", default=False)


def begin() -> None:
    """Before anything of the request touches the database: choose how its transaction begins.
    Nothing is asked of the database here: a page that needs none (sign-in) answers without."""
    if is_writing_request():
        g.lms_immediate_token = _immediate.set(True)
    elif current_app.extensions.get(READS_IN_AUTOCOMMIT):
        g.lms_reads_token = _autocommit_reads.set(True)


#: The engines whose sessions read in autocommit (see :func:`read_in_autocommit`).
_autocommit_engines: WeakSet[Engine] = WeakSet()


def read_in_autocommit(engine: Engine) -> None:
    """PostgreSQL: the session's connection in a request that only reads is in autocommit until
    it goes back to the pool (a connection of its own, such as the throttle's, is not). A write on
    it without :func:`begin_writing` is a bug (its statements would not be one transaction):
    refused before the statement runs."""
    _autocommit_engines.add(engine)

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record) -> None:
        if record.info.pop("lms_autocommit", False) and dbapi_connection is not None:
            dbapi_connection.autocommit = False

    @event.listens_for(engine, "before_cursor_execute")
    def _refuse(_connection, cursor, statement, _parameters, context, _executemany) -> None:
        if (context is not None and (context.isinsert or context.isupdate or context.isdelete)
                and cursor.connection.autocommit):
            raise RuntimeError(f"a write in a request reading in autocommit (call begin_writing() "
                               f"first): {statement[:80]}")


@event.listens_for(Session, "after_begin")
def _begun(_session: Session, _transaction, connection) -> None:
    if not _autocommit_reads.get() or connection.engine not in _autocommit_engines:
        return
    pooled = connection.connection
    dbapi_connection = pooled.dbapi_connection
    if dbapi_connection.info.transaction_status == 0:  # idle: nothing sent yet (psycopg begins lazily)
        dbapi_connection.autocommit = True
        pooled.info["lms_autocommit"] = True


def begin_writing() -> None:
    """In a GET that finds it must write: end the reading transaction and begin the next one
    with the write lock. Objects read so far are reloaded when next used, so what made the
    write necessary is read again under the lock. Outside a request (the CLI), nothing."""
    if not has_request_context() or "lms_immediate_token" in g:
        return
    session.commit()  # nothing is written yet: this only ends the read (and gives back its connection)
    _reset()
    g.lms_immediate_token = _immediate.set(True)


def keep_changes() -> None:
    """Commit this request's changes even though its response is an error (e.g. a 409 that
    closed an attempt whose time had run out)."""
    g.lms_keep_changes = True


def finish(response):
    """After the view: commit a successful response's transaction, roll back anything else."""
    try:
        if response.status_code >= 400 and not g.get("lms_keep_changes"):
            session.rollback()
        elif "lms_immediate_token" in g or has_writes():
            session.commit()
        # else: it only read; the session's removal at teardown ends the transaction
    finally:
        _reset()
    return response


def teardown(error: BaseException | None) -> None:
    if error is not None:
        session.rollback()
    _reset()


def _reset() -> None:
    token = g.pop("lms_immediate_token", None)
    if token is not None:
        _immediate.reset(token)
    token = g.pop("lms_reads_token", None)
    if token is not None:
        _autocommit_reads.reset(token)


@contextmanager
def immediate() -> Iterator[None]:
    """Transactions begun inside the block take SQLite's write lock from the start (for a CLI
    command that reads and then writes while the site runs)."""
    token = _immediate.set(True)
    try:
        yield
    finally:
        _immediate.reset(token)


@contextmanager
def deferred() -> Iterator[None]:
    """Transactions begun inside the block take no write lock up front: a job's long reading and
    rendering (an export's PDF, a ZIP of certificates) must not hold up every writer of the site.
    The block only reads; it ends its transaction before the job writes again (under
    :func:`immediate`), since SQLite cannot always turn a read into a write."""
    token = _immediate.set(False)
    try:
        yield
    finally:
        _immediate.reset(token)


def writing_command(command: F) -> F:
    """A CLI command that changes the database: its transactions take SQLite's write lock from
    the start, as a writing request's do, since the site may be writing at the same moment."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        with immediate():
            try:
                return command(*args, **kwargs)
            finally:
                # what it read after its commit (an echo) must not keep holding the write lock
                session.close()

    return wrapper  # type: ignore[return-value]


def own_sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not pysqlite, begin SQLite transactions, so that they can be IMMEDIATE
    (and SAVEPOINTs work): SQLAlchemy's documented recipe for pysqlite."""

    @event.listens_for(engine, "connect")
    def _no_pysqlite_transactions(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")
