"""Shared fixtures: an app per test on SQLite and (when reachable) PostgreSQL, factories."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from lms import create_app
from lms.accounts import services as accounts
from lms.content import load_courses
from lms.db import session
from lms.paths import PROJECT_DIR

# The app reads LMS_* variables from the environment: an operator's shell (or `make run`'s) must
# not change what the tests see.
for _name in [name for name in os.environ if name.startswith("LMS_") and not name.startswith("LMS_TEST_")]:
    del os.environ[_name]

POSTGRES_URL = os.environ.get(
    "LMS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
#: dates people see are days in the configured zone (LMS_TIMEZONE's default)
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
SHIPPED_COURSES = PROJECT_DIR / "courses"
SHIPPED_QUIZZES = PROJECT_DIR / "quizzes"
PASSWORD = "correct horse 42"
TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test secret",
    "LMS_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    "LMS_PUBLIC_URL": "https://training.example.com",
    "LMS_QUEUE_URL": "immediate",  # jobs run as they are enqueued (tests/web/test_jobs.py runs a worker)
}


def _postgres_unreachable_reason() -> str | None:
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as error:  # any failure to connect means: skip, and say why
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {type(error).__name__}: {error}"
    return None


@dataclass
class Database:
    backend: str
    url: str
    template: Path | None = None
    schema: str | None = None


def _migrate(url: str, instance: Path, engine_options: dict | None = None) -> None:
    config = {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url}
    if engine_options:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options
    app = _build_app(config, instance)
    from lms.migrate import upgrade

    with app.app_context():
        upgrade()
        from lms.extensions import db

        db.engine.dispose()


def _build_app(config: dict, instance: Path) -> Flask:
    os.environ["LMS_INSTANCE_PATH"] = str(instance)
    try:
        return create_app(config)
    finally:
        del os.environ["LMS_INSTANCE_PATH"]


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(request, tmp_path_factory) -> Iterator[Database]:
    instance = tmp_path_factory.mktemp("instance")
    if request.param == "sqlite":
        template = tmp_path_factory.mktemp("template") / "lms.db"
        _migrate(f"sqlite:///{template}", instance)
        yield Database("sqlite", "", template=template)
        return
    reason = _postgres_unreachable_reason()
    if reason:
        pytest.skip(reason)
    schema = f"lms_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    options = {"connect_args": {"options": f"-csearch_path={schema}"}}
    _migrate(POSTGRES_URL, instance, options)
    yield Database("postgresql", POSTGRES_URL, schema=schema)
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def _clear_postgres(schema: str) -> None:
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        tables = connection.scalars(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = :schema "
            "AND tablename LIKE 'lms\\_%' AND tablename <> 'lms_alembic_version'"),
            {"schema": schema}).all()
        if tables:
            names = ", ".join(f'"{schema}"."{name}"' for name in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(autouse=True)
def _decoded_content_forgotten() -> None:
    """Each test starts without revision content decoded by an earlier one: on PostgreSQL the
    tests share a schema whose ids restart, so an earlier test's revision 1 is a different one."""
    from lms.assessments import models

    models._decoded.clear()


@pytest.fixture
def app_config() -> dict:
    """Per-test overrides of the app's configuration."""
    return {}


@pytest.fixture
def app(database: Database, tmp_path: Path, app_config: dict) -> Iterator[Flask]:
    config = {**TEST_CONFIG, **app_config}
    if database.backend == "sqlite":
        path = tmp_path / "lms.db"
        shutil.copy(database.template, path)
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    else:
        config["SQLALCHEMY_DATABASE_URI"] = database.url
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": f"-csearch_path={database.schema}"}}
    app = _build_app(config, tmp_path / "instance")
    yield app
    with app.app_context():
        from lms.extensions import db

        db.engine.dispose()
    if database.backend == "postgresql":
        _clear_postgres(database.schema)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


COURSE = "credit-card-collection"


def write_content(root: Path, slug: str, course_files: dict[str, str],
                  quiz_files: dict[str, str]) -> tuple[Path, Path]:
    """A course folder and its quiz folder under ``root``; returns (courses, quizzes) roots."""
    courses, quizzes = root / "courses", root / "quizzes"
    for folder, files in ((courses / slug, course_files), (quizzes / slug, quiz_files)):
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")
    return courses, quizzes


