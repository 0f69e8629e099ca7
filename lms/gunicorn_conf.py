"""gunicorn settings of the standalone app: ``gunicorn -c gunicorn.conf.py wsgi:app`` in a checkout
(``make run``), ``gunicorn -c python:lms.gunicorn_conf 'lms:create_app()'`` when installed from a
wheel. Every setting can be overridden on the command line."""

import gc
import os

from lms.logs import logging_config

bind = os.environ.get("LMS_BIND", "127.0.0.1:5000")
# Threaded workers: a thread waiting on the database or streaming a download does not hold a
# whole process. Two processes per core, a few threads each.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1)))
threads = int(os.environ.get("LMS_THREADS", 4))
# Certificate ZIPs and audit bundles stream for minutes over a slow line: generous timeouts.
timeout = 300
graceful_timeout = 60  # a restart lets running requests and downloads finish first
keepalive = 5
# WeasyPrint's caches grow a worker; replace each worker now and then, not all at once.
max_requests = 5000
max_requests_jitter = 500
# The workers' heartbeat files in memory, not on a disk that may stall under load.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s" id=%({x-request-id}o)s'
logconfig_dict = logging_config()

#: Requests after which a worker's caches are warm (templates compiled, course structures and
#: statements cached): what exists then lives as long as the worker.
WARM_AFTER_REQUESTS = 500


def _settle() -> None:
    """Move everything alive now out of the garbage collector's reach: a full collection then
    walks only what requests create, instead of pausing a request for tens of milliseconds to
    walk the app's modules, routes, mappers and caches again and again."""
    gc.collect()
    gc.freeze()


def post_worker_init(worker) -> None:
    _settle()


def post_request(worker, _request, _environ, _response) -> None:
    if worker.nr >= WARM_AFTER_REQUESTS and not getattr(worker, "lms_warm", False):
        worker.lms_warm = True
        _settle()
