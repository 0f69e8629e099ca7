"""The editor's preview: an item's text checked as a draft among the course's other drafts, with
the code and messages of ``lms check``, and shown as trainees would see it.

Nothing is stored: the text becomes a draft object that never joins the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import render_template

from ..assessments.grading import QUESTION_TYPES
from ..assessments.quizzes import Wire, question_key
from ..content import ContentErrors, CourseSpec
from ..content.analysis import ERROR, analyse_content
from ..content.questions import Question
from .activities import quiz_data, scenario_data
from .items import Item, split_files
from .models import ACTIVITY, COURSE, MODULE, Draft
from .services import AuthoringError, draft_files, drafts_of, validate


@dataclass(frozen=True)
class Problem:
    """One line of ``lms check``'s output, placed in the editor when it is about this item."""

    message: str  # exactly as `lms check` prints it: path:line: [warning: ]text
    path: str
    line: int | None  # in the editor's text (the item's files one after another); None: elsewhere
    severity: str  # error or warning

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line, "severity": self.severity, "message": self.message, "path": self.path}


@dataclass(frozen=True)
class Preview:
    html: str | None  # None when the course does not load (then there is nothing to show)
    problems: list[Problem]

    def as_json(self) -> dict[str, Any]:
        return {"html": self.html, "problems": [p.as_json() for p in self.problems]}


def preview(item: Item, source: str) -> Preview:
    """``source`` as the item's draft: the problems `lms check` finds in the course with it, and
    the item rendered by the renderer and templates trainees get."""
    files = draft_files(item, source)
    draft = Draft(course_slug=item.course, kind=item.kind, slug=item.slug, source=source, files=files)
    drafts = [d for d in drafts_of(item.course) if (d.kind, d.slug) != (item.kind, item.slug)] + [draft]
    lines = _first_lines(item, source, files)
    try:
        specs = validate(item.course, drafts)
    except ContentErrors as errors:
        return Preview(None, [_problem(str(e), e.path, e.line, ERROR, lines) for e in errors.errors])
    except AuthoringError as error:
        return Preview(None, [Problem(str(error), "", None, ERROR)])
    findings = analyse_content(specs)
    problems = [_problem(str(f), f.path, f.line, f.severity, lines) for f in findings]
    spec = next((s for s in specs if s.slug == item.course), None)
    return Preview(render_item(item, spec) if spec is not None else None, problems)


def _first_lines(item: Item, source: str, files: list[list[Any]]) -> dict[str, int]:
    """Each of the item's file paths and the editor line its first line is on."""
    starts, line = {}, 1
    for name, text in split_files(source, files).items():
        starts[f"{item.folder}/{name}"] = line
        line += text.count("\n")
    return starts


def _problem(message: str, path: str, line: int, severity: str, first_lines: dict[str, int]) -> Problem:
    start = first_lines.get(path)
    return Problem(message, path, None if start is None else start + max(line, 1) - 1, severity)


# --- as trainees see it ---------------------------------------------------------------------

def render_item(item: Item, spec: CourseSpec) -> str | None:
    if item.kind == COURSE:
        return render_template("lms/authoring/_preview_course.html", course=spec)
    if item.kind == MODULE:
        module = next((m for m in spec.modules if m.slug == item.slug), None)
        if module is not None:
            return render_template("lms/authoring/_preview_module.html", module=module)
    if item.kind == ACTIVITY:
        quiz = next((q for q in spec.quizzes if q.slug == item.slug), None)
        if quiz is not None:
            data = quiz_data(quiz)
            return render_template("lms/authoring/_preview_quiz.html", quiz=data,
                                   shown=answer_key(quiz.questions, data["questions"]))
        scenario = next((s for s in spec.scenarios if s.slug == item.slug), None)
        if scenario is not None:
            return render_template("lms/authoring/_preview_scenario.html", scenario=scenario,
                                   data=scenario_data(scenario))
    return None


@dataclass(frozen=True)
class KeyedQuestion:
    """A question as the take page shows it (``wire``, ``data``), with the right answer filled
    in as ``value`` — the answer key, which only the trainer's preview renders."""

    wire: Wire
    data: dict[str, Any]
    value: Any
    question: Question


def answer_key(questions: tuple[Question, ...], data: list[dict[str, Any]]) -> list[KeyedQuestion]:
    keyed = []
    for index, (question, question_data) in enumerate(zip(questions, data, strict=True)):
        key = question_key(index)
        wire = Wire.of({"key": key}, question)
        wire = Wire(key, f"key-{key}", wire.order, wire.tokens, wire.pairs)
        if question.type == "matching":
            choices = question_data["choices"]
            wire = Wire(key, wire.field, list(range(len(choices))), [str(i) for i in range(len(choices))],
                        wire.pairs)
        value = None if question.type in ("essay", "description") \
            else QUESTION_TYPES[question.type].correct_response(question)
        keyed.append(KeyedQuestion(wire, question_data, value, question))
    return keyed
