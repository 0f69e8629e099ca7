"""Assessment analysis: each rule triggered by a small fixture and quiet on a fixed one, and the
path analysis of call simulations on graphs with 10⁵ and 10¹² paths."""

from __future__ import annotations

from fractions import Fraction
from itertools import product

import pytest

from lms.content.analysis import (
    Finding,
    analyse_content,
    analyse_course,
    analyse_quiz,
    analyse_scenario,
    count_paths,
    iter_paths,
)
from lms.content.course import CourseSpec
from lms.content.quiz import parse_markdown_quiz
from lms.content.scenario import parse_scenario


def scenario_findings(spec):
    """The findings of a simulation besides its chance of passing by guessing (tested on its own:
    the tiny simulations here are easy to guess)."""
    return [f for f in analyse_scenario(spec) if "chooses at random" not in f.message]


def test_a_simulation_passed_by_choosing_at_random():
    guessable = ("## start: 开始\n- 核实身份 -> plan (+10)\n- 直接报欠款 -> plan (-10) !privacy major\n"
                 "- 威胁 -> bad (-20) !threats critical\n\n"
                 "## plan: 方案\n- 分期 -> good (+10)\n- 挂断 -> bad\n\n"
                 "## good: 成功 [end pass]\n\n## bad: 失败 [end fail]\n")
    spec = scenario(guessable)
    assert count_paths(spec).guess_pass_chance == Fraction(1, 6)  # 1/3 × 1/2
    [found] = [f for f in analyse_scenario(spec) if "chooses at random" in f.message]
    assert found.line == 3 and "passes 16.67% of plays, more than 1%" in found.message
    # five steps of four choices where only the best path passes: 1/1024 < 1%
    steps = "".join(f"## s{i}: 第{i}步\n- 好 -> {f's{i + 1}' if i < 4 else 'good'} (+10)\n"
                    + "".join(f"- 差{c} -> {f's{i + 1}' if i < 4 else 'good'} (0)\n" for c in range(3))
                    + "\n" for i in range(5))
    hard = scenario(steps + "## good: 结束 [end pass]\n", pass_score=100)
    assert count_paths(hard).guess_pass_chance == Fraction(1, 4 ** 5)
    assert not [f for f in analyse_scenario(hard) if "chooses at random" in f.message]


def quiz(body: str, front: str = "", slug: str = "quiz"):
    return parse_markdown_quiz(f"---\ntitle: 测验\n{front}---\n{body}", f"{slug}.md", slug)


def messages(findings: list[Finding]) -> list[str]:
    return [f"{f.line}: {f.message}" for f in findings]


def single(name: str, right: str, *wrong: str, key_first: bool = True) -> str:
    options = [f"- [x] {right}", *(f"- [ ] {w}" for w in wrong)]
    if not key_first:
        options = options[1:] + options[:1]
    return f"## {name}\n" + "\n".join(options) + "\n\n"


def test_finding_prints_as_path_line_warning():
    assert str(Finding("q.md", 3, "fix it")) == "q.md:3: warning: fix it"
    assert str(Finding("q.md", 3, "broken", "error")) == "q.md:3: broken"


# --- cues ------------------------------------------------------------------------------------

def test_the_right_answer_as_the_longest_option_in_most_questions():
    body = "".join(single(f"问题{i}", "耐心说明还款责任并约定具体日期", "挂断", "威胁", key_first=i % 2 == 0)
                   for i in range(3))
    found = messages(analyse_quiz(quiz(body)))
    assert any("in 3 of 3 single-choice questions the right answer is the longest option "
               "('问题0', '问题1', '问题2')" in m for m in found), found
    fair = "".join(single(f"问题{i}", "约定日期", "立即挂断电话", "威胁借款人家属", key_first=i % 2 == 0)
                   for i in range(3))
    assert not any("longest" in m for m in messages(analyse_quiz(quiz(fair))))


def test_the_right_answer_always_in_the_same_position():
    body = "".join(single(f"问题{i}", f"答案{i}", "选项乙", "选项丙") for i in range(3))
    found = messages(analyse_quiz(quiz(body)))
    assert any("the right answer is option 1 as written in all 3 single-choice questions" in m
               for m in found), found
    varied = "".join(single(f"问题{i}", f"答案{i}", "选项乙", "选项丙", key_first=i != 1) for i in range(3))
    assert not any("as written" in m for m in messages(analyse_quiz(quiz(varied))))