def import_content(app: Flask, courses: Path = SHIPPED_COURSES, quizzes: Path | None = SHIPPED_QUIZZES,
                   author: str = "tests"):
    """Import content as ``lms import`` does (quizzes from ``quizzes``); returns the report."""
    from lms.authoring.services import import_content

    with app.app_context():
        specs = load_courses([courses], quizzes_dir=quizzes, courses_dir=courses)
        report = import_content(specs, author)
        session.commit()
        return report


@pytest.fixture
def shipped_course(app: Flask) -> str:
    """The shipped 信用卡催收 course, imported; returns its slug."""
    import_content(app)
    return COURSE


@dataclass(frozen=True)
class UserRef:
    id: int
    username: str
    display_name: str
    password: str = PASSWORD


@pytest.fixture
def make_user(app: Flask) -> Callable[..., UserRef]:
    """Factory: ``make_user("trainee", "trainer", username=...)``, password PASSWORD."""
    counter = iter(range(1, 10_000))

    def make(*roles: str, username: str | None = None, **details: str) -> UserRef:
        number = next(counter)
        roles = roles or ("trainee",)
        username = username or f"{roles[0]}{number}"
        with app.app_context():
            user = accounts.create_user(username, PASSWORD, roles, accounts.UserDetails(
                display_name=details.get("display_name", f"学员{number}"),
                employee_no=details.get("employee_no", f"{roles[0][:2].upper()}{number:04d}"),
                department=details.get("department", "催收一部")))
            session.commit()
            return UserRef(user.id, user.username, user.display_name)

    return make


def let_time_pass(app: Flask, module: str, minutes: float) -> None:
    """The server's clock moves on ``minutes`` while the module is open: the last report on it
    (or its opening) lies that far in the past, so that much reading time can be credited."""
    from lms.learning.models import Module, ModuleProgress

    with app.app_context():
        for row in session.scalars(sa.select(ModuleProgress).join(Module).where(
                Module.slug == module, ModuleProgress.completed_at.is_(None))):
            row.last_seen_at -= timedelta(minutes=minutes)
        session.commit()


def open_module(client: FlaskClient, url: str) -> str:
    """Open a module page as a browser does: GET it (which records nothing), then send the visit
    its script reports first. Returns the page's CSRF token."""
    page = client.get(url)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    token = match.group(1) if match else csrf_token(client, "/")  # a locked module redirects
    client.post(f"{url}/progress", data={"csrf_token": token, "seconds": "0"},
                headers={"Accept": "application/json"})
    return token


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def login(client: FlaskClient) -> Callable[[UserRef], FlaskClient]:
    def sign_in(user: UserRef, password: str = PASSWORD) -> FlaskClient:
        response = client.post("/login", data={"username": user.username, "password": password,
                                               "csrf_token": csrf_token(client)})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


def complete_modules(app: Flask, user_id: int, course_slug: str, count: int | None = None) -> None:
    """Mark the first ``count`` modules (all by default) of the user's enrolment as read to the end."""
    from lms.db import utcnow
    from lms.learning import services as learning
    from lms.learning.models import ModuleProgress

    with app.app_context():
        course = learning.get_course(course_slug)
        enrolment = learning.current_enrolment(accounts.get_user(user_id), course)
        done = {p.module_id for p in enrolment.progress}
        now = utcnow()
        for module in course.active_modules[:count]:
            if module.id not in done:
                session.add(ModuleProgress(enrolment=enrolment, module_id=module.id,
                                           revision_id=module.current_revision_id, first_opened_at=now,
                                           last_seen_at=now, seconds_spent=600, completed_at=now))
        session.commit()


def local_day(moment):
    """The day of ``moment`` as the app shows it (a certificate's dates, a period's bounds)."""
    return moment.astimezone(LOCAL_ZONE).date()


@contextmanager
def counted_queries(app: Flask) -> Iterator[list[str]]:
    """The SQL statements run inside the block, for tests that a page's queries do not grow (on the
    app's own database, a host app's included)."""
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    statements: list[str] = []

    def listener(*args) -> None:
        statements.append(args[2])

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


@pytest.fixture
def count_queries(app: Flask, client: FlaskClient) -> Callable[[str], int]:
    """GET a page (it must answer 200) and count its SQL statements."""
    def count(path: str) -> int:
        with counted_queries(app) as statements:
            assert client.get(path).status_code == 200, path
        return len(statements)
    return count
