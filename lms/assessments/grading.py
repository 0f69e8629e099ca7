"""Grading: pure functions from a question and a response to a fraction of its mark.

Each question type is a small class in ``QUESTION_TYPES`` with two pure methods: ``parse``
turns the values a form sent into the stored response, ``grade`` scores a stored response.
Responses refer to answers by their index in the question as authored, whatever order the
trainee saw them in.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from ..content.questions import (
    ANY_OTHER,
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
from ..fields import ESSAY_ANSWER, NUMBER_ANSWER, SHORT_ANSWER, TextRule, clean, small_int

#: Form values for one question: "" for its main field, "-N" for its N-th sub-field.
FormValues = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Graded:
    fraction: float  # 0–1 of the question's mark
    feedback: tuple[str, ...] = ()

    @property
    def is_correct(self) -> bool:
        return self.fraction >= 0.999


NO_ANSWER = Graded(0.0)


def normalise_text(text: str) -> str:
    """For comparing typed answers: NFKC (full/half width), case, surrounding and inner runs of
    spaces."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def _first(values: FormValues, key: str = "") -> str:
    found = values.get(key) or ()
    return found[0] if found else ""


def _typed(values: FormValues, rule: TextRule) -> str | None:
    """A typed answer by its field rule; raises :class:`lms.fields.TextRuleError`."""
    return clean(_first(values), rule) or None


def _index(text: str, limit: int) -> int | None:
    number = small_int(text)
    return number if number is not None and number < limit else None


class QuestionType:
    name = ""
    auto_graded = True

    def parse(self, question: Question, values: FormValues) -> Any:
        return _first(values) or None

    def grade(self, question: Question, response: Any) -> Graded | None:
        raise NotImplementedError

    def correct_response(self, question: Question) -> Any:
        """A response that earns full marks (for review pages and tests)."""
        raise NotImplementedError


class MultiChoice(QuestionType):
    name = MULTICHOICE

    def parse(self, question, values):
        return _index(_first(values), len(question.answers))

    def grade(self, question, response):
        if not isinstance(response, int) or not 0 <= response < len(question.answers):
            return NO_ANSWER
        answer = question.answers[response]
        return Graded(_clamp(answer.fraction), (answer.feedback,) if answer.feedback else ())

    def correct_response(self, question):
        return max(range(len(question.answers)), key=lambda i: question.answers[i].fraction)


class MultiResponse(QuestionType):
    name = MULTIRESPONSE

    def parse(self, question, values):
        chosen = {_index(v, len(question.answers)) for v in values.get("", ())}
        return sorted(i for i in chosen if i is not None)

    def grade(self, question, response):
        if not isinstance(response, list) or not response:
            return NO_ANSWER
        chosen = [question.answers[i] for i in sorted(set(response))
                  if isinstance(i, int) and 0 <= i < len(question.answers)]
        return Graded(_clamp(sum(a.fraction for a in chosen)),
                      tuple(a.feedback for a in chosen if a.feedback))

    def correct_response(self, question):
        return [i for i, a in enumerate(question.answers) if a.fraction > 0]


class TrueFalse(MultiChoice):
    name = TRUEFALSE


class ShortAnswer(QuestionType):
    name = SHORTANSWER

    def parse(self, question, values):
        return _typed(values, SHORT_ANSWER)

    def grade(self, question, response):
        if not isinstance(response, str) or not response.strip():
            return NO_ANSWER
        given = normalise_text(response)
        best: Graded | None = None
        for answer in question.answers:
            if _matches(given, normalise_text(answer.text)) and (
                    best is None or answer.fraction > best.fraction):
                best = Graded(_clamp(answer.fraction), (answer.feedback,) if answer.feedback else ())
        return best or NO_ANSWER

    def correct_response(self, question):
        return max(question.answers, key=lambda a: a.fraction).text


def _matches(given: str, expected: str) -> bool:
    if "*" not in expected:  # as in Moodle, * in an accepted answer matches any characters
        return given == expected
    pattern = ".*".join(re.escape(part) for part in expected.split("*"))
    return re.fullmatch(pattern, given, flags=re.DOTALL) is not None


