"""Answering attempts and plays the way their pages do: with the attempt's or play's tokens.

The pages carry opaque tokens, never authored indices; these helpers read the attempt's layout
(or the play's choices) on the server side to build the form a trainee who knows the answers sends.
"""

from __future__ import annotations

from typing import Any

from lms.assessments import quizzes, scenarios
from lms.assessments.grading import QUESTION_TYPES, answer_choices
from lms.assessments.models import QuizAttempt, ScenarioPlay
from lms.content.questions import Question

ESSAY_TEXT = "我会保持冷静，耐心倾听借款人的困难。"


def _response(question: Question, right: bool) -> Any:
    """A response in authored indices that is right, or one that earns nothing."""
    kind = question.type
    if right or kind in ("essay", "description"):
        return ESSAY_TEXT if kind == "essay" else QUESTION_TYPES[kind].correct_response(question)
    if kind in ("multichoice", "truefalse"):
        return min(range(len(question.answers)), key=lambda i: question.answers[i].fraction)
    if kind == "multiresponse":
        return [i for i, a in enumerate(question.answers) if a.fraction <= 0][:1]
    if kind == "matching":
        choices = answer_choices(question)
        return {str(j): next(c for c in choices if c != pair.answer) if len(choices) > 1 else ""
                for j, pair in enumerate(question.pairs)}
    if kind == "ordering":
        return list(reversed(range(len(question.answers))))
    return "不知道" if kind == "shortanswer" else "999999999"


def attempt_form(attempt: QuizAttempt, right: bool = True) -> dict[str, Any]:
    """Form fields answering every question of ``attempt`` (call inside an app context)."""
    data: dict[str, Any] = {}
    for wire, question in quizzes.wires_of(attempt):
        if question.type == "description":
            continue
        response = _response(question, right)
        token_of = {index: token for token, index in wire.options}
        if question.type in ("multichoice", "truefalse"):
            data[wire.field] = token_of[response]
        elif question.type == "multiresponse":
            data[wire.field] = [token_of[i] for i in response]
        elif question.type == "matching":
            choices = answer_choices(question)
            for j, pair_token in enumerate(wire.pairs):
                picked = response.get(str(j), "")
                data[f"{wire.field}-{pair_token}"] = token_of[choices.index(picked)] if picked else ""
        elif question.type == "ordering":
            for position, index in enumerate(response, start=1):
                data[f"{wire.field}-{token_of[index]}"] = str(position)
        else:
            data[wire.field] = str(response)
    return data


def choice_token(play: ScenarioPlay, index: int) -> str:
    """The token the play page shows for choice ``index`` (as authored) of the current step."""
    return next(token for token, i, _choice in scenarios.shown_choices(play) if i == index)
