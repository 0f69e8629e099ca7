"""The training summary reports: one trainee's (培训总结报告) and a cohort's, as data and PDF."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import render_template
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload, undefer

from ..accounts.models import User
from ..assessments.models import (
    CASE,
    GRADED,
    QUIZ,
    SCENARIO,
    WITH_CONTENT,
    Activity,
    ActivityRevision,
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
from ..memo import LatestCache
from ..ordering import natural_key
from ..paths import PACKAGE_DIR
from . import hr
from .charts import bar_chart

COHORT_REPORT_TITLE = "培训情况统计报告"
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
    activities = {a.id: a for a in session.scalars(select(Activity).where(Activity.course_id == course.id)
                                                   .options(WITH_CONTENT))}
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


def question_summary(question: Question, limit: int = 32) -> str:
    """A question as a reader knows it: the start of its text as plain words, not its code name."""
    text = re.sub(r"[*_`#]", "", re.sub(r"<[^>]+>", " ", question.text or ""))
    text = " ".join(text.split()) or question.name
    return text if len(text) <= limit else text[:limit - 1] + "…"


def cohort_report(course: Course, now: datetime | None = None, period: hr.Period | None = None, *,
                  statistics: bool = False) -> dict[str, Any]:
    """The training statistics report (培训情况统计报告): completion, scores, the hardest questions,
    the commonest violations and each department's progress, counted in the database — the same
    queries at 50 or 10,000 trainees. ``statistics`` adds each quiz's question statistics (the PDF).

    With a ``period``: the enrolments of the period as they stood at its end (``hr.course_roster``),
    the quizzes they submitted and the simulation choices they made within it; the per-question
    statistics of the current revisions, which span all time, are left out."""
    now = now or utcnow()
    submitted: tuple = ()
    chosen: tuple = ()
    if period is None:
        counts = hr.status_counts(course, now)
        in_course = select(Enrolment.id).where(hr.open_enrolments(course)).scalar_subquery()
        departments = department_progress(course, now)
    else:
        rows = hr.course_roster(course, now, period)
        counts = hr.counts(rows, min(now, period.end))  # as the period ended
        in_course = hr.roster_enrolments(course, period).scalar_subquery()
        departments = _departments_of(rows)
        submitted = (QuizAttempt.submitted_at > period.start, QuizAttempt.submitted_at <= period.end)
        chosen = (ScenarioChoice.chosen_at > period.start, ScenarioChoice.chosen_at <= period.end)

    activities = session.scalars(select(Activity).where(Activity.course_id == course.id)
                                 .options(WITH_CONTENT)).all()
    rules = {a.id: a.current_revision.data.get("rules", {}) for a in activities
             if a.kind == SCENARIO and a.current_revision is not None}
    if period is None:  # kept until an attempt or a simulation choice of the course is recorded
        revisions = tuple(sorted(a.current_revision_id or 0 for a in activities))  # the rules' texts
        version = (*_results_version(course), revisions)
        results = _results.get(course.id, version)
        if results is None:
            results = _attempt_results(in_course, (), (), rules)
            _results.put(course.id, version, results)
    else:
        results = _attempt_results(in_course, submitted, chosen, rules)

    found = []
    if statistics and period is None:
        quizzes = sorted((a for a in activities if a.kind in (QUIZ, CASE) and not a.is_archived
                          and a.current_revision is not None), key=lambda a: a.slug)
        for report in (activity_report(activity) for activity in quizzes):
            if report.quiz is None or not report.quiz.attempts:
                continue
            texts = {f"q{i}": question_summary(Question.from_json(data))
                     for i, data in enumerate(report.revision.data["questions"])}
            for item in report.quiz.items:  # by their text, not the code a question bank names them by
                item.label = texts.get(item.key, item.label)
            found.append((report, report_charts(report)))
    return {
        "course": course, "counts": counts, "generated_at": now, "statistics": found, "period": period,
        "completion_rate": round(100 * counts["completed"] / counts["enrolled"]) if counts["enrolled"] else 0,
        "chart": bar_chart([label for _, _, label in SCORE_BANDS], results["distribution"],
                           title="综合成绩分布（人数）"),
        "scored": results["scored"], "average": results["average"], "hardest": results["hardest"],
        "violations": results["violations"], "departments": departments,
    }


#: the attempt-derived parts of a course's report, per course (``lms.memo``)
_results = LatestCache(size=16)


def _results_version(course: Course) -> tuple:
    """What the report's attempt results are computed from, cheaply (one query on indexes): the
    count, latest id and latest grading of all attempts, the count and latest id of all simulation
    choices, and the count and latest id of the course's open enrolments (an archived cycle drops
    out). Any new attempt or choice recounts every course's report; that is rare enough."""
    return tuple(session.execute(select(
        select(func.count()).select_from(QuizAttempt).scalar_subquery(),
        select(func.max(QuizAttempt.id)).scalar_subquery(),
        select(func.max(QuizAttempt.graded_at)).scalar_subquery(),
        select(func.count()).select_from(ScenarioChoice).scalar_subquery(),
        select(func.max(ScenarioChoice.id)).scalar_subquery(),
        select(func.count()).select_from(Enrolment).where(hr.open_enrolments(course)).scalar_subquery(),
        select(func.max(Enrolment.id)).where(hr.open_enrolments(course)).scalar_subquery())).one())


