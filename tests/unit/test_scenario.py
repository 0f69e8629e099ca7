"""Call simulations: the parsed structure, every kind of bad file with its line, and playing."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.content.errors import ContentErrors
from lms.content.scenario import (
    Branch,
    Choice,
    ScenarioSpec,
    Violation,
    choose,
    load_scenario,
    outcome,
    parse_scenario,
    start,
)

GOOD = """\
---
title: 借款人拒绝还款
pass_score: 70
rules:
  no-threats: 不得利用暴力、威胁等手段进行催收
  language: 语言措辞文明，不得使用过激或不尊重借款人的言辞
---
## start: 电话接通
借款人：“没钱，不还了，你们爱怎么办就怎么办。”

- 先稳定情绪，询问暂时无法还款的原因。 -> ask-reason (+10)
  > 保持冷静、了解原因，是沟通的第一步。
- 告诉他：“不还钱我们就去你单位闹，让你丢工作。” -> end-retry (+30) !no-threats critical
  > 以告知单位相要挟属于威胁手段，严重违规。
- 语气强硬地说：“欠钱不还还有理了？” -> ask-reason (-10) !language minor
  > 过激言辞容易激化矛盾。

## ask-reason: 了解原因
借款人：“我上个月失业了，真的拿不出钱。”

- 表示理解，提出可以协商分期还款。 -> plan (+20)
- 要求他今天必须全额还清。 -> plan (0)
  > 脱离借款人还款能力的要求难以执行。

## plan: 制定还款计划
借款人：“每个月还五百可以吗？”

- 同意，约定每月20日还款500元，并发送书面确认。 -> review (+10)
- 只口头约定，不做记录。 -> review

## review: 通话小结
? score >= 30 -> end-good
? otherwise -> end-retry

## end-good: 达成还款计划 [end]
借款人同意本月20日前先还第一期。