def test_only_the_right_answer_repeats_the_stem():
    cue = single("借款人提到明年打算买房，怎样引导？", "借款人提到明年打算买房，按时还款有助于今后贷款",
                 "告诉他欠钱就别想买", "不理会，只催还款")
    found = messages(analyse_quiz(quiz(cue)))
    assert any("only the right answer repeats the question's words (借款人提到明年打算买房)" in m
               for m in found), found
    shared = single("借款人提到明年打算买房，怎样引导？", "借款人提到明年打算买房，按时还款有助于今后贷款",
                    "借款人提到明年打算买房，就说欠钱别想买", "不理会，只催还款")
    assert not any("repeats" in m for m in messages(analyse_quiz(quiz(shared))))


@pytest.mark.parametrize("option", ["以上都对", "以上都是", "All of the above"])
def test_all_of_the_above(option):
    found = messages(analyse_quiz(quiz(single("哪些做法正确？", option, "甲", "乙"))))
    assert any(f"option '{option}' points at the other options" in m for m in found), found


def test_no_all_of_the_above_warning_on_ordinary_options():
    assert analyse_quiz(quiz(single("哪种做法正确？", "核实身份", "直接报欠款", "威胁"))) == []


def test_true_false_all_keyed_the_same_way():
    same = "".join(f"## 判断{i}\n答案：错误\n\n" for i in range(3))
    found = messages(analyse_quiz(quiz(same)))
    assert any("all 3 true/false questions are keyed false (错误)" in m for m in found), found
    mixed = same + "## 判断3\n答案：正确\n"
    assert analyse_quiz(quiz(mixed)) == []


def test_the_same_question_twice_in_a_course():
    first = quiz(single("上门催收前必须做什么？", "报批", "不必", "随时"), slug="one")
    second = quiz("## 上门催收前，必须做什么\n答案：对\n", slug="two")  # same words, other punctuation
    course = CourseSpec("c", "课程", "", 1, False, False, None, (), quizzes=(first, second))
    found = messages(analyse_course(course))
    assert found == ["4: question '上门催收前，必须做什么' is also asked in one.md:4 "
                     "('上门催收前必须做什么？'): a trainee who has seen it once knows the answer; "
                     "drop one or ask something else"]
    other = quiz("## 上门催收后要做什么？\n答案：对\n", slug="two")
    assert analyse_course(CourseSpec("c", "课程", "", 1, False, False, None, (),
                                     quizzes=(first, other))) == []


# --- scoring holes ---------------------------------------------------------------------------

def test_a_wrong_option_that_costs_nothing():
    body = "## 哪些正确？\n- [x] 甲\n- [x] 乙\n- [x] 丙\n- [ ] 丁\n"
    found = messages(analyse_quiz(quiz(body)))
    assert found == ["4: question '哪些正确？': the wrong option '丁' costs nothing while a right option "
                     "earns 33.33%, so ticking every option scores 100% (every option but the worst "
                     "100%); give each wrong option a weight of -33.33% or lower, e.g. '- [ ] (-33.33%) …'"]
    fixed = "## 哪些正确？\n- [x] 甲\n- [x] 乙\n- [x] 丙\n- [ ] (-50%) 丁\n"
    assert analyse_quiz(quiz(fixed)) == []


def test_negative_marks_that_cost_less_than_a_right_option_earns():
    body = "## 哪些正确？\n- [x] 甲\n- [x] 乙\n- [ ] 丙\n- [ ] 丁\n- [ ] 戊\n"
    found = messages(analyse_quiz(quiz(body, "negative_marks: true\n")))
    assert any("costs only 33.33% while a right option earns 50%, so ticking every option scores "
               "0% (every option but the worst 33.33%)" in m for m in found), found
    fair = "## 哪些正确？\n- [x] 甲\n- [x] 乙\n- [ ] 丙\n- [ ] 丁\n"  # -50% each
    assert analyse_quiz(quiz(fair, "negative_marks: true\n")) == []


