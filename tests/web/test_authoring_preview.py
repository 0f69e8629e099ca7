"""The editor's live preview: the text checked as a draft with `lms check`'s code and messages,
rendered as trainees see it, for trainers only, writing nothing."""

from __future__ import annotations

import json
import re
import shutil
from html import unescape

import pytest
from sqlalchemy import func, select

from lms.assessments.models import ActivityRevision
from lms.audit.models import AuditEntry
from lms.authoring.models import Draft
from lms.cli import lms_group
from lms.db import session
from lms.learning.models import ModuleRevision

from ..conftest import COURSE, SHIPPED_COURSES, SHIPPED_QUIZZES, csrf_token

MODULE = "overview-and-process"
ITEM = f"/author/{COURSE}/module/{MODULE}"
QUIZ_ITEM = f"/author/{COURSE}/activity/process-quiz"
SCENARIO_ITEM = f"/author/{COURSE}/activity/scenario-privacy-request"
EXAM_ITEM = f"/author/{COURSE}/activity/final-exam"


@pytest.fixture
def trainer(client, shipped_course, make_user, login):
    login(make_user("trainer", display_name="李培训"))
    return client


def source_of(client, url: str = ITEM) -> str:
    page = client.get(url).get_data(as_text=True)
    start = page.index(">", page.index('name="source"')) + 1
    return unescape(page[start:page.index("</textarea>", start)])


def preview(client, source: str, url: str = ITEM, token: str | None = None):
    token = token if token is not None else csrf_token(client, url)
    return client.post(f"{url}/preview", json={"source": source}, headers={"X-CSRFToken": token})


def counts(app) -> tuple[int, ...]:
    with app.app_context():
        return tuple(session.scalar(select(func.count()).select_from(model))
                     for model in (Draft, ModuleRevision, ActivityRevision, AuditEntry))


def test_the_preview_follows_the_text(trainer, client):
    source = source_of(client)
    first = preview(client, source).get_json()
    assert "信用卡催收" in first["html"] and "新写的一段说明" not in first["html"]
    assert not [p for p in first["problems"] if p["severity"] == "error"]
    second = preview(client, source + "\n新写的一段说明，**加粗**。\n").get_json()
    assert "新写的一段说明" in second["html"] and "<strong>加粗</strong>" in second["html"]


def test_a_broken_line_has_its_number_and_the_message_lms_check_prints(trainer, client, runner, tmp_path):
    source = source_of(client)
    broken = source.replace("minutes: 14", "minutes: 0", 1)
    result = preview(client, broken).get_json()
    assert result["html"] is None
    [problem] = result["problems"]
    assert problem["line"] == 4 and problem["severity"] == "error"
    assert problem["path"] == f"courses/{COURSE}/01-overview-and-process.md"

    courses, quizzes = tmp_path / "courses", tmp_path / "quizzes"
    shutil.copytree(SHIPPED_COURSES, courses)
    shutil.copytree(SHIPPED_QUIZZES, quizzes)
    (courses / COURSE / "01-overview-and-process.md").write_text(broken, encoding="utf-8")
    printed = runner.invoke(lms_group, ["check", str(courses), str(quizzes)]).output.splitlines()
    assert [line for line in printed if line.endswith(problem["message"])], (printed, problem)
    assert problem["message"].startswith(f"courses/{COURSE}/01-overview-and-process.md:4: ")


def test_lines_count_from_the_top_of_the_editor_for_a_quiz_in_two_files(trainer, client):
    """The final exam is its GIFT file and then its settings file, one after the other."""
    source = source_of(client, EXAM_ITEM)
    gift_lines = source.index("title: 结业考试")
    broken = source.replace("pass_mark: 80", "pass_mark: 180", 1)
    [problem] = [p for p in preview(client, broken, EXAM_ITEM).get_json()["problems"]
                 if p["severity"] == "error"]
    line = source[:gift_lines].count("\n") + 2  # pass_mark is the settings file's second line
    assert problem["line"] == line and problem["path"].endswith("final-exam.yml")
    assert broken.splitlines()[line - 1] == "pass_mark: 180"


def test_the_preview_writes_nothing(trainer, client, app):
    source = source_of(client)
    before = counts(app)
    preview(client, source + "\n草稿之外的修改。\n")
    preview(client, source.replace("minutes: 14", "minutes: 0", 1))
    assert counts(app) == before
    assert "草稿之外的修改" not in source_of(client)


