"""`lms check` warnings and --strict, and `lms scenario paths`."""

from __future__ import annotations

import json
import shutil

from ..conftest import COURSE, SHIPPED_COURSES, SHIPPED_QUIZZES


def test_check_prints_warnings_and_passes_without_strict(runner):
    result = runner.invoke(args=["lms", "check", str(SHIPPED_COURSES)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if ": warning: " in line]
    assert warnings and all(line.split(":")[1].isdigit() for line in warnings)
    assert any("scenario-refuses-to-pay.scenario.md:" in line and "does not declare its outcome" in line
               for line in warnings), warnings
    assert f"; {len(warnings)} warning(s)" in result.output


def test_check_strict_fails_on_warnings(runner):
    result = runner.invoke(args=["lms", "check", "--strict", str(SHIPPED_COURSES)])
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
    (quizzes / COURSE / "call.scenario.md").write_text(
        "---\ntitle: 模拟\n---\n## start: 开始\n- 核实身份 -> good (+10)\n- 挂断 -> bad\n\n"
        "## good: 成功 [end pass]\n\n## bad: 失败 [end fail]\n", encoding="utf-8")
    app.config["LMS_QUIZZES_DIR"] = str(quizzes)
    result = runner.invoke(args=["lms", "check", "--strict", str(courses)])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output and "1 scenario(s)" in result.output


def test_scenario_paths_lists_every_path(runner):
    path = SHIPPED_QUIZZES / COURSE / "scenario-field-visit.scenario.md"
    result = runner.invoke(args=["lms", "scenario", "paths", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("实战模拟：上门催收: 63 path(s), 3 passing; scores -65 to 50")
    assert len(lines) == 1 + 63
    assert lines[1] == "   1. start:1 neighbors:1 talk:1 calm:1 plan:1\t50 (100%)\t-\tend-good\tpass"
    data = json.loads(runner.invoke(args=["lms", "scenario", "paths", "--json", str(path)]).output)
    assert (data["paths"], data["passing"], len(data["listed"])) == (63, 3, 63)
    assert data["listed"][0]["choices"][0] == {"step": "start", "choice": 1, "text": data["listed"][0]
                                               ["choices"][0]["text"]}


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
    assert lines[1] == "by ending:"
    assert lines[2].startswith("  end [pass]: ") and lines[2].endswith("scores 0 to 30")
    assert lines[3] == "first 3 path(s):" and len(lines) == 7
