"""Taking quizzes and case studies: attempts, saving as you go, deadlines, grading once.

Plain functions; they flush and the caller commits. Times are passed in (``now``) so the rules
about deadlines and waits can be tested without a clock.
"""

from __future__ import annotations

import random
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, lazyload

from ..accounts.models import User
from ..content.questions import (
    DESCRIPTION,
    MATCHING,
    MULTICHOICE,
    MULTIRESPONSE,
    ORDERING,
    TRUEFALSE,
    Question,
)
from ..db import locked, session
from ..fields import TextProblem, TextRuleError
from ..learning.models import Enrolment
from ..signals import attempt_graded_by_hand, progress_changed
from ..transaction import begin_writing
from .grading import QUESTION_TYPES, FormValues, answer_choices, is_scored, marks_text, score_percent
from .models import (
    AWAITING_GRADING,
    GRADED,
    IN_PROGRESS,
    Activity,
    ActivityRevision,
    AttemptResponse,
    QuizAttempt,
)

AFTER_ATTEMPT, ONCE_PASSED, NEVER = "after_attempt", "once_passed", "never"
SHUFFLED_ANSWERS = (MULTICHOICE, MULTIRESPONSE)
OPTION_TYPES = (MULTICHOICE, MULTIRESPONSE, TRUEFALSE)
TOKEN_FIRST, TOKEN_REST = string.ascii_letters, string.ascii_letters + string.digits


class AttemptRefused(Exception):
    """A new attempt cannot start now; ``reason`` says why, ``available_at`` when it can."""

    def __init__(self, reason: str, available_at: datetime | None = None):
        super().__init__(reason)
        self.reason = reason
        self.available_at = available_at


class AttemptClosed(Exception):
    """Answers arrived for an attempt that is submitted or past its deadline."""


class AnswerRefused(ValueError):
    """A typed answer breaks its field's rule (a control character, too long): nothing is saved."""

    def __init__(self, problem: TextProblem):
        super().__init__(problem.kind)
        self.problem = problem


@dataclass(frozen=True)
class Settings:
    pass_mark: int
    attempts: int  # 0: unlimited
    wait: timedelta | None
    time_limit: timedelta | None
    shuffle: bool
    draw: int | None
    draw_category: str | None
    reveal: str
    draw_quotas: dict[str, int] | None = None  # category -> questions drawn from it
    shuffle_answers: bool = True

    @classmethod
    def of(cls, revision: ActivityRevision) -> Settings:
        data = revision.data["settings"]
        seconds = lambda key: timedelta(seconds=data[key]) if data.get(key) else None  # noqa: E731
        return cls(pass_mark=data.get("pass_mark", 80), attempts=data.get("attempts", 0),
                   wait=seconds("wait"), time_limit=seconds("time_limit"),
                   shuffle=data.get("shuffle", False), draw=data.get("draw"),
                   draw_category=data.get("draw_category"),
                   reveal=data.get("reveal", AFTER_ATTEMPT), draw_quotas=data.get("draw_quotas"),
                   shuffle_answers=data.get("shuffle_answers", True))


#: Parsed questions kept per process, by revision id and checksum (see ``scenarios.spec_of``).
_questions: dict[tuple[int, str], tuple[Question, ...]] = {}
MAX_QUESTION_SETS = 256


def questions_of(revision: ActivityRevision) -> list[Question]:
    """The revision's questions (immutable, so parsed once per revision)."""
    key = (revision.id, revision.sha256)
    found = _questions.get(key)
    if found is None:
        found = tuple(Question.from_json(data) for data in revision.data["questions"])
        if len(_questions) >= MAX_QUESTION_SETS:
            _questions.clear()
        _questions[key] = found
    return list(found)


def question_html(revision: ActivityRevision, key: str) -> dict[str, Any]:
    return revision.data["questions"][int(key[1:])]


def question_key(index: int) -> str:
    return f"q{index}"


# --- starting --------------------------------------------------------------------------------

#: A trainee's attempts at a quiz as its page and the attempt rules read them: states, times and
#: scores. The layout, marks and answers, which every attempt adds to, are read only if asked for.
_ATTEMPTS = (select(QuizAttempt)
             .where(QuizAttempt.enrolment_id == bindparam("enrolment_id"),
                    QuizAttempt.activity_id == bindparam("activity_id"))
             .order_by(QuizAttempt.number)
             .options(defer(QuizAttempt.layout), defer(QuizAttempt.marks),
                      lazyload(QuizAttempt.responses)))