def test_an_existing_draft_is_previewed_in_its_place_and_kept(trainer, client, app):
    source = source_of(client)
    client.post(ITEM, data={"csrf_token": csrf_token(client, ITEM), "action": "save",
                            "source": source + "\n保存的草稿。\n", "base_number": "1"})
    result = preview(client, source + "\n正在输入。\n").get_json()
    assert "正在输入" in result["html"] and "保存的草稿" not in result["html"]
    with app.app_context():
        assert "保存的草稿" in session.scalar(select(Draft.source))


def test_the_first_page_shows_the_same_problems_and_preview(trainer, client):
    source = source_of(client)
    client.post(ITEM, data={"csrf_token": csrf_token(client, ITEM), "action": "save",
                            "source": source.replace("minutes: 14", "minutes: 0", 1), "base_number": "1"})
    page = client.get(ITEM).get_data(as_text=True)
    problems = preview(client, source_of(client)).get_json()["problems"]
    block = re.search(r'<script type="application/json" id="editor-data">(.*?)</script>', page, re.S)
    shown = json.loads(block[1])
    assert shown["problems"] == problems and problems[0]["line"] == 4
    assert 'href="#L4"' in page and problems[0]["message"] in unescape(page)


def test_trainees_and_hr_get_403(client, shipped_course, make_user, login, app):
    for role in ("trainee", "hr"):
        login(make_user(role))
        token = csrf_token(client, "/")
        response = client.post(f"{QUIZ_ITEM}/preview", json={"source": "x"}, headers={"X-CSRFToken": token})
        assert response.status_code == 403
        assert client.get(QUIZ_ITEM).status_code == 403
        client.post("/logout", data={"csrf_token": token})


def test_without_the_csrf_header_or_with_no_text_it_is_refused(trainer, client):
    assert preview(client, "x", token="").status_code == 400
    token = csrf_token(client, ITEM)
    response = client.post(f"{ITEM}/preview", json={"text": "x"}, headers={"X-CSRFToken": token})
    assert response.status_code == 400


def test_a_quiz_previews_as_taken_with_its_answer_key(trainer, client):
    page = client.get(QUIZ_ITEM).get_data(as_text=True)
    assert 'data-testid="answer-key"' in page
    assert "正确答案：" in page  # the right answer of each question
    assert "请按顺序排列信用卡催收流程的五个步骤。" in page
    # the ordering question's right order, and the true/false answers checked as the key
    assert re.search(r'<fieldset class="question question--truefalse" id="key-q0"', page)
    assert re.search(r'value="1" checked>\s*<span>错误</span>', page)  # 错误 is right
    result = preview(client, source_of(client, QUIZ_ITEM).replace("答案：错误", "答案：正确", 1), QUIZ_ITEM)
    assert re.search(r'value="0" checked>\s*<span>正确</span>', result.get_json()["html"])


def test_a_scenario_previews_as_its_steps_with_points_and_feedback(trainer, client):
    html = preview(client, source_of(client, SCENARIO_ITEM), SCENARIO_ITEM).get_json()["html"]
    assert 'data-testid="scenario-key"' in html and "家属接听" in html
    assert "得分：+10" in html or "+10" in html
    assert "保护客户隐私，不得向第三方泄露借款人的个人信息和欠款情况" in html  # the rule a choice breaks
    assert "不因对方是亲属或愿意代还就透露欠款" in html  # a choice's feedback
    assert 'href="#preview-step-colleague"' in html


def test_the_editor_page_allows_codemirror_styles_by_nonce_only(trainer, client):
    response = client.get(ITEM)
    csp = response.headers["Content-Security-Policy"]
    nonce = re.search(r"style-src 'self' 'nonce-([^']+)'", csp)[1]
    page = response.get_data(as_text=True)
    assert f'src="/static/editor.js" nonce="{nonce}"' in page
    assert "unsafe-inline" not in csp
    assert "nonce" not in client.get("/author/").headers["Content-Security-Policy"]
    assert client.get(ITEM).headers["Content-Security-Policy"] != csp  # a new nonce per response


def test_the_editor_pages_carry_no_inline_script_or_style(trainer, client):
    for url in (ITEM, QUIZ_ITEM, SCENARIO_ITEM, EXAM_ITEM, f"/author/{COURSE}/course/{COURSE}"):
        page = client.get(url).get_data(as_text=True)
        assert "style=" not in page and " on" + "click=" not in page, url
        for script in page.split("<script")[1:]:
            opening = script.split(">", 1)[0]
            assert 'src="' in opening or 'type="application/json"' in opening, (url, opening)
