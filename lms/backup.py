"""``lms backup`` and ``lms restore``: a consistent copy of the database while the site runs.

SQLite: the online backup API copies one read transaction's view (in WAL mode writers carry on
meanwhile), into a temporary file that is checked and then renamed. PostgreSQL: ``pg_dump`` and
``pg_restore`` (custom format); without them the command to run is printed.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from .migrate import VERSION_TABLE


class BackupError(Exception):
    """Why nothing was written; the text says what to do."""


@dataclass(frozen=True)
class Database:
    url: URL
    schema: str | None = None  # PostgreSQL: the schema the app's search_path names

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def path(self) -> Path:
        if not self.url.database or self.url.database == ":memory:":
            raise BackupError("an in-memory SQLite database cannot be backed up")
        return Path(self.url.database)


def current_database() -> Database:
    from flask import current_app

    from .db import engine

    engine_options = current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
    options = engine_options.get("connect_args", {}).get("options", "")
    schema = next((part.split("=", 1)[1] for part in options.split() if "search_path=" in part), None)
    return Database(engine().url, schema)


def _integrity(path: Path) -> str:
    """``ok`` for an intact LMS database file, else what is wrong with it."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as error:
        return str(error)
    try:
        result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            return "; ".join(result[:3])
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
                                    (VERSION_TABLE,)).fetchone()
        return "ok" if tables else "not a database of this application (no schema version)"
    except sqlite3.Error as error:
        return str(error)
    finally:
        connection.close()


def _copy(source: Path | str, target: Path | str, *, self_contained: bool) -> None:
    """SQLite's online backup of ``source`` into ``target``, in one step: a single read
    transaction, so the copy is one consistent moment even while others write."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.execute("PRAGMA busy_timeout = 30000")
        src.backup(dst)
        if self_contained:
            dst.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal beside it
    finally:
        dst.close()
        src.close()


def backup_sqlite(database: Path, output: Path) -> None:
    partial = output.with_name(f".{output.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        _copy(database, partial, self_contained=True)
        problem = _integrity(partial)
        if problem != "ok":
            raise BackupError(f"the copy failed its integrity check: {problem}")
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)


def restore_sqlite(backup: Path, database: Path) -> None:
    problem = _integrity(backup)
    if problem != "ok":
        raise BackupError(f"{backup} cannot be restored: {problem}")
    # through SQLite, so connections that stay open and the WAL stay coherent
    _copy(backup, database, self_contained=False)
    problem = _integrity(database)
    if problem != "ok":
        raise BackupError(f"the restored database failed its integrity check: {problem}")


def has_data(database: Database) -> bool:
    """Whether the database already holds this application's schema."""
    from sqlalchemy import inspect

    from .db import engine

    return inspect(engine()).has_table(VERSION_TABLE, schema=database.schema)


def _libpq(database: Database) -> tuple[str, dict[str, str]]:
    """The libpq address (no password: that goes in the environment) and environment."""
    url = database.url.set(drivername="postgresql", password=None)
    env = dict(os.environ)
    if database.url.password:
        env["PGPASSWORD"] = str(database.url.password)
    return url.render_as_string(hide_password=False), env


def pg_dump_command(database: Database, output: Path) -> list[str]:
    address, _ = _libpq(database)
    schema = ["--schema", database.schema] if database.schema else []
    return ["pg_dump", "--format=custom", "--no-owner", *schema, "--file", str(output), "--dbname", address]


def pg_restore_command(database: Database, backup: Path) -> list[str]:
    address, _ = _libpq(database)
    schema = ["--schema", database.schema] if database.schema else []
    return ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", *schema,
            "--dbname", address, str(backup)]


def run_postgres(command: list[str], database: Database) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client); "
                          f"run it yourself, with PGPASSWORD set: {shlex.join(command)}")
    _, env = _libpq(database)
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")
