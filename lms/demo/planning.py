"""Planning the rows a chunk of demo trainees leaves behind."""

from __future__ import annotations

import hashlib
import math
import random
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from ..accounts.models import TRAINEE
from ..assessments.grading import QUESTION_TYPES, marks_text, score_percent
from ..assessments.models import (
    APPROVED,
    AWAITING_GRADING,
    DRAFT,
    GRADED,
    SUBMITTED,
)
from ..assessments.quizzes import build_layout
from ..assessments.summaries import counted_chars
from ..certificates.services import SERIAL_ALPHABET, add_months, score_of_bests, snapshot_of
from ..content import scenario as engine
from ..content.questions import (
    DESCRIPTION,
    ESSAY,
    MATCHING,
    MULTICHOICE,
    MULTIRESPONSE,
    NUMERICAL,
    ORDERING,
    SHORTANSWER,
    TRUEFALSE,
    Question,
)
from ..learning.reading import ModuleTime, ReadingTime
from .people import (
    CERTIFIED,
    DAY,
    DEPARTMENT_WEIGHTS,
    DEPARTMENTS,
    ESSAY_ANSWERS,
    ESSAY_COMMENTS,
    EXPIRED,
    EXPIRING,
    GIVEN,
    HOUR,
    IN_PROGRESS,
    MINUTE,
    NOT_STARTED,
    OVERDUE,
    REVIEW_COMMENTS,
    REVOKE_REASONS,
    REVOKED,
    SUMMARY_SENTENCES,
    SURNAMES,
    VALID,
    employee_no,
    state_of,
)
from .syllabus import ModuleStep, QuizStep, ScenarioStep, Step, SummaryStep, Syllabus


@dataclass
class Batch:
    """Rows to insert; ``_user``, ``_enrolment`` … are indexes into the parent lists, replaced by
    ids once the parents are stored."""

    users: list[dict[str, Any]] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    enrolments: list[dict[str, Any]] = field(default_factory=list)
    progress: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    plays: list[dict[str, Any]] = field(default_factory=list)
    choices: list[dict[str, Any]] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    certificates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def jobs(self) -> list[tuple[dict[str, Any], str | None]]:
        return [(row["snapshot"], row["_template"]) for row in self.certificates]


@dataclass(frozen=True)
class Actor:
    id: int
    name: str


@dataclass
class Context:
    seed: int
    now: datetime
    zone: ZoneInfo
    trainer: Actor
    hr: Actor
    serial_prefix: str
    issuer: str
    serials: set[str]


def feasible(state: str, course: Syllabus) -> str:
    """The state, or the nearest one the course allows (no due date: nobody is overdue …)."""
    if not course.steps:
        return NOT_STARTED
    if state in (EXPIRING, EXPIRED) and not course.validity_months:
        return VALID
    if state == OVERDUE and not course.due_days:
        return IN_PROGRESS
    return state


def course_state(seed: int, number: int, course_index: int, course: Syllabus) -> str:
    return feasible(state_of(seed, number + 13 * course_index), course)


def plan(numbers: list[int], courses: list[Syllabus], context: Context) -> Batch:
    batch = Batch()
    for number in numbers:
        Trainee(batch, context, number).plan(courses)
    return batch