def attempts_of(enrolment: Enrolment, activity: Activity) -> list[QuizAttempt]:
    return list(session.scalars(_ATTEMPTS, {"enrolment_id": enrolment.id, "activity_id": activity.id}))


def _open_of(attempts: list[QuizAttempt], now: datetime) -> tuple[QuizAttempt | None, bool]:
    """The attempt in progress among ``attempts``, after closing one whose deadline has passed;
    and whether one was closed (the request has begun writing: what it read is reloaded)."""
    closed = False
    for attempt in attempts:
        if attempt.state == IN_PROGRESS:
            if close_if_expired(attempt, now):
                closed = True
                continue
            return attempt, closed
    return None, closed


def open_attempt(enrolment: Enrolment, activity: Activity, now: datetime) -> QuizAttempt | None:
    """The attempt in progress, after closing one whose deadline has passed."""
    return _open_of(attempts_of(enrolment, activity), now)[0]


def check_can_start(enrolment: Enrolment, activity: Activity, now: datetime,
                    attempts: list[QuizAttempt] | None = None) -> None:
    """Refuse a new attempt when none is left or the wait after the last has not passed
    (``attempts``: the trainee's, when the caller has read them)."""
    settings = Settings.of(activity.current_revision)
    if attempts is None:
        attempts = attempts_of(enrolment, activity)
    finished = [a for a in attempts if a.state != IN_PROGRESS]
    if settings.attempts and len(finished) >= settings.attempts:
        raise AttemptRefused("no_attempts_left")
    if settings.wait and finished:
        available_at = max(a.submitted_at for a in finished) + settings.wait
        if available_at > now:
            raise AttemptRefused("wait", available_at)


def start_attempt(enrolment: Enrolment, activity: Activity, now: datetime,
                  rng: random.Random | None = None) -> QuizAttempt:
    """The open attempt, or a new one with its questions drawn and ordered.

    ``rng`` decides the draw, the orders and the tokens; by default the system's secure source.
    The enrolment is locked first: a double click starts one attempt, and the second request
    returns it.
    """
    locked(Enrolment, enrolment.id)
    attempts = attempts_of(enrolment, activity)
    existing, closed = _open_of(attempts, now)
    if existing is not None:
        return existing
    check_can_start(enrolment, activity, now, None if closed else attempts)
    revision = activity.current_revision
    settings = Settings.of(revision)
    number = (session.scalar(select(func.max(QuizAttempt.number)).where(
        QuizAttempt.enrolment_id == enrolment.id, QuizAttempt.activity_id == activity.id)) or 0) + 1
    attempt = QuizAttempt(enrolment_id=enrolment.id, activity_id=activity.id,
                          revision_id=revision.id, number=number, started_at=now,
                          deadline_at=now + settings.time_limit if settings.time_limit else None,
                          layout=build_layout(questions_of(revision), settings, rng or random.SystemRandom()))
    try:
        with session.begin_nested():  # two tabs at once: the second finds the first's attempt
            session.add(attempt)
    except IntegrityError:
        existing = open_attempt(enrolment, activity, now)
        if existing is None:
            raise
        return existing
    return attempt


def build_layout(questions: list[Question], settings: Settings,
                 rng: random.Random) -> list[dict[str, Any]]:
    """Which questions an attempt shows, in which order, each with its answers' order.

    Each entry also carries the opaque tokens the page uses instead of indices: ``field`` names
    the question's form field, ``tokens[i]`` stands for the answer (option, ordering item or
    matching choice) shown at position ``i`` (``order[i]`` as authored), ``pairs[j]`` for the
    sub-field of a matching question's ``j``-th pair.
    """
    indices = list(range(len(questions)))
    if settings.draw and settings.draw_quotas:
        drawn: list[int] = []
        for category, count in settings.draw_quotas.items():
            pool = [i for i in indices if is_scored(questions[i]) and questions[i].category == category]
            drawn += rng.sample(pool, min(count, len(pool)))
        indices = sorted(drawn)
    elif settings.draw:
        pool = [i for i in indices if is_scored(questions[i]) and (
            not settings.draw_category or questions[i].category == settings.draw_category)]
        indices = sorted(rng.sample(pool, min(settings.draw, len(pool))))
    if settings.shuffle:
        rng.shuffle(indices)
    tokens = TokenSource(rng)
    layout = []
    for index in indices:
        question = questions[index]
        order: list[int] = []
        if question.type in SHUFFLED_ANSWERS:
            order = list(range(len(question.answers)))
            if settings.shuffle_answers:
                rng.shuffle(order)
        elif question.type == TRUEFALSE:
            order = list(range(len(question.answers)))  # true, then false
        elif question.type == ORDERING:
            order = list(range(len(question.answers)))
            while len(order) > 1 and order == sorted(order):  # never shown already in order
                rng.shuffle(order)
        elif question.type == MATCHING:
            order = list(range(len(answer_choices(question))))
            rng.shuffle(order)
        entry: dict[str, Any] = {"key": question_key(index), "order": order,
                                 "field": tokens.new(), "tokens": [tokens.new() for _ in order]}
        if question.type == MATCHING:
            entry["pairs"] = [tokens.new() for _ in question.pairs]
        layout.append(entry)
    return layout


