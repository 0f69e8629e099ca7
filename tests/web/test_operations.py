"""Operating the site: /healthz, `lms doctor`, the font check, `lms backup` / `lms restore`."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from lms import health
from lms.accounts.models import User
from lms.authoring import simmap
from lms.certificates import fonts
from lms.cli import build_cli
from lms.db import session

from ..conftest import TEST_CONFIG, _build_app

MISSING = ("certificates cannot be rendered: the fonts HanaMinA are not installed; "
           "fix: sudo apt-get install fonts-hanazono")


@pytest.fixture
def no_fonts(monkeypatch):
    monkeypatch.setattr(fonts, "_missing_families", lambda: ["HanaMinA"])
    fonts.fonts_problem.cache_clear()
    yield MISSING
    fonts.fonts_problem.cache_clear()


def users(app) -> int:
    with app.app_context():
        return session.scalar(select(func.count(User.id)))


# --- /healthz -------------------------------------------------------------------------------

def test_healthz_reports_every_check_without_session_or_secrets(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert {name: check["state"] for name, check in body["checks"].items()} == {
        "database": "ok", "migrations": "ok", "fonts": "ok", "queue": "ok",
        "graphviz": "ok" if simmap.dot_available() else "not installed"}
    assert "Set-Cookie" not in response.headers and response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    assert app.config["SECRET_KEY"] not in text and "sqlite" not in text and "postgresql" not in text


def test_healthz_is_503_when_a_check_fails(app, client, monkeypatch, no_fonts):
    body = client.get("/healthz")
    assert body.status_code == 503 and body.get_json()["checks"]["fonts"]["state"] == "problem"
    fonts.fonts_problem.cache_clear()
    monkeypatch.setattr(fonts, "_missing_families", lambda: [])
    monkeypatch.setattr(health, "_script_heads", lambda: frozenset({"0010_not_applied_yet", "x"}))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["migrations"]["state"] == "problem"


def test_without_graphviz_the_site_is_healthy_and_doctor_says_how_to_install_it(app, client, runner,
                                                                               monkeypatch):
    monkeypatch.setattr(simmap, "DOT", "no-such-dot")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["graphviz"] == {
        "state": "not installed", "message": "Graphviz's dot is not installed: the authoring pages show "
        "call simulations as text outlines without their maps"}
    output = runner.invoke(args=["lms", "doctor"]).output
    assert ("graphviz: not installed — Graphviz's dot is not installed" in output
            and "; fix: sudo apt-get install graphviz" in output)


def test_the_queue_check_is_pluggable(app, client):
    down = health.Check("queue", health.PROBLEM, "Redis does not answer")
    app.extensions[health.QUEUE_CHECK] = lambda: down
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["queue"] == {"state": "problem", "message": "Redis does not answer"}
    app.extensions[health.QUEUE_CHECK] = lambda: health.Check("queue", health.OK, "2 workers")
    assert client.get("/healthz").status_code == 200


def test_healthz_without_a_database(tmp_path):
    app = _build_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/lms.db"},
                     tmp_path / "instance")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"] == {"state": "problem", "message": "the database does not answer"}
    assert checks["migrations"]["state"] == "problem"


# --- lms doctor --------------------------------------------------------------------------------

def test_doctor_prints_one_line_per_check_and_exits_1_on_a_problem(app, runner):
    result = runner.invoke(args=["lms", "doctor"])
    names = [line.split(":")[0] for line in result.stdout.splitlines()]
    assert names == ["fonts", "graphviz", "database", "migrations", "secret key", "instance folder",
                     "public URL", "mail", "queue"]
    # the test key "test secret" is a placeholder
    assert result.exit_code == 1
    assert "secret key: problem" in result.output and "LMS_SECRET_KEY" in result.output
    app.config.update(SECRET_KEY="k" * 64, LMS_PUBLIC_URL="http://training.example.com")
    result = runner.invoke(args=["lms", "doctor"])
    assert "secret key: ok" in result.output
    assert ("public URL: problem — http://training.example.com is not https" in result.output
            and "LMS_PUBLIC_URL=https://training.example.com" in result.output)
    app.config["LMS_PUBLIC_URL"] = "https://training.example.com"
    result = runner.invoke(args=["lms", "doctor"])
    assert result.exit_code == 0, result.output
    assert "mail: not configured" in result.output
    assert "queue: ok — jobs run in the web process" in result.output


def test_doctor_finds_readable_key_files_and_an_unreachable_mail_server(app, runner):
    app.config.update(SECRET_KEY="k" * 64, LMS_MAIL_SERVER="127.0.0.1", LMS_MAIL_PORT=1)
    key = app.instance_path + "/secret_key"
    with open(key, "w") as handle:
        handle.write("x" * 64)
    import os

    os.chmod(key, 0o644)
    result = runner.invoke(args=["lms", "doctor"])
    assert result.exit_code == 1
    assert f"secret key: problem — {key} can be read by other users; fix: chmod 600 {key}" in result.output
    assert "mail: problem — the SMTP server refuses: cannot connect to 127.0.0.1:1" in result.output


def test_doctor_names_missing_fonts_and_the_package(app, runner, no_fonts):
    result = runner.invoke(args=["lms", "doctor"])
    assert result.exit_code == 1
    assert ("fonts: problem — certificates cannot be rendered: the fonts HanaMinA are not installed; "
            "fix: sudo apt-get install fonts-hanazono") in result.output


def test_demo_and_certificates_stop_with_one_sentence_without_fonts(app, runner, tiny, no_fonts):
    tiny()
    result = runner.invoke(args=["lms", "demo", "--trainees", "40"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == f"error: {MISSING}"
    assert users(app) == 4  # the demo accounts, no trainees
    from lms.certificates.render import render_certificate

    with pytest.raises(fonts.FontsMissing, match="fix: sudo apt-get install fonts-hanazono"):
        render_certificate(None)


# --- the console script ------------------------------------------------------------------------

def test_lms_help_lists_only_this_products_commands_and_version():
    result = CliRunner().invoke(build_cli(), ["--help"])
    assert result.exit_code == 0
    commands = result.output.split("Commands:")[1].split()
    for name in ("init", "doctor", "backup", "restore", "import", "demo", "certificates"):
        assert name in commands
    for foreign in ("lms", "run", "shell", "routes", "limiter"):
        assert foreign not in commands
    result = CliRunner().invoke(build_cli(), ["--version"])
    assert result.exit_code == 0 and result.output.startswith("lms ")
    assert result.output.split()[1][0].isdigit() or result.output.split()[1] == "unknown"


def test_the_console_script_runs_its_commands_on_the_app(app):
    from flask.cli import ScriptInfo

    result = CliRunner().invoke(build_cli(), ["doctor"], obj=ScriptInfo(create_app=lambda: app))
    assert "database: ok" in result.output and "migrations: ok" in result.output


# --- backup and restore ------------------------------------------------------------------------

def _sqlite_path(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")


class Writer(threading.Thread):
    """Commits two rows at a time into its own table until stopped; a consistent copy holds an
    even number of them."""

    def __init__(self, path: str):
        super().__init__(daemon=True)
        self.path, self.stop, self.commits, self.error = path, threading.Event(), 0, None
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE pairs (n INTEGER)")

    def run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=10)
        try:
            while not self.stop.is_set():
                with connection:
                    connection.execute("INSERT INTO pairs VALUES (?)", (self.commits,))
                    connection.execute("INSERT INTO pairs VALUES (?)", (self.commits,))
                self.commits += 1
        except sqlite3.Error as error:
            self.error = error
        finally:
            connection.close()


def test_sqlite_backup_is_consistent_while_the_site_writes(app, runner, make_user, tmp_path):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's online backup")
    make_user("trainee")
    writer = Writer(_sqlite_path(app))
    writer.start()
    try:
        while writer.commits < 50:
            pass
        copies = []
        for n in range(3):
            output = tmp_path / f"backup-{n}.db"
            result = runner.invoke(args=["lms", "backup", "-o", str(output)])
            assert result.exit_code == 0, result.output
            copies.append(output)
        before = writer.commits
        while writer.commits < before + 20:  # the writer was never blocked for good
            pass
    finally:
        writer.stop.set()
        writer.join()
    assert writer.error is None
    for copy in copies:
        connection = sqlite3.connect(copy)
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        pairs = connection.execute("SELECT count(*) FROM pairs").fetchone()[0]
        assert pairs > 0 and pairs % 2 == 0
        assert connection.execute("SELECT count(*) FROM lms_users").fetchone() == (1,)
        connection.close()
    assert not list(tmp_path.glob(".*.partial"))
    result = runner.invoke(args=["lms", "backup", "-o", str(copies[0])])
    assert result.exit_code == 1 and "--force" in result.output


def test_restore_refuses_to_overwrite_and_checks_the_file(app, runner, make_user, tmp_path):
    make_user("trainee")
    output = tmp_path / "backup.db"
    result = runner.invoke(args=["lms", "backup", "-o", str(output)])
    assert result.exit_code == 0, result.output
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert output.read_bytes().startswith(b"PGDMP")
    make_user("trainee")
    assert users(app) == 2

    result = runner.invoke(args=["lms", "restore", str(output)])
    assert result.exit_code == 1 and "--force" in result.output
    assert users(app) == 2
    result = runner.invoke(args=["lms", "restore", "--force", str(output)])
    assert result.exit_code == 0, result.output
    assert users(app) == 1

    broken = tmp_path / "broken.db"
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        broken.write_bytes(b"SQLite format 3\x00" + b"\x07" * 4096)
        message = "cannot be restored"
    else:
        broken.write_bytes(output.read_bytes()[:200])
        message = "pg_restore failed"
    result = runner.invoke(args=["lms", "restore", "--force", str(broken)])
    assert result.exit_code == 1 and message in result.output, result.output
    assert users(app) == 1
