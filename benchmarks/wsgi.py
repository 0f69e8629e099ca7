"""The app as `make run` serves it (wsgi.py), plus the routes benchmarks compare against
(benchmarks/routes.py): a trivial one, and one that only signs the trainee in."""

from benchmarks.routes import add_bench_routes
from lms import create_app

app = create_app()
add_bench_routes(app)
