"""The shipped course teaches every step, technique, precaution, rule and guideline of the
training material, in restored wording."""

from __future__ import annotations

import itertools
import re

import pytest

from lms.content import parse_course
from lms.paths import PROJECT_DIR

COURSE_DIR = PROJECT_DIR / "courses" / "credit-card-collection"
QUIZ_DIR = PROJECT_DIR / "quizzes" / "credit-card-collection"

#: module slug -> the numbered lists of the material it must teach, each item as a
#: `### N. name` heading numbered as in the material.
ITEMS = {
    "overview-and-process": [["了解客户情况", "与借款人进行沟通", "制定还款计划", "跟进催收进度",
                              "选用适当的催收手段"]],
    "communication-techniques": [["与借款人建立良好的关系", "善于倾听", "寻找还款动力", "灵活应对",
                                  "坚持原则"]],
    "precautions": [["保护客户隐私", "遵守法律法规", "语言措辞", "及时反馈和报告"]],
    "field-visits": [["提高追回欠款的几率", "显示威慑力", "获取更多信息"],
                     ["文明礼貌", "法律合规", "安全稳妥"]],
    "working-guidelines": [["建立沟通渠道", "制定催收策略", "跟踪和记录", "掌握法律法规",
                            "债务协商和谈判", "持续学习和提升", "注重保护客户隐私"]],
}

#: Restored phrases of the material that must be taught somewhere in the course.
PHRASES = [
    "不得利用暴力、威胁等手段进行催收",
    "通知其单位", "法律诉讼", "提供还款优惠", "延长还款期限", "分期还款", "利息减免", "延期还款",
    "信用记录", "逾期情况", "还款能力", "电话、短信", "信函", "上门催收",
    "实战模拟", "案例分析", "培训总结报告", "耐心和毅力",
]

#: What the scraped text turned words into; none of it may survive.
GARBLED = ["显 *** 慑力", "实行沟通", "咱们", "手:", "涵借款人", "还款优、", "或期还款"]


@pytest.fixture(scope="module")
def course():
    return parse_course(COURSE_DIR)


def test_the_course_has_the_six_modules_in_order(course):
    assert [m.slug for m in course.modules] == [
        "overview-and-process", "communication-techniques", "precautions", "field-visits",
        "working-guidelines", "training-summary"]
    assert course.sequential and course.enrol_all_trainees and course.due_days


@pytest.mark.parametrize(("slug", "lists"), ITEMS.items())
def test_every_item_is_taught_in_its_own_numbered_section(course, slug, lists):
    module = next(m for m in course.modules if m.slug == slug)
    headings = [(int(n), title.strip()) for n, title in
                re.findall(r"^### (\d+)\. (.+)$", module.source, flags=re.MULTILINE)]
    for items in lists:
        for number, item in enumerate(items, start=1):
            assert (number, item) in headings, f"{slug}: no section '### {number}. {item}'"


def test_every_module_has_objectives_examples_and_key_points(course):
    for module in course.modules:
        assert len(module.objectives) >= 3, module.slug
        assert module.activities, module.slug
        assert "callout-example" in module.html, module.slug
        assert "本单元要点" in module.html, module.slug


def test_call_modules_compare_compliant_and_non_compliant_wording(course):
    for module in course.modules[:5]:
        assert "合规说法" in module.source and "违规说法" in module.source, module.slug


def test_the_material_is_restored(course):
    text = "\n".join(module.source for module in course.modules)
    for phrase in PHRASES:
        assert phrase in text, phrase
    for garbled in GARBLED:
        assert garbled not in text, garbled


def shipped_texts():
    """Every shipped module, quiz, case study, call simulation and exam file, by name."""
    files = [*sorted(COURSE_DIR.glob("*.md")), *sorted(QUIZ_DIR.iterdir())]
    return {path.name: path.read_text(encoding="utf-8") for path in files if path.is_file()}


def test_the_spun_understanding_does_not_survive_in_courses_or_assessments():
    for name, text in shipped_texts().items():
        assert "理解客户情况" not in text and "理解客户的情况" not in text, name
        assert "理解借款人还款意愿" not in text and "理解借款人的还款意愿" not in text, name
    process = next(m for m in parse_course(COURSE_DIR).modules if m.slug == "overview-and-process")
    assert "了解借款人的还款意愿" in process.source or "了解借款人还款意愿" in process.source
    # 理解 stays where it means understanding
    techniques = (COURSE_DIR / "02-communication-techniques.md").read_text(encoding="utf-8")
    assert "理解对方的困难" in techniques


@pytest.mark.parametrize("word", ["持卡人", "债务人"])
def test_the_debtor_is_always_called_borrower(word):
    for name, text in shipped_texts().items():
        assert word not in text, f"{name} calls the debtor {word}"


def test_one_term_for_the_institution_defined_once_in_module_one(course):
    first = course.modules[0].source
    assert "“银行”指" in first
    for name, text in shipped_texts().items():
        for other in ("公司", "催收机构", "金融机构", "银行或"):
            assert other not in text, f"{name} says {other}"


def test_the_shipped_assessments_give_no_cue_and_no_scoring_hole():
    from lms.content import load_courses
    from lms.content.analysis import analyse_content

    courses = load_courses([COURSE_DIR], quizzes_dir=QUIZ_DIR.parent, courses_dir=COURSE_DIR.parent)
    assert len(courses[0].quizzes) == 8 and len(courses[0].scenarios) == 4
    assert [str(finding) for finding in analyse_content(courses)] == []


def _play(spec, chosen):
    """A play that takes ``chosen[step id]`` where given and the best-scoring choice elsewhere."""
    from lms.content import scenario as engine

    state = engine.start(spec)
    while not state.finished:
        step = spec.step(state.step_id)
        choice = chosen.get(step.id) or max(step.choices, key=lambda c: c.points)
        state = engine.choose(spec, state, choice.index)
    return engine.outcome(spec, state)


@pytest.mark.parametrize("path", sorted(QUIZ_DIR.glob("*.scenario.md")), ids=lambda path: path.name)
def test_the_shipped_simulations_reward_knowing_the_rules_not_guessing(path):
    from fractions import Fraction

    from lms.content.analysis import count_paths
    from lms.content.scenario import load_scenario

    spec = load_scenario(path)
    decisions = [step for step in spec.steps if step.choices]
    assert len(decisions) >= 6 and all(3 <= len(step.choices) <= 4 for step in decisions)
    assert count_paths(spec).guess_pass_chance <= Fraction(1, 200)

    def slips(step):  # near-misses and minor violations: recoverable
        best = max(step.choices, key=lambda c: c.points)
        return [c for c in step.choices if c is not best
                and (c.violation is None or c.violation.severity == "minor")]

    assert _play(spec, {}).passed
    # one or two slips anywhere still pass; three fail
    for count, passes in ((1, True), (2, True), (3, False)):
        for steps in itertools.combinations(decisions, count):
            for made in itertools.product(*(slips(step) for step in steps)):
                chosen = {step.id: choice for step, choice in zip(steps, made, strict=True)}
                assert _play(spec, chosen).passed is passes, chosen
    # any forbidden choice fails, however good the rest
    for step in decisions:
        for forbidden in step.choices:
            if forbidden.violation and forbidden.violation.severity != "minor":
                assert not _play(spec, {step.id: forbidden}).passed, forbidden
    # nor does the longest (or the shortest) choice give the answer away
    for length in (max, min):
        chosen = {step.id: length(step.choices, key=lambda c: len(c.text)) for step in decisions}
        assert not _play(spec, chosen).passed
