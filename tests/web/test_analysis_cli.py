"""`lms check` warnings and --strict, and `lms scenario paths`."""

from __future__ import annotations

import json
import shutil

import pytest

from ..conftest import COURSE, SHIPPED_COURSES, SHIPPED_QUIZZES

CUED_QUIZ = """---
title: 有提示的测验
pass_mark: 80
---
## 第一题：联系借款人前首先要做什么？
- [x] 了解客户情况，包括信用记录、逾期情况和还款能力等多方面的信息
- [ ] 直接打电话
- [ ] 上门催收

## 第二题：借款人情绪激动时怎么办？
- [x] 保持冷静和礼貌，耐心倾听借款人的困难，再说明还款责任
- [ ] 挂断电话
- [ ] 以上都对

## 第三题：约定还款后应当怎样做？
- [x] 复述金额、日期和还款方式并请借款人确认，然后在系统中如实记录
- [ ] 立即挂断
- [ ] 等下个月再说
"""

UNDECLARED_SCENARIO = """---
title: 未声明结局的模拟
pass_score: 50
---
## start: 开始
- 核实身份 -> good (+10)
- 挂断 -> bad

## good: 成功 [end]

## bad: 失败 [end fail]
"""


def cued_content(tmp_path, app):
    """The shipped course with a quiz full of answer cues and a simulation with an undeclared ending."""
    courses, quizzes = tmp_path / "courses", tmp_path / "quizzes"
    shutil.copytree(SHIPPED_COURSES / COURSE, courses / COURSE)
    shutil.copytree(SHIPPED_QUIZZES / COURSE, quizzes / COURSE)
    (quizzes / COURSE / "cued.md").write_text(CUED_QUIZ, encoding="utf-8")
    (quizzes / COURSE / "undeclared.scenario.md").write_text(UNDECLARED_SCENARIO, encoding="utf-8")
    app.config["LMS_QUIZZES_DIR"] = str(quizzes)
    return courses


def test_the_shipped_content_passes_strict(runner):
    result = runner.invoke(args=["lms", "check", "--strict", str(SHIPPED_COURSES)])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output


def test_check_prints_warnings_and_passes_without_strict(app, runner, tmp_path):
    result = runner.invoke(args=["lms", "check", str(cued_content(tmp_path, app))])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if ": warning: " in line]
    assert warnings and all(line.split(":")[1].isdigit() for line in warnings)
    assert any("undeclared.scenario.md:" in line and "does not declare its outcome" in line
               for line in warnings), warnings
    assert any("cued.md:" in line and "longest" in line for line in warnings), warnings
    assert any("cued.md:" in line and "以上都对" in line for line in warnings), warnings
    assert any("cued.md:" in line and "option 1 as written" in line for line in warnings), warnings
    assert f"; {len(warnings)} warning(s)" in result.output


def test_check_strict_fails_on_warnings(app, runner, tmp_path):
    result = runner.invoke(args=["lms", "check", "--strict", str(cued_content(tmp_path, app))])
    assert result.exit_code == 1
    assert "warning(s) found (--strict)" in result.output


def test_check_strict_passes_on_content_without_warnings(app, runner, tmp_path):
    courses, quizzes = tmp_path / "courses", tmp_path / "quizzes"
    shutil.copytree(SHIPPED_COURSES / COURSE, courses / COURSE)
    (quizzes / COURSE).mkdir(parents=True)
    for path in (SHIPPED_COURSES / COURSE).glob("*.md"):  # keep modules, drop their activities
        text = path.read_text(encoding="utf-8")
        (courses / COURSE / path.name).write_text(
            "\n".join(line for line in text.splitlines() if not line.startswith("activities:")) + "\n",
            encoding="utf-8")
    # seven steps, each with one right choice: guessing passes 1 play in 128, below the 1 % limit
    steps = "".join(f"## {'start' if n == 1 else f'step-{n}'}: 第{n}步\n"
                    f"- 照规定处理 -> {'good' if n == 7 else f'step-{n + 1}'} (+10)\n- 挂断 -> bad (-100)\n\n"
                    for n in range(1, 8))
    (quizzes / COURSE / "call.scenario.md").write_text(
        f"---\ntitle: 模拟\n---\n{steps}## good: 成功 [end pass]\n\n## bad: 失败 [end fail]\n",
        encoding="utf-8")
    app.config["LMS_QUIZZES_DIR"] = str(quizzes)
    result = runner.invoke(args=["lms", "check", "--strict", str(courses)])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output and "1 scenario(s)" in result.output


BRANCHING = """---
title: 小模拟
pass_score: 60
rules:
  no-threats: 不得利用暴力、威胁等手段进行催收
---
## start: 接通
- 核实身份 -> plan (+10)
- 直接报欠款 -> plan (-5) !no-threats major
- 威胁 -> fail (-20) !no-threats critical

## plan: 方案
- 分期 -> pass (+10)
- 挂断 -> fail

## pass: 约定还款 [end pass]

## fail: 失败 [end fail]
"""


def test_scenario_paths_lists_every_path(runner, tmp_path):
    path = tmp_path / "small.scenario.md"
    path.write_text(BRANCHING, encoding="utf-8")
    result = runner.invoke(args=["lms", "scenario", "paths", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # 5 paths: 2 choices after each of the first two, and the critical one
    assert lines[0].startswith("小模拟: 5 path(s), 1 passing; scores -20 to 20")
    # choosing at random: 1/3 (核实身份) × 1/2 (分期) of plays pass
    assert lines[1] == "choosing at random passes 16.67% of plays"
    assert len(lines) == 2 + 5
    assert lines[2] == "   1. start:1 plan:1\t20 (100%)\t-\tpass\tpass"
    data = json.loads(runner.invoke(args=["lms", "scenario", "paths", "--json", str(path)]).output)
    assert (data["paths"], data["passing"], len(data["listed"])) == (5, 1, 5)
    assert data["guess_pass_chance"] == pytest.approx(1 / 6)
    assert data["listed"][0]["choices"][0] == {"step": "start", "choice": 1, "text": "核实身份"}


def test_scenario_paths_summarises_by_ending_beyond_a_thousand_paths(runner, tmp_path):
    steps = "".join(f"## s{i}: 第{i}步\n" + "".join(f"- 选项{c} -> {f's{i + 1}' if i < 9 else 'end'} ({c})\n"
                                                   for c in range(4)) + "\n" for i in range(10))
    path = tmp_path / "big.scenario.md"
    path.write_text("---\ntitle: 大\npass_score: 50\n---\n" + steps + "## end: 结束 [end pass]\n",
                    encoding="utf-8")
    result = runner.invoke(args=["lms", "scenario", "paths", "--first", "3", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("大: 1,048,576 path(s), ")
    assert lines[0].endswith("passing; scores 0 to 30 (best 30, pass_score 50%)")
    assert lines[1].startswith("choosing at random passes ")
    assert lines[2] == "by ending:"
    assert lines[3].startswith("  end [pass]: ") and lines[3].endswith("scores 0 to 30")
    assert lines[4] == "first 3 path(s):" and len(lines) == 8
