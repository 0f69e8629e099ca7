"""Markdown quizzes, quiz settings, durations and the quiz-file loader."""

from __future__ import annotations

import sys
import types
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.content.durations import format_duration, parse_duration
from lms.content.errors import ContentErrors, display_path
from lms.content.questions import TYPES, Answer, Question
from lms.content.quiz import (
    QuizSettings,
    QuizSpec,
    load_quiz,
    load_quizzes,
    parse_markdown_quiz,
    quiz_files,
)

FRONT = "---\ntitle: 随堂测验\n---\n"  # the body starts on line 4


def only_question(body: str, front: str = FRONT) -> dict:
    quiz = parse_markdown_quiz(front + body, "quiz.md", "quiz")
    assert len(quiz.questions) == 1
    return quiz.questions[0].to_json()


@pytest.fixture
def gift_parser(monkeypatch) -> list[tuple[str, str]]:
    """A stand-in GIFT parser that records its calls and returns one true/false question."""
    calls: list[tuple[str, str]] = []

    def parse_gift(text: str, path: str) -> list[Question]:
        calls.append((text, path))
        return [Question("truefalse", "题", "对吗？", answers=(Answer("True", 1.0), Answer("False", 0.0)),
                         line=1)]

    monkeypatch.setitem(sys.modules, "lms.content.gift", types.SimpleNamespace(parse_gift=parse_gift))
    return calls


def errors_of(tmp_path: Path, text: str, name: str = "quiz.md") -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentErrors) as caught:
        load_quiz(path)
    return [str(error) for error in caught.value.errors]


# --- question types --------------------------------------------------------------------------

def test_single_choice_with_answer_feedback_and_explanation():
    assert only_question(
        "## 制定催收方案之前，首先要做什么？\n"
        "- [ ] 立即通知借款人单位\n"
        "  > 通知单位是借款人拒绝还款或无法联系时才考虑的手段。\n"
        "- [x] 理解客户情况：信用记录、逾期情况、还款能力\n"
        "- [ ] (-25%) 直接提起法律诉讼\n"
        "> 先了解借款人的情况，才能制定合理的催收方案。\n"
    ) == {
        "name": "制定催收方案之前，首先要做什么？",
        "type": "multichoice",
        "text": "制定催收方案之前，首先要做什么？",
        "answers": [
            {"text": "立即通知借款人单位", "fraction": 0.0,
             "feedback": "通知单位是借款人拒绝还款或无法联系时才考虑的手段。"},
            {"text": "理解客户情况：信用记录、逾期情况、还款能力", "fraction": 1.0, "feedback": ""},
            {"text": "直接提起法律诉讼", "fraction": -0.25, "feedback": ""},
        ],
        "general_feedback": "先了解借款人的情况，才能制定合理的催收方案。",
    }


MULTI = (
    "## 以下哪些属于催收员应遵守的注意事项？\n"
    "- [x] 保护客户隐私\n"
    "- [x] 遵守法律法规\n"
    "- [ ] 为了尽快收回欠款，可以适当使用威胁性语言\n"
    "- [x] 及时反馈和报告\n"
    "- [ ] 把欠款情况告诉借款人的同事\n"
)


def test_multiple_response_shares_the_mark_among_the_right_answers():
    assert only_question(MULTI) == {
        "name": "以下哪些属于催收员应遵守的注意事项？",
        "type": "multiresponse",
        "text": "以下哪些属于催收员应遵守的注意事项？",
        "answers": [
            {"text": "保护客户隐私", "fraction": 0.3333333, "feedback": ""},
            {"text": "遵守法律法规", "fraction": 0.3333333, "feedback": ""},
            {"text": "为了尽快收回欠款，可以适当使用威胁性语言", "fraction": 0.0, "feedback": ""},
            {"text": "及时反馈和报告", "fraction": 0.3333333, "feedback": ""},
            {"text": "把欠款情况告诉借款人的同事", "fraction": 0.0, "feedback": ""},
        ],
    }


def test_negative_marks_take_one_over_the_number_of_wrong_answers():
    front = "---\ntitle: 随堂测验\nnegative_marks: true\n---\n"
    fractions = [a["fraction"] for a in only_question(MULTI, front)["answers"]]
    assert fractions == [0.3333333, 0.3333333, -0.5, 0.3333333, -0.5]


