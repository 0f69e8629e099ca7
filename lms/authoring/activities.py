"""Quizzes, case studies and scenarios into the database: a new revision for each changed file.

Called by :mod:`lms.authoring.publishing` inside its transaction; it flushes only.
Every text is rendered to HTML here, once, so pages never render Markdown per request.
"""

from __future__ import annotations

import html
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from ..assessments.grading import answer_choices
from ..assessments.models import CASE, QUIZ, SCENARIO, Activity, ActivityRevision
from ..content.analysis import Finding, analyse_course, analyse_quiz, analyse_scenario
from ..content.errors import display_path
from ..content.questions import Question
from ..content.render import render_markdown, sanitise_html
from ..db import session
from ..learning.models import Course
from .publishing import Stamp, spec_files


def publish_activities(course: Course, quizzes: tuple[Any, ...], scenarios: tuple[Any, ...],
                       stamp: Stamp) -> tuple[list[str], list[str], int]:
    """Returns (new revision names, archived activity names, unchanged count)."""
    existing = {a.slug: a for a in session.scalars(select(Activity).where(Activity.course_id == course.id))}
    created, unchanged = [], 0
    specs = [(quiz, CASE if quiz.settings.kind == "case" else QUIZ) for quiz in quizzes]
    specs += [(scenario, SCENARIO) for scenario in scenarios]
    repeated = analyse_course(SimpleNamespace(quizzes=quizzes))
    for spec, kind in specs:
        activity = existing.pop(spec.slug, None)
        if activity is None:
            activity = Activity(course_id=course.id, slug=spec.slug, kind=kind)
            session.add(activity)
            session.flush()
        activity.kind, activity.is_archived = kind, False
        current = activity.current_revision
        if current is not None and current.sha256 == spec.sha256:
            if current.files is None:  # stored before file names were kept: learn them
                current.files = spec_files(spec)
            unchanged += 1
            continue
        number = (session.scalar(select(func.max(ActivityRevision.number))
                                 .where(ActivityRevision.activity_id == activity.id)) or 0) + 1
        data = scenario_data(spec) if kind == SCENARIO else quiz_data(spec)
        data["findings"] = findings_data(spec, kind, repeated)
        revision = ActivityRevision(activity_id=activity.id, number=number, title=data["title"],
                                    source=spec.source, content=data, sha256=spec.sha256,
                                    author=stamp.author, message=stamp.message,
                                    approved_by=stamp.approved_by, files=spec_files(spec))
        session.add(revision)
        session.flush()
        activity.current_revision = revision
        created.append(f"{course.slug}/{spec.slug} r{number}")
    archived = []
    for slug, activity in existing.items():
        if not activity.is_archived:
            activity.is_archived = True
            archived.append(f"{course.slug}/{slug}")
    session.flush()
    return created, archived, unchanged


def findings_data(spec: Any, kind: str, repeated: list[Finding]) -> list[dict[str, Any]]:
    """What `lms check` warns about this activity, kept with the revision for the trainer's page."""
    found = analyse_scenario(spec) if kind == SCENARIO else analyse_quiz(spec)
    found += [f for f in repeated if f.path == spec.path]
    return [{"path": display_path(f.path), "line": f.line, "message": f.message, "severity": f.severity}
            for f in sorted(found, key=lambda f: (f.path, f.line))]


def render_text(text: str, text_format: str | None) -> str:
    if text_format == "html":
        return sanitise_html(text)
    if text_format == "plain":
        return "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())
    return render_markdown(text)


def quiz_data(spec: Any) -> dict[str, Any]:
    settings = spec.settings
    return {
        "title": settings.title,
        "kind": settings.kind,
        "settings": {
            "pass_mark": settings.pass_mark, "attempts": settings.attempts,
            "wait": int(settings.wait.total_seconds()) if settings.wait else None,
            "time_limit": int(settings.time_limit.total_seconds()) if settings.time_limit else None,
            "shuffle": settings.shuffle, "shuffle_answers": settings.shuffle_answers,
            "draw": settings.draw, "draw_category": settings.draw_category,
            "draw_quotas": settings.draw_quotas, "reveal": settings.reveal,
        },
        "intro_html": render_markdown(spec.intro) if spec.intro.strip() else "",
        "question_count": (settings.draw or sum(q.type != "description" for q in spec.questions)),
        "questions": [question_data(question) for question in spec.questions],
    }


def question_data(question: Question) -> dict[str, Any]:
    """The neutral JSON of a question, plus its texts rendered for pages."""
    data = question.to_json()
    data["line"] = question.line
    data["html"] = render_text(question.text, question.format)
    if question.general_feedback:
        data["general_feedback_html"] = render_text(question.general_feedback, question.format)
    for entries in (data.get("answers", ()), data.get("numeric", ())):
        for entry in entries:
            if entry.get("feedback"):
                entry["feedback_html"] = render_markdown(entry["feedback"])
    if question.type == "matching":
        data["choices"] = answer_choices(question)
    return data


def scenario_data(spec: Any) -> dict[str, Any]:
    return {
        "title": spec.title,
        "pass_score": spec.pass_score,
        "shuffle": spec.shuffle,
        "rules": dict(spec.rules),
        "best_score": spec.best_score,
        "start": spec.start.id,
        "steps": {
            step.id: {
                "title": step.title,
                "html": render_markdown(step.text) if step.text.strip() else "",
                "is_end": step.is_end,
                "choices": [{"text": choice.text,
                             "feedback_html": render_markdown(choice.feedback) if choice.feedback else ""}
                            for choice in step.choices],
            }
            for step in spec.steps
        },
    }