class TokenSource:
    """Opaque tokens, distinct within one attempt: a letter and eleven letters or digits."""

    def __init__(self, rng: random.Random):
        self.rng, self.issued = rng, set()

    def new(self) -> str:
        while True:
            token = self.rng.choice(TOKEN_FIRST) + "".join(self.rng.choice(TOKEN_REST) for _ in range(11))
            if token not in self.issued:
                self.issued.add(token)
                return token


@dataclass(frozen=True)
class Wire:
    """How one question of an attempt appears in the form: its field name and answer tokens.

    Attempts started before tokens existed used the question key as the field name and the
    authored indices as values; they read the same way through this class.
    """

    key: str
    field: str
    order: list[int]
    tokens: list[str]  # parallel to ``order``
    pairs: list[str]  # matching: one sub-field token per pair

    @classmethod
    def of(cls, entry: Mapping[str, Any], question: Question) -> Wire:
        order = list(entry.get("order") or ())
        if question.type in OPTION_TYPES and not order:
            order = list(range(len(question.answers)))
        if "field" in entry:
            return cls(entry["key"], entry["field"], order, list(entry["tokens"]),
                       list(entry.get("pairs", ())))
        return cls(entry["key"], entry["key"], order, [str(i) for i in order],
                   [str(j) for j in range(len(question.pairs))])

    @property
    def options(self) -> list[tuple[str, int]]:
        """(token, authored index) of each answer, in the order shown."""
        return list(zip(self.tokens, self.order, strict=True))

    def decode(self, question: Question, form: Mapping[str, Sequence[str]]) -> FormValues | None:
        """The form's values for this question with tokens turned back into authored indices, as
        the question types parse them; None when the form sent nothing for it."""
        index_of = dict(zip(self.tokens, self.order, strict=True))
        if question.type in OPTION_TYPES:
            if self.field not in form:
                return None
            return {"": [str(index_of[v]) for v in form[self.field] if v in index_of]}
        if question.type == ORDERING:
            sent = {str(i): form[f"{self.field}-{t}"] for t, i in self.options
                    if f"{self.field}-{t}" in form}
            return {f"-{i}": values for i, values in sent.items()} if sent else None
        if question.type == MATCHING:
            sent = {j: form[f"{self.field}-{t}"] for j, t in enumerate(self.pairs)
                    if f"{self.field}-{t}" in form}
            if not sent:
                return None
            return {f"-{j}": [str(index_of[v]) for v in values if v in index_of]
                    for j, values in sent.items()}
        return {"": list(form[self.field])} if self.field in form else None


def wires_of(attempt: QuizAttempt) -> list[tuple[Wire, Question]]:
    questions = questions_of(attempt.revision)
    found = []
    for entry in attempt.layout:
        question = questions[int(entry["key"][1:])]
        found.append((Wire.of(entry, question), question))
    return found


def decode_form(attempt: QuizAttempt, form: Mapping[str, Sequence[str]]) -> dict[str, FormValues]:
    """The answers a form sent, by question key and in authored indices (unknown tokens dropped)."""
    values = {}
    for wire, question in wires_of(attempt):
        decoded = wire.decode(question, form)
        if decoded is not None:
            values[wire.key] = decoded
    return values


@dataclass(frozen=True)
class ShownQuestion:
    """One question of an open attempt as the take page shows it."""

    wire: Wire
    data: dict[str, Any]  # the stored question with its rendered HTML
    value: Any  # the saved response, in authored indices