def test_weights_in_a_multiple_response_question():
    question = only_question("## 选出正确做法\n"
                             "- [x] (50%) 核实身份\n"
                             "- [x] 说明来意\n"
                             "- [x] 记录通话\n"
                             "- [ ] (-100%) 威胁借款人\n"
                             "- [ ] （-33.5％） 透露欠款给第三方\n")
    assert [a["fraction"] for a in question["answers"]] == [0.5, 0.25, 0.25, -1.0, -0.335]


def test_true_false_with_feedback_for_a_wrong_answer():
    assert only_question(
        "## 上门催收时可以采用暴力手段迫使借款人还款。\n"
        "答案：错误\n"
        "  > 不对：暴力手段违法。\n"
        "> 上门催收必须安全稳妥，不得采用暴力或威胁手段。\n"
    ) == {
        "name": "上门催收时可以采用暴力手段迫使借款人还款。",
        "type": "truefalse",
        "text": "上门催收时可以采用暴力手段迫使借款人还款。",
        "answers": [
            {"text": "True", "fraction": 0.0, "feedback": "不对：暴力手段违法。"},
            {"text": "False", "fraction": 1.0, "feedback": ""},
        ],
        "general_feedback": "上门催收必须安全稳妥，不得采用暴力或威胁手段。",
    }


@pytest.mark.parametrize(("line", "value"), [
    ("答案：正确", True), ("答案：对", True), ("答案: true", True), ("Answer: T", True),
    ("答案：错", False), ("answer：False", False), ("答案： f", False),
])
def test_true_false_spellings(line, value):
    answers = only_question(f"## 判断\n{line}\n")["answers"]
    assert answers == [{"text": "True", "fraction": float(value), "feedback": ""},
                       {"text": "False", "fraction": float(not value), "feedback": ""}]


def test_short_answer():
    assert only_question(
        "## 信用卡催收流程的第一步是什么？\n"
        "= 理解客户情况\n"
        "= (80%) 了解客户情况\n"
        "  > 意思对了，但教材中的说法是“理解客户情况”。\n"
        "= *\n"
        "  > 请复习第一单元。\n"
    ) == {
        "name": "信用卡催收流程的第一步是什么？",
        "type": "shortanswer",
        "text": "信用卡催收流程的第一步是什么？",
        "answers": [
            {"text": "理解客户情况", "fraction": 1.0, "feedback": ""},
            {"text": "了解客户情况", "fraction": 0.8,
             "feedback": "意思对了，但教材中的说法是“理解客户情况”。"},
            {"text": "*", "fraction": 0.0, "feedback": "请复习第一单元。"},
        ],
    }


def test_numeric():
    assert only_question(
        "## 课程要求培训总结报告至少多少字？\n"
        "= 500\n"
        "= (50%) 400..499\n"
        "= (30%) 300 ± 50\n"
        "= (20%) 200 +- 50\n"
        "= *\n"
        "  > 请回顾“培训总结”单元中的撰写要求。\n"
    ) == {
        "name": "课程要求培训总结报告至少多少字？",
        "type": "numerical",
        "text": "课程要求培训总结报告至少多少字？",
        "numeric": [
            {"value": 500.0, "tolerance": 0.0, "fraction": 1.0, "feedback": ""},
            {"value": 449.5, "tolerance": 49.5, "fraction": 0.5, "feedback": ""},
            {"value": 300.0, "tolerance": 50.0, "fraction": 0.3, "feedback": ""},
            {"value": 200.0, "tolerance": 50.0, "fraction": 0.2, "feedback": ""},
            {"value": "*", "tolerance": 0.0, "fraction": 0.0,
             "feedback": "请回顾“培训总结”单元中的撰写要求。"},
        ],
    }


def test_numeric_range_gives_value_and_tolerance():
    numeric = only_question("## 逾期多少天？\n= 28..32\n= (50%) -1.5 ± 0.5\n")["numeric"]
    assert [(n["value"], n["tolerance"]) for n in numeric] == [(30.0, 2.0), (-1.5, 0.5)]


