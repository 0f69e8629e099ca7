"""`lms quiz show --json` and `lms quiz export --format gift`, on the shipped quizzes."""

from __future__ import annotations

import dataclasses
import json

import pytest

from lms.content.gift import parse_gift
from lms.content.quiz import load_quiz, quiz_files

from ..conftest import SHIPPED_QUIZZES

QUIZ_FILES = quiz_files(SHIPPED_QUIZZES / "credit-card-collection")


def test_show_prints_neutral_json(runner):
    path = SHIPPED_QUIZZES / "credit-card-collection" / "final-exam.gift"
    result = runner.invoke(args=["lms", "quiz", "show", str(path), "--json"])
    assert result.exit_code == 0, result.output
    questions = json.loads(result.output)["questions"]
    assert len(questions) >= 30
    assert {"multichoice", "multiresponse", "truefalse", "shortanswer", "matching", "numerical"} <= {
        q["type"] for q in questions}
    truefalse = next(q for q in questions if q["type"] == "truefalse")
    assert [a["text"] for a in truefalse["answers"]] == ["True", "False"]
    assert all(q.get("category") for q in questions)
    assert all(-1 <= a["fraction"] <= 1 for q in questions for a in q.get("answers", ()))


def test_show_reports_path_and_line_and_fails(runner, tmp_path):
    path = tmp_path / "bad.gift"
    path.write_text("::好::题目 {=对 ~错}\n\n::坏::缺少右括号 {=对 ~错\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "quiz", "show", str(path), "--json"])
    assert result.exit_code == 1
    assert result.output.startswith(f"{path}:3: ")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("path", QUIZ_FILES, ids=[p.name for p in QUIZ_FILES])
def test_every_shipped_quiz_round_trips_through_gift(runner, tmp_path, path):
    original = load_quiz(path)
    target = tmp_path / "out.gift"
    result = runner.invoke(args=["lms", "quiz", "export", str(path), "--format", "gift", "-o", str(target)])
    assert result.exit_code == 0, result.output
    again = parse_gift(target.read_text(encoding="utf-8"), str(target))
    strip = lambda q: dataclasses.replace(q, line=0, format=None)  # noqa: E731
    assert [strip(q) for q in again] == [strip(q) for q in original.questions]
