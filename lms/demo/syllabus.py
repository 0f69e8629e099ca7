"""The imported courses as the steps a demo trainee takes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..assessments.models import (
    SCENARIO,
    Activity,
)
from ..assessments.quizzes import Settings, questions_of
from ..assessments.scenarios import spec_of
from ..assessments.summaries import SUMMARY_SLUG, min_chars
from ..certificates.services import write_template
from ..content import scenario as engine
from ..content.course import DEFAULT_CERTIFICATE, DEFAULT_COMPLETION
from ..content.questions import (
    Question,
)
from ..db import session
from ..learning.models import Course
from ..learning.reading import min_share, required_minutes
from .people import DemoError


@dataclass(frozen=True)
class ModuleStep:
    slug: str
    module_id: int
    revision_id: int
    number: int
    sha256: str
    seconds: int  # the module's reading time
    required: int = 0  # the engaged minutes it asks for (lms.learning.reading)


@dataclass(frozen=True)
class QuizStep:
    slug: str
    activity_id: int
    revision_id: int
    number: int
    sha256: str
    questions: list[Question]
    settings: Settings


@dataclass(frozen=True)
class ScenarioStep:
    slug: str
    activity_id: int
    revision_id: int
    number: int
    sha256: str
    spec: engine.ScenarioSpec
    passing: list[engine.PlayState]  # finished plays that pass, to pick from
    failing: list[engine.PlayState]


@dataclass(frozen=True)
class SummaryStep:
    min_chars: int


Step = ModuleStep | QuizStep | ScenarioStep | SummaryStep


@dataclass(frozen=True)
class Syllabus:
    """A course as plain values (they outlive the transactions), with its steps in order."""

    course_id: int
    slug: str
    title: str
    hours: float
    due_days: int | None
    enrolment_source: str
    validity_months: int | None
    certificate: dict[str, Any]
    template_dir: str | None
    steps: list[Step]


def syllabus(course: Course, scratch: Path) -> Syllabus:
    activities = {a.slug: a for a in session.scalars(select(Activity).where(
        Activity.course_id == course.id, Activity.is_archived.is_(False)))}
    rules = {**DEFAULT_COMPLETION, **course.settings.get("completion", {})}
    steps: list[Step] = []
    seen: set[str] = set()
    share = min_share(course.settings)
    for module in course.active_modules:
        revision = module.current_revision
        if revision is None:
            continue
        steps.append(ModuleStep(module.slug, module.id, revision.id, revision.number, revision.sha256,
                                max(60, 60 * revision.minutes), required_minutes(revision.minutes, share)))
        for slug in revision.activities:
            if slug in seen:
                continue
            seen.add(slug)
            activity = activities.get(slug)
            if slug == SUMMARY_SLUG:
                steps.append(SummaryStep(min_chars(course)))
            elif activity is None or activity.current_revision is None:
                continue
            elif activity.kind == SCENARIO:
                steps.append(_scenario_step(activity, rules.get("scenario_min_score") or 0))
            else:
                current = activity.current_revision
                steps.append(QuizStep(slug, activity.id, current.id, current.number, current.sha256,
                                      questions_of(current), Settings.of(current)))
    settings = {**DEFAULT_CERTIFICATE, **course.settings.get("certificate", {})}
    return Syllabus(course.id, course.slug, course.title, course.hours, course.due_days,
                    "default" if course.enrol_all_trainees else "assigned", settings.get("validity_months"),
                    settings, _template_dir(course, scratch), steps)


def _template_dir(course: Course, scratch: Path) -> str | None:
    """A course's own certificate template, written out of the database for the workers to read."""
    root = write_template(course, scratch)
    return str(root) if root is not None else None


def _scenario_step(activity: Activity, minimum: int) -> ScenarioStep:
    revision = activity.current_revision
    spec = spec_of(revision)
    passing, failing = _finished_plays(spec, minimum)
    if not passing:
        raise DemoError(f"no play of the scenario {activity.slug} passes: cannot complete its course")
    return ScenarioStep(activity.slug, activity.id, revision.id, revision.number, revision.sha256, spec,
                        passing, failing)


def _finished_plays(spec: engine.ScenarioSpec, minimum: int, limit: int = 64,
                    budget: int = 5000) -> tuple[list[engine.PlayState], list[engine.PlayState]]:
    """Plays through the scenario (no step visited twice), split into passing and failing ones."""
    passing: list[engine.PlayState] = []
    failing: list[engine.PlayState] = []

    def settle(state: engine.PlayState) -> None:
        result = engine.outcome(spec, state)
        found = passing if result.passed and result.percent >= minimum else failing
        if len(found) < limit:
            found.append(state)

    def walk(state: engine.PlayState, seen: frozenset[str]) -> None:
        nonlocal budget
        budget -= 1
        for index in range(len(spec.step(state.step_id).choices)):
            if budget <= 0:
                return
            after = engine.choose(spec, state, index)
            if after.finished:
                settle(after)
            elif after.step_id not in seen:
                walk(after, seen | {after.step_id})

    start = engine.start(spec)
    if start.finished:
        settle(start)
    else:
        walk(start, frozenset({start.step_id}))
    return passing, failing


