"""``lms quiz show`` and ``lms quiz export``: quiz files as neutral JSON, and as GIFT;
``lms scenario paths``: every path of a call simulation."""

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


#: Up to this many paths, ``lms scenario paths`` lists them all; beyond, a summary by ending.
PATHS_LISTED = 1000


@click.group("scenario", help="Analyse call simulations.")
def scenario_group() -> None:
    pass


@scenario_group.command("paths")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the paths as JSON.")
@click.option("--first", default=20, show_default=True,
              help=f"Paths to list when there are more than {PATHS_LISTED}.")
@with_appcontext
def paths_command(file: str, as_json: bool, first: int) -> None:
    """Every path of a call simulation: choices, score, violations, ending, pass or fail; with
    more than 1,000 paths, the count by ending and the first paths."""
    from itertools import islice

    from ..content.analysis import build_graph, count_paths, iter_paths
    from ..content.scenario import load_scenario

    try:
        spec = load_scenario(Path(file))
    except ContentErrors as errors:
        for error in errors.errors:
            click.echo(str(error), err=True)
        sys.exit(1)
    graph = build_graph(spec)
    counted = count_paths(spec, graph)
    listed_all = counted.total is not None and counted.total <= PATHS_LISTED
    rows = list(islice(iter_paths(spec, graph), PATHS_LISTED if listed_all else first))
    if as_json:
        click.echo(json.dumps({
            "title": spec.title, "pass_score": spec.pass_score, "best_score": spec.best_score,
            "paths": counted.total, "passing": counted.passing,
            "guess_pass_chance": (float(counted.guess_pass_chance)
                                  if counted.guess_pass_chance is not None else None),
            "score_min": counted.low, "score_max": counted.high, "complete": counted.complete,
            "endings": [{"step": e.step, "outcome": e.outcome, "critical": e.critical,
                         "passed": e.passed, "failed": e.failed, "score_min": e.low,
                         "score_max": e.high} for e in counted.endings],
            "listed": [{"choices": [{"step": step, "choice": index + 1, "text": text}
                                    for step, index, text in row.choices],
                        "score": row.score, "percent": row.percent, "violations": list(row.violations),
                        "ending": row.ending, "critical": row.critical, "passed": row.passed}
                       for row in rows],
        }, ensure_ascii=False, indent=2))
        return
    total = "unlimited (a play can loop)" if counted.total is None else f"{counted.total:,}"
    click.echo(f"{spec.title}: {total} path(s), {_count(counted.passing)} passing; scores "
               f"{counted.low} to {counted.high} (best {spec.best_score}, pass_score {spec.pass_score}%)")
    if counted.guess_pass_chance is not None:
        click.echo(f"choosing at random passes {float(counted.guess_pass_chance):.2%} of plays")
    if not listed_all:
        click.echo("by ending:")
        for ending in counted.endings:
            how = " after a critical violation" if ending.critical else ""
            click.echo(f"  {ending.step} [{ending.outcome or 'end'}]{how}: {_count(ending.passed)} pass, "
                       f"{_count(ending.failed)} fail, scores {ending.low} to {ending.high}")
        click.echo(f"first {len(rows)} path(s):")
    for number, row in enumerate(rows, start=1):
        choices = " ".join(f"{step}:{index + 1}" for step, index, _ in row.choices)
        violations = ", ".join(row.violations) or "-"
        result = "pass" if row.passed else "fail"
        click.echo(f"{number:>4}. {choices}\t{row.score} ({row.percent}%)\t{violations}\t"
                   f"{row.ending}{' (critical)' if row.critical else ''}\t{result}")


def _count(value: int | None) -> str:
    return "unlimited" if value is None else f"{value:,}"

@click.command("stats")
@click.argument("activity")
@click.option("--json", "as_json", is_flag=True, help="Print every statistic as JSON.")
@click.option("--csv", "as_csv", is_flag=True,
              help="Print one CSV row per question (per choice for a call simulation).")
