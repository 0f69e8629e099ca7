"""Throughput of the pages trainees use most, as ratios against a trivial route in the same run.

These machines are shared and noisy, so absolute numbers mean little; ratios taken in the same
process, interleaved, are what to compare between changes. In process (Flask test client), without a
server: `python benchmarks/pages.py` (the shipped course, one trainee), or
`python benchmarks/pages.py --site FOLDER` against a bench site benchmarks/site.py built (signed in
as D00001; also prints each page's SQL statements and the CPU time per request, which other work on
the machine disturbs less than wall time). Under gunicorn and Locust: `make bench` (benchmarks/run.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lms import create_app  # noqa: E402
from lms.accounts import services as accounts  # noqa: E402
from lms.authoring.services import import_content  # noqa: E402
from lms.content import load_courses, render_markdown  # noqa: E402
from lms.db import session  # noqa: E402
from lms.learning.models import ModuleRevision  # noqa: E402
from lms.migrate import upgrade  # noqa: E402

ROUNDS = 5
REQUESTS = 200
MODULE = "/courses/credit-card-collection/overview-and-process"


def build_app(folder: str):
    os.environ["LMS_INSTANCE_PATH"] = folder
    app = create_app({"SECRET_KEY": "bench", "LMS_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "WTF_CSRF_ENABLED": False})

    @app.get("/bench/trivial")
    def trivial():
        return "ok"

    @app.get("/bench/render-per-request")
    def render_per_request():
        revision = session.query(ModuleRevision).first()
        return render_markdown(revision.source.split("---", 2)[2])

    with app.app_context():
        upgrade()
        import_content(load_courses([ROOT / "courses"]), "bench")
        accounts.create_user("bench", "bench-password", ["trainee"],
                             accounts.UserDetails(display_name="压测学员"))
        session.commit()
    return app


def rate(client, path: str) -> float:
    started = time.perf_counter()
    for _ in range(REQUESTS):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    return REQUESTS / (time.perf_counter() - started)


def on_site(folder: str) -> None:
    """The trainee pages against a built bench site: statements, CPU ms per request, × trivial."""
    from sqlalchemy import event

    from benchmarks.routes import add_bench_routes
    from lms.extensions import db

    os.environ["LMS_INSTANCE_PATH"] = folder
    app = create_app({"WTF_CSRF_ENABLED": False})
    add_bench_routes(app)

    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    client = app.test_client()
    assert client.post("/login", data={"username": "d00001", "password": "bench-password"}).status_code == 302
    paths = {"trivial route": "/bench/trivial", "signed-in route": "/bench/signed-in", "module page": MODULE,
             "course page": "/courses/credit-card-collection/", "dashboard": "/"}
    cpu: dict[str, list[float]] = {name: [] for name in paths}
    counted = {}
    for name, path in paths.items():
        client.get(path)  # the course's structure and the module's text are cached from here on
        statements.clear()
        assert client.get(path).status_code == 200, path
        counted[name] = len(statements)
    for _ in range(ROUNDS):
        for name, path in paths.items():
            started = time.process_time()
            for _ in range(REQUESTS // 2):
                client.get(path)
            cpu[name].append((time.process_time() - started) / (REQUESTS // 2))
    baseline = statistics.median(cpu["trivial route"])
    print(f"{'page':<16} {'statements':>10} {'CPU ms':>8} {'× trivial':>10}")
    for name, values in cpu.items():
        median = statistics.median(values)
        print(f"{name:<16} {counted[name]:10d} {1000 * median:8.2f} {baseline / median:10.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", help="a bench site's folder (benchmarks/site.py)")
    args = parser.parse_args()
    if args.site:
        on_site(args.site)
        return
    with tempfile.TemporaryDirectory() as folder:
        app = build_app(folder)
        client = app.test_client()
        client.post("/login", data={"username": "bench", "password": "bench-password"})
        paths = {"trivial route": "/bench/trivial", "dashboard": "/",
                 "course page": "/courses/credit-card-collection/",
                 "module page (pre-rendered HTML)": MODULE,
                 "Markdown rendered per request": "/bench/render-per-request"}
        results: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(ROUNDS):  # interleaved, so drift on the machine hits every path alike
            for name, path in paths.items():
                results[name].append(rate(client, path))
        baseline = statistics.median(results["trivial route"])
        print(f"{'page':<34} {'req/s':>8} {'× trivial':>10}")
        for name, values in results.items():
            median = statistics.median(values)
            print(f"{name:<34} {median:8.0f} {median / baseline:10.2f}")


if __name__ == "__main__":
    main()