def test_matching():
    assert only_question(
        "## 将上门催收的规范与其要求对应起来。\n"
        "- 文明礼貌 -> 以友好、礼貌的方式与客户交流\n"
        "- 法律合规 -> 不得有侵害客户合法权益的行为\n"
        "- 安全稳妥 -> 保护自身安全，不得采用暴力或威胁手段\n"
    ) == {
        "name": "将上门催收的规范与其要求对应起来。",
        "type": "matching",
        "text": "将上门催收的规范与其要求对应起来。",
        "pairs": [
            {"question": "文明礼貌", "answer": "以友好、礼貌的方式与客户交流"},
            {"question": "法律合规", "answer": "不得有侵害客户合法权益的行为"},
            {"question": "安全稳妥", "answer": "保护自身安全，不得采用暴力或威胁手段"},
        ],
    }


def test_ordering():
    assert only_question(
        "## 请按顺序排列信用卡催收流程的步骤。\n"
        "1. 理解客户情况\n"
        "2. 与借款人进行沟通\n"
        "3. 制定还款计划\n"
        "> 先了解，再沟通，后计划。\n"
    ) == {
        "name": "请按顺序排列信用卡催收流程的步骤。",
        "type": "ordering",
        "text": "请按顺序排列信用卡催收流程的步骤。",
        "answers": [
            {"text": "理解客户情况", "fraction": 1.0, "feedback": ""},
            {"text": "与借款人进行沟通", "fraction": 1.0, "feedback": ""},
            {"text": "制定还款计划", "fraction": 1.0, "feedback": ""},
        ],
        "general_feedback": "先了解，再沟通，后计划。",
    }


def test_ordering_may_number_every_item_alike():
    answers = only_question("## 排序\n1. 甲\n1. 乙\n1. 丙\n")["answers"]
    assert [a["text"] for a in answers] == ["甲", "乙", "丙"]


def test_essay():
    assert only_question(
        "## 借款人情绪激动时，你会如何回应？\n"
        "请结合“语言措辞”的要求作答。\n"
        "[问答]\n"
        "> 参考要点：保持冷静，先倾听，\n"
        ">\n"
        "> 使用尊重的措辞。\n"
    ) == {
        "name": "借款人情绪激动时，你会如何回应？",
        "type": "essay",
        "text": "借款人情绪激动时，你会如何回应？\n请结合“语言措辞”的要求作答。",
        "general_feedback": "参考要点：保持冷静，先倾听，\n\n使用尊重的措辞。",
    }


def test_description_keeps_its_markdown_source():
    quiz = parse_markdown_quiz(FRONT + "## 阅读说明\n"
                                       "以下 3 题都基于同一通电话录音的**文字稿**：\n"
                                       "\n"
                                       "- 催收员：您好。\n"
                                       "> 借款人：没钱。\n"
                                       "## 题\n答案：对\n", "quiz.md", "quiz")
    assert quiz.questions[0].to_json() == {
        "name": "阅读说明",
        "type": "description",
        "text": "阅读说明\n以下 3 题都基于同一通电话录音的**文字稿**：\n\n- 催收员：您好。\n> 借款人：没钱。",
    }


def test_question_text_lines_and_lines_of_questions():
    quiz = parse_markdown_quiz(FRONT + "## 第一题\n题干第一段。\n\n第二段。\n\n- [x] 对\n- [ ] 错\n\n"
                               "## 第二题 ##\n答案：对\n", "quiz.md", "quiz")
    first, second = quiz.questions
    assert first.text == "第一题\n题干第一段。\n\n第二段。"
    assert (first.line, second.line, second.name) == (4, 12, "第二题")
    assert first.format is None and second.category is None


def test_code_fences_are_text():
    question = only_question("## 看代码\n```\n## 不是题目\n- [x] 不是选项\n```\n答案：对\n")
    assert question["type"] == "truefalse"
    assert question["text"] == "看代码\n```\n## 不是题目\n- [x] 不是选项\n```"


# --- introduction, case studies, categories --------------------------------------------------

def test_the_introduction_and_a_case_study():
    quiz = parse_markdown_quiz("---\ntitle: 案例分析\nkind: case\n---\n\n借款人张某逾期 90 天。\n\n"
                               "> 他说：“没钱。”\n\n## 你会怎么做？\n[问答]\n", "case.md", "case")
    assert quiz.settings.kind == "case"
    assert quiz.intro == "借款人张某逾期 90 天。\n\n> 他说：“没钱。”"
    assert [q.type for q in quiz.questions] == ["essay"]