def shown_questions(attempt: QuizAttempt) -> list[ShownQuestion]:
    saved = {r.question_key: r.response.get("value") for r in attempt.responses}
    return [ShownQuestion(wire, question_html(attempt.revision, wire.key), saved.get(wire.key))
            for wire, _question in wires_of(attempt)]


# --- answering -------------------------------------------------------------------------------

def is_open(attempt: QuizAttempt, now: datetime) -> bool:
    return attempt.state == IN_PROGRESS and (attempt.deadline_at is None or now < attempt.deadline_at)


def save_responses(attempt: QuizAttempt, values: dict[str, FormValues], now: datetime) -> int:
    """Store the answers sent for each question key; returns how many were saved."""
    if not is_open(attempt, now):
        close_if_expired(attempt, now)
        raise AttemptClosed()
    questions = questions_of(attempt.revision)
    shown = {entry["key"] for entry in attempt.layout}
    parsed = {}
    for key, form_values in values.items():
        if key in shown:
            question = questions[int(key[1:])]
            try:
                parsed[key] = QUESTION_TYPES[question.type].parse(question, form_values)
            except TextRuleError as error:  # before any answer is stored
                raise AnswerRefused(error.problem) from None
    existing = {r.question_key: r for r in attempt.responses}
    for key, value in parsed.items():
        if key in existing:
            existing[key].response, existing[key].saved_at = {"value": value}, now
    _add_responses(attempt, {key: value for key, value in parsed.items() if key not in existing}, now)
    session.flush()
    return len(parsed)


def _add_responses(attempt: QuizAttempt, values: dict[str, Any], now: datetime) -> None:
    """First answers to these questions, in one INSERT (the ORM would send one per row)."""
    if values:
        session.execute(insert(AttemptResponse), [
            {"attempt_id": attempt.id, "question_key": key, "response": {"value": value}, "saved_at": now}
            for key, value in values.items()])
        session.expire(attempt, ["responses"])


# --- submitting and grading ------------------------------------------------------------------

def close_if_expired(attempt: QuizAttempt, now: datetime) -> bool:
    """Close an open attempt whose deadline has passed, grading what was saved in time."""
    if attempt.state == IN_PROGRESS and attempt.deadline_at is not None and now >= attempt.deadline_at:
        begin_writing()  # a page that found the time had run out writes from here on
        submit(attempt, attempt.deadline_at)
        return True
    return False


def close_expired_attempts(now: datetime) -> int:
    """Close and grade every open attempt whose deadline has passed (before reporting on them)."""
    expired = session.scalars(select(QuizAttempt).where(
        QuizAttempt.state == IN_PROGRESS, QuizAttempt.deadline_at.is_not(None),
        QuizAttempt.deadline_at <= now)).all()
    return sum(close_if_expired(attempt, now) for attempt in expired)