def test_a_maximum_that_cannot_be_reached_and_weights_that_do_not_add_up():
    from lms.content.questions import MULTICHOICE, MULTIRESPONSE, Answer, Question
    from lms.content.quiz import QuizSettings, QuizSpec

    low = Question(MULTIRESPONSE, "甲题", "甲题", answers=(Answer("a", 0.4), Answer("b", 0.4),
                                                         Answer("c", -1.0)), line=5)
    high = Question(MULTIRESPONSE, "乙题", "乙题", answers=(Answer("a", 0.6), Answer("b", 0.6),
                                                          Answer("c", -1.0)), line=9)
    half = Question(MULTICHOICE, "丙题", "丙题", answers=(Answer("a", 0.5), Answer("b", 0.0)), line=12)
    spec = QuizSpec("bank", "bank.gift", "", QuizSettings("题库"), "", (low, high, half))
    found = messages(analyse_quiz(spec))
    assert found == [
        "5: question '甲题': the right options add up to 80%, not 100%: a trainee cannot earn full "
        "marks; raise their weights so they add up to 100%",
        "9: question '乙题': the right options add up to 120%, not 100%: grading stops at 100%, so a "
        "trainee earns full marks without ticking all of them; make them add up to 100%",
        "12: question '丙题': the most a trainee can earn is 50%: give the best answer 100%"]


# --- pools -----------------------------------------------------------------------------------

def pool(counts: dict[str, int]) -> str:
    return "".join(f"# {category}\n" + "".join(f"## {category}{i}\n答案：{'对' if i % 2 else '错'}\n\n"
                                               for i in range(count))
                   for category, count in counts.items())


def test_a_draw_that_can_leave_a_category_out_prints_the_exact_chance():
    # 20 of 51 with a category of 7: C(44, 20) / C(51, 20) = 2.27%
    spec = quiz(pool({"流程": 10, "技巧": 10, "注意": 10, "上门": 8, "指引": 6, "总结": 7}), "draw: 20\n")
    found = messages(analyse_quiz(spec))
    assert len(found) == 1 and found[0].startswith("3: 'draw' takes 20 of 51 questions without "
                                                   "per-category counts"), found
    assert "'总结' (7 question(s)) in 2.27% of attempts" in found[0]
    assert "'指引' (6 question(s)) in 4.09% of attempts" in found[0]
    assert "'流程'" not in found[0].split("draw per category")[0]  # C(41,20)/C(51,20) < 1%
    assert "e.g. 'draw: {流程: 4, 技巧: 4, 注意: 4, 上门: 3, 指引: 2, 总结: 3}'" in found[0]


def test_a_draw_that_leaves_no_category_out_often_is_quiet():
    assert analyse_quiz(quiz(pool({"流程": 10, "技巧": 10}), "draw: 15\n")) == []


def test_quotas_that_leave_a_category_undrawn():
    spec = quiz(pool({"流程": 3, "技巧": 3, "注意": 2}), "draw: {流程: 2, 技巧: 2}\n")
    assert messages(analyse_quiz(spec)) == [
        "3: 'draw' has no count for category '注意': its 2 question(s) are never drawn; add it to "
        "'draw' or remove them"]
    full = quiz(pool({"流程": 3, "技巧": 3}), "draw: {流程: 2, 技巧: 2}\n")
    assert analyse_quiz(full) == []


# --- call simulations ------------------------------------------------------------------------

FRONT = "---\ntitle: 模拟\npass_score: {pass_score}\nrules:\n  privacy: 保护隐私\n  threats: 不得威胁\n---\n"


def scenario(body: str, pass_score: int = 70):
    return parse_scenario(FRONT.format(pass_score=pass_score) + body, "sim.scenario.md", "sim")


def test_ending_outcomes_against_the_paths_that_reach_them():
    body = ("## start: 开始\n- 好 -> review (+10)\n- 一般 -> review (+5)\n"
            "- 威胁 -> good (0) !threats critical\n\n"
            "## review: 小结\n? score >= 10 -> good\n? otherwise -> bad\n\n"
            "## good: 成功 [end pass]\n\n## bad: 失败 [end fail]\n")
    assert scenario_findings(scenario(body)) == [
        Finding("sim.scenario.md", 17, "ending 'good' is '[end pass]' but a critical choice leads to "
                "it: the trainee fails while the ending tells a successful call; lead the critical "
                "choice to a fail ending")]
    # 5 of 10 is 50%: below pass_score, yet the plain ending tells nothing
    plain = body.replace("!threats critical", "").replace("-> good (0)", "-> bad (0)")
    plain = plain.replace("? score >= 10", "? score >= 5").replace("[end pass]", "[end]")
    found = messages(scenario_findings(scenario(plain)))
    assert found == ["17: ending 'good' does not declare its outcome (1 path(s) pass and 1 fail here): "
                     "write '[end pass]' or '[end fail]' after its title",
                     "19: ending 'bad' is '[end fail]' but paths reach it with a passing score "
                     "(up to 10, 100%, pass_score 70%) and no critical violation: lower the points of "
                     "the choices that lead here, or lead them to a pass ending"] or found


