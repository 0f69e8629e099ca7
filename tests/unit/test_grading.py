"""Grading is pure: a question and a stored response in, a fraction of the mark out."""

from __future__ import annotations

import pytest

from lms.assessments.grading import (
    QUESTION_TYPES,
    marks_text,
    normalise_text,
    parse_number,
    score_percent,
    shown_score,
)
from lms.content.questions import Answer, NumericAnswer, Pair, Question


def q(kind, **fields):
    return Question(type=kind, name="题", text="题", **fields)


def grade(question, response):
    return QUESTION_TYPES[question.type].grade(question, response)


def parse(question, **values):
    return QUESTION_TYPES[question.type].parse(question, values)


SINGLE = q("multichoice", answers=(Answer("通知单位", 0, "这是最后的手段。"), Answer("理解客户情况", 1),
                                   Answer("起诉", 0)))
MULTI = q("multiresponse", answers=(Answer("保护客户隐私", 0.5), Answer("遵守法律法规", 0.5),
                                    Answer("使用威胁", -0.5, "不得利用暴力、威胁等手段。"),
                                    Answer("无关选项", 0)))


def test_single_choice():
    assert grade(SINGLE, 1).fraction == 1 and grade(SINGLE, 1).is_correct
    wrong = grade(SINGLE, 0)
    assert wrong.fraction == 0 and wrong.feedback == ("这是最后的手段。",)
    assert grade(SINGLE, None).fraction == 0
    assert grade(SINGLE, 7).fraction == 0


def test_multiple_response_partial_credit_and_negative_marks():
    assert grade(MULTI, [0, 1]).fraction == 1
    assert grade(MULTI, [0]).fraction == 0.5
    assert grade(MULTI, [0, 1, 2]).fraction == 0.5
    assert grade(MULTI, [0, 1, 2]).feedback == ("不得利用暴力、威胁等手段。",)
    assert grade(MULTI, [2]).fraction == 0  # never below zero
    assert grade(MULTI, [0, 0, 1]).fraction == 1  # a repeated index counts once
    assert grade(MULTI, []).fraction == 0


def test_true_false():
    question = q("truefalse", answers=(Answer("True", 0, "错，上门不得采用暴力。"), Answer("False", 1)))
    assert grade(question, 1).is_correct
    assert grade(question, 0).feedback == ("错，上门不得采用暴力。",)


@pytest.mark.parametrize(("given", "fraction"), [
    ("理解客户情况", 1), ("  理解客户情况 ", 1), ("了解客户情况", 0.8), ("ＡＢＣ", 1), ("abc", 1),
    ("Abc", 1), ("理解客户", 0), ("", 0),
])
def test_short_answers_are_normalised(given, fraction):
    question = q("shortanswer", answers=(Answer("理解客户情况", 1), Answer("了解客户情况", 0.8),
                                         Answer("abc", 1)))
    assert grade(question, given).fraction == fraction


def test_short_answer_wildcard():
    question = q("shortanswer", answers=(Answer("*隐私*", 1),))
    assert grade(question, "保护客户隐私").is_correct
    assert not grade(question, "遵守法律").is_correct


@pytest.mark.parametrize(("given", "fraction"), [
    ("500", 1), ("５００", 1), ("500.0", 1), ("450", 0.5), ("1,000", 0), ("abc", 0), ("nan", 0),
    ("", 0),
])
def test_numeric_tolerance_ranges_and_any_other(given, fraction):
    question = q("numerical", numeric=(NumericAnswer(500, 0, 1), NumericAnswer(450, 50, 0.5),
                                       NumericAnswer("*", 0, 0, "请回顾课程要求。")))
    assert grade(question, given).fraction == fraction


def test_numeric_any_other_gives_its_feedback():
    question = q("numerical", numeric=(NumericAnswer(500, 0, 1), NumericAnswer("*", 0, 0, "再想想")))
    assert grade(question, "12").feedback == ("再想想",)