@click.option("--all-attempts", is_flag=True, help="Count every graded attempt, not only the first.")
@click.option("--revision", type=int, default=None, help="A revision number (default: the current one).")
@with_appcontext
def stats_command(activity: str, as_json: bool, as_csv: bool, all_attempts: bool,
                  revision: int | None) -> None:
    """Quiz, question and simulation statistics of COURSE/ACTIVITY, from graded attempts."""
    import csv

    from sqlalchemy import select

    from ..db import session
    from ..learning import services as learning
    from . import statistics
    from .models import Activity

    course_slug, _, slug = activity.partition("/")
    course = learning.get_course(course_slug) if slug else None
    found = course and session.scalar(select(Activity).where(
        Activity.course_id == course.id, Activity.slug == slug))
    if not found:
        click.echo(f"{activity}: no such activity (give it as COURSE/ACTIVITY)", err=True)
        sys.exit(1)
    report = statistics.activity_report(found, all_attempts=all_attempts, revision_number=revision)
    if report.revision is None:
        click.echo(f"{activity}: no such revision", err=True)
        sys.exit(1)
    data = statistics.report_data(report)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if as_csv:
        out = csv.writer(sys.stdout, lineterminator="\n")
        if report.quiz is not None:
            out.writerow(statistics.QUESTION_COLUMNS)
            for row in data["questions"]:
                out.writerow([row[column] for column in statistics.QUESTION_COLUMNS])
        else:
            out.writerow(("step", "title", "choice", "count", "percent"))
            for step in data["scenario"]["steps"]:
                for choice in step["choices"]:
                    out.writerow((step["step"], step["title"], choice["label"], choice["count"],
                                  choice["percent"]))
        return
    _print_text(data)


def _print_text(data: dict) -> None:
    def pct(value) -> str:
        return "—" if value is None else f"{value:.2f}"

    click.echo(f"{data['course']}/{data['activity']} {data['title']} (revision {data['revision']}, "
               f"{data['attempts']} attempts)")
    if "quiz" in data:
        q = data["quiz"]
        click.echo(f"attempts {q['attempts']}  mean {pct(q['mean'])}%  median {pct(q['median'])}%  "
                   f"sd {pct(q['sd'])}%  skewness {pct(q['skewness'])}  kurtosis {pct(q['kurtosis'])}")
        click.echo(f"CIC {pct(q['cic'])}%  error ratio {pct(q['error_ratio'])}%  "
                   f"standard error {pct(q['standard_error'])}%")
        click.echo(f"{'#':>3} {'n':>4} {'facility':>9} {'sd':>7} {'guess':>7} {'weight':>7} {'eff.w':>7} "
                   f"{'discr.':>7} {'effic.':>7}  question")
        for number, row in enumerate(data["questions"], start=1):
            flags = " ".join(flag for flag, on in (("LOW-DISCRIMINATION", row["low_discrimination"]),
                                                   ("FACILITY", row["facility_out_of_range"])) if on)
            click.echo(f"{number:>3} {row['attempts']:>4} {pct(row['facility']):>9} {pct(row['sd']):>7} "
                       f"{pct(row['random_guess']):>7} {pct(row['intended_weight']):>7} "
                       f"{pct(row['effective_weight']):>7} {pct(row['discrimination_index']):>7} "
                       f"{pct(row['discriminative_efficiency']):>7}  {row['label']} {flags}".rstrip())
    if "scenario" in data:
        sc = data["scenario"]
        click.echo(f"plays {sc['plays']}  passed {sc['passed']}  mean {pct(sc['mean'])}%  "
                   f"median {pct(sc['median'])}%  sd {pct(sc['sd'])}%")
        for title, rows in (("paths", sc["paths"]), ("violations", sc["violations"]),
                            ("critical choices at", sc["critical_at"]),
                            ("failing endings", sc["failing_endings"])):
            click.echo(f"{title}:")
            for row in rows:
                click.echo(f"  {row['count']:>5} {row['percent']:>6.1f}%  {row['label']}")