def test_a_quiz_without_introduction_has_an_empty_one():
    assert parse_markdown_quiz(FRONT + "## 题\n答案：对\n", "quiz.md", "quiz").intro == ""


def test_categories_and_draw_category():
    quiz = parse_markdown_quiz(
        "---\ntitle: 测验\ndraw: 2\ndraw_category: 法律法规\n---\n"
        "# 流程\n## 一\n答案：对\n"
        "# 法律法规\n## 二\n答案：对\n## 三\n答案：错\n## 说明\n以下无题。\n", "quiz.md", "quiz")
    assert [(q.name, q.category) for q in quiz.questions] == [
        ("一", "流程"), ("二", "法律法规"), ("三", "法律法规"), ("说明", "法律法规")]
    assert (quiz.settings.draw, quiz.settings.draw_category) == (2, "法律法规")


def test_draw_larger_than_the_category_is_an_error(tmp_path):
    found = errors_of(tmp_path, "---\ntitle: 测验\ndraw: 2\ndraw_category: 法律法规\n---\n"
                                "# 流程\n## 一\n答案：对\n# 法律法规\n## 二\n答案：对\n## 说明\n文字\n")
    assert found == [f"{display_path(tmp_path / 'quiz.md')}:3: 'draw' is 2 but the quiz has 1 "
                     "scored question(s) in category '法律法规'"]


# --- settings --------------------------------------------------------------------------------

def test_settings_defaults():
    quiz = parse_markdown_quiz(FRONT + "## 题\n答案：对\n", "quiz.md", "quiz")
    assert quiz.settings == QuizSettings(
        title="随堂测验", kind="quiz", pass_mark=80, attempts=0, wait=None, time_limit=None,
        shuffle=False, draw=None, draw_category=None, reveal="after_attempt", negative_marks=False)
    assert isinstance(quiz, QuizSpec) and quiz.slug == "quiz" and quiz.path == "quiz.md"
    assert quiz.source == FRONT + "## 题\n答案：对\n" and len(quiz.sha256) == 64


def test_every_setting():
    front = ("---\ntitle: 催收流程 随堂测验\nkind: case\npass_mark: 60\nattempts: 3\nwait: 10m\n"
             "time_limit: 1h30m\nshuffle: true\ndraw: 1\ndraw_category: 流程\nreveal: once_passed\n"
             "negative_marks: true\nshuffle_answers: false\n---\n案情。\n# 流程\n## 题\n答案：对\n")
    assert parse_markdown_quiz(front, "quiz.md", "quiz").settings == QuizSettings(
        title="催收流程 随堂测验", kind="case", pass_mark=60, attempts=3, wait=timedelta(minutes=10),
        time_limit=timedelta(hours=1, minutes=30), shuffle=True, draw=1, draw_category="流程",
        reveal="once_passed", negative_marks=True, shuffle_answers=False)


# --- durations -------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "duration"), [
    ("30s", timedelta(seconds=30)), ("10m", timedelta(minutes=10)), ("2h", timedelta(hours=2)),
    ("1d", timedelta(days=1)), ("1h30m", timedelta(minutes=90)), ("1d 2h 3m 4s", timedelta(1, 7384)),
    ("0s", timedelta(0)),
])
def test_parse_duration(text, duration):
    assert parse_duration(text) == duration


@pytest.mark.parametrize("text", ["", "10", "m", "1.5h", "-1m", "30m1h", "1h1h", "10 minutes", "一小时"])
def test_parse_duration_rejects_other_text(text):
    with pytest.raises(ValueError, match="is not a duration: .* e.g. 30s, 10m, 2h, 1d or 1h30m"):
        parse_duration(text)


def test_format_duration():
    assert format_duration(timedelta(minutes=90)) == "1h30m"
    assert format_duration(timedelta(days=1, seconds=5)) == "1d5s"
    assert format_duration(timedelta(0)) == "0s"
    with pytest.raises(ValueError):
        format_duration(timedelta(seconds=-1))


@given(st.timedeltas(min_value=timedelta(0)).map(lambda d: timedelta(d.days, d.seconds)))
def test_format_duration_is_the_inverse_of_parse_duration(duration):
    assert parse_duration(format_duration(duration)) == duration


# --- errors ----------------------------------------------------------------------------------