def _attempt_results(in_course, submitted: tuple, chosen: tuple, rules: dict[int, dict]) -> dict[str, Any]:
    """Scores by band, the hardest questions and the commonest violations of the enrolments
    ``in_course``, within a period when ``submitted``/``chosen`` bound the times: four queries."""
    best = (select(QuizAttempt.enrolment_id, func.max(func.coalesce(QuizAttempt.score, 0.0)).label("best"))
            .where(QuizAttempt.enrolment_id.in_(in_course), QuizAttempt.state == GRADED, *submitted)
            .group_by(QuizAttempt.enrolment_id, QuizAttempt.activity_id).subquery())
    overall = (select(best.c.enrolment_id, func.avg(best.c.best).label("score"))
               .group_by(best.c.enrolment_id).subquery())
    band = case(*[(overall.c.score < high + 1, index) for index, (_, high, _) in enumerate(SCORE_BANDS[:-1])],
                else_=len(SCORE_BANDS) - 1).label("band")
    by_band = {index: (count, total) for index, count, total in session.execute(
        select(band, func.count(), func.sum(overall.c.score)).group_by(band))}
    scored = sum(count for count, _ in by_band.values())
    average = sum(total or 0.0 for _, total in by_band.values()) / scored if scored else None

    # Each graded attempt carries its answers as one string, "q0+ q1- q2+" (+ right): the database
    # counts the attempts that share a string (thousands, where answers are hundreds of thousands)
    # and the strings are added up per question here.
    answered: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])  # answers, right
    for revision_id, marks, times in session.execute(
            select(QuizAttempt.revision_id, QuizAttempt.marks, func.count())
            .where(QuizAttempt.enrolment_id.in_(in_course), QuizAttempt.state == GRADED, *submitted,
                   QuizAttempt.marks.is_not(None))
            .group_by(QuizAttempt.revision_id, QuizAttempt.marks)):
        for answer in marks.split(" "):
            tally = answered[revision_id, answer[:-1]]
            tally[0] += times
            tally[1] += times if answer.endswith("+") else 0
    groups = sorted((revision_id, key, count, right) for (revision_id, key), (count, right)
                    in answered.items() if count >= 3)  # too few answers say nothing
    groups = sorted(groups, key=lambda g: (g[3] / g[2], -g[2]))[:10]
    revisions = {r.id: r for r in session.scalars(
        select(ActivityRevision).where(ActivityRevision.id.in_({g[0] for g in groups}))
        .options(undefer(ActivityRevision.content)))} if groups else {}
    hardest = []
    for revision_id, key, count, correct in groups:
        questions = revisions[revision_id].data["questions"]
        if not key[1:].isdigit() or int(key[1:]) >= len(questions):
            continue
        question = Question.from_json(questions[int(key[1:])])
        hardest.append({"quiz": revisions[revision_id].title, "question": question_summary(question),
                        "answers": count, "right": round(100 * correct / count)})

    violations: Counter = Counter()
    for rule, severity, activity_id, count in session.execute(
            select(ScenarioChoice.violation_rule, ScenarioChoice.violation_severity, ScenarioPlay.activity_id,
                   func.count())
            .join(ScenarioPlay, ScenarioChoice.play_id == ScenarioPlay.id)
            .where(ScenarioPlay.enrolment_id.in_(in_course), *chosen,
                   ScenarioChoice.violation_rule.is_not(None))
            .group_by(ScenarioChoice.violation_rule, ScenarioChoice.violation_severity,
                      ScenarioPlay.activity_id)):
        violations[(rules.get(activity_id, {}).get(rule, rule), severity)] += count

    return {"distribution": [by_band.get(index, (0, 0))[0] for index in range(len(SCORE_BANDS))],
            "scored": scored, "average": round(average, 1) if average is not None else None,
            "hardest": hardest,
            "violations": [{"rule": rule, "severity": severity, "count": count}
                           for (rule, severity), count in violations.most_common(10)]}


def _departments_of(rows: list[hr.RosterRow]) -> list[dict[str, Any]]:
    """``department_progress`` for the rows of a period's roster."""
    by_department: dict[str | None, list[hr.RosterRow]] = {}
    for row in rows:
        by_department.setdefault(row.department, []).append(row)
    found = []
    for department in sorted(by_department, key=lambda d: (d is None, natural_key(d or ""))):
        mine = by_department[department]
        completed = sum(r.status == hr.COMPLETED for r in mine)
        found.append({"department": department, "enrolled": len(mine), "completed": completed,
                      "overdue": sum(r.status == hr.OVERDUE for r in mine),
                      "rate": round(100 * completed / len(mine))})
    return found


def department_progress(course: Course, now: datetime) -> list[dict[str, Any]]:
    """Per department (in natural order): enrolled, completed, overdue and the completion rate."""
    status = hr.status_column(now)
    rows = session.execute(
        select(User.department, func.count(),
               func.sum(case((status == hr.COMPLETED, 1), else_=0)),
               func.sum(case((status == hr.OVERDUE, 1), else_=0)))
        .join(User, Enrolment.user_id == User.id).where(hr.open_enrolments(course))
        .group_by(User.department)).all()
    return [{"department": department, "enrolled": enrolled, "completed": completed or 0,
             "overdue": overdue or 0, "rate": round(100 * (completed or 0) / enrolled)}
            for department, enrolled, completed, overdue in
            sorted(rows, key=lambda row: (row[0] is None, natural_key(row[0] or "")))]


def render_report_pdf(template: str, **context: Any) -> bytes:
    return report_pdf(render_template(template, **context))


def report_pdf(html: str) -> bytes:
    """The PDF of a rendered report: the slow part, and it needs neither the request nor the database."""
    from ..certificates.render import render_pdf

    return render_pdf(html, PACKAGE_DIR / "static")