class Trainee:
    """One demo trainee: who they are, then their enrolments, each with what they have done."""

    def __init__(self, batch: Batch, context: Context, number: int):
        self.batch, self.context, self.number = batch, context, number
        self.rng = random.Random(f"{context.seed}:{number}")
        self.ability = self.rng.gauss(0.0, 1.0)  # latent ability θ of a 2-parameter logistic model

    def plan(self, courses: list[Syllabus]) -> None:
        rng, context = self.rng, self.context
        surname, surname_py = rng.choice(SURNAMES)
        given = rng.sample(GIVEN, rng.choice((1, 2, 2)))  # mostly two characters
        self.user = len(self.batch.users)
        row = {"username": employee_no(self.number).lower(),
               "display_name": surname + "".join(char for char, _ in given),
               "employee_no": employee_no(self.number),
               "department": rng.choices(DEPARTMENTS, DEPARTMENT_WEIGHTS)[0],
               "email": f"{surname_py}.{''.join(py for _, py in given)}.{self.number}@example.com",
               "cohort": None, "hire_date": None, "created_at": context.now}
        self.batch.users.append(row)
        self.batch.roles.append({"_user": self.user, "role": TRAINEE})
        for index, course in enumerate(courses):
            enrolled_at = self.enrol(course, course_state(context.seed, self.number, index, course))
            if index == 0:
                local = enrolled_at.astimezone(context.zone)
                row["cohort"] = f"{local:%Y-%m} 期"
                row["hire_date"] = self.hire_date(local.date())

    def hire_date(self, enrolled: date) -> date:
        if self.rng.random() < 0.75:  # most are new hires, trained in their first weeks
            return enrolled - timedelta(days=self.rng.randint(3, 60))
        return enrolled - timedelta(days=self.rng.randint(365, 10 * 365))

    # --- an enrolment's timeline

    def enrol(self, course: Syllabus, state: str) -> datetime:
        rng, now = self.rng, self.context.now
        due_days = course.due_days or 30
        steps = len(course.steps)
        issued_at = expires_at = None
        if state in CERTIFIED:
            issued_at, expires_at = self.issue_dates(course, state)
            enrolled_at = issued_at - DAY * rng.uniform(2, max(3, due_days - 1))
            end, done, partial = issued_at, steps, False
        elif state == OVERDUE:
            enrolled_at = now - DAY * (due_days + rng.uniform(1, 60))
            done, partial = rng.randrange(steps), rng.random() < 0.6
            end = enrolled_at + (now - enrolled_at) * rng.uniform(0.3, 0.95)
        else:
            earliest = 0.2 if state == NOT_STARTED else 1.0
            enrolled_at = now - DAY * rng.uniform(earliest, max(earliest + 0.5, due_days - 1))
            done = rng.randrange(steps) if state == IN_PROGRESS and steps else 0
            partial = state == IN_PROGRESS and (done == 0 or rng.random() < 0.6)
            end = enrolled_at + (now - enrolled_at) * rng.uniform(0.5, 0.98)
        self.enrolment = len(self.batch.enrolments)
        due_at = enrolled_at + DAY * course.due_days if course.due_days else None
        self.batch.enrolments.append({
            "_user": self.user, "course_id": course.course_id, "cycle": 1, "source": course.enrolment_source,
            "enrolled_at": enrolled_at, "due_at": due_at, "completed_at": issued_at, "is_archived": False})
        start = enrolled_at + rng.uniform(5, 120) * MINUTE
        times = sorted(start + (end - start) * rng.random() for _ in range(done + partial))
        if issued_at is not None:
            times[-1] = issued_at
        self.best: dict[int, float] = {}  # best graded score per quiz
        self.versions: dict[str, dict[str, Any]] = {"modules": {}, "activities": {}}
        self.reading: dict[str, ModuleTime] = {}  # engaged time recorded per module
        before = start
        for index, moment in enumerate(times):
            self.step(course.steps[index], before, moment, finished=index < done)
            before = moment
        if issued_at is not None:
            self.certify(course, state, issued_at, expires_at)
        return enrolled_at

    def issue_dates(self, course: Syllabus, state: str) -> tuple[datetime, datetime | None]:
        rng, now, months = self.rng, self.context.now, course.validity_months
        if state in (VALID, REVOKED) or not months:
            valid_days = (add_months(now, months) - now).days if months else 730
            issued_at = now - DAY * rng.uniform(1, max(2, min(600, valid_days - 100)))
        elif state == EXPIRING:  # spread over the 30-, 60- and 90-day windows HR filters by
            issued_at = add_months(now + DAY * rng.uniform(3, 88), -months)
        else:
            issued_at = add_months(now - DAY * rng.uniform(2, 150), -months)
        return issued_at, add_months(issued_at, months) if months else None

    def step(self, step: Step, before: datetime, at: datetime, finished: bool) -> None:
        if isinstance(step, ModuleStep):
            self.read(step, before, at, finished)
        elif isinstance(step, QuizStep):
            self.take_quiz(step, before, at, finished)
        elif isinstance(step, ScenarioStep):
            self.play_scenario(step, before, at, finished)
        else:
            self.write_summary(step, before, at, finished)

    # --- the kinds of step

    def read(self, step: ModuleStep, before: datetime, at: datetime, finished: bool) -> None:
        minimum = 60 * step.required  # engaged seconds the module asks for before it completes
        if finished:  # at least the minimum, most a good deal more
            low = max(minimum + 20, int(0.6 * step.seconds))
            seconds = int(self.rng.uniform(low, max(low + 60, int(1.6 * step.seconds))))
        else:  # part of the way
            seconds = int((minimum or step.seconds) * self.rng.uniform(0.1, 0.9))
        self.reading[step.slug] = ModuleTime(step.slug, step.slug, seconds, step.required)
        opened = max(before, at - timedelta(seconds=seconds * self.rng.uniform(1.0, 1.4)))
        self.batch.progress.append({
            "_enrolment": self.enrolment, "module_id": step.module_id, "revision_id": step.revision_id,
            "first_opened_at": opened, "last_seen_at": at, "completed_at": at if finished else None,
            "reached_end_at": at if finished else None, "seconds_spent": seconds})
        if finished:
            self.versions["modules"][step.slug] = {"revision": step.number, "sha256": step.sha256}

    def take_quiz(self, step: QuizStep, before: datetime, at: datetime, finished: bool) -> None:
        rng, settings = self.rng, step.settings
        has_essay = any(q.type == ESSAY for q in step.questions)
        number = 1
        wait = settings.wait or timedelta(0)
        retry_by = at - wait - HOUR
        if finished and settings.attempts != 1 and retry_by > before + HOUR and rng.random() < 0.25:
            first = before + (retry_by - before) * rng.uniform(0.2, 0.9)
            self.attempt(step, number, "fail", before, first)
            before = first
            number += 1
        outcome = "pass" if finished else "waiting" if has_essay and rng.random() < 0.5 else "fail"
        self.attempt(step, number, outcome, before, at)

    def attempt(self, step: QuizStep, number: int, outcome: str, before: datetime, at: datetime) -> None:
        """An attempt submitted after ``before`` and graded at ``at`` (or waiting for a trainer since)."""
        rng, settings = self.rng, step.settings
        layout = build_layout(step.questions, settings, rng)
        items = []  # [key, question, response, fraction], descriptions left out as grading does
        for entry in layout:
            question = step.questions[int(entry["key"][1:])]
            if question.type != DESCRIPTION:
                right = rng.random() < p_right(self.context.seed, step.slug, entry["key"], self.ability)
                items.append([entry["key"], question, *answer(question, right, rng)])
        self.adjust(items, settings.pass_mark, outcome, step.slug)
        graded = outcome != "waiting"
        submitted = at
        if graded and any(question.type == ESSAY for _, question, _, _ in items):  # a trainer graded later
            submitted = max(before + (at - before) / 2, at - rng.uniform(2, 20) * HOUR)
        limit = settings.time_limit
        took = rng.uniform(3, 25) * MINUTE
        if limit:
            took = min(took, limit * 0.9)
        started = submitted - took
        score = score_percent([fraction or 0.0 for *_, fraction in items]) if graded else None
        passed = score >= settings.pass_mark if score is not None else None
        attempt = len(self.batch.attempts)
        self.batch.attempts.append({
            "_enrolment": self.enrolment, "activity_id": step.activity_id, "revision_id": step.revision_id,
            "number": number, "open_key": None, "state": GRADED if graded else AWAITING_GRADING,
            "layout": layout, "started_at": started,
            "deadline_at": started + limit if limit else None, "submitted_at": submitted,
            "graded_at": at if graded else None, "score": score, "is_passed": passed,
            "marks": marks_text((key, fraction) for key, _, _, fraction in items) if graded else None})
        for position, (key, question, value, fraction) in enumerate(items):
            essay = question.type == ESSAY
            self.batch.responses.append({
                "_attempt": attempt, "question_key": key, "response": {"value": value},
                "saved_at": started + took * (position + 1) / (len(items) + 1),
                "fraction": None if essay and not graded else fraction,
                "grader_id": self.context.trainer.id if essay and graded else None,
                "grader_comment": rng.choice(ESSAY_COMMENTS) if essay and graded else None,
                "graded_at": None if essay and not graded else at if essay else submitted})
        if score is not None:
            self.best[step.activity_id] = max(self.best.get(step.activity_id, 0.0), score)
        if passed:
            self.versions["activities"][step.slug] = {"revision": step.number, "sha256": step.sha256}

    def adjust(self, items: list[list[Any]], pass_mark: int, outcome: str, slug: str) -> None:
        """Change answers until the attempt passes or fails as planned: to pass, the questions this
        trainee was likeliest to get right first; to fail, the least likely first."""
        def score() -> float:
            return score_percent([fraction or 0.0 for *_, fraction in items])

        chance = [p_right(self.context.seed, slug, item[0], self.ability) for item in items]
        order = sorted(range(len(items)), key=lambda i: -chance[i] if outcome == "pass" else chance[i])
        for index in order:
            if outcome == "pass" and score() < pass_mark and items[index][3] < 1:
                items[index][2:] = answer(items[index][1], True, self.rng)
            elif outcome == "fail" and score() >= pass_mark and items[index][3] > 0:
                items[index][2:] = answer(items[index][1], False, self.rng)
                if items[index][3] > 0:
                    items[index][2:] = [None, 0.0]

    def play_scenario(self, step: ScenarioStep, before: datetime, at: datetime, finished: bool) -> None:
        rng = self.rng
        if finished and step.failing and rng.random() < 0.3:
            self.play(step, self.by_ability(step.failing), before + (at - before) * rng.uniform(0.2, 0.8))
        if finished:
            self.play(step, self.by_ability(step.passing), at)
        elif step.failing and rng.random() < 0.6:
            self.play(step, self.by_ability(step.failing), at)
        else:  # left half-way through
            path = self.by_ability(step.passing).path
            state = engine.start(step.spec)
            for _, index in path[:rng.randrange(max(1, len(path)))]:
                state = engine.choose(step.spec, state, index)
            self.play(step, state, at)

    def by_ability(self, plays: list[engine.PlayState]) -> engine.PlayState:
        """A play whose rank by score follows the trainee's ability (with some noise): able
        trainees choose the better options, weak ones the worse."""
        ranked = sorted(plays, key=lambda state: (state.score, state.path))
        quantile = 0.5 * (1 + math.erf((self.ability + self.rng.gauss(0, 0.6)) / math.sqrt(2)))
        return ranked[min(len(ranked) - 1, int(quantile * len(ranked)))]

    def play(self, step: ScenarioStep, state: engine.PlayState, at: datetime) -> None:
        rng = self.rng
        gaps = [rng.uniform(0.3, 1.5) * MINUTE for _ in state.path]
        started = at - sum(gaps, timedelta(0)) - rng.uniform(0.2, 1) * MINUTE
        play = len(self.batch.plays)
        result = engine.outcome(step.spec, state) if state.finished else None
        self.batch.plays.append({
            "_enrolment": self.enrolment, "activity_id": step.activity_id, "revision_id": step.revision_id,
            "step_id": state.step_id, "points": state.score, "started_at": started,
            "finished_at": at if state.finished else None, "score": result.percent if result else None,
            "is_passed": result.passed if result else None, "failed_critically": state.failed_critically})
        moment = started
        for sequence, ((step_id, index), gap) in enumerate(zip(state.path, gaps, strict=True), start=1):
            moment += gap
            choice = step.spec.step(step_id).choices[index]
            self.batch.choices.append({
                "_play": play, "sequence": sequence, "step_id": step_id, "choice_index": index,
                "choice_text": choice.text, "points": choice.points,
                "violation_rule": choice.violation.rule if choice.violation else None,
                "violation_severity": choice.violation.severity if choice.violation else None,
                "chosen_at": moment})
        if result is not None and result.passed:
            self.versions["activities"][step.spec.slug] = {"revision": step.number, "sha256": step.sha256}

    def write_summary(self, step: SummaryStep, before: datetime, at: datetime, finished: bool) -> None:
        rng = self.rng
        body = summary_text(rng, step.min_chars)
        if finished:
            submitted = max(before, at - rng.uniform(1, 48) * HOUR)
            status, reviewed = APPROVED, at
        elif rng.random() < 0.5:
            submitted, status, reviewed = at, SUBMITTED, None
        else:
            body = body[:len(body) // 2]
            submitted, status, reviewed = None, DRAFT, None
        summary = len(self.batch.summaries)
        self.batch.summaries.append({
            "_enrolment": self.enrolment, "body": body, "status": status, "updated_at": submitted or at,
            "submitted_at": submitted, "reviewed_at": reviewed})
        # actor_id None: the trainee, whose id is known once the users are stored
        if submitted is not None:
            self.batch.events.append({"_summary": summary, "_user": self.user, "actor_id": None,
                                      "action": SUBMITTED, "body": body, "comment": "",
                                      "created_at": submitted})
        if reviewed is not None:
            self.batch.events.append({"_summary": summary, "_user": self.user,
                                      "actor_id": self.context.trainer.id, "action": APPROVED, "body": body,
                                      "comment": rng.choice(REVIEW_COMMENTS), "created_at": reviewed})

    # --- the certificate, as ``certificates.services._issue`` makes it

    def certify(self, course: Syllabus, state: str, issued_at: datetime, expires_at: datetime | None) -> None:
        context, user = self.context, self.batch.users[self.user]
        serial = new_serial(issued_at, context)
        score = score_of_bests(self.best.values())
        settings = course.certificate
        reading = ReadingTime(course.hours, tuple(self.reading[step.slug] for step in course.steps
                                                  if isinstance(step, ModuleStep)))
        snapshot = snapshot_of(serial, user["display_name"], user["employee_no"], user["department"],
                               course.title, reading, score, issued_at, expires_at,
                               settings["issuer"] or context.issuer, settings)
        revoked_at = None
        if state == REVOKED:
            revoked_at = min(context.now - HOUR, issued_at + DAY * self.rng.uniform(5, 90))
        self.batch.certificates.append({
            "_enrolment": self.enrolment, "_user": self.user, "_template": course.template_dir,
            "_course": course.slug, "serial": serial, "course_id": course.course_id, "snapshot": snapshot,
            "course_versions": self.versions, "score": score, "issued_at": issued_at,
            "expires_at": expires_at, "revoked_at": revoked_at,
            "revoked_reason": self.rng.choice(REVOKE_REASONS) if revoked_at else None,
            "revoked_by_id": context.hr.id if revoked_at else None})


@lru_cache(maxsize=4096)
def item_parameters(seed: int, slug: str, key: str) -> tuple[float, float]:
    """A question's discrimination a and difficulty b, fixed by the seed: most questions are
    fairly easy and discriminate; about one in seven is poor on purpose (no discrimination, far
    too easy or far too hard), so the statistics pages have something to flag."""
    digest = hashlib.sha256(f"{seed}:{slug}:{key}".encode()).digest()
    rng = random.Random(digest)
    kind = rng.random()
    if kind < 0.05:
        return 0.05, rng.uniform(-1.0, 0.5)  # a guess for everyone
    if kind < 0.10:
        return 1.0, -4.5  # everyone gets it
    if kind < 0.14:
        return 1.2, 2.5  # almost nobody gets it
    return rng.uniform(0.8, 2.2), rng.gauss(-1.3, 0.8)


def p_right(seed: int, slug: str, key: str, ability: float) -> float:
    """The 2-parameter logistic model: P(right) = 1 / (1 + e^(−a(θ − b)))."""
    a, b = item_parameters(seed, slug, key)
    return 1 / (1 + math.exp(-a * (ability - b)))


def answer(question: Question, right: bool, rng: random.Random) -> list[Any]:
    """[response, fraction]: an essay's fraction is the grade a trainer gives it."""
    if question.type == ESSAY:
        return [rng.choice(ESSAY_ANSWERS), rng.choice((0.8, 0.9, 1.0) if right else (0.2, 0.3, 0.4))]
    kind = QUESTION_TYPES[question.type]
    value = kind.correct_response(question) if right else wrong_response(question, rng)
    fraction = kind.grade(question, value).fraction
    if not right and fraction >= 0.999:  # the "wrong" answer happens to be right: leave it blank
        return [None, 0.0]
    return [value, fraction]


def wrong_response(question: Question, rng: random.Random) -> Any:
    answers = question.answers
    if question.type in (MULTICHOICE, TRUEFALSE):
        wrong = [i for i, a in enumerate(answers) if a.fraction < 1]
        return rng.choice(wrong) if wrong else None
    if question.type == MULTIRESPONSE:
        right = [i for i, a in enumerate(answers) if a.fraction > 0]
        wrong = [i for i, a in enumerate(answers) if a.fraction <= 0]
        return sorted(right[:-1] + ([rng.choice(wrong)] if wrong else [])) or None
    if question.type == MATCHING:
        matched = [pair.answer for pair in question.pairs]
        return {str(i): text for i, text in enumerate(matched[1:] + matched[:1])}
    if question.type == ORDERING:
        return list(reversed(range(len(answers))))
    if question.type == NUMERICAL:
        return "0"
    if question.type == SHORTANSWER:
        return "不清楚"
    return None


def summary_text(rng: random.Random, minimum: int) -> str:
    """Sentences in a random order, three to a paragraph, until the course's minimum is reached."""
    pool = list(SUMMARY_SENTENCES)
    rng.shuffle(pool)
    chosen: list[str] = []
    while counted_chars("".join(chosen)) < max(minimum, 120):
        chosen.append(pool[len(chosen) % len(pool)])
    return "\n\n".join("".join(chosen[i:i + 3]) for i in range(0, len(chosen), 3))


def new_serial(moment: datetime, context: Context) -> str:
    """As ``certificates.services.new_serial``, checked against the serials known in memory."""
    while True:
        code = "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(8))
        serial = f"{context.serial_prefix}-{moment.year}-{code[:4]}-{code[4:]}"
        if serial not in context.serials:
            context.serials.add(serial)
            return serial


