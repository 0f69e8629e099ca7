"""Background jobs on Huey: certificates, bulk certificate work, HR's exports, reminder mail.

The queue is built from the app's configuration (``LMS_QUEUE_URL``): SQLite in the instance
folder by default, Redis (``redis://…``) when several servers share it, or ``immediate`` (run
each job in the process that enqueues it; tests and hosts without a worker). Every job runs in
an app context and commits once; a job that raises is retried. Domains declare their jobs with
``@job`` and enqueue them by name, after the request's transaction commits.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..health import OK, Check
from ..transaction import immediate

#: the modules that declare jobs, imported when a queue is built
JOB_MODULES = ("lms.certificates.jobs", "lms.reports.exports", "lms.reminders.jobs")
IMMEDIATE = "immediate"
_PENDING = "lms_jobs_after_commit"


@dataclass(frozen=True)
class Job:
    function: Callable[..., Any]
    retries: int
    retry_delay: int
    every: dict[str, str] | None = None  # crontab fields of a periodic job


_JOBS: dict[str, Job] = {}


def job(*, retries: int = 3, retry_delay: int = 30, every: dict[str, str] | None = None):
    """Declare a plain function as a job named ``module.function``; ``every`` (crontab fields,
    e.g. ``{"minute": "0"}``) runs it periodically in the worker."""
    def declare(function: Callable[..., Any]) -> Callable[..., Any]:
        _JOBS[job_name(function)] = Job(function, retries, retry_delay, every)
        return function
    return declare


def job_name(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{function.__name__}"


def build_queue(app: Flask) -> Huey:
    """The app's Huey with every job registered, each wrapped to run in an app context."""
    for module in JOB_MODULES:
        import_module(module)
    url = app.config.get("LMS_QUEUE_URL") or ""
    if url == IMMEDIATE:
        huey: Huey = MemoryHuey("lms", immediate=True, results=False)
    elif url.startswith(("redis://", "rediss://", "unix://")):
        huey = RedisHuey("lms", url=url, results=False)
    else:
        path = url.removeprefix("sqlite:///") or os.path.join(app.instance_path, "queue.db")
        huey = SqliteHuey("lms", filename=path, results=False)
    for declared in _JOBS.values():
        options = {"retries": declared.retries, "retry_delay": declared.retry_delay}
        runner = _in_app_context(app, declared.function)
        if declared.every is not None:
            huey.periodic_task(crontab(**declared.every), **options)(runner)
        else:
            huey.task(**options)(runner)
    return huey


def queue(app: Flask | None = None) -> Huey:
    """The app's queue, built on first use (creating the app does no I/O)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    huey = app.extensions.get("lms.queue")
    if huey is None:
        huey = app.extensions["lms.queue"] = build_queue(app)
    return huey


def is_immediate(app: Flask | None = None) -> bool:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return app.config.get("LMS_QUEUE_URL") == IMMEDIATE


def _in_app_context(app: Flask, function: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        from ..db import session

        with app.app_context(), immediate():  # SQLite: take the write lock up front, as requests do
            try:
                result = function(*args, **kwargs)
                session.commit()
                return result
            except BaseException:
                session.rollback()
                raise
    run.__name__, run.__module__ = function.__name__, function.__module__  # the task's name
    return run


def enqueue(function: Callable[..., Any], *args: Any, app: Flask | None = None) -> None:
    """Put a job on the queue now (it may run before the caller's transaction commits: use
    ``enqueue_after_commit`` for jobs that read what the caller writes)."""
    huey = queue(app)
    task = huey._registry.string_to_task(job_name(function))
    huey.enqueue(task(args, {}))


def enqueue_after_commit(function: Callable[..., Any], *args: Any) -> None:
    """Enqueue once the current transaction commits; nothing if it rolls back."""
    from ..db import session

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    session.info.setdefault(_PENDING, []).append((app, function, args))


@event.listens_for(Session, "after_commit")
def _after_commit(db_session: Session) -> None:
    if db_session.in_nested_transaction():
        return  # a savepoint released: the outer transaction may still roll back
    waiting = db_session.info.pop(_PENDING, None)
    for app, function, args in waiting or ():
        enqueue(function, *args, app=app)


@event.listens_for(Session, "after_rollback")
def _after_rollback(db_session: Session) -> None:
    if not db_session.in_nested_transaction():
        db_session.info.pop(_PENDING, None)


def check_queue() -> Check:
    """``/healthz`` and ``lms doctor``: the queue answers, and how much is waiting."""
    if is_immediate():
        return Check("queue", OK, "jobs run in the web process (immediate mode, no worker)")
    waiting = queue().pending_count()
    return Check("queue", OK, f"the job queue answers; {waiting} job(s) waiting")