def test_a_pass_ending_reached_by_failing_paths_and_a_fail_ending_by_passing_ones():
    body = ("## start: 开始\n- 好 -> good (+10)\n- 差 -> good (+2)\n- 也好 -> bad (+10)\n\n"
            "## good: 成功 [end pass]\n\n## bad: 失败 [end fail]\n")
    found = messages(scenario_findings(scenario(body)))
    assert found == [
        "13: ending 'good' is '[end pass]' but 1 of its paths fail (scores 2 to 10, pass_score 70%): "
        "such a trainee fails while the ending tells a successful call; lead those paths to a fail "
        "ending or change the points",
        "15: ending 'bad' is '[end fail]' but paths reach it with a passing score (up to 10, 100%, "
        "pass_score 70%) and no critical violation: lower the points of the choices that lead here, "
        "or lead them to a pass ending"]
    fixed = body.replace("-> good (+2)", "-> bad (+2)").replace("-> bad (+10)", "-> good (+9)")
    assert scenario_findings(scenario(fixed)) == []


def test_a_major_violation_on_a_passing_path():
    body = ("## start: 开始\n- 核实身份 -> good (+10)\n- 直接报欠款 -> good (+9) !privacy major\n"
            "- 报欠款给家属 -> bad (0) !privacy major\n\n"
            "## good: 成功 [end pass]\n\n## bad: 失败 [end fail]\n")
    found = messages(scenario_findings(scenario(body)))
    assert found == ["10: choice '直接报欠款' (!privacy major) is on paths that pass: a trainee can break "
                     "'保护隐私' and still pass; make it cost enough points that those paths fall below "
                     "pass_score, or make it critical"]


def test_branches_that_never_hold_and_steps_never_reached():
    body = ("## start: 开始\n- 好 -> review (+10)\n- 差 -> review (+2)\n\n"
            "## review: 小结\n? score >= 50 -> great\n? score >= 5 -> good\n? otherwise -> bad\n\n"
            "## great: 很好 [end pass]\n\n## good: 成功 [end pass]\n\n## bad: 失败 [end fail]\n")
    assert messages(scenario_findings(scenario(body))) == [
        "13: branch '? score >= 50 -> great' of step 'review' never holds: plays arrive with scores 2 to 10",
        "17: step 'great' is never reached: the branches leading to it never hold for the scores a "
        "play can have there; change the branch conditions or the points"]
    reachable = body.replace("score >= 50", "score >= 10").replace("- 差", "- 一般 -> review (+5)\n- 差")
    assert scenario_findings(scenario(reachable, pass_score=50)) == []


def test_a_pass_score_no_play_reaches():
    # the best score counts the 10 points as reaching 'good', but the branch sends them to 'bad'
    body = ("## start: 开始\n- 好 -> review (+10)\n- 差 -> review (+2)\n\n"
            "## review: 小结\n? score >= 5 -> bad\n? otherwise -> good\n\n"
            "## good: 成功 [end pass]\n\n## bad: 失败 [end fail]\n")
    found = messages(scenario_findings(scenario(body)))
    assert "3: no play can pass: the best score a play reaches on an ending other than '[end fail]' " \
           "is 2 (20%), below pass_score 70%; change the points, the branches or pass_score" in found
    assert not any("no play can pass" in m for m in messages(scenario_findings(scenario(body, 20))))


def test_a_loop_that_earns_points_each_time():
    body = ("## start: 开始\n- 再打一次 -> start (+5)\n- 结束 -> good (+1)\n\n## good: 成功 [end pass]\n")
    found = messages(scenario_findings(scenario(body)))
    assert found == ["8: a play can go round the steps start → start again and again, and the score "
                     "changes each time: a trainee can repeat the loop to reach any score; make the "
                     "loop's choices worth 0 points or lead the repeat elsewhere"]


