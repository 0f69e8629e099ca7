"""The ``lms`` command: run against the app the ``LMS_*`` environment describes."""

from __future__ import annotations

import getpass
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext
from sqlalchemy import exc

from .content import ContentErrors, load_paths
from .database import UNAVAILABLE, problem_sentence, sqlite_path, sqlite_problem
from .transaction import writing_command


def _create_app():
    from .app import create_app

    # Commands (imports, migrations, statistics) may run long statements: no statement timeout.
    return create_app({"LMS_DB_STATEMENT_TIMEOUT": 0})


def _database_file() -> Path | None:
    from .db import engine

    return sqlite_path(engine().url)


@click.pass_context
def _check_database(ctx: click.Context) -> None:
    """Before any command: a SQLite file that is empty or not a database is said in one sentence
    (``lms init`` decides itself, as it may replace the file with ``--force``)."""
    if ctx.invoked_subcommand in (None, "init"):
        return
    app = ctx.ensure_object(ScriptInfo).load_app()
    with app.app_context():
        path = _database_file()
    problem = sqlite_problem(path) if path is not None else None
    if problem:
        raise click.ClickException(problem_sentence(path, problem))


@click.group("lms", help="Collector training: schema, content, accounts.")
def lms_group() -> None:
    _check_database()


def product_version() -> str:
    try:
        return version("lms-collections")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def build_cli() -> click.Group:
    """The ``lms`` console script: this product's commands only (not Flask's ``run``/``shell``/
    ``routes`` nor other extensions' commands), run against the standalone app."""
    cli = click.Group("lms", commands=lms_group.commands, help=lms_group.help, callback=_check_database)
    return click.version_option(product_version(), "--version", prog_name="lms",
                                message="%(prog)s %(version)s")(cli)


def main() -> None:
    from .logs import configure_logging

    # a person at a terminal reads text; cron mail and log collectors get JSON lines
    default_format = "text" if sys.stderr.isatty() else "json"
    configure_logging({"LMS_LOG_FORMAT": default_format, **os.environ})
    try:
        build_cli().main(prog_name="lms", obj=ScriptInfo(create_app=_create_app, set_debug_flag=False,
                                                         load_dotenv_defaults=False))
    except exc.DatabaseError as error:  # said in one sentence, not a page of traceback
        click.echo(f"Error: {database_error_sentence(error)}", err=True)
        sys.exit(1)


def database_error_sentence(error: exc.DatabaseError) -> str:
    detail = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
    if isinstance(error, UNAVAILABLE):
        return (f"the database cannot be reached ({detail}); check LMS_DATABASE_URL and that the "
                "database server is running, then try again.")
    if "malformed" in detail or "not a database" in detail:
        return f"the database is not valid ({detail}); run `lms audit verify` to see where."
    raise error


def _load(paths: tuple[str, ...]):
    """Courses and their activities named by ``paths`` (default: every course)."""
    return load_paths([Path(p) for p in paths], Path(current_app.config["LMS_COURSES_DIR"]),
                      Path(current_app.config["LMS_QUIZZES_DIR"]))


def _report_errors(errors: ContentErrors) -> None:
    for error in errors.errors:
        click.echo(str(error), err=True)
    click.echo(f"{len(errors.errors)} problem(s) found; nothing was imported.", err=True)


@lms_group.command("init")
@click.option("--force", is_flag=True,
              help="Build a new database in place of a file that is empty or not a valid database "
                   "(that file is kept beside it, renamed).")
@with_appcontext
def init_command(force: bool) -> None:
    """Create or upgrade the database schema; never over a file that is not a valid database
    without --force."""
    from .migrate import upgrade

    path = _database_file()
    problem = sqlite_problem(path, thorough=True) if path is not None else None
    if problem:
        if not force:
            raise click.ClickException(problem_sentence(path, problem))
        click.echo(f"{path}: {problem}; kept as {_move_aside(path)}")
    upgrade()
    click.echo("database schema is up to date")


def _move_aside(path: Path) -> Path:
    """Rename a broken database file (and its WAL files, which belong to it) out of the way."""
    from .db import utcnow

    kept = path.with_name(f"{path.name}.broken-{utcnow():%Y%m%dT%H%M%S}")
    for suffix in ("", "-wal", "-shm"):
        companion = Path(f"{path}{suffix}")
        if companion.exists():
            companion.rename(f"{kept}{suffix}")
    return kept


@lms_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@with_appcontext
def check_command(paths: tuple[str, ...], strict: bool) -> None:
    """Validate content and analyse its assessments; print every problem as path:line: message
    and every warning as path:line: warning: message."""
    from .content.analysis import analyse_content

    try:
        courses = _load(paths)
    except ContentErrors as errors:
        for error in errors.errors:
            click.echo(str(error))
        click.echo(f"{len(errors.errors)} problem(s) found", err=True)
        sys.exit(1)
    findings = analyse_content(courses)
    for finding in findings:
        click.echo(str(finding))
    modules = sum(len(course.modules) for course in courses)
    quizzes = sum(len(course.quizzes) for course in courses)
    scenarios = sum(len(course.scenarios) for course in courses)
    click.echo(f"ok: {len(courses)} course(s), {modules} module(s), {quizzes} quiz(zes) and "
               f"case stud(ies), {scenarios} scenario(s)"
               + (f"; {len(findings)} warning(s)" if findings else ""))
    if strict and findings:
        click.echo(f"{len(findings)} warning(s) found (--strict)", err=True)
        sys.exit(1)