BAD_QUIZZES = [
    ("## 题\n- [ ] 甲\n- [ ] 乙\n", 4, "a choice question needs its right answer marked '[x]'"),
    ("## 题\n- [x] (150%) 甲\n- [x] 乙\n", 5, "weight '(150%)' must be a number from -100 to 100"),
    ("## 题\n- [x] 甲\n- [ ] (abc%) 乙\n", 6, "weight '(abc%)' must be a number from -100 to 100"),
    ("## 题\n- [x] (50%) 甲\n- [ ] 乙\n", 5, "the right answer '[x]' of a single-choice question"),
    ("## 题\n- [x] (30%) 甲\n- [x] (30%) 乙\n", 4,
     "the weights of the '[x]' answers add up to 60%, not 100%"),
    ("## 题\n- [x] (80%) 甲\n- [x] (40%) 乙\n- [x] 丙\n", 4,
     "the weights of the '[x]' answers add up to 120%, leaving nothing"),
    ("## 题\n- [x] (-50%) 甲\n- [x] 乙\n", 5, "an '[x]' answer must have a positive weight"),
    ("## 题\n- [x] 甲\n- [x] 乙\n- [ ] (20%) 丙\n", 7, "a '[ ]' answer cannot earn marks"),
    ("## 题\n- [x] 甲\n- 甲 -> 乙\n", 6, "answers of different kinds in one question: choices '- [x]' and "
     "matching pairs '->'"),
    ("## 题\n- [x] 甲\n- 乙\n", 6, "'- 乙' below the answers is not an answer"),
    ("## 题\n- 甲 -> 乙\n", 4, "a matching question needs at least 2 pairs"),
    ("## 题\n- 甲 -> 乙\n- 丙 ->\n", 6, "a matching pair needs text on both sides of '->'"),
    ("## 题\n1. 甲\n", 4, "an ordering question needs at least 2 items"),
    ("## 题\n2. 甲\n1. 乙\n", 6, "ordering items are numbered 2, 3, 4… in the right order, not 1 here"),
    ("## 题\n= 500\n= 30 元\n", 6, "'= 30 元' mixes numbers and words"),
    ("## 题\n= 32..28\n", 5, "in the range '32..28' the smaller number comes first"),
    ("## 题\n= *\n= 500\n", 5, "'= *' matches every other answer, so it comes last"),
    ("## 题\n= (50%) 理解\n", 4, "no answer is worth 100%"),
    ("## 题\n= 理解\n=\n", 6, "an '=' line needs the accepted answer after it"),
    ("## 题\n答案：是\n", 5, "'答案：是' is not an answer: write 答案：正确 or 答案：错误"),
    ("## 题\n答案：对\n答案：错\n", 6, "a true/false question has one '答案：' line"),
    ("## 题\n答案：对\n> 解释\n\n又一段\n", 8, "content after the explanation '> …'"),
    ("## 题\n答案：对\n> 解释\n- [x] 甲\n", 7, "content after the explanation '> …'"),
    ("##\n答案：对\n", 4, "a question heading '##' needs text"),
    ("#\n## 题\n答案：对\n", 4, "a category heading '#' needs text"),
    ("## 题\n[问答]\n  > 要点\n", 5, "an essay question has no feedback of its own"),
    ("## 题\n- 甲 -> 乙\n  > 说明\n- 丙 -> 丁\n", 5, "a matching pair has no feedback of its own"),
    ("- [x] 甲\n## 题\n答案：对\n", 4, "'- [x] 甲' comes before the first question"),
    ("## 一\n答案：对\n# 类别\n说明文字\n## 二\n答案：错\n", 7, "text between a '#' category heading"),
    ("只有说明，没有题目。\n", 4, "the quiz has no questions"),
    ("## 说明\n只有说明。\n", 4, "the quiz has only descriptions"),
]


@pytest.mark.parametrize(("body", "line", "message"), BAD_QUIZZES)
def test_each_kind_of_bad_question_is_reported_with_its_line(tmp_path, body, line, message):
    found = errors_of(tmp_path, FRONT + body)
    expected = f"{display_path(tmp_path / 'quiz.md')}:{line}: {message}"
    assert any(error.startswith(expected) for error in found), found