def test_a_loop_without_points_makes_the_paths_unlimited():
    body = ("## start: 开始\n- 再打一次 -> start\n- 结束 -> good (+1)\n\n## good: 成功 [end pass]\n")
    spec = scenario(body)
    assert count_paths(spec).total is None
    assert any("without end, so the number of paths is unlimited" in m
               for m in messages(scenario_findings(spec)))
    assert [row.choices for row in iter_paths(spec, max_choices=2)][:2] == [
        (("start", 0, "再打一次"), ("start", 1, "结束")), (("start", 1, "结束"),)]


def chain(steps: int, choices: int, pass_score: int) -> str:
    """``steps`` steps in a row, each with ``choices`` choices worth 0, 1, 2… points; choice 0 of
    each step is a minor violation; the last step branches on the score."""
    text = ""
    for step in range(steps):
        following = f"s{step + 1}" if step + 1 < steps else "review"
        options = [f"- 选项{c} -> {following} ({c})" for c in range(choices)]
        options[0] += " !privacy minor"
        text += f"## s{step}: 第{step}步\n" + "\n".join(options) + "\n\n"
    best = steps * (choices - 1)
    bar = -(-best * pass_score // 100)  # the lowest passing score
    return text + (f"## review: 小结\n? score >= {bar} -> good\n? otherwise -> bad\n\n"
                   "## good: 成功 [end pass]\n\n## bad: 失败 [end fail]\n")


def passing_count(steps: int, choices: int, bar: int) -> int:
    """Paths with at least ``bar`` points, by convolving the per-step point counts."""
    ways = {0: 1}
    for _ in range(steps):
        following: dict[int, int] = {}
        for score, count in ways.items():
            for points in range(choices):
                following[score + points] = following.get(score + points, 0) + count
        ways = following
    return sum(count for score, count in ways.items() if score >= bar)


def test_path_analysis_of_a_simulation_with_390625_paths():
    spec = scenario(chain(8, 5, 70))
    paths = count_paths(spec)
    assert paths.total == 5 ** 8 == 390_625
    assert (paths.low, paths.high) == (0, 32)
    assert paths.passing == passing_count(8, 5, 23)  # 70% of 32 is 22.4
    assert {(e.step, e.passed, e.failed) for e in paths.endings} == {
        ("good", paths.passing, 0), ("bad", 0, paths.total - paths.passing)}
    assert scenario_findings(spec) == []
    # the first paths come in written order; the very first takes choice 0 everywhere
    first = next(iter_paths(spec))
    assert first.choices[0] == ("s0", 0, "选项0") and first.score == 0 and not first.passed
    assert first.violations == ("privacy minor",) * 8 and first.ending == "bad"


def test_path_analysis_of_a_simulation_with_a_trillion_paths():
    spec = scenario(chain(12, 10, 80))
    paths = count_paths(spec)
    assert paths.total == 10 ** 12
    assert (paths.low, paths.high) == (0, 108)
    assert paths.passing == passing_count(12, 10, 87)  # 80% of 108 is 86.4
    assert len(list(zip(range(5), iter_paths(spec), strict=False))) == 5


def test_analyse_content_covers_quizzes_scenarios_and_the_course():
    spec = scenario("## start: 开始\n- 好 -> good (+10)\n\n## good: 成功 [end]\n")
    tf = quiz("".join(f"## 上门催收前必须报批{i}\n答案：对\n\n" for i in range(3)))
    course = CourseSpec("c", "课程", "", 1, False, False, None, (), quizzes=(tf, tf), scenarios=(spec,))
    found = [str(f) for f in analyse_content([course])]
    assert any(line.startswith("quiz.md:4: warning: all 3 true/false questions are keyed true")
               for line in found), found
    assert any(line.startswith("quiz.md:4: warning: question '上门催收前必须报批0' is also asked in "
                               "quiz.md:4")
               for line in found), found
    assert "sim.scenario.md:11: warning: ending 'good' does not declare its outcome (1 path(s) pass " \
           "and 0 fail here): write '[end pass]' or '[end fail]' after its title" in found


def test_every_choice_sequence_of_a_small_simulation_is_listed_once():
    spec = scenario(chain(3, 3, 50))
    rows = list(iter_paths(spec))
    assert len(rows) == count_paths(spec).total == 27
    assert sorted(tuple(c[1] for c in row.choices) for row in rows) == sorted(product(range(3), repeat=3))
