"""Faults: a database that hangs or goes away gives a 503 page within seconds and the site
recovers by itself; a broken SQLite file is said in one sentence by every command."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import exc

from lms.database import engine_options
from lms.db import session

from ..conftest import POSTGRES_URL, TEST_CONFIG, _build_app, csrf_token


class FlakyProxy:
    """A TCP proxy in front of PostgreSQL that can start hanging: connections it accepts then
    get no answer at all, as from a server that has stopped responding."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.hanging = False
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            if self.hanging:
                continue  # accepted, never answered
            upstream = socket.create_connection(self.target)
            self.sockets.append(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def _drop_all(self) -> None:
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.sockets.clear()

    def hang(self) -> None:
        """The server stops answering: open connections break, new ones hang."""
        self.hanging = True
        self._drop_all()

    def resume(self) -> None:
        self.hanging = False
        self._drop_all()

    def close(self) -> None:
        self.listener.close()
        self._drop_all()


@pytest.fixture
def postgres(database):
    if database.backend != "postgresql":
        pytest.skip("PostgreSQL timeouts")
    return database


def _proxied_app(database, proxy: FlakyProxy, tmp_path: Path, **config):
    url = sa.engine.make_url(POSTGRES_URL).set(host="127.0.0.1", port=proxy.port)
    return _build_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
                       "SQLALCHEMY_ENGINE_OPTIONS": {
                           "connect_args": {"options": f"-csearch_path={database.schema}"}},
                       "LMS_DB_CONNECT_TIMEOUT": 2, **config}, tmp_path / "proxied")


def test_a_hanging_database_gives_503_within_seconds_and_the_site_recovers(
        app, postgres, make_user, tmp_path):
    user = make_user("trainee")
    target = sa.engine.make_url(POSTGRES_URL)
    proxy = FlakyProxy((target.host, target.port or 5432))
    proxied = _proxied_app(postgres, proxy, tmp_path)
    client = proxied.test_client()
    try:
        client.post("/login", data={"username": user.username, "password": user.password,
                                    "csrf_token": csrf_token(client)})
        assert client.get("/").status_code == 200

        proxy.hang()
        started = time.monotonic()
        response = client.get("/")
        elapsed = time.monotonic() - started
        page = response.get_data(as_text=True)
        assert response.status_code == 503 and elapsed < 6, (response.status_code, elapsed)
        assert response.headers["Retry-After"] == "30"
        assert "暂时无法连接数据库" in page and 'data-testid="retry"' in page
        assert response.headers["Cache-Control"] == "no-store"
        assert "Content-Security-Policy" in response.headers
        with client.get("/static/lms.css") as static:
            assert static.status_code == 200  # static files still answer
        assert proxied.test_client().get("/login").status_code == 200  # so does the sign-in page

        proxy.resume()
        assert client.get("/").status_code == 200  # no restart: broken connections are replaced
    finally:
        proxy.close()
        with proxied.app_context():
            from lms.extensions import db

            db.engine.dispose()


def test_connections_the_server_dropped_while_idle_are_replaced_without_an_error(
        app, postgres, make_user, tmp_path):
    """A database restart at night: the pool's idle connections are dead. Checked before use (they
    sat idle past LMS_DB_PING_AFTER), they are replaced and the first page still answers."""
    user = make_user("trainee")
    target = sa.engine.make_url(POSTGRES_URL)
    proxy = FlakyProxy((target.host, target.port or 5432))
    proxied = _proxied_app(postgres, proxy, tmp_path, LMS_DB_PING_AFTER=0.2)
    client = proxied.test_client()
    try:
        client.post("/login", data={"username": user.username, "password": user.password,
                                    "csrf_token": csrf_token(client)})
        assert client.get("/").status_code == 200
        proxy.resume()  # every open connection is cut; new ones get through
        time.sleep(0.3)
        assert client.get("/").status_code == 200
    finally:
        proxy.close()
        with proxied.app_context():
            from lms.extensions import db

            db.engine.dispose()


def test_a_statement_past_the_timeout_is_cancelled(app, postgres, tmp_path):
    slow = _build_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": postgres.url,
                       "LMS_DB_STATEMENT_TIMEOUT": 0.5}, tmp_path / "slow")
    try:
        with slow.app_context():
            started = time.monotonic()
            with pytest.raises(exc.OperationalError, match="statement timeout"):
                session.execute(sa.text("SELECT pg_sleep(5)"))
            assert time.monotonic() - started < 3
            session.rollback()
            assert session.execute(sa.text("SELECT 1")).scalar() == 1  # the connection still works
    finally:
        with slow.app_context():
            from lms.extensions import db

            db.engine.dispose()