BAD_SETTINGS = [
    ("colour: red", 3, "unknown key 'colour' (known keys: attempts, draw, draw_category, kind, "
     "negative_marks, pass_mark, reveal, shuffle, shuffle_answers, time_limit, title, wait)"),
    ("pass_mark: 101", 3, "'pass_mark' must be a whole number from 0 to 100"),
    ("pass_mark: 七十", 3, "'pass_mark' must be a whole number from 0 to 100"),
    ("attempts: -1", 3, "'attempts' must be a whole number of at least 0"),
    ("attempts: 1.5", 3, "'attempts' must be a whole number of at least 0"),
    ("wait: 10 minutes", 3, "'wait': '10 minutes' is not a duration"),
    ("wait: 30", 3, "'wait' must be a duration such as 30s, 10m, 2h, 1d or 1h30m"),
    ("time_limit: 0m", 3, "'time_limit' must be longer than 0s"),
    ("shuffle: yes please", 3, "'shuffle' must be true or false"),
    ("shuffle_answers: 0", 3, "'shuffle_answers' must be true or false"),
    ("negative_marks: 1", 3, "'negative_marks' must be true or false"),
    ("draw: 0", 3, "'draw' must be a whole number of at least 1"),
    ("draw: 3", 3, "'draw' is 3 but the quiz has 2 scored question(s)"),
    ("draw_category: 法律", 3, "no question is in category '法律' (categories: 流程)"),
    ("reveal: always", 3, "'reveal' must be one of after_attempt, once_passed, never"),
    ("kind: exam", 3, "'kind' must be one of quiz, case"),
    ("kind: case", 5, "a case study (kind: case) needs its case as text before the first question"),
]


@pytest.mark.parametrize(("setting", "line", "message"), BAD_SETTINGS)
def test_each_kind_of_bad_setting_is_reported_with_its_line(tmp_path, setting, line, message):
    text = f"---\ntitle: 测验\n{setting}\n---\n# 流程\n## 一\n答案：对\n## 二\n答案：错\n"
    found = errors_of(tmp_path, text)
    expected = f"{display_path(tmp_path / 'quiz.md')}:{line}: {message}"
    assert any(error.startswith(expected) for error in found), found


def test_title_is_required_and_front_matter_must_be_there(tmp_path):
    assert errors_of(tmp_path, "---\npass_mark: 60\n---\n## 题\n答案：对\n")[0].endswith(
        ":2: 'title' is required")
    assert errors_of(tmp_path, "## 题\n答案：对\n")[0].endswith(
        ":1: missing front matter: the file must start with a '---' line")


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    found = errors_of(tmp_path, "---\ntitle: 测验\npass_mark: 200\n---\n"
                                "## 一\n- [ ] 甲\n## 二\n答案：也许\n## 三\n1. 唯一\n")
    assert [error.split(": ", 1)[0].rsplit(":", 1)[1] for error in found] == ["3", "5", "8", "9"]


# --- files and folders -----------------------------------------------------------------------

GOOD = FRONT + "## 题\n答案：对\n"


def test_quiz_files_and_load_quizzes(tmp_path):
    for name in ("b-quiz.md", "a-quiz.md", "call.scenario.md", "notes.txt"):
        (tmp_path / name).write_text(GOOD, encoding="utf-8")
    assert [p.name for p in quiz_files(tmp_path)] == ["a-quiz.md", "b-quiz.md"]
    assert [q.slug for q in load_quizzes(tmp_path)] == ["a-quiz", "b-quiz"]
    assert quiz_files(tmp_path / "missing") == [] and load_quizzes(tmp_path / "missing") == []


