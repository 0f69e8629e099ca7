"""Browser tests: the standalone app served on loopback, driven in Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from lms.accounts import services as accounts
from lms.db import session

from ..conftest import PASSWORD, TEST_CONFIG, _build_app, _migrate, import_content, write_content

CHROMIUM = os.environ.get("LMS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

#: One trainee per test that changes progress, so tests do not see each other's reading.
TRAINEES = {"wang": "王小明", "li": "李晓红", "zhao": "赵静", "sun": "孙丽"}
TRAINER = "teacher"

pytestmark = pytest.mark.e2e


live_apps: list = []  # the live server's app, for tests that look into its database


@pytest.fixture(scope="session")
def live_app(live_server):
    return live_apps[0]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[str]:
    """The app with the shipped course and one trainee, served on a free loopback port."""
    folder = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{folder / 'lms.db'}"
    _migrate(url, folder / "instance")
    app = _build_app({**TEST_CONFIG, "TESTING": False, "SQLALCHEMY_DATABASE_URI": url},
                     folder / "instance")
    with app.app_context():
        for number, (username, name) in enumerate(TRAINEES.items(), start=1):
            accounts.create_user(username, PASSWORD, ["trainee"], accounts.UserDetails(
                display_name=name, employee_no=f"E{1000 + number}", department="信用卡催收一部"))
        accounts.create_user(TRAINER, PASSWORD, ["trainer"], accounts.UserDetails(
            display_name="李培训", employee_no="T2001", department="培训中心"))
        session.commit()
    import_content(app)
    live_apps.append(app)
    base, server = serve(app)
    yield base
    server.shutdown()


def serve(app) -> tuple[str, object]:
    server = make_server("127.0.0.1", 0, _closed_bodies(app), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def _closed_bodies(app):
    """Each response body read and closed before the development server sends it. When Chromium
    resets a connection (a cancelled favicon or prefetch), Werkzeug's server stops before it
    closes the body, and the open static file, collected later, fails whichever test is running
    with a ResourceWarning."""

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@pytest.fixture(scope="session")
def tiny_server(tmp_path_factory) -> Iterator[tuple[str, object]]:
    """A short course a trainee completes in a minute, with a trainee, a trainer and HR."""
    from ..web.conftest import TINY_FILES, TINY_QUIZ

    folder = tmp_path_factory.mktemp("tiny-live")
    courses, quizzes = write_content(folder, "tiny", TINY_FILES, {"red-lines.md": TINY_QUIZ})
    url = f"sqlite:///{folder / 'lms.db'}"
    _migrate(url, folder / "instance")
    app = _build_app({**TEST_CONFIG, "TESTING": False, "SQLALCHEMY_DATABASE_URI": url},
                     folder / "instance")
    with app.app_context():
        for username, name, roles, number in [("zhou", "周敏", ["trainee"], "E5001"),
                                              ("teacher", "李培训", ["trainer"], "T5001"),
                                              ("hr", "张人事", ["hr"], "H5001")]:
            accounts.create_user(username, PASSWORD, roles, accounts.UserDetails(
                display_name=name, employee_no=number, department="信用卡催收一部"))
        session.commit()
    import_content(app, courses, quizzes)
    base, server = serve(app)
    app.config["LMS_PUBLIC_URL"] = base
    yield base, app
    server.shutdown()


class CspWatchingBrowser:
    """Chromium whose contexts note every Content-Security-Policy violation the console reports:
    an inline script or style the policy blocked is a page that silently does not work."""

    def __init__(self, browser):
        self._browser = browser
        self.violations: list[str] = []

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.on("console", lambda message: self.violations.append(message.text)
                   if "Content Security Policy" in message.text else None)
        return context

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}: run `make test`, which installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield CspWatchingBrowser(browser)
        browser.close()


@pytest.fixture(autouse=True)
def no_csp_violations(request):
    yield
    if "browser" in request.fixturenames:
        watcher = request.getfixturevalue("browser")
        violations, watcher.violations = watcher.violations, []
        assert not violations, violations


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
