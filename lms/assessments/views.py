"""Trainees' assessment pages: quizzes and case studies, call simulations, the summary."""

from __future__ import annotations

from contextlib import suppress

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from ..accounts.access import login_required
from ..accounts.identity import load_current_user
from ..db import session, utcnow
from ..fields import field_message
from ..i18n import gettext as _
from ..learning import services as learning
from ..params import bad_request, wants_json
from ..transaction import keep_changes
from . import quizzes, scenarios, summaries
from .access import CycleClosed, fetch, load_activity, load_enrolled_course, own, own_open, require_open
from .models import CASE, QUIZ, SCENARIO, QuizAttempt, ScenarioPlay

bp = Blueprint("assessments", __name__)


# --- quizzes and case studies ----------------------------------------------------------------

#: How many of a trainee's latest attempts or plays an activity's page lists, unless asked for all
RECENT = 10


def _listed(finished: list) -> list:
    """The finished attempts or plays the page lists: the latest RECENT, or all with ?history=all."""
    return finished if request.args.get("history") == "all" else finished[-RECENT:]


@bp.get("/courses/<course_slug>/quizzes/<slug>/")
@login_required
def quiz(course_slug: str, slug: str):
    course, enrolment = load_enrolled_course(course_slug)
    activity = load_activity(course, slug, (QUIZ, CASE), enrolment)
    status = quizzes.quiz_status(enrolment, activity, utcnow())
    return render_template("lms/assessments/quiz.html", course=course, activity=activity,
                           revision=activity.current_revision, status=status,
                           settings=quizzes.Settings.of(activity.current_revision),
                           listed=_listed(status.finished))


@bp.post("/courses/<course_slug>/quizzes/<slug>/start")
@login_required
def start_attempt(course_slug: str, slug: str):
    course, enrolment = load_enrolled_course(course_slug)
    activity = load_activity(course, slug, (QUIZ, CASE), enrolment)
    try:
        attempt = quizzes.start_attempt(enrolment, activity, utcnow())
    except quizzes.AttemptRefused:
        return redirect(url_for(".quiz", course_slug=course.slug, slug=activity.slug))
    return redirect(url_for(".attempt", attempt_id=attempt.id))


def _load_attempt(attempt_id: int, lock: bool = False) -> QuizAttempt:
    """An attempt of the current user; its activity must be open (the review stays readable).
    With ``lock``, the attempt is read afresh and locked: two tabs saving or submitting at once
    are handled one after the other, the second seeing what the first did."""
    return own_open(fetch(QuizAttempt, attempt_id, lock=lock))


def _form_values(attempt: QuizAttempt):
    """The answers the form sent, the attempt's tokens turned back into authored indices."""
    return quizzes.decode_form(attempt, request.form.to_dict(flat=False))


@bp.get("/attempts/<lms_id:attempt_id>")
@login_required
def attempt(attempt_id: int):
    attempt = _load_attempt(attempt_id)
    now = utcnow()
    if not quizzes.is_open(attempt, now):
        quizzes.close_if_expired(attempt, now)
        return redirect(url_for(".review", attempt_id=attempt.id))
    return render_template("lms/assessments/attempt.html", attempt=attempt,
                           course=attempt.activity.course, revision=attempt.revision,
                           shown=quizzes.shown_questions(attempt), now=now)


@bp.post("/attempts/<lms_id:attempt_id>/save")
@login_required
def save_attempt(attempt_id: int):
    attempt = _load_attempt(attempt_id, lock=True)
    now = utcnow()
    try:
        saved = quizzes.save_responses(attempt, _form_values(attempt), now)
    except quizzes.AttemptClosed:
        keep_changes()  # the attempt may just have been closed at its deadline
        return jsonify(saved=0, closed=True, review=url_for(".review", attempt_id=attempt.id)), 409
    except quizzes.AnswerRefused as refused:
        return jsonify(saved=0, closed=False, error=_answer_message(refused)), 400
    return jsonify(saved=saved, saved_at=now.isoformat(), closed=False)


@bp.post("/attempts/<lms_id:attempt_id>/submit")
@login_required
def submit_attempt(attempt_id: int):
    attempt = _load_attempt(attempt_id, lock=True)
    now = utcnow()
    if quizzes.is_open(attempt, now):
        try:
            quizzes.save_responses(attempt, _form_values(attempt), now)
        except quizzes.AnswerRefused as refused:
            flash(_answer_message(refused), "warning")
            return redirect(url_for(".attempt", attempt_id=attempt.id))
        quizzes.submit(attempt, now)
    else:
        quizzes.close_if_expired(attempt, now)
        if attempt.deadline_at is not None and now >= attempt.deadline_at:
            flash(_("The time limit had passed: answers sent after it were not counted."), "warning")
    return redirect(url_for(".review", attempt_id=attempt.id))


def _answer_message(refused: quizzes.AnswerRefused) -> str:
    return _("An answer was not saved: %(problem)s Correct it and send the answers again.",
             problem=field_message(refused.problem))


