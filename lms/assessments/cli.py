"""``lms quiz show`` and ``lms quiz export``: quiz files as neutral JSON, and as GIFT."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..content import ContentErrors


def _load(quiz: str):
    """A quiz file by path, or by ``course/slug`` in the quizzes folder."""
    from ..content.quiz import load_quiz

    path = Path(quiz)
    if not path.exists() and "/" in quiz and not quiz.endswith((".md", ".gift")):
        folder = Path(current_app.config["LMS_QUIZZES_DIR"])
        candidates = [folder / f"{quiz}.md", folder / f"{quiz}.gift"]
        path = next((c for c in candidates if c.exists()), path)
    if not path.is_file():
        click.echo(f"{quiz}:1: no such quiz file", err=True)
        sys.exit(1)
    try:
        return load_quiz(path)
    except ContentErrors as errors:
        for error in errors.errors:
            click.echo(str(error), err=True)
        sys.exit(1)


@click.group("quiz", help="Read and convert quiz files.")
def quiz_group() -> None:
    pass


@quiz_group.command("show")
@click.argument("quiz")
@click.option("--json", "as_json", is_flag=True, help="Print the questions as neutral JSON.")
@with_appcontext
def show(quiz: str, as_json: bool) -> None:
    """Parse a Markdown or GIFT quiz and print its questions."""
    spec = _load(quiz)
    if as_json:
        click.echo(json.dumps({"questions": [q.to_json() for q in spec.questions]},
                              ensure_ascii=False, indent=2))
        return
    click.echo(f"{spec.settings.title}: {len(spec.questions)} question(s)")
    for number, question in enumerate(spec.questions, start=1):
        click.echo(f"{number:>3}. [{question.type}] {question.name}")


@quiz_group.command("export")
@click.argument("quiz")
@click.option("--format", "fmt", type=click.Choice(["gift"]), default="gift", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file instead of standard output.")
@with_appcontext
def export(quiz: str, fmt: str, output: str | None) -> None:
    """Write a quiz in another format (GIFT, for Moodle)."""
    from ..content.gift import write_gift

    spec = _load(quiz)
    try:
        text = write_gift(spec.questions)
    except ValueError as error:
        click.echo(f"{spec.path}:1: {error}", err=True)
        sys.exit(1)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {len(spec.questions)} question(s) to {output}")
    else:
        click.echo(text, nl=False)
