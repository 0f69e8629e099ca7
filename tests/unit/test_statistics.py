"""Quiz, question and simulation statistics on data sets small enough to work out by hand."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from lms.assessments.statistics import (
    AttemptMarks,
    ChoiceMade,
    ItemInfo,
    PlayRecord,
    StepInfo,
    Tallies,
    distribution,
    histogram,
    quiz_statistics,
    random_guess_score,
    scenario_statistics,
    tallied_statistics,
)
from lms.content.questions import Answer, NumericAnswer, Pair, Question

approx = lambda value: pytest.approx(value, abs=1e-4)  # noqa: E731

# Five attempts at three questions, each worth 1 (fractions):
#
#        q0  q1  q2  total   q0 answer (authored index)
#   A1    1   1   1    3     1
#   A2    1   1   0    2     1
#   A3    1   0   1    2     1
#   A4    0   1   0    1     0
#   A5    0   0   0    0     (none)
ROWS = [(1, 1, 1), (1, 1, 0), (1, 0, 1), (0, 1, 0), (0, 0, 0)]
Q0_ANSWERS = [1, 1, 1, 0, None]
ITEMS = {
    "q0": ItemInfo("q0", "第一步", "multichoice", ("通知单位", "理解客户情况", "起诉"), (0.0, 1.0, 0.0)),
    "q1": ItemInfo("q1", "注意事项", "truefalse", ("对", "错"), (1.0, 0.0)),
    "q2": ItemInfo("q2", "叫什么", "shortanswer"),
}


def attempts() -> list[AttemptMarks]:
    return [AttemptMarks(tuple((f"q{i}", float(mark)) for i, mark in enumerate(row)), {"q0": answer})
            for row, answer in zip(ROWS, Q0_ANSWERS, strict=True)]


def test_quiz_level_statistics_as_moodle_computes_them():
    stats = quiz_statistics(attempts(), ITEMS, {"q0": 1 / 3, "q1": 0.5, "q2": 0.0})
    # totals 3, 2, 2, 1, 0: s = 5, mean 1.6 of 3 = 53.33 %, median 2 of 3 = 66.67 %
    assert stats.attempts == 5 and stats.positions == 3
    assert stats.mean == approx(100 * 1.6 / 3)
    assert stats.median == approx(100 * 2 / 3)
    # deviations 1.4, .4, .4, -.6, -1.6: Σd² = 5.2, Σd³ = -1.44, Σd⁴ = 10.576
    # SD = √(5.2 / 4) = √1.3 = 1.140175 of 3 = 38.0058 %
    assert stats.sd == approx(100 * math.sqrt(1.3) / 3)
    # m2 = 1.04, m3 = -.288, m4 = 2.1152; k2 = 5·1.04/4 = 1.3; k3 = 25·(-.288)/12 = -.6
    # skewness = k3 / k2^1.5 = -.6 / 1.482228 = -.404796
    assert stats.skewness == approx(-0.6 / 1.3 ** 1.5)
    # k4 = 25·(6·2.1152 − 3·4·1.04²) / (4·3·2) = 25·(-.288)/24 = -.3; kurtosis = -.3 / 1.69
    assert stats.kurtosis == approx(-0.3 / 1.69)
    # question variances .3 + .3 + .3 = .9; CIC = 100·3/2·(1 − .9/1.3) = 46.1538 %
    assert stats.cic == approx(150 * (1 - 0.9 / 1.3))
    # error ratio = 100·√(1 − .461538) = 73.3799 %; SE = √(.538462·1.3) = √.7 of 3 = 27.8887 %
    assert stats.error_ratio == approx(100 * math.sqrt(1 - 0.461538461538))
    assert stats.standard_error == approx(100 * math.sqrt(0.7) / 3)
    assert stats.scores == [approx(100), approx(200 / 3), approx(200 / 3), approx(100 / 3), 0.0]


def test_question_statistics_as_moodle_computes_them():
    stats = quiz_statistics(attempts(), ITEMS, {"q0": 1 / 3, "q1": 0.5, "q2": 0.0})
    q0, q1, q2 = stats.items
    # facility: mean mark; SD: √(Σ(mark − mean)² / 4) = √.3 for each question
    assert (q0.facility, q1.facility, q2.facility) == (approx(60), approx(60), approx(40))
    assert q0.sd == q1.sd == q2.sd == approx(100 * math.sqrt(0.3))
    assert q0.intended_weight == approx(100 / 3)
    assert (q0.random_guess, q1.random_guess, q2.random_guess) == (approx(100 / 3), approx(50), 0.0)
    # q0: rest of test 2, 1, 1, 1, 0 (mean 1, variance .5); Σ d_mark·d_rest = 1.0, cov = .25
    # discrimination = 100·.25 / √(.3·.5) = 64.5497; sorted marks against sorted rest also
    # give .25, so the discriminative efficiency is 100
    assert q0.discrimination_index == approx(25 / math.sqrt(0.15))
    assert q0.discriminative_efficiency == approx(100)
    # q1: rest 2, 1, 2, 0, 0: cov = 0 → discrimination 0 (flagged); cov max = 2.0/4 = .5 → 0
    assert q1.discrimination_index == approx(0) and q1.discriminative_efficiency == approx(0)
    # q2: rest 2, 2, 1, 1, 0 (mean 1.2, variance .7); cov = .6/4 = .15 → 15/√.21 = 32.7327;
    # cov max = 1.6/4 = .4 → efficiency 37.5
    assert q2.discrimination_index == approx(15 / math.sqrt(0.21))
    assert q2.discriminative_efficiency == approx(37.5)
    # covariance with the total: .55, .30, .45 (they add up to k2 = 1.3); effective weight
    # 100·√cov / (√.55 + √.3 + √.45) = 37.8346, 27.9428, 34.2226
    root_sum = math.sqrt(0.55) + math.sqrt(0.3) + math.sqrt(0.45)
    assert q0.effective_weight == approx(100 * math.sqrt(0.55) / root_sum)
    assert q1.effective_weight == approx(100 * math.sqrt(0.3) / root_sum)
    assert q2.effective_weight == approx(100 * math.sqrt(0.45) / root_sum)
    assert [item.key for item in stats.flagged] == ["q1"]
    assert q1.low_discrimination and not q1.facility_out_of_range


def test_how_often_each_option_was_chosen():
    q0 = quiz_statistics(attempts(), ITEMS).items[0]
    # answers 1, 1, 1, 0 and one blank, of five attempts
    assert [(o.text, o.count, o.percent) for o in q0.options] == [
        ("通知单位", 1, approx(20)), ("理解客户情况", 3, approx(60)), ("起诉", 0, 0.0), ("", 1, approx(20))]


def test_responses_counted_beforehand_give_the_same_options():
    """The database counts each distinct response once (``responses``): the same table results."""
    counted = {"q0": [(1, 3), (0, 1), (None, 1)], "q1": [(None, 5)], "q2": [(None, 3), ("  张三 ", 2)]}
    bare = [AttemptMarks(a.marks) for a in attempts()]
    assert [item.options for item in quiz_statistics(bare, ITEMS, responses=counted).items] == [
        item.options for item in quiz_statistics(
            [AttemptMarks(a.marks, {"q0": q0, "q2": q2}) for a, q0, q2 in zip(
                attempts(), Q0_ANSWERS, [None, "张三", None, "张三 ", None], strict=True)], ITEMS).items]


def test_an_item_everyone_gets_right_is_flagged_and_has_no_discrimination():
    rows = [AttemptMarks((("q0", 1.0), ("q1", float(i % 2)))) for i in range(4)]
    easy = quiz_statistics(rows, {"q0": ITEMS["q0"], "q1": ITEMS["q1"]}).items[0]
    assert easy.facility == approx(100) and easy.facility_out_of_range
    assert easy.discrimination_index is None and easy.sd == approx(0)


def test_marks_all_equal_to_an_inexact_fraction_have_no_discrimination():
    """0.9999999 three times sums to a mean an ulp away from it: not a variance of 1e-32 whose
    ratios (discrimination, efficiency, skewness) would be noise."""
    rows = [AttemptMarks((("q0", 0.9999999), ("q1", 0.3333333 * (i % 3)))) for i in range(7)]
    item = quiz_statistics(rows, {"q0": ITEMS["q0"], "q1": ITEMS["q1"]}).items[0]
    assert item.mark_variance == 0 and item.sd == 0
    assert item.discrimination_index is None and item.discriminative_efficiency is None
    same = distribution([0.9999999] * 7)
    assert (same.mean, same.median, same.sd, same.skewness) == (0.9999999, 0.9999999, 0.0, None)


def test_attempts_counted_together_give_what_each_attempt_gives():
    """The database returns one row per distinct (mark, total) with the attempts it stands for
    (``Tallies``): the same figures as the attempts one by one."""
    many = attempts() * 3 + attempts()[:2]
    expected = quiz_statistics(many, ITEMS, {"q0": 1 / 3, "q1": 0.5, "q2": 0.0})
    by_key: dict[str, Counter] = {key: Counter() for key in ITEMS}
    for attempt in many:
        for key, mark in attempt.marks:
            by_key[key][mark, attempt.total] += 1
    tallies = Tallies(
        totals=list(Counter(a.total for a in many).items()), positions=3,
        by_key={key: [(mark, total, times) for (mark, total), times in counted.items()]
                for key, counted in by_key.items()},
        by_position={}, responses={"q0": [(1, 11), (0, 3), (None, 3)]})
    found = tallied_statistics(tallies, ITEMS, {"q0": 1 / 3, "q1": 0.5, "q2": 0.0})
    for name in ("attempts", "positions", "mean", "median", "sd", "skewness", "kurtosis", "cic",
                 "error_ratio", "standard_error"):
        assert getattr(found, name) == pytest.approx(getattr(expected, name), rel=1e-12), name
    assert sorted(found.scores) == pytest.approx(sorted(expected.scores), rel=1e-12)
    for mine, theirs in zip(found.items, expected.items, strict=True):
        for name in ("attempts", "facility", "sd", "effective_weight", "discrimination_index",
                     "discriminative_efficiency", "mark_variance", "covariance_with_total"):
            assert getattr(mine, name) == pytest.approx(getattr(theirs, name), rel=1e-12), (mine.key, name)
    assert found.items[0].options == expected.items[0].options


def test_drawn_questions_are_computed_over_the_attempts_that_saw_them():
    # Each attempt draws two of three questions:
    #   A1 q0=1 q1=1 (total 2) · A2 q0=1 q2=0 (1) · A3 q1=0 q2=1 (1) · A4 q0=0 q1=0 (0)
    rows = [AttemptMarks((("q0", 1.0), ("q1", 1.0))), AttemptMarks((("q0", 1.0), ("q2", 0.0))),
            AttemptMarks((("q1", 0.0), ("q2", 1.0))), AttemptMarks((("q0", 0.0), ("q1", 0.0)))]
    stats = quiz_statistics(rows, ITEMS, drawn=True)
    assert stats.positions == 2 and len(stats.slots) == 2
    q0 = stats.questions[0]
    # q0 was seen by A1, A2, A4: marks 1, 1, 0; as a drawn question its "rest" is the whole
    # total 2, 1, 0 (Moodle); cov = (⅓·1 + ⅓·0 + (−⅔)(−1)) / 2 = .5; variances ⅓ and 1
    assert q0.attempts == 3 and q0.facility == approx(200 / 3)
    assert q0.discrimination_index == approx(50 / math.sqrt(1 / 3))
    assert q0.effective_weight is None
    # position 1 holds the first drawn question in authored order: q0, q0, q1, q0 → 1, 1, 0, 0
    assert stats.slots[0].facility == approx(50)


def test_distribution_median_and_small_samples():
    assert distribution([]).mean is None
    one = distribution([4.0])
    assert (one.mean, one.median, one.sd) == (4.0, 4.0, None)
    assert distribution([1.0, 2.0, 10.0, 3.0]).median == 2.5
    assert distribution([1.0, 2.0, 3.0]).kurtosis is None  # needs four values


def test_random_guess_scores_follow_moodle_question_types():
    single = Question("multichoice", "a", "", answers=(Answer("x", 1.0), Answer("y", 0.0), Answer("z", 0.5),
                                                      Answer("w", 0.0)))
    assert random_guess_score(single) == approx(0.375)
    matching = Question("matching", "m", "", pairs=(Pair("a", "1"), Pair("b", "2"), Pair("c", "2")))
    assert random_guess_score(matching) == approx(0.5)
    star = Question("shortanswer", "s", "", answers=(Answer("对", 1.0), Answer("*", 0.1)))
    assert random_guess_score(star) == approx(0.1)
    number = Question("numerical", "n", "", numeric=(NumericAnswer(5, 0, 1.0),))
    assert random_guess_score(number) == 0.0
    assert random_guess_score(Question("multiresponse", "r", "", answers=single.answers)) is None
    assert random_guess_score(Question("essay", "e", "")) is None


def test_histogram_bands():
    labels, counts = histogram([0, 9.9, 10, 55, 90, 100])
    assert labels[0] == "0–9" and labels[-1] == "90–100"
    assert counts == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]


def test_scenario_statistics():
    steps = [StepInfo("start", "接通", ("询问原因", "威胁", "指责")),
             StepInfo("plan", "商量方案", ("约定日期",)),
             StepInfo("good", "结束", ()), StepInfo("complaint", "投诉", ())]
    rules = {"no-threats": "不得威胁", "language": "语言文明"}
    good = PlayRecord((ChoiceMade("start", 0), ChoiceMade("plan", 0)), "good", 100, True, False)
    rude = PlayRecord((ChoiceMade("start", 2, "language", "minor"), ChoiceMade("plan", 0)), "good", 25,
                      False, False)
    threat = PlayRecord((ChoiceMade("start", 1, "no-threats", "critical"),), "complaint", 0, False, True)
    stats = scenario_statistics([good, good, rude, threat], steps, rules)
    # four plays: scores 100, 100, 25, 0 → mean 56.25, median 62.5; two passed
    assert stats.plays == 4 and stats.passed == 2 and stats.pass_rate == 50
    assert stats.scores.mean == approx(56.25) and stats.scores.median == approx(62.5)
    assert [(p.label, p.count, p.percent) for p in stats.paths] == [
        ("接通 → 商量方案 → 结束", 3, 75.0), ("接通 → 投诉", 1, 25.0)]
    start = stats.steps[0]
    assert start.reached == 4 and [c.count for c in start.choices] == [2, 1, 1]
    assert sorted((v.label, v.detail, v.count, v.percent) for v in stats.violations) == [
        ("不得威胁", "critical", 1, 25.0), ("语言文明", "minor", 1, 25.0)]
    assert [(f.label, f.count) for f in stats.critical_at] == [("接通", 1)]
    assert [(f.label, f.count) for f in stats.failing_endings] == [("结束", 1)]
