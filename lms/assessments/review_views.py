"""Trainers' pages: what waits for them (essays, summaries), and how each trainee did."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from .. import fields
from ..accounts.access import roles_required
from ..accounts.identity import load_current_user
from ..accounts.models import TRAINER
from ..audit.downloads import audited_download
from ..db import locked, session, utcnow
from ..i18n import gettext as _
from ..learning import services as learning
from ..paging import PER_PAGE
from ..params import int_arg
from ..reports import hr
from ..reports.spreadsheets import csv_chunks, write_xlsx
from . import queue as queue_of
from . import quizzes, results, statistics, summaries
from .access import load_activity, reviewable
from .models import (
    CASE,
    QUIZ,
    SCENARIO,
    QuizAttempt,
    ScenarioPlay,
    TrainingSummary,
)
from .scenarios import path_of

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.get("/")
@roles_required(TRAINER)
def queue():
    return render_template("lms/review/queue.html", summaries=queue_of.summaries_to_review(),
                           attempts=queue_of.answers_to_grade(), courses=learning.all_courses())


@bp.route("/attempts/<lms_id:attempt_id>", methods=["GET", "POST"])
@roles_required(TRAINER)
def attempt(attempt_id: int):
    attempt = reviewable(locked(QuizAttempt, attempt_id) if request.method == "POST"
                         else session.get(QuizAttempt, attempt_id))
    errors: dict[str, str] = {}
    if request.method == "POST" and attempt.state == quizzes.IN_PROGRESS:
        return _attempt_page(attempt, errors), 409  # the page says it is graded once submitted
    if request.method == "POST":
        now = utcnow()
        for item in quizzes.review_items(attempt):
            if item.question.type != "essay":
                continue
            raw = request.form.get(f"grade-{item.key}", "").strip()
            if not raw:
                continue
            try:
                percent = float(raw)
            except ValueError:
                percent = -1
            if not 0 <= percent <= 100:
                errors[item.key] = _("Give a grade from 0 to 100.")
                continue
            try:
                comment = fields.clean(request.form.get(f"comment-{item.key}"), fields.COMMENT)
            except fields.TextRuleError as error:
                errors[item.key] = fields.field_message(error.problem)
                continue
            quizzes.grade_by_hand(attempt, item.key, percent / 100, comment, load_current_user(), now)
        if not errors:
            flash(_("Grades saved."), "success")
            return redirect(url_for(".attempt", attempt_id=attempt.id))
        session.rollback()
    return _attempt_page(attempt, errors), 400 if errors else 200


def _attempt_page(attempt: QuizAttempt, errors: dict[str, str]) -> str:
    return render_template("lms/review/attempt.html", attempt=attempt, review=quizzes.review_items(attempt),
                           errors=errors, form=request.form, gradable=attempt.state != quizzes.IN_PROGRESS)


@bp.route("/summaries/<lms_id:summary_id>", methods=["GET", "POST"])
@roles_required(TRAINER)
def summary(summary_id: int):
    # A POST locks the summary: of two trainers deciding at once, the second sees the decision.
    record = reviewable(locked(TrainingSummary, summary_id) if request.method == "POST"
                        else session.get(TrainingSummary, summary_id))
    error = None
    if request.method == "POST":
        try:
            summaries.review(record, request.form.get("decision") == "approve",
                             request.form.get("comment", ""), load_current_user(), utcnow())
        except summaries.SummaryError as problem:
            if problem.code != "already_reviewed":  # the same decision twice: done already
                error = summaries.error_message(problem)
        if error is None:
            flash(_("Summary approved.") if record.status == "approved"
                  else _("Summary returned to the trainee."), "success")
            return redirect(url_for(".queue"))
    return render_template("lms/review/summary.html", summary=record, error=error,
                           comment=request.form.get("comment", "")), 400 if error else 200


@bp.get("/plays/<lms_id:play_id>")
@roles_required(TRAINER)
def play(play_id: int):
    play = reviewable(session.get(ScenarioPlay, play_id))
    return render_template("lms/review/play.html", play=play, path=path_of(play))


def _results_filter() -> results.ResultsFilter:
    args = request.args
    return results.ResultsFilter(search=args.get("q", ""), department=args.get("department", ""),
                                 cohort=args.get("cohort", ""), status=args.get("status", ""),
                                 sort=args.get("sort", "employee_no"), descending=args.get("order") == "desc")


@bp.get("/courses/<course_slug>/")
@roles_required(TRAINER)
def course_results(course_slug: str):
    """Each trainee of the course with their result in every part of it: searched, filtered,
    sorted and paged in the database."""
    course = learning.get_course(course_slug) or abort(404)
    now = utcnow()
    wanted = _results_filter()
    found = results.course_results(course, wanted, now, page=int_arg("page", 1),
                                   per_page=int_arg("per_page", PER_PAGE))
    return render_template("lms/review/course.html", course=course, found=found, filters=wanted,
                           statuses=hr.STATUS_LABELS, summary_labels=results.SUMMARY_LABELS,
                           args={k: v for k, v in request.args.items() if k != "page"})


@bp.get("/courses/<course_slug>/results.<any(csv, xlsx):fmt>")
@roles_required(TRAINER)
def export_results(course_slug: str, fmt: str):
    """What the results page shows with the same filters and order, every page of it."""
    course = learning.get_course(course_slug) or abort(404)
    now = utcnow()
    columns, ids, found = results.all_results(course, _results_filter(), now)
    headers, rows = results.export_headers(columns), results.export_rows(columns, found)
    if fmt == "csv":
        body, mimetype = csv_chunks(headers, rows), "text/csv"
    else:
        body = write_xlsx(course.title, headers, rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"{course.slug}-results-{now:%Y%m%d}.{fmt}"
    return audited_download(body, action=f"export.results_{fmt}", subject=course.slug,
                            actor=load_current_user(),
                            details={"rows": len(ids), "filters": dict(request.args)},
                            mimetype=mimetype, disposition=f'attachment; filename="{name}"')


@bp.get("/courses/<course_slug>/activities/<slug>/")
@roles_required(TRAINER)
def activity_statistics(course_slug: str, slug: str):
    """Moodle-style statistics of a quiz, case study or call simulation, from graded attempts:
    first attempts of each trainee, or all attempts with ``?attempts=all``."""
    course = learning.get_course(course_slug) or abort(404)
    activity = load_activity(course, slug, (QUIZ, CASE, SCENARIO))
    all_attempts = request.args.get("attempts") == "all"
    report = statistics.activity_report(activity, all_attempts=all_attempts,
                                        revision_number=request.args.get("revision", type=int))
    if report.revision is None:
        abort(404)
    return render_template("lms/review/statistics.html", course=course, activity=activity,
                           report=report, charts=statistics.report_charts(report),
                           thresholds={"discrimination": statistics.LOW_DISCRIMINATION,
                                       "facility": statistics.FACILITY_RANGE})
