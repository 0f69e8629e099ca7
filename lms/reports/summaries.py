"""The training summary reports: one trainee's (培训总结报告) and a cohort's, as data and PDF."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..assessments.models import (
    CASE,
    GRADED,
    QUIZ,
    SCENARIO,
    Activity,
    AttemptResponse,
    QuizAttempt,
    ScenarioChoice,
    ScenarioPlay,
    TrainingSummary,
)
from ..assessments.statistics import activity_report, report_charts
from ..certificates import services as certificates
from ..certificates.models import CertificateStatus
from ..content.questions import Question
from ..db import session, utcnow
from ..learning import services as learning
from ..learning.models import Course, Enrolment
from ..paths import PACKAGE_DIR
from . import hr
from .charts import bar_chart

SCORE_BANDS = ((0, 59, "0–59"), (60, 69, "60–69"), (70, 79, "70–79"), (80, 89, "80–89"), (90, 100, "90–100"))


@dataclass
class ActivityResult:
    slug: str
    title: str
    kind: str
    attempts: int = 0
    best: float | None = None
    passed: bool = False
    violations: list[dict[str, Any]] = field(default_factory=list)


def trainee_report(enrolment: Enrolment) -> dict[str, Any]:
    """Everything the trainee's report shows, gathered in a handful of queries."""
    course, user = enrolment.course, enrolment.user
    status = learning.course_status(course, enrolment)
    activities = {a.id: a for a in session.scalars(select(Activity).where(Activity.course_id == course.id))}
    results: dict[int, ActivityResult] = {}
    for activity in activities.values():
        if activity.is_archived:
            continue
        results[activity.id] = ActivityResult(activity.slug, activity.title, activity.kind)
    for attempt in session.scalars(select(QuizAttempt).where(QuizAttempt.enrolment_id == enrolment.id)):
        result = results.get(attempt.activity_id)
        if result is None or attempt.state == "in_progress":
            continue
        result.attempts += 1
        if attempt.state == GRADED:
            result.best = max(result.best or 0.0, attempt.score or 0.0)
            result.passed = result.passed or bool(attempt.is_passed)
    rules_by_activity = {a.id: (a.current_revision.data.get("rules", {}) if a.current_revision else {})
                         for a in activities.values()}
    plays = session.scalars(select(ScenarioPlay).where(ScenarioPlay.enrolment_id == enrolment.id)
                            .options(selectinload(ScenarioPlay.choices))).all()
    for play in plays:
        result = results.get(play.activity_id)
        if result is None or play.finished_at is None:
            continue
        result.attempts += 1
        result.best = max(result.best or 0, play.score or 0)
        result.passed = result.passed or bool(play.is_passed)
        for choice in play.choices:
            if choice.violation_rule:
                rules = rules_by_activity[play.activity_id]
                result.violations.append({
                    "rule": rules.get(choice.violation_rule, choice.violation_rule),
                    "severity": choice.violation_severity, "choice": choice.choice_text,
                    "when": choice.chosen_at})
    summary = session.scalar(select(TrainingSummary).where(TrainingSummary.enrolment_id == enrolment.id))
    certificate = certificates.current_certificate(enrolment)
    versions = (certificate.course_versions if certificate is not None
                else certificates.course_versions(enrolment, status))
    ordered = sorted(results.values(), key=lambda r: (r.kind == SCENARIO, r.slug))
    generated_at = utcnow()
    return {
        "course": course, "user": user, "enrolment": enrolment, "status": status,
        "requirements": certificates.requirements(status),
        "quizzes": [r for r in ordered if r.kind in (QUIZ, CASE)],
        "scenarios": [r for r in ordered if r.kind == SCENARIO],
        "summary": summary, "certificate": certificate, "versions": versions,
        "certificate_status": (CertificateStatus.record_labels()[certificate.status(generated_at)]
                               if certificate is not None else None),
        "reading": status.reading,
        "modules": list(zip(status.modules, status.reading.modules, strict=True)),
        "generated_at": generated_at,
    }