@bp.get("/attempts/<lms_id:attempt_id>/review")
@login_required
def review(attempt_id: int):
    attempt = own(fetch(QuizAttempt, attempt_id))
    if quizzes.is_open(attempt, utcnow()):
        if attempt.enrolment.is_archived:  # never submitted, and its cycle is closed
            raise CycleClosed()
        return redirect(url_for(".attempt", attempt_id=attempt.id))
    status = quizzes.quiz_status(attempt.enrolment, attempt.activity, utcnow())
    course = attempt.activity.course
    course_status = learning.course_status(course, attempt.enrolment)
    return render_template("lms/assessments/review.html", attempt=attempt, course=course,
                           revision=attempt.revision,
                           reveal=quizzes.may_reveal(attempt, status.is_passed),
                           review=quizzes.review_items(attempt), status=status,
                           course_status=course_status,
                           module=learning.module_of(course_status, attempt.activity.slug))


# --- call simulations ------------------------------------------------------------------------

@bp.get("/courses/<course_slug>/scenarios/<slug>/")
@login_required
def scenario(course_slug: str, slug: str):
    course, enrolment = load_enrolled_course(course_slug)
    activity = load_activity(course, slug, (SCENARIO,), enrolment)
    plays = scenarios.plays_of(enrolment, activity)
    finished = [play for play in plays if play.finished_at is not None]
    return render_template("lms/assessments/scenario.html", course=course, activity=activity,
                           revision=activity.current_revision, plays=plays, finished=finished,
                           listed=_listed(finished))


@bp.post("/courses/<course_slug>/scenarios/<slug>/start")
@login_required
def start_play(course_slug: str, slug: str):
    course, enrolment = load_enrolled_course(course_slug)
    activity = load_activity(course, slug, (SCENARIO,), enrolment)
    play = scenarios.start_play(enrolment, activity, utcnow())
    return redirect(url_for(".play", play_id=play.id))


@bp.get("/plays/<lms_id:play_id>")
@login_required
def play(play_id: int):
    play = own_open(fetch(ScenarioPlay, play_id))
    if play.finished_at is not None:
        return redirect(url_for(".debrief", play_id=play.id))
    return render_template("lms/assessments/play.html", play=play, course=play.activity.course,
                           revision=play.revision, step=scenarios.step_data(play),
                           choices=scenarios.shown_choices(play), last=scenarios.last_choice(play))


@bp.post("/plays/<lms_id:play_id>/choose")
@login_required
def choose(play_id: int):
    play = own_open(fetch(ScenarioPlay, play_id, lock=True))
    if play.finished_at is None:
        # A second tab or a double click sends a stale choice: show where the play now stands.
        with suppress(scenarios.StaleChoice):
            scenarios.choose(play, request.form.get("step", ""), request.form.get("choice", ""),
                             utcnow())
    if play.finished_at is not None:
        return redirect(url_for(".debrief", play_id=play.id))
    return redirect(url_for(".play", play_id=play.id))


@bp.get("/plays/<lms_id:play_id>/debrief")
@login_required
def debrief(play_id: int):
    play = own(fetch(ScenarioPlay, play_id))
    if play.finished_at is None:
        return redirect(url_for(".play", play_id=play.id))
    course = play.activity.course
    course_status = learning.course_status(course, play.enrolment)
    return render_template("lms/assessments/debrief.html", play=play, course=course,
                           revision=play.revision, path=scenarios.path_of(play),
                           course_status=course_status,
                           module=learning.module_of(course_status, play.activity.slug))


# --- the training summary --------------------------------------------------------------------

@bp.route("/courses/<course_slug>/summary", methods=["GET", "POST"])
@login_required
def summary(course_slug: str):
    course, enrolment = load_enrolled_course(course_slug)
    require_open(course, enrolment, summaries.SUMMARY_SLUG)
    min_chars = summaries.min_chars(course)
    record = summaries.current(enrolment)
    if request.method == "POST":
        body = request.form.get("body")
        if body is None:  # not the page's form (a script's JSON, an empty post): keep the draft as it is
            bad_request(_("The summary did not arrive with the request: reload the page and try again."))
        try:
            if request.form.get("action") == "submit":
                summaries.submit(enrolment, body, min_chars, load_current_user(), utcnow())
                flash(_("Your training summary was submitted to your trainer."), "success")
                return redirect(url_for(".summary", course_slug=course.slug))
            summaries.save_draft(enrolment, body, utcnow())
            if wants_json():
                return jsonify(saved=True, count=summaries.counted_chars(body))
            flash(_("Draft saved."), "info")
            return redirect(url_for(".summary", course_slug=course.slug))
        except summaries.SummaryError as problem:
            session.rollback()
            if wants_json():
                return (jsonify(saved=False, error=problem.code, message=summaries.error_message(problem)),
                        409 if problem.code == "not_editable" else 400)
            record = summaries.current(enrolment)
            error = summaries.error_message(problem)
            return render_template("lms/assessments/summary.html", course=course, summary=record,
                                   body=body, min_chars=min_chars, error=error,
                                   editable=summaries.is_editable(record)), 400
    return render_template("lms/assessments/summary.html", course=course, summary=record,
                           body=record.body, min_chars=min_chars, error=None,
                           editable=summaries.is_editable(record))

