"""``lms user …`` and ``lms demo``."""

from __future__ import annotations

import secrets
import sys

import click
from flask.cli import with_appcontext

from ..db import session
from ..transaction import writing_command
from . import services
from .models import ROLES

DEMO_ACCOUNTS = (
    # username, name, employee number, department, roles
    ("trainee", "王小明", "E1001", "信用卡催收一部", ("trainee",)),
    ("trainer", "李培训", "T2001", "培训中心", ("trainer",)),
    ("hr", "张人事", "H3001", "人力资源部", ("hr",)),
    ("admin", "系统管理员", "A4001", "信息技术部", ("admin",)),
)


@click.group("user", help="Manage accounts.")
def user_group() -> None:
    pass


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _get(username: str):
    user = services.find_user(username)
    if user is None:
        _fail(f"no user named {username}")
    return user


@user_group.command("add")
@click.argument("username")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES),
              help="Repeat for several roles.")
@click.option("--name", default=None, help="Display name (default: the username).")
@click.option("--employee-no", default=None, help="Employee number (工号).")
@click.option("--department", default=None)
@click.option("--email", default=None)
@with_appcontext
@writing_command
def add_user(username, password, roles, name, employee_no, department, email) -> None:
    """Create an account."""
    try:
        user = services.create_user(username, password, roles, services.UserDetails(
            display_name=name or username, employee_no=employee_no, department=department,
            email=email))
    except services.AccountError as error:
        _fail(error.message)
    session.commit()
    click.echo(f"created {user.username} ({', '.join(sorted(user.roles))})")


@user_group.command("list")
@click.option("--role", type=click.Choice(ROLES), default=None)
@with_appcontext
def list_users(role) -> None:
    """List accounts: username, roles, employee number, name, department."""
    for user in services.list_users(role=role):
        state = "" if user.is_active else "\tinactive"
        click.echo("\t".join([user.username, ",".join(sorted(user.roles)), user.employee_no or "-",
                              user.display_name, user.department or "-"]) + state)


@user_group.command("set-role")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES),
              help="The user's roles from now on; repeat for several.")
@with_appcontext
@writing_command
def set_role(username, roles) -> None:
    """Replace a user's roles."""
    user = _get(username)
    services.set_roles(user, roles)
    session.commit()
    click.echo(f"{user.username}: {', '.join(sorted(user.roles))}")


@user_group.command("set-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
@writing_command
def set_password(username, password) -> None:
    """Set a user's password."""
    user = _get(username)
    try:
        services.set_password(user, password)
    except services.AccountError as error:
        _fail(error.message)
    session.commit()
    click.echo(f"password of {user.username} changed")


@user_group.command("unlock")
@click.argument("username")
@with_appcontext
def unlock(username) -> None:
    """Let a username that failed to sign in too often try again now."""
    from flask import current_app

    current_app.extensions["lms.throttles"].login_user.reset(services.normalise_username(username))
    click.echo(f"{services.normalise_username(username)} may sign in again")


@user_group.command("link")
@click.argument("username")
@click.option("--send", is_flag=True, help="Email it to the user's address instead of printing it.")
@with_appcontext
def link(username, send) -> None:
    """An activation (or password reset) link for the user, valid once for LMS_ACTIVATION_DAYS."""
    from ..urls import PublicUrlMissing
    from . import activation

    user = _get(username)
    if not activation.links_offered():
        _fail("the host app signs people in: there are no activation links")
    if not user.is_active:
        _fail(f"{user.username} is deactivated")
    try:
        if send:
            if not activation.mail_configured():
                _fail("LMS_MAIL_SERVER and LMS_PUBLIC_URL must be set to email links")
            sent = activation.send_links([user], None)
            session.commit()
            if not sent.sent:
                _fail(sent.failed[0][1] if sent.failed else f"{user.username} has no email address")
            click.echo(f"link emailed to {user.email}")
            return
        url = activation.create_link(user, None)
    except PublicUrlMissing as error:
        _fail(str(error))
    session.commit()
    click.echo(url)


@click.command("demo")
@click.option("--trainees", type=click.IntRange(min=1), default=None,
              help="Also create this many demo trainees (D00001…) at every stage of the imported courses; "
                   "employee numbers that exist are skipped.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the demo trainees.")
@with_appcontext
def demo_command(trainees, seed) -> None:
    """Create the demo accounts (one per role) and print their passwords once."""
    if trainees is not None:
        from .. import demo

        if not demo.has_courses():
            _fail("there is no course to enrol demo trainees in: run `lms import` first")
    for username, name, employee_no, department, roles in DEMO_ACCOUNTS:
        if services.find_user(username) is not None:
            click.echo(f"{username:<8} exists (password unchanged; "
                       f"reset it with: lms user set-password {username})")
            continue
        password = secrets.token_urlsafe(9)
        services.create_user(username, password, roles, services.UserDetails(
            display_name=name, employee_no=employee_no, department=department))
        click.echo(f"{username:<8} password: {password}   ({', '.join(roles)})")
    session.commit()
    if trainees is not None:
        try:
            result = demo.generate(trainees, seed, click.echo)
        except demo.DemoError as error:
            _fail(str(error))
        if result.created:
            click.echo(f"created {result.created} demo trainees and {result.certificates} certificates "
                       f"in {result.seconds:.1f} s; they have no password (lms user set-password d00001)")
        else:
            click.echo("no demo trainees to add")