class Numerical(QuestionType):
    name = NUMERICAL

    def parse(self, question, values):
        return _typed(values, NUMBER_ANSWER)

    def grade(self, question, response):
        number = parse_number(response) if isinstance(response, str) else None
        if number is None:
            return NO_ANSWER
        for entry in question.numeric:  # the first that matches counts, as in Moodle
            if entry.value == ANY_OTHER or abs(number - float(entry.value)) <= entry.tolerance + 1e-9:
                return Graded(_clamp(entry.fraction), (entry.feedback,) if entry.feedback else ())
        return NO_ANSWER

    def correct_response(self, question):
        best = max((n for n in question.numeric if n.value != ANY_OTHER), key=lambda n: n.fraction)
        return str(best.value)


def parse_number(text: str) -> float | None:
    cleaned = unicodedata.normalize("NFKC", text).strip().replace(",", "")
    try:
        number = float(cleaned)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


class Matching(QuestionType):
    name = MATCHING

    def parse(self, question, values):
        choices = answer_choices(question)
        response = {}
        for index in range(len(question.pairs)):
            picked = _index(_first(values, f"-{index}"), len(choices))
            if picked is not None:
                response[str(index)] = choices[picked]
        return response

    def grade(self, question, response):
        if not isinstance(response, dict) or not question.pairs:
            return NO_ANSWER
        right = sum(response.get(str(i)) == pair.answer for i, pair in enumerate(question.pairs))
        return Graded(right / len(question.pairs))

    def correct_response(self, question):
        return {str(i): pair.answer for i, pair in enumerate(question.pairs)}


def answer_choices(question: Question) -> list[str]:
    """The right-hand options of a matching question: distinct, in a stable order."""
    return sorted({pair.answer for pair in question.pairs})


class Ordering(QuestionType):
    name = ORDERING

    def parse(self, question, values):
        count = len(question.answers)
        positions = []
        for index in range(count):
            position = small_int(_first(values, f"-{index}"))
            if position is None or not 1 <= position <= count:
                return None
            positions.append((position, index))
        return [index for _, index in sorted(positions)]

    def grade(self, question, response):
        if not isinstance(response, list):
            return NO_ANSWER
        return Graded(1.0 if response == list(range(len(question.answers))) else 0.0)

    def correct_response(self, question):
        return list(range(len(question.answers)))


class Essay(QuestionType):
    name = ESSAY
    auto_graded = False

    def parse(self, question, values):
        return _typed(values, ESSAY_ANSWER)

    def grade(self, question, response):
        return None  # a trainer grades it

    def correct_response(self, question):
        return None


class Description(Essay):
    name = DESCRIPTION

    def parse(self, question, values):
        return None


QUESTION_TYPES: dict[str, QuestionType] = {
    kind.name: kind for kind in (MultiChoice(), MultiResponse(), TrueFalse(), ShortAnswer(),
                                 Numerical(), Matching(), Ordering(), Essay(), Description())
}


def question_type(question: Question) -> QuestionType:
    return QUESTION_TYPES[question.type]


def is_scored(question: Question) -> bool:
    """Counts towards the score: everything but descriptions."""
    return question.type != DESCRIPTION


def score_percent(fractions: Sequence[float]) -> float:
    """The attempt's score from the fractions of its scored questions."""
    return round(100 * sum(fractions) / len(fractions), 2) if fractions else 0.0


def shown_score(score: float | None) -> int | float | None:
    """A score (a percent) as every page, export, report and notice shows it: to one decimal, cut
    rather than rounded, so that a score below a pass mark never reads as reaching it (79.96 is
    79.9, not 80); a whole number without its decimal (85, not 85.0)."""
    if score is None:
        return None
    cut = Decimal(repr(float(score))).quantize(Decimal("0.1"), rounding=ROUND_DOWN)
    return int(cut) if cut == cut.to_integral_value() else float(cut)


#: from this fraction up an answer counts as right (the cohort report's hardest questions)
RIGHT = 0.999


def marks_text(marks: Iterable[tuple[str, float | None]]) -> str | None:
    """An attempt's graded answers as the cohort report counts them: "q0+ q1- q2+" (+ right), in
    question order, so that attempts answered alike read the same; None when none is graded."""
    graded = sorted((len(key), key, fraction) for key, fraction in marks if fraction is not None)
    return " ".join(key + ("+" if fraction >= RIGHT else "-") for _, key, fraction in graded) or None
