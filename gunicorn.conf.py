"""gunicorn's settings for this app (``make run``): they live in the package, so an installed
wheel has them too (``gunicorn -c python:lms.gunicorn_conf 'lms:create_app()'``)."""

from lms.gunicorn_conf import *  # noqa: F403