@lms_group.command("import")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--author", default=None, help="Recorded on new revisions (default: your login).")
@click.option("--publish/--draft", "publish", default=None,
              help="Publish, or keep as drafts (default: folders are published, a ZIP package "
                   "is kept as drafts). A course that needs four eyes always gets drafts.")
@click.option("-m", "--message", default="", help="Why: recorded on new revisions.")
@with_appcontext
@writing_command
def import_command(paths: tuple[str, ...], author: str | None, publish: bool | None,
                   message: str) -> None:
    """Validate, then load content in one transaction: course folders and a folder of quizzes,
    or a package FILE.zip (its changes are listed first)."""
    from .authoring.packages import import_package, read_package
    from .authoring.services import import_content, import_steps
    from .authoring.tree import PackageError
    from .db import session
    from .progress import progress

    who = author or _login_name()
    try:
        if len(paths) == 1 and paths[0].lower().endswith(".zip"):
            courses, changes = read_package(paths[0], shown=paths[0])
            for change in changes:
                click.echo(str(change))
            with progress(import_steps(courses), "importing") as bar:  # a bar on a terminal only
                report = import_package(courses, who, bool(publish), message, progress=bar)
        else:
            courses = _load(paths)
            with progress(import_steps(courses), "importing") as bar:
                report = import_content(courses, who, publish is not False, message, progress=bar)
    except PackageError as error:
        click.echo(str(error), err=True)
        click.echo("the package was refused; nothing was imported.", err=True)
        sys.exit(1)
    except ContentErrors as errors:
        _report_errors(errors)
        sys.exit(1)
    session.commit()
    for line in report.lines():
        click.echo(line)


@lms_group.command("export")
@click.argument("course")
@click.option("-o", "--output", required=True, type=click.Path(),
              help="FILE.zip, or a folder to write courses/ and quizzes/ into.")
@with_appcontext
def export_command(course: str, output: str) -> None:
    """Write a published course in the on-disk layout: a ZIP package or folders."""
    from .authoring.packages import export_course
    from .authoring.services import AuthoringError

    try:
        tree = export_course(course, output)
    except AuthoringError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{len(tree)} file(s) written to {output}")


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "lms"


@lms_group.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Check fonts, Graphviz, database, migrations, secret key, instance folder, public URL, mail and
    queue; one line each, with the fix; exit 1 on any problem."""
    from .doctor import doctor_checks

    checks = doctor_checks(current_app)
    for check in checks:
        click.echo(check.line())
    problems = sum(not check.is_ok for check in checks)
    if problems:
        click.echo(f"{problems} problem(s) found", err=True)
        sys.exit(1)


@lms_group.command("backup")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The backup file (SQLite: a database file; PostgreSQL: pg_dump's custom format).")
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists.")
@with_appcontext
def backup_command(output: Path, force: bool) -> None:
    """A consistent copy of the database, taken while the site runs."""
    from . import backup

    if output.exists() and not force:
        raise click.ClickException(f"{output} exists: choose another name, or add --force to replace it")
    database = backup.current_database()
    try:
        if database.is_sqlite:
            backup.backup_sqlite(database.path, output)
        else:
            backup.run_postgres(backup.pg_dump_command(database, output), database)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up to {output} ({output.stat().st_size:,} bytes)")


@lms_group.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the database's current contents.")
@with_appcontext
def restore_command(backup_file: Path, force: bool) -> None:
    """Replace the database with a backup made by `lms backup` (checked first). Stop the site
    and the workers first; run `lms init` afterwards if the backup is from an older version."""
    from . import backup

    database = backup.current_database()
    if backup.has_data(database) and not force:
        raise click.ClickException("the database holds data: add --force to replace it with the backup "
                                   "(make a backup of it first)")
    try:
        if database.is_sqlite:
            backup.restore_sqlite(backup_file, database.path)
        else:  # pg_restore reads the archive's table of contents first: a damaged file stops here
            backup.run_postgres(["pg_restore", "--list", str(backup_file)], database)
            backup.run_postgres(backup.pg_restore_command(database, backup_file), database)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored {backup_file}; run `lms init` if it came from an older version")


@lms_group.command("new-migration", hidden=True)
@click.argument("message")
@with_appcontext
def new_migration_command(message: str) -> None:
    """For developers: write a migration for model changes (run `lms init` first)."""
    from .migrate import new_revision

    new_revision(message)


from .accounts.cli import demo_command, user_group  # noqa: E402
from .assessments.cli import quiz_group, scenario_group, stats_command  # noqa: E402
from .audit.cli import audit_group  # noqa: E402
from .certificates.cli import certificates_group  # noqa: E402
from .jobs.cli import worker_command  # noqa: E402
from .reminders.cli import remind_command  # noqa: E402

lms_group.add_command(user_group)
lms_group.add_command(quiz_group)
lms_group.add_command(scenario_group)
lms_group.add_command(stats_command)
lms_group.add_command(certificates_group)
lms_group.add_command(audit_group)
lms_group.add_command(demo_command)
lms_group.add_command(remind_command)
lms_group.add_command(worker_command)

__all__ = ["build_cli", "lms_group", "main"]
