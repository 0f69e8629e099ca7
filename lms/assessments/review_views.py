"""Trainers' pages: what waits for them (essays, summaries), and how each trainee did."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.access import roles_required
from ..accounts.identity import load_current_user
from ..accounts.models import TRAINER
from ..db import session, utcnow
from ..i18n import gettext as _
from ..learning import services as learning
from ..learning.models import Enrolment
from . import quizzes, summaries
from .access import reviewable
from .models import AWAITING_GRADING, SCENARIO, Activity, QuizAttempt, ScenarioPlay, TrainingSummary
from .scenarios import best_play, path_of

bp = Blueprint("review", __name__, url_prefix="/review")
RESULTS_PER_PAGE = 50


@bp.get("/")
@roles_required(TRAINER)
def queue():
    quizzes.close_expired_attempts(utcnow())
    session.commit()
    waiting = session.scalars(select(QuizAttempt).where(QuizAttempt.state == AWAITING_GRADING)
                              .order_by(QuizAttempt.submitted_at)).all()
    return render_template("lms/review/queue.html", attempts=waiting,
                           summaries=summaries.pending_summaries(), courses=learning.all_courses())


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@roles_required(TRAINER)
def attempt(attempt_id: int):
    attempt = reviewable(session.get(QuizAttempt, attempt_id))
    errors: dict[str, str] = {}
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
            quizzes.grade_by_hand(attempt, item.key, percent / 100,
                                  request.form.get(f"comment-{item.key}", "").strip(),
                                  load_current_user(), now)
        if not errors:
            session.commit()
            flash(_("Grades saved."), "success")
            return redirect(url_for(".attempt", attempt_id=attempt.id))
        session.rollback()
    return render_template("lms/review/attempt.html", attempt=attempt,
                           review=quizzes.review_items(attempt), errors=errors,
                           form=request.form), 400 if errors else 200


@bp.route("/summaries/<int:summary_id>", methods=["GET", "POST"])
@roles_required(TRAINER)
def summary(summary_id: int):
    record = reviewable(session.get(TrainingSummary, summary_id))
    error = None
    if request.method == "POST":
        try:
            summaries.review(record, request.form.get("decision") == "approve",
                             request.form.get("comment", ""), load_current_user(), utcnow())
        except summaries.SummaryError as problem:
            error = summaries.error_message(problem)
        else:
            session.commit()
            flash(_("Summary approved.") if record.status == "approved"
                  else _("Summary returned to the trainee."), "success")
            return redirect(url_for(".queue"))
    return render_template("lms/review/summary.html", summary=record, error=error,
                           comment=request.form.get("comment", "")), 400 if error else 200


@bp.get("/plays/<int:play_id>")
@roles_required(TRAINER)
def play(play_id: int):
    play = reviewable(session.get(ScenarioPlay, play_id))
    return render_template("lms/review/play.html", play=play, path=path_of(play))


@bp.get("/courses/<course_slug>/")
@roles_required(TRAINER)
def course_results(course_slug: str):
    """Each trainee of the course with their best result in every activity."""
    course = learning.get_course(course_slug) or abort(404)
    quizzes.close_expired_attempts(utcnow())
    session.commit()
    activities = session.scalars(select(Activity).where(
        Activity.course_id == course.id, Activity.is_archived.is_(False)).order_by(Activity.slug)).all()
    enrolments = session.scalars(
        select(Enrolment).where(Enrolment.course_id == course.id, Enrolment.is_archived.is_(False))
        .options(selectinload(Enrolment.user))).all()
    ids = [e.id for e in enrolments]
    attempts = session.scalars(select(QuizAttempt).where(QuizAttempt.enrolment_id.in_(ids))).all()
    plays = session.scalars(select(ScenarioPlay).where(ScenarioPlay.enrolment_id.in_(ids))).all()
    summaries_by = {s.enrolment_id: s for s in session.scalars(
        select(TrainingSummary).where(TrainingSummary.enrolment_id.in_(ids)))}
    results: dict[tuple[int, int], object] = {}
    for activity in activities:
        for enrolment in enrolments:
            if activity.kind == SCENARIO:
                results[enrolment.id, activity.id] = best_play(
                    [p for p in plays if p.enrolment_id == enrolment.id and p.activity_id == activity.id])
            else:
                status = quizzes.QuizStatus(activity, [a for a in attempts if a.enrolment_id == enrolment.id
                                                       and a.activity_id == activity.id], None, None)
                results[enrolment.id, activity.id] = status
    enrolments = sorted(enrolments, key=lambda e: (e.user.department or "", e.user.employee_no or ""))
    page = max(1, request.args.get("page", 1, type=int))
    pages = max(1, -(-len(enrolments) // RESULTS_PER_PAGE))
    shown = enrolments[(page - 1) * RESULTS_PER_PAGE: page * RESULTS_PER_PAGE]
    return render_template("lms/review/course.html", course=course, activities=activities,
                           enrolments=shown, results=results, summaries=summaries_by,
                           page=page, pages=pages, total=len(enrolments))