## end-retry: 未达成一致 [end]
借款人挂断了电话，需要择日再次跟进。
"""

VIOLATION_LANGUAGE = Violation("language", "语言措辞文明，不得使用过激或不尊重借款人的言辞", "minor")
VIOLATION_THREAT = Violation("no-threats", "不得利用暴力、威胁等手段进行催收", "critical")


def write(tmp_path: Path, text: str, name: str = "refuse-to-pay.scenario.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ContentErrors) as caught:
        load_scenario(path)
    return [f"{e.line}: {e.message}" for e in caught.value.errors]


@pytest.fixture
def spec(tmp_path) -> ScenarioSpec:
    return load_scenario(write(tmp_path, GOOD))


def play(spec: ScenarioSpec, *choices: int):
    state = start(spec)
    for index in choices:
        state = choose(spec, state, index)
    return state


def test_a_good_scenario_parses_into_steps(spec):
    assert (spec.slug, spec.title, spec.pass_score) == ("refuse-to-pay", "借款人拒绝还款", 70)
    assert spec.rules["no-threats"] == "不得利用暴力、威胁等手段进行催收"
    assert [s.id for s in spec.steps] == ["start", "ask-reason", "plan", "review", "end-good", "end-retry"]
    assert spec.start is spec.step("start") and spec.start.line == 8
    assert spec.start.title == "电话接通"
    assert spec.start.text == "借款人：“没钱，不还了，你们爱怎么办就怎么办。”"
    assert spec.start.choices[0] == Choice(0, "先稳定情绪，询问暂时无法还款的原因。", "ask-reason", 10,
                                           "保持冷静、了解原因，是沟通的第一步。", None, 11)
    assert spec.start.choices[1].violation == VIOLATION_THREAT
    assert spec.start.choices[2].violation == VIOLATION_LANGUAGE
    assert spec.start.choices[2].points == -10
    plan = spec.step("plan")
    assert plan.choices[1].points == 0 and plan.choices[1].feedback == ""  # "(0)" left out
    review = spec.step("review")
    assert review.choices == () and not review.is_end and review.text == ""
    assert review.branches == (Branch(">=", 30, "end-good", 32), Branch("otherwise", None, "end-retry", 33))
    assert spec.step("end-good").is_end and spec.step("end-good").title == "达成还款计划"
    assert spec.step("end-retry").text == "借款人挂断了电话，需要择日再次跟进。"
    assert spec.best_score == 40  # 10 + 20 + 10, the critical +30 not counted
    assert len(spec.sha256) == 64
    with pytest.raises(KeyError):
        spec.step("nope")


def test_pass_score_defaults_to_70(tmp_path):
    spec = load_scenario(write(tmp_path, GOOD.replace("pass_score: 70\n", "")))
    assert spec.pass_score == 70


def test_choices_are_shuffled_unless_the_scenario_says_not(tmp_path):
    assert load_scenario(write(tmp_path, GOOD)).shuffle is True
    text = GOOD.replace("pass_score: 70\n", "pass_score: 70\nshuffle: false\n")
    spec = load_scenario(write(tmp_path, text))
    assert spec.shuffle is False


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("-> plan (+20)", "-> plann (+20)", "21: unknown target step 'plann'"),
    ("? score >= 30 -> end-good", "? score >= 30 -> end-best", "32: unknown target step 'end-best'"),
    ("!language minor", "!rude minor", "15: unknown rule 'rude'"),
    ("!language minor", "!language small", "15: the severity of '!language' must be one of"),
    ("!language minor", "!language", "15: the severity of '!language' must be one of"),
    ("ask-reason (+10)", "ask-reason (+十)", "11: points '(+十)' must be a whole number"),
    ("-> review (+10)", "-> review (+10) 加分", "28: a choice must be '- text -> target"),
    ("## review: 通话小结", "## plan: 通话小结", "31: step 'plan' is defined twice (first on line 25)"),
    ("## plan: 制定还款计划", "## Plan_1: 制定还款计划", "25: step id 'Plan_1' must be lowercase"),
    ("## review: 通话小结", "## 通话小结", "31: a step heading must be '## id: title'"),
    ("## review: 通话小结", "## review:", "31: step 'review' has no title"),
    ("先还第一期。", "先还第一期。\n- 再打一次。 -> start",
     "35: ending 'end-good' must not have choices or branches"),
    ("## end-retry: 未达成一致 [end]", "## end-retry: 未达成一致",
     "38: step 'end-retry' needs choices or branches"),
    ("不做记录。 -> review", "不做记录。 -> review\n? otherwise -> review",
     "25: step 'plan' has both choices and branches"),
    ("? otherwise -> end-retry", "? score < 30 -> end-retry",
     "31: the branches of step 'review' must end with '? otherwise -> target'"),
    ("? score >= 30 -> end-good\n? otherwise -> end-retry",
     "? otherwise -> end-retry\n? score >= 30 -> end-good", "32: '? otherwise' must be the last branch"),
    ("? score >= 30", "? points >= 30", "32: a branch must be '? score >= N -> target'"),
    ("再次跟进。\n", "再次跟进。\n\n## extra: 多余的步骤\n- 回到开头。 -> start\n",
     "41: unreachable step 'extra'"),
    (" [end]", "", "8: the scenario has no ending"),
    ("? otherwise -> end-retry", "? otherwise -> recheck\n\n## recheck: 复核\n? otherwise -> review",
     "31: the branches of step 'review' loop back to it without a choice"),
    ("  > 过激言辞容易激化矛盾。\n", "  > 过激言辞容易激化矛盾。\n补充说明。\n",
     "17: text after the choices"),
    ("---\n## start", "---\n引言。\n## start", "8: text before the first step"),
    ("-> plan (+20)\n- 要求他今天必须全额还清。 -> plan (0)",
     "-> plan (+20) !no-threats critical\n- 要求他今天必须全额还清。 -> plan (0) !no-threats critical",
     "8: every path to an ending has a critical violation"),
    ("title: 借款人拒绝还款\n", "", "2: 'title' is required"),
    ("pass_score: 70", "pass_score: 120", "3: 'pass_score' must be a whole number from 0 to 100"),
    ("pass_score: 70", "pass_mark: 70", "3: unknown key 'pass_mark'"),
    ("pass_score: 70", "pass_score: 70\nshuffle: sometimes", "4: 'shuffle' must be true or false"),
    ("rules:\n  no-threats", "rulez: x\nrules:\n  no-threats", "4: unknown key 'rulez'"),
    ("  language: 语言措辞文明，不得使用过激或不尊重借款人的言辞", "  language: ''",
     "6: rule 'language' must have its text"),
])
def test_each_kind_of_bad_scenario_is_reported_with_its_line(tmp_path, old, new, expected):
    assert old in GOOD
    found = errors_of(write(tmp_path, GOOD.replace(old, new)))
    assert any(line.startswith(expected) for line in found), found


def test_each_step_in_a_loop_without_an_exit_is_reported(tmp_path):
    text = GOOD.replace("不做记录。 -> review", "不做记录。 -> stall") + (
        "\n## stall: 拖延\n- 继续拖延。 -> stall-again\n"
        "\n## stall-again: 再次拖延\n- 还是拖延。 -> stall\n")
    found = errors_of(write(tmp_path, text))
    assert "41: no ending can be reached from step 'stall': its paths loop" in found
    assert "44: no ending can be reached from step 'stall-again': its paths loop" in found
    assert not any("'plan'" in line for line in found)  # plan can still reach review


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    text = GOOD.replace("!language minor", "!rude minor").replace("-> plan (+20)", "-> plann (+20)")
    found = errors_of(write(tmp_path, text.replace("pass_score: 70", "pass_score: high")))
    assert [line.split(":")[0] for line in found] == ["3", "15", "21"]


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("Bad Name.scenario.md", GOOD, "1: the file name must be <slug>.scenario.md"),
    ("empty.scenario.md", "---\ntitle: 空\n---\n", "4: the scenario has no steps"),
    ("no-front.scenario.md", "## start: 开始\n", "1: missing front matter"),
])
def test_file_level_problems(tmp_path, name, text, expected):
    found = errors_of(write(tmp_path, text, name))
    assert any(line.startswith(expected) for line in found), found


def test_the_best_path_passes_with_full_marks(spec):
    state = start(spec)
    assert (state.step_id, state.score, state.finished) == ("start", 0, False)
    state = play(spec, 0, 0, 0)
    assert (state.step_id, state.score, state.finished) == ("end-good", 40, True)
    assert state.path == (("start", 0), ("ask-reason", 0), ("plan", 0))
    result = outcome(spec, state)
    assert (result.score, result.best, result.percent, result.passed) == (40, 40, 100, True)
    assert result.violations == ()


def test_a_minor_violation_is_recorded_and_costs_points(spec):
    state = play(spec, 2, 0, 0)  # -10 + 20 + 10 = 20 < 30: the branch sends it to end-retry
    assert (state.step_id, state.score, state.finished) == ("end-retry", 20, True)
    assert not state.failed_critically
    result = outcome(spec, state)
    assert result.violations == (VIOLATION_LANGUAGE,)
    assert (result.percent, result.passed) == (50, False)


def test_a_critical_violation_ends_the_play_at_once_as_failed(spec):
    state = play(spec, 1)
    assert state.finished and state.failed_critically
    assert (state.step_id, state.score, state.path) == ("end-retry", 30, (("start", 1),))
    result = outcome(spec, state)
    assert result.violations == (VIOLATION_THREAT,)
    assert result.percent == 75 and not result.passed  # enough points, but critical


def test_the_branch_on_score_goes_both_ways(spec):
    at_the_bar = play(spec, 0, 0, 1)  # 10 + 20 + 0 = 30
    assert at_the_bar.step_id == "end-good"
    assert outcome(spec, at_the_bar).percent == 75 and outcome(spec, at_the_bar).passed
    below = play(spec, 0, 1, 0)  # 10 + 0 + 10 = 20
    assert below.step_id == "end-retry" and not outcome(spec, below).passed


def test_a_branch_step_at_the_start_is_followed_at_once(tmp_path):
    check = "## check: 核对\n? score > 0 -> review\n? otherwise -> start\n\n"
    text = GOOD.replace("---\n## start", f"---\n{check}## start")
    spec = load_scenario(write(tmp_path, text))
    assert spec.start.id == "check"
    assert start(spec).step_id == "start"


def test_choosing_on_a_finished_play_or_a_missing_choice_raises(spec):
    with pytest.raises(ValueError, match="finished"):
        choose(spec, play(spec, 1), 0)
    with pytest.raises(ValueError, match="no choice 3"):
        choose(spec, start(spec), 3)
    with pytest.raises(ValueError, match="no choice -1"):
        choose(spec, start(spec), -1)


def test_an_unfinished_play_does_not_pass(spec):
    result = outcome(spec, play(spec, 0, 0))
    assert result.score == 30 and result.percent == 75 and not result.passed



def test_an_ending_declares_its_outcome(tmp_path):
    text = GOOD.replace("达成还款计划 [end]", "达成还款计划 [end pass]").replace(
        "未达成一致 [end]", "未达成一致 [end  fail ]")
    spec = load_scenario(write(tmp_path, text))
    assert (spec.step("end-good").outcome, spec.step("end-good").title) == ("pass", "达成还款计划")
    assert (spec.step("end-retry").outcome, spec.step("end-retry").is_end) == ("fail", True)
    assert load_scenario(write(tmp_path, GOOD)).step("end-good").outcome is None  # plain [end]


def test_a_play_ending_on_a_fail_ending_fails_whatever_its_score(tmp_path):
    # review sends every score of at least 30 to end-retry, now a fail ending
    text = GOOD.replace("达成还款计划 [end]", "达成还款计划 [end pass]").replace(
        "未达成一致 [end]", "未达成一致 [end fail]").replace(
        "? score >= 30 -> end-good\n? otherwise -> end-retry",
        "? score >= 40 -> end-retry\n? otherwise -> end-good")
    spec = load_scenario(write(tmp_path, text))
    best_play = play(spec, 0, 0, 0)  # 40 points, every good choice, but ends on the fail ending
    assert (best_play.step_id, best_play.score) == ("end-retry", 40)
    assert not outcome(spec, best_play).passed
    at_the_bar = play(spec, 0, 0, 1)  # 30 points on the pass ending
    assert at_the_bar.step_id == "end-good" and outcome(spec, at_the_bar).passed
    low = play(spec, 0, 1, 0)  # 20 points on the pass ending: 50% < 70, so it still fails
    assert low.step_id == "end-good" and outcome(spec, low).percent == 50
    assert not outcome(spec, low).passed


def test_paths_to_a_fail_ending_do_not_count_for_the_best_score(tmp_path):
    text = GOOD.replace("未达成一致 [end]", "未达成一致 [end fail]").replace(
        "## review: 通话小结\n? score >= 30 -> end-good\n? otherwise -> end-retry",
        "## review: 通话小结\n- 总结并道别。 -> end-good\n- 额外加压。 -> end-retry (+50)")
    spec = load_scenario(write(tmp_path, text))
    assert spec.best_score == 40  # not 90: the +50 leads only to the fail ending


def test_a_pass_ending_still_needs_no_critical_violation(tmp_path):
    text = GOOD.replace("未达成一致 [end]", "未达成一致 [end pass]")
    spec = load_scenario(write(tmp_path, text))
    state = play(spec, 1)  # the critical choice leads to end-retry with 30 points
    assert state.step_id == "end-retry" and not outcome(spec, state).passed


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("未达成一致 [end]", "未达成一致 [end maybe]",
     "38: '[end maybe]' is not an ending mark: write '[end pass]', '[end fail]', '[end]'"),
    ("达成还款计划 [end]", "达成还款计划 [end fail]",
     "8: every ending reached without a critical violation is '[end fail]'"),
])
def test_bad_ending_marks_are_reported(tmp_path, old, new, expected):
    text = GOOD.replace(old, new).replace("未达成一致 [end]", "未达成一致 [end fail]")
    found = errors_of(write(tmp_path, text))
    assert any(line.startswith(expected) for line in found), found


FRONT = "---\ntitle: 随机\nrules:\n  rule: 规则\n---\n"
START = ("## start: 开始\n借款人不接电话。\n- 再打一次 -> a (+5)\n  > 反馈\n"
         "- 威胁他 -> end (+9) !rule critical")
BRANCHES = "## a: 步骤\n? score >= 5 -> end\n? otherwise -> start"
END = "## end: 结束 [end]\n通话结束。"
FRAGMENTS = [  # a whole scenario and whole steps, so that some random files are valid, and pieces
    f"{START}\n{BRANCHES}\n{END}", START, BRANCHES, END,
    "## b: 另一步\n- 好 -> end (+2)\n- 差 -> a (-1) !rule minor",
    "## Bad: x", "##", "## 没有冒号", "[end]", "- 选项 -> b (+5)", "- -> a", "- 选项 -> (x)",
    "? score == -2 -> a", "? otherwise -> b", "? otherwise ->", "  > 反馈", "> 引用", "正文", "", "---",
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["", FRAGMENTS[0]]), st.lists(st.sampled_from(FRAGMENTS) | st.text(), max_size=12))
def test_random_text_yields_a_scenario_or_content_errors(head, lines):
    try:
        spec = parse_scenario(FRONT + "\n".join([head, *lines]), "random.scenario.md", "random")
    except ContentErrors as exc:
        assert exc.errors
        return
    state = start(spec)
    for _ in range(20):
        if state.finished:
            break
        state = choose(spec, state, 0)
    assert 0 <= outcome(spec, state).percent <= 100