def submit(attempt: QuizAttempt, now: datetime) -> bool:
    """Close and grade the attempt; returns False when it was already closed (graded once)."""
    claimed = session.execute(
        update(QuizAttempt).where(QuizAttempt.id == attempt.id, QuizAttempt.open_key == 1)
        .values(open_key=None, submitted_at=now).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        session.refresh(attempt)
        return False
    session.refresh(attempt, ["open_key", "submitted_at"])  # what the claim changed, nothing else
    _grade(attempt, now)
    return True


def _grade(attempt: QuizAttempt, now: datetime) -> None:
    questions = questions_of(attempt.revision)
    asked = [(entry["key"], questions[int(entry["key"][1:])]) for entry in attempt.layout]
    asked = [(key, question) for key, question in asked if question.type != DESCRIPTION]
    answered = {r.question_key for r in attempt.responses}
    _add_responses(attempt, {key: None for key, _question in asked if key not in answered}, now)
    responses = {r.question_key: r for r in attempt.responses}
    waiting = False
    for key, question in asked:
        row = responses[key]
        graded = QUESTION_TYPES[question.type].grade(question, row.response.get("value"))
        if graded is None:
            waiting = waiting or row.fraction is None
        else:
            row.fraction = graded.fraction
            row.graded_at = now
    _finalise(attempt, now, waiting)


def _finalise(attempt: QuizAttempt, now: datetime, waiting: bool) -> None:
    if waiting:
        attempt.state = AWAITING_GRADING
        session.flush()
        return
    questions = questions_of(attempt.revision)
    fractions = [r.fraction or 0.0 for r in attempt.responses
                 if is_scored(questions[int(r.question_key[1:])])]
    attempt.score = score_percent(fractions)
    attempt.marks = marks_text((r.question_key, r.fraction) for r in attempt.responses)
    attempt.is_passed = attempt.score >= Settings.of(attempt.revision).pass_mark
    attempt.state, attempt.graded_at = GRADED, now
    session.flush()
    progress_changed.send(attempt.enrolment)


class NotSubmitted(Exception):
    """A grade given for an attempt the trainee has not submitted."""


def grade_by_hand(attempt: QuizAttempt, key: str, fraction: float, comment: str, grader: User,
                  now: datetime) -> None:
    """A trainer's grade for an essay; the attempt is scored once every essay has one. Only a
    submitted attempt is graded: until then the trainee may still change the answer."""
    if attempt.state == IN_PROGRESS:
        raise NotSubmitted(attempt.id)
    row = next(r for r in attempt.responses if r.question_key == key)
    row.fraction = max(0.0, min(1.0, fraction))
    row.grader_comment, row.grader_id, row.graded_at = comment, grader.id, now
    questions = questions_of(attempt.revision)
    waiting = any(r.fraction is None for r in attempt.responses
                  if QUESTION_TYPES[questions[int(r.question_key[1:])].type].auto_graded is False
                  and questions[int(r.question_key[1:])].type != DESCRIPTION)
    if attempt.state != IN_PROGRESS:
        _finalise(attempt, now, waiting)
    if attempt.state == GRADED:
        attempt_graded_by_hand.send(attempt)


# --- where a trainee stands --------------------------------------------------------------------

@dataclass(frozen=True)
class QuizStatus:
    activity: Activity
    attempts: list[QuizAttempt]
    open: QuizAttempt | None
    refused: AttemptRefused | None

    @property
    def best(self) -> QuizAttempt | None:
        graded = [a for a in self.attempts if a.state == GRADED]
        return max(graded, key=lambda a: (a.score or 0, -a.number)) if graded else None

    @property
    def is_passed(self) -> bool:
        return any(a.is_passed for a in self.attempts)

    @property
    def awaiting_grading(self) -> bool:
        return any(a.state == AWAITING_GRADING for a in self.attempts)

    @property
    def finished(self) -> list[QuizAttempt]:
        return [a for a in self.attempts if a.state != IN_PROGRESS]


def quiz_status(enrolment: Enrolment, activity: Activity, now: datetime) -> QuizStatus:
    """The trainee's attempts at ``activity``, the one in progress, and why a new one may not
    start: from one read of the attempts (two if one had run out of time and was closed)."""
    attempts = attempts_of(enrolment, activity)
    current, closed = _open_of(attempts, now)
    if closed:
        attempts = attempts_of(enrolment, activity)
    refused = None
    if current is None:
        try:
            check_can_start(enrolment, activity, now, attempts)
        except AttemptRefused as error:
            refused = error
    return QuizStatus(activity, attempts, current, refused)


def may_reveal(attempt: QuizAttempt, passed: bool) -> bool:
    """Whether the review may show the right answers, by the quiz's policy."""
    if attempt.state == IN_PROGRESS:
        return False
    reveal = Settings.of(attempt.revision).reveal
    return reveal == AFTER_ATTEMPT or (reveal == ONCE_PASSED and passed)


# --- review ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReviewItem:
    key: str
    question: Question
    data: dict[str, Any]  # the stored question with its rendered HTML
    order: list[int]
    response: Any
    row: AttemptResponse | None
    feedback: tuple[str, ...]

    @property
    def fraction(self) -> float | None:
        return self.row.fraction if self.row is not None else None

    @property
    def is_scored(self) -> bool:
        return is_scored(self.question)


def review_items(attempt: QuizAttempt) -> list[ReviewItem]:
    """Each question of the attempt as shown, with the trainee's answer and its grade."""
    questions = questions_of(attempt.revision)
    rows = {r.question_key: r for r in attempt.responses}
    items = []
    for entry in attempt.layout:
        question = questions[int(entry["key"][1:])]
        row = rows.get(entry["key"])
        value = row.response.get("value") if row is not None else None
        graded = QUESTION_TYPES[question.type].grade(question, value)
        items.append(ReviewItem(entry["key"], question, question_html(attempt.revision, entry["key"]),
                                entry["order"], value, row, graded.feedback if graded else ()))
    return items
