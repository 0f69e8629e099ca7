"""``lms worker``: run the jobs the app enqueues."""

from __future__ import annotations

import logging
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from . import enqueue, is_immediate, queue


@click.command("worker")
@click.option("--workers", "-w", default=2, show_default=True, help="How many jobs run at once.")
@click.option("--processes", is_flag=True,
              help="Run each worker in its own process (rendering uses several cores) instead of a thread.")
@with_appcontext
def worker_command(workers: int, processes: bool) -> None:
    """Run the background jobs: certificates, HR's exports, bulk certificate work, reminder mail.

    On start it queues the certificate of every completion still without one and the exports
    not finished (say, after a worker was stopped mid-job). Ctrl-C (SIGINT) lets running jobs
    finish; SIGTERM stops at once."""
    from ..certificates.jobs import enqueue_pending
    from ..db import engine, session
    from ..reports.exports import make_export, unfinished_exports

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if is_immediate(app):
        click.echo("error: LMS_QUEUE_URL is 'immediate': jobs run where they are enqueued, so a "
                   "worker has nothing to do", err=True)
        sys.exit(1)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    huey = queue(app)

    if processes:
        @huey.on_startup()
        def _own_connections() -> None:  # a worker process must not share its parent's connections
            with app.app_context():
                engine().dispose(close=False)

    queued = enqueue_pending()
    unfinished = unfinished_exports()
    for export_id in unfinished:
        enqueue(make_export, export_id)
    session.commit()
    click.echo(f"worker: {workers} {'processes' if processes else 'threads'}; {queued} pending "
               f"certificate(s) and {len(unfinished)} unfinished export(s) queued", err=True)
    consumer = huey.create_consumer(workers=workers, worker_type="process" if processes else "thread",
                                    periodic=True, max_delay=1.0)
    consumer.run()