def cohort_report(course: Course, now: datetime | None = None,
                  period: hr.Period | None = None) -> dict[str, Any]:
    """Completion, scores, the hardest questions and the commonest violations of a course.

    With a ``period``: the enrolments of the period as they stood at its end (``hr.course_roster``),
    the quizzes they submitted and the simulation choices they made within it; the per-question
    statistics of the current revisions, which span all time, are left out."""
    now = now or utcnow()
    rows = hr.course_roster(course, now, period)
    counts = hr.counts(rows, now)
    enrolment_ids = hr.roster_enrolments(course, period).scalar_subquery()
    submitted, chosen = (), ()
    if period is not None:
        submitted = (QuizAttempt.submitted_at > period.start, QuizAttempt.submitted_at <= period.end)
        chosen = (ScenarioChoice.chosen_at > period.start, ScenarioChoice.chosen_at <= period.end)
    attempts = session.scalars(select(QuizAttempt).where(QuizAttempt.enrolment_id.in_(enrolment_ids),
                                                         QuizAttempt.state == GRADED, *submitted)).all()
    best: dict[int, dict[int, float]] = defaultdict(dict)
    for attempt in attempts:
        mine = best[attempt.enrolment_id]
        mine[attempt.activity_id] = max(mine.get(attempt.activity_id, 0.0), attempt.score or 0.0)
    overall = [sum(scores.values()) / len(scores) for scores in best.values() if scores]
    distribution = [sum(low <= score <= high + 0.99 for score in overall) for low, high, _ in SCORE_BANDS]

    responses = session.execute(
        select(AttemptResponse.question_key, AttemptResponse.fraction, QuizAttempt.revision_id)
        .join(QuizAttempt, AttemptResponse.attempt_id == QuizAttempt.id)
        .where(QuizAttempt.enrolment_id.in_(enrolment_ids), QuizAttempt.state == GRADED, *submitted,
               AttemptResponse.fraction.is_not(None))).all()
    by_question: dict[tuple[int, str], list[float]] = defaultdict(list)
    for key, fraction, revision_id in responses:
        by_question[(revision_id, key)].append(fraction)
    revisions = {a.revision_id: a.revision for a in attempts}
    hardest = []
    for (revision_id, key), fractions in by_question.items():
        if len(fractions) < 3:  # too few answers to say anything
            continue
        revision = revisions.get(revision_id)
        if revision is None:
            continue
        question = Question.from_json(revision.data["questions"][int(key[1:])])
        hardest.append({"quiz": revision.title, "question": question.name, "answers": len(fractions),
                        "right": round(100 * sum(f >= 0.999 for f in fractions) / len(fractions))})
    hardest.sort(key=lambda item: (item["right"], -item["answers"]))

    violations = Counter()
    choices = session.execute(
        select(ScenarioChoice.violation_rule, ScenarioChoice.violation_severity, ScenarioPlay.activity_id)
        .join(ScenarioPlay, ScenarioChoice.play_id == ScenarioPlay.id)
        .where(ScenarioPlay.enrolment_id.in_(enrolment_ids), *chosen,
               ScenarioChoice.violation_rule.is_not(None))).all()
    rules = {a.id: a.current_revision.data.get("rules", {}) for a in session.scalars(
        select(Activity).where(Activity.course_id == course.id, Activity.kind == SCENARIO))
        if a.current_revision is not None}
    for rule, severity, activity_id in choices:
        violations[(rules.get(activity_id, {}).get(rule, rule), severity)] += 1
    quiz_activities = session.scalars(select(Activity).where(
        Activity.course_id == course.id, Activity.kind.in_((QUIZ, CASE)),
        Activity.is_archived.is_(False)).order_by(Activity.slug)).all()
    statistics = [] if period else [
        (report, report_charts(report)) for report in
        (activity_report(activity) for activity in quiz_activities if activity.current_revision)
        if report.quiz is not None and report.quiz.attempts]
    return {
        "course": course, "counts": counts, "generated_at": now, "statistics": statistics, "period": period,
        "completion_rate": round(100 * counts["completed"] / counts["enrolled"]) if counts["enrolled"] else 0,
        "chart": bar_chart([band for _, _, band in SCORE_BANDS], distribution, title="综合成绩分布（人数）"),
        "scored": len(overall),
        "average": round(sum(overall) / len(overall), 1) if overall else None,
        "hardest": hardest[:10],
        "violations": [{"rule": rule, "severity": severity, "count": count}
                       for (rule, severity), count in violations.most_common(10)],
        "overdue": [row for row in rows if row.status == hr.OVERDUE],
    }


def render_report_pdf(template: str, **context: Any) -> bytes:
    from ..certificates.render import render_pdf

    html = render_template(template, **context)
    return render_pdf(html, PACKAGE_DIR / "static")
