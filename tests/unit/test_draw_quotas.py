"""Draw quotas: ``draw: {category: count}`` in Markdown front matter and GIFT settings, checked
against the pool, and honoured when an attempt's questions are drawn."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from lms.assessments.quizzes import Settings, build_layout
from lms.content.errors import ContentErrors, display_path
from lms.content.quiz import load_quiz, parse_markdown_quiz

BODY = ("# 流程\n## 流程一\n答案：对\n## 流程二\n答案：对\n## 流程三\n答案：错\n"
        "# 技巧\n## 技巧一\n答案：对\n## 技巧二\n答案：错\n## 说明\n以下无题。\n"
        "# 法律\n## 法律一\n答案：对\n")


def quiz(front: str):
    return parse_markdown_quiz(f"---\ntitle: 测验\n{front}---\n{BODY}", "quiz.md", "quiz")


def errors_of(tmp_path: Path, front: str) -> list[str]:
    path = tmp_path / "quiz.md"
    path.write_text(f"---\ntitle: 测验\n{front}---\n{BODY}", encoding="utf-8")
    with pytest.raises(ContentErrors) as caught:
        load_quiz(path)
    shown = display_path(path)
    return [str(e).removeprefix(f"{shown}:") for e in caught.value.errors]


def test_quotas_in_flow_and_block_style():
    settings = quiz("draw: {流程: 2, 技巧: 1}\n").settings
    assert (settings.draw, settings.draw_quotas, settings.draw_category) == (3, {"流程": 2, "技巧": 1}, None)
    block = quiz("draw:\n  流程: 3\n  法律: 1\n").settings
    assert (block.draw, block.draw_quotas) == (4, {"流程": 3, "法律": 1})
    assert quiz("draw: 2\n").settings.draw_quotas is None


@pytest.mark.parametrize(("front", "expected"), [
    ("draw: {流程: 2, 合规: 1}\n", "3: 'draw' names category '合规', which has no scored question "
     "(categories: 流程 (3), 技巧 (2), 法律 (1))"),
    ("draw:\n  流程: 4\n  技巧: 1\n", "4: 'draw' asks for 4 question(s) of category '流程', which has "
     "3 scored question(s)"),
    ("draw:\n  流程: 1\n  技巧: 3\n", "5: 'draw' asks for 3 question(s) of category '技巧', which has "
     "2 scored question(s)"),  # the description under 技巧 is not scored
    ("draw: {流程: 0}\n", "3: 'draw' count for category '流程' must be a whole number of at least 1"),
    ("draw: {流程: two}\n", "3: 'draw' count for category '流程' must be a whole number of at least 1"),
    ("draw: {}\n", "3: 'draw' must be a number, or a mapping of category to count"),
    ("draw: {流程: 1}\ndraw_category: 流程\n", "4: 'draw_category' cannot be used with per-category "
     "counts in 'draw'"),
])
def test_bad_quotas_are_reported_with_their_line(tmp_path, front, expected):
    found = errors_of(tmp_path, front)
    assert any(line.startswith(expected) for line in found), found


def test_quotas_in_gift_settings(tmp_path):
    (tmp_path / "bank.gift").write_text(
        "$CATEGORY: 流程\n\n::一::甲{T}\n\n::二::乙{F}\n\n$CATEGORY: 技巧\n\n::三::丙{T}\n", encoding="utf-8")
    (tmp_path / "bank.yml").write_text("title: 题库\ndraw:\n  流程: 2\n  技巧: 1\n", encoding="utf-8")
    assert load_quiz(tmp_path / "bank.gift").settings.draw_quotas == {"流程": 2, "技巧": 1}
    (tmp_path / "bank.yml").write_text("title: 题库\ndraw:\n  流程: 1\n  技巧: 2\n", encoding="utf-8")
    with pytest.raises(ContentErrors) as caught:
        load_quiz(tmp_path / "bank.gift")
    assert [str(e) for e in caught.value.errors] == [
        f"{display_path(tmp_path / 'bank.yml')}:4: 'draw' asks for 2 question(s) of category '技巧', "
        "which has 1 scored question(s)"]


def settings_of(spec) -> Settings:
    data = {"draw": spec.settings.draw, "draw_quotas": spec.settings.draw_quotas}
    return Settings.of(type("Revision", (), {"data": {"settings": data}})())


def test_an_attempt_draws_each_category_s_quota():
    spec = quiz("draw: {流程: 2, 技巧: 1}\nshuffle: true\n")
    questions = list(spec.questions)
    rng = random.Random(7)
    seen: Counter[str] = Counter()
    for _ in range(200):
        layout = build_layout(questions, settings_of(spec), rng)
        categories = Counter(questions[int(item["key"][1:])].category for item in layout)
        assert categories == Counter({"流程": 2, "技巧": 1})
        seen.update(questions[int(item["key"][1:])].name for item in layout)
    # every question of a category with a quota is drawn sometimes; the rest never
    assert set(seen) == {"流程一", "流程二", "流程三", "技巧一", "技巧二"}