def test_load_quizzes_reports_bad_names_duplicates_and_every_bad_file(tmp_path, gift_parser):
    (tmp_path / "Quiz One.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "bad.md").write_text(FRONT + "## 题\n答案：也许\n", encoding="utf-8")
    (tmp_path / "twice.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "twice.gift").write_text("::题:: 对吗？{T}\n", encoding="utf-8")
    (tmp_path / "call.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "call.scenario.md").write_text("---\ntitle: 模拟\n---\n", encoding="utf-8")
    (tmp_path / "latin1.md").write_bytes("---\ntitle: café\n---\n".encode("latin-1"))
    with pytest.raises(ContentErrors) as caught:
        load_quizzes(tmp_path)
    found = sorted(f"{Path(e.path).name}:{e.line}: {e.message}" for e in caught.value.errors)
    assert found == [
        "Quiz One.md:1: quiz file name 'Quiz One.md' must be a slug and .md or .gift: lowercase "
        "letters, digits and '-'",
        "bad.md:5: '答案：也许' is not an answer: write 答案：正确 or 答案：错误 "
        "(also 对/错, true/false, T/F)",
        "call.scenario.md:1: activity 'call' is both a quiz (call.md) and a call simulation",
        "latin1.md:2: the file is not valid UTF-8",
        "twice.md:1: quiz 'twice' is defined twice: twice.gift and twice.md",
    ]


def test_load_quiz_rejects_other_files(tmp_path):
    with pytest.raises(ContentErrors, match="not a quiz file"):
        load_quiz(tmp_path / "call.scenario.md")


def test_a_gift_quiz_takes_its_settings_from_the_yml_beside_it(tmp_path, gift_parser):
    gift, yml = tmp_path / "first-quiz.gift", tmp_path / "first-quiz.yml"
    gift.write_text("::题:: 对吗？{T}\n", encoding="utf-8")
    quiz = load_quiz(gift)
    assert (quiz.slug, quiz.settings.title, quiz.intro, quiz.source) == (
        "first-quiz", "first-quiz", "", "::题:: 对吗？{T}\n")
    assert gift_parser == [("::题:: 对吗？{T}\n", str(gift))]

    yml.write_text("title: GIFT 测验\npass_mark: 90\nwait: 1d\n", encoding="utf-8")
    quiz = load_quiz(gift)
    assert (quiz.settings.title, quiz.settings.pass_mark, quiz.settings.wait) == (
        "GIFT 测验", 90, timedelta(days=1))
    assert quiz.source == "::题:: 对吗？{T}\ntitle: GIFT 测验\npass_mark: 90\nwait: 1d\n"

    yml.write_text("title: GIFT 测验\ndraw: 5\nreveal: sometimes\n", encoding="utf-8")
    with pytest.raises(ContentErrors) as caught:
        load_quiz(gift)
    assert [(Path(e.path).name, e.line) for e in caught.value.errors] == [
        ("first-quiz.yml", 2), ("first-quiz.yml", 3)]


def test_a_gift_quiz_with_the_gift_parser(tmp_path):
    pytest.importorskip("lms.content.gift")
    (tmp_path / "gift-quiz.gift").write_text(
        "::催收暴力:: 上门催收时可以采用暴力手段。{F}\n\n"
        "::第一步:: 催收流程的第一步是什么？{=理解客户情况}\n",
        encoding="utf-8")
    (tmp_path / "gift-quiz.yml").write_text("title: GIFT 测验\nattempts: 2\n", encoding="utf-8")
    (quiz,) = load_quizzes(tmp_path)
    assert (quiz.slug, quiz.settings.title, quiz.settings.attempts) == ("gift-quiz", "GIFT 测验", 2)
    assert [q.type for q in quiz.questions] == ["truefalse", "shortanswer"]


# --- robustness ------------------------------------------------------------------------------

LINE_STARTS = ["", "", "# ", "## ", "## ", "##", "- [x] ", "- [ ] ", "- [] ", "- ", "1. ", "2. ", "= ", "=",
               "答案：", "答案：对", "> ", ">", "  > ", "[问答]", "```", "### "]
PIECES = ["#", "-", "[x]", "[ ]", ">", "=", "->", " -> ", "答案：", "(50%) ", "(-120%)", "(abc%)", "*", "..",
          " ± ", "+-", "0", "7", "30", "2.5", "题目", "催收", "正确", "错", " ", "\n", "\t"]
LINES = st.tuples(st.sampled_from(LINE_STARTS),
                  st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=5).map("".join))
BODIES = st.lists(LINES.map("".join), max_size=25).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(BODIES)
def test_any_body_gives_a_quiz_or_content_errors(body):
    front = "---\ntitle: 测验\ndraw: 1\ndraw_category: 题目\nnegative_marks: true\n---\n"
    text = front + body
    try:
        quiz = parse_markdown_quiz(text, "quiz.md", "quiz")
    except ContentErrors as exc:
        last_line = max(1, len(text.splitlines()))
        # a quiz with nothing after its front matter is blamed on the line after it
        assert exc.errors and all(1 <= e.line <= last_line + 1 and e.message for e in exc.errors)
    else:
        assert quiz.questions and all(q.type in TYPES for q in quiz.questions)
        assert all(q.to_json()["type"] == q.type for q in quiz.questions)