def test_a_page_stuck_behind_a_lock_answers_503(app, postgres, make_user, tmp_path):
    user = make_user("trainee")
    locked = _build_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": postgres.url,
                         "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {
                             "options": f"-csearch_path={postgres.schema}"}},
                         "LMS_DB_STATEMENT_TIMEOUT": 1}, tmp_path / "locked")
    client = locked.test_client()
    assert client.post("/login", data={"username": user.username, "password": user.password,
                                       "csrf_token": csrf_token(client)}).status_code == 302
    locker = sa.create_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={postgres.schema}"})
    try:
        with locker.connect() as connection:
            connection.execute(sa.text("LOCK TABLE lms_users IN ACCESS EXCLUSIVE MODE"))
            started = time.monotonic()
            response = client.get("/")
            assert response.status_code == 503 and time.monotonic() - started < 5
            connection.rollback()
        assert client.get("/").status_code == 200
    finally:
        locker.dispose()
        with locked.app_context():
            from lms.extensions import db

            db.engine.dispose()


def test_engine_options_add_timeouts_and_keep_the_configured_ones():
    config = {"LMS_DB_CONNECT_TIMEOUT": 5, "LMS_DB_POOL_TIMEOUT": 5, "LMS_DB_STATEMENT_TIMEOUT": 10,
              "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://h/db",
              "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": "-csearch_path=s"}}}
    options = engine_options(config)
    assert "pool_pre_ping" not in options and options["pool_timeout"] == 5  # idle ones are checked
    assert options["connect_args"] == {"options": "-csearch_path=s -c statement_timeout=10000",
                                       "connect_timeout": 5}
    mine = engine_options({**config, "SQLALCHEMY_ENGINE_OPTIONS": {
        "pool_timeout": 1, "connect_args": {"options": "-c statement_timeout=0", "connect_timeout": 9}}})
    assert mine["pool_timeout"] == 1
    assert mine["connect_args"] == {"options": "-c statement_timeout=0", "connect_timeout": 9}
    assert engine_options({**config, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                           "SQLALCHEMY_ENGINE_OPTIONS": {}}) == {}


# --- a broken SQLite file ---------------------------------------------------------------------

@pytest.fixture
def sqlite_file(app, database) -> Path:
    if database.backend != "sqlite":
        pytest.skip("SQLite files")
    return Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))


def _damage(path: Path) -> None:
    """Overwrite the middle of the file: the header stays valid, some pages do not."""
    data = bytearray(path.read_bytes())
    for offset in range(4 * 4096, len(data) - 4096, 3 * 4096):
        data[offset + 64: offset + 1024] = os.urandom(960)
    path.write_bytes(bytes(data))


def _one_sentence(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in output, output
    return lines[0]


@pytest.mark.parametrize("content", [b"", b"not a database at all" * 50], ids=["empty", "garbage"])
@pytest.mark.parametrize("command", [["user", "list"], ["import"], ["audit", "verify"], ["init"]])
def test_every_command_refuses_a_broken_file_in_one_sentence(runner, sqlite_file, content, command):
    sqlite_file.write_bytes(content)
    result = runner.invoke(args=["lms", *command])
    assert result.exit_code == 1
    line = _one_sentence(result.output)
    assert f"{sqlite_file} is not a valid database" in line and "lms init --force" in line
    assert sqlite_file.read_bytes() == content  # nothing was built over it


def test_audit_verify_reports_a_damaged_file_instead_of_intact(runner, sqlite_file, make_user):
    with sa.create_engine(f"sqlite:///{sqlite_file}").begin() as connection:  # enough pages to damage
        connection.execute(sa.text("CREATE TABLE padding (x TEXT)"))
        connection.execute(sa.text("INSERT INTO padding VALUES (:x)"), [{"x": "填充" * 300}] * 200)
    assert "is intact" in runner.invoke(args=["lms", "audit", "verify"]).output
    _damage(sqlite_file)
    result = runner.invoke(args=["lms", "audit", "verify"])
    assert result.exit_code == 1 and "is intact" not in result.output
    assert "it is damaged" in _one_sentence(result.output)


def test_init_force_keeps_the_broken_file_and_builds_a_new_one(runner, sqlite_file):
    sqlite_file.write_bytes(b"")
    result = runner.invoke(args=["lms", "init", "--force"])
    assert result.exit_code == 0, result.output
    kept = [p for p in sqlite_file.parent.iterdir() if p.name.startswith("lms.db.broken-")]
    assert len(kept) == 1 and kept[0].read_bytes() == b""
    assert runner.invoke(args=["lms", "user", "list"]).exit_code == 0
    assert runner.invoke(args=["lms", "init"]).exit_code == 0  # a valid database is upgraded


def test_the_console_script_prints_one_sentence(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "lms.db").write_bytes(b"")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LMS_")}
    environment.update(LMS_INSTANCE_PATH=str(instance), LMS_SECRET_KEY="test",
                       PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    result = subprocess.run([sys.executable, "-c", "from lms.cli import main; main()", "user", "list"],
                            capture_output=True, text=True, env=environment, timeout=60)
    assert result.returncode == 1
    line = _one_sentence(result.stdout + result.stderr)
    assert line.startswith("Error: ") and "is not a valid database: it is empty" in line