def test_matching_scores_each_pair():
    question = q("matching", pairs=(Pair("文明礼貌", "友好交流"), Pair("法律合规", "不侵害权益"),
                                    Pair("安全稳妥", "保护自身安全")))
    assert grade(question, {"0": "友好交流", "1": "不侵害权益", "2": "保护自身安全"}).fraction == 1
    assert grade(question, {"0": "友好交流", "1": "保护自身安全"}).fraction == pytest.approx(1 / 3)
    choices = sorted({"友好交流", "不侵害权益", "保护自身安全"})
    response = parse(question, **{"-0": [str(choices.index("友好交流"))], "-1": ["9"]})
    assert response == {"0": "友好交流"}


def test_ordering_needs_the_whole_order():
    question = q("ordering", answers=tuple(Answer(t, 1) for t in ("一", "二", "三")))
    assert grade(question, [0, 1, 2]).fraction == 1
    assert grade(question, [1, 0, 2]).fraction == 0
    assert parse(question, **{"-0": ["2"], "-1": ["1"], "-2": ["3"]}) == [1, 0, 2]
    assert parse(question, **{"-0": ["2"], "-1": ["x"], "-2": ["3"]}) is None


@pytest.mark.parametrize("hostile", ["²", "¹²", "١", "0x1", "99999999999999999999999", " ", "-1"])
def test_numbers_that_are_not_ascii_digits_are_no_answer(hostile):
    ordering = q("ordering", answers=tuple(Answer(t, 1) for t in ("一", "二")))
    assert parse(ordering, **{"-0": [hostile], "-1": ["1"]}) is None
    assert parse(SINGLE, **{"": [hostile]}) is None
    assert parse(MULTI, **{"": [hostile, "1"]}) == [1]


def test_typed_answers_follow_their_field_rules():
    from lms.fields import TextRuleError

    assert parse(q("essay"), **{"": ["  第一段\r\n第二段  "]}) == "第一段\n第二段"
    assert parse(q("shortanswer", answers=(Answer("理解", 1),)), **{"": ["e\u0301"]}) == "\u00e9"  # NFC
    for kind, value in (("essay", "x\x00"), ("shortanswer", "一\n二"), ("numerical", "1" * 101),
                        ("essay", "长" * 20_001)):
        with pytest.raises(TextRuleError):
            parse(q(kind), **{"": [value]})


def test_essays_wait_for_a_trainer():
    question = q("essay")
    assert grade(question, "我的回答") is None
    assert not QUESTION_TYPES["essay"].auto_graded


def test_form_values_are_parsed_into_responses():
    assert parse(SINGLE, **{"": ["1"]}) == 1
    assert parse(SINGLE, **{"": ["x"]}) is None
    assert parse(MULTI, **{"": ["2", "0", "0", "99"]}) == [0, 2]


def test_correct_responses_earn_full_marks():
    questions = [
        SINGLE, MULTI,
        q("shortanswer", answers=(Answer("甲", 1),)),
        q("numerical", numeric=(NumericAnswer(3, 0.5, 1),)),
        q("matching", pairs=(Pair("a", "1"), Pair("b", "2"))),
        q("ordering", answers=(Answer("a", 1), Answer("b", 1))),
    ]
    for question in questions:
        kind = QUESTION_TYPES[question.type]
        assert kind.grade(question, kind.correct_response(question)).is_correct, question.type


def test_helpers():
    assert normalise_text("  Ｈｅｌｌｏ   World ") == "hello world"
    assert parse_number("３．５") == 3.5
    assert score_percent([1, 0.5, 0]) == 50.0
    assert score_percent([]) == 0.0
    # in question order (q10 after q2), ungraded left out, right from 0.999 up
    assert marks_text([("q10", 1.0), ("q2", 0.5), ("q0", None), ("q1", 0.9995)]) == "q1+ q2- q10+"
    assert marks_text([("q0", None)]) is None


@pytest.mark.parametrize(("score", "shown"), [
    (79.96, 79.9), (84.6, 84.6), (84.55, 84.5), (66.67, 66.6), (99.99, 99.9), (85.0, 85), (100.0, 100),
    (0.0, 0), (70, 70), (12.1, 12.1), (None, None)])
def test_a_score_is_shown_to_one_decimal_cut_not_rounded(score, shown):
    assert shown_score(score) == shown
    assert type(shown_score(score)) is type(shown)
