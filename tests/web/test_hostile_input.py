"""Hostile input gets a clear answer and changes nothing: ids and dates out of range, NUL and
control characters, superscript digits, over-long text, oversized spreadsheets, images in what
trainees write."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.assessments.models import AttemptResponse, QuizAttempt, ScenarioPlay, TrainingSummary
from lms.db import session
from lms.learning.models import Enrolment

from ..answering import attempt_form
from ..conftest import csrf_token
from .test_certificates import complete_course
from .test_hr import upload
from .test_reports import pdf_text


@pytest.mark.parametrize("path", ["/attempts/2147483648", "/attempts/0", "/plays/99999999999999999999",
                                  "/admin/users/2147483648", "/hr/people/2147483648",
                                  "/reports/enrolments/9223372036854775808.pdf"])
def test_ids_out_of_range_are_no_such_page(client, make_user, login, path):
    login(make_user("admin"))
    assert client.get(path).status_code == 404


def test_a_largest_id_is_looked_up(client, make_user, login):
    login(make_user("admin"))
    assert client.get("/admin/users/2147483647").status_code == 404  # asked, not found


def test_a_reading_report_with_numbers_out_of_range(client, trainee):
    for data in ({"seconds": "5", "revision": "99999999999999999999"}, {"seconds": "²"},
                 {"seconds": "99999999999999999999"}):
        response = client.post("/courses/mini/intro/progress",
                               data={**data, "csrf_token": csrf_token(client, "/")})
        assert response.status_code == 400, data


def test_dates_out_of_range_are_a_clear_400(client, tiny, make_user, login):
    make_user("trainee")  # enrolled by the import: the roster has a row to filter
    tiny()
    login(make_user("hr"))
    response = client.get("/hr/courses/tiny/audit-bundle.zip?from=0001-01-01&to=2026-01-31")
    assert response.status_code == 400
    assert "2000-01-01" in response.get_data(as_text=True)  # says which days it may name
    assert client.get("/hr/courses/tiny/?due_from=0001-01-01&due_to=9999-12-31").status_code == 200
    assert client.get("/hr/courses/tiny/?page=99999999999999999999999").status_code == 200


@pytest.mark.parametrize(("path", "data"), [
    ("/login", {"username": "admin\x00", "password": "x"}),
    ("/verify/", {"serial": "CC-\x00"}),
    ("/courses/mini/summary", {"body": "总结\x00", "action": "draft"}),
])
def test_nul_is_refused_before_the_database(app, client, trainee, path, data):
    response = client.post(path, data={**data, "csrf_token": csrf_token(client, "/")})
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)
    with app.app_context():
        assert session.scalars(select(TrainingSummary.body)).all() in ([], [""])


def test_nul_is_refused_in_a_json_body_and_a_script_is_answered_in_json(app, client, trainee):
    """A script's request (JSON body, or a form asking for JSON) with a NUL gets a 400 it can
    read, saying why, as the pages' scripts expect: ``error`` and ``message``."""
    token = csrf_token(client, "/")
    asked = client.post("/courses/mini/summary", json={"body": "总结\u0000"},
                        headers={"Accept": "application/json", "X-CSRFToken": token})
    saved = client.post("/courses/mini/summary", headers={"Accept": "application/json"},
                        data={"body": "总结\x00", "action": "draft", "csrf_token": token})
    for response in (asked, saved):
        assert response.status_code == 400 and response.is_json
        assert "NUL" in response.json["error"] and response.json["message"] == response.json["error"]
    with app.app_context():
        assert session.scalars(select(TrainingSummary.body)).all() == []


def test_a_summary_post_without_the_form_keeps_the_draft(app, client, trainee):
    """A post that is not the page's form (JSON, plain text) is refused; the draft stays."""
    token = csrf_token(client, "/")
    client.post("/courses/mini/summary", data={"body": "我的草稿", "action": "draft", "csrf_token": token})
    for kwargs in ({"json": {"body": "x"}}, {"data": "body=x", "content_type": "text/plain"}):
        response = client.post("/courses/mini/summary", headers={"X-CSRFToken": token}, **kwargs)
        assert response.status_code == 400
    with app.app_context():
        assert session.scalars(select(TrainingSummary.body)).one() == "我的草稿"


def test_nul_in_a_search_or_a_path(client, make_user, login):
    login(make_user("admin"))
    assert client.get("/admin/users?q=%00").status_code == 400
    assert client.get("/verify/CC%00").status_code == 400


def test_a_summary_over_the_limit_or_with_control_characters_is_not_stored(app, client, trainee):
    for body, message in (("长" * 20_001, "20000"), ("第一行\x07响铃", "U+0007")):
        response = client.post("/courses/mini/summary", data={
            "body": body, "action": "draft", "csrf_token": csrf_token(client, "/")})
        assert response.status_code == 400 and message in response.get_data(as_text=True)
        json = client.post("/courses/mini/summary", headers={"Accept": "application/json"}, data={
            "body": body, "action": "draft", "csrf_token": csrf_token(client, "/")})
        assert json.status_code == 400 and message in json.get_json()["message"]
    with app.app_context():
        assert session.scalars(select(TrainingSummary.body)).all() in ([], [""])
    client.post("/courses/mini/summary", data={"body": "  第一段\r\n第二段\t缩进  ", "action": "draft",
                                               "csrf_token": csrf_token(client, "/")})
    with app.app_context():  # line breaks and tabs kept, made one kind, the edges trimmed
        assert session.scalars(select(TrainingSummary.body)).one() == "第一段\n第二段\t缩进"


def _start(client, slug):
    response = client.post(f"/courses/mini/{slug}/start", data={"csrf_token": csrf_token(client, "/")})
    return int(response.location.rsplit("/", 1)[1])


def test_superscript_digits_in_answers_and_choices(app, client, trainee):
    attempt_id = _start(client, "quizzes/mini-quiz")
    with app.app_context():
        form = {name: "²" for name in attempt_form(session.get(QuizAttempt, attempt_id))}
    saved = client.post(f"/attempts/{attempt_id}/save", data={**form, "csrf_token": csrf_token(client, "/")})
    assert saved.status_code == 200
    assert client.post(f"/attempts/{attempt_id}/submit",
                       data={**form, "csrf_token": csrf_token(client, "/")}).status_code == 302
    play_id = _start(client, "scenarios/mini-scenario")
    chosen = client.post(f"/plays/{play_id}/choose", data={"step": "start", "choice": "²",
                                                           "csrf_token": csrf_token(client, "/")})
    assert chosen.status_code == 302
    with app.app_context():
        assert session.get(ScenarioPlay, play_id).choices == []


def test_an_essay_answer_with_a_control_character_is_refused_whole(app, client, trainee):
    attempt_id = _start(client, "quizzes/essay-quiz")
    with app.app_context():
        form = attempt_form(session.get(QuizAttempt, attempt_id))
    essay = next(name for name, value in form.items() if value == "我会保持冷静，耐心倾听借款人的困难。")
    form[essay] = "保持冷静\x1b[31m"
    response = client.post(f"/attempts/{attempt_id}/save",
                           data={**form, "csrf_token": csrf_token(client, "/")})
    assert response.status_code == 400 and "U+001B" in response.get_json()["error"]
    submitted = client.post(f"/attempts/{attempt_id}/submit",
                            data={**form, "csrf_token": csrf_token(client, "/")})
    assert submitted.location.endswith(f"/attempts/{attempt_id}")  # back to the answers, not submitted
    with app.app_context():
        assert session.get(QuizAttempt, attempt_id).state == "in_progress"
        assert session.scalars(select(AttemptResponse)).all() == []


def test_account_fields_follow_their_rules(app, client, make_user, login):
    login(make_user("admin"))
    for name, value, shown in (("department", "催收\x01一部", "U+0001"), ("employee_no", "E" * 41, "40"),
                               ("display_name", "王\u200b" * 31, "60")):
        data = {"username": "newbie", "display_name": "新人", "roles": "trainee", "password": "long enough 1",
                name: value, "csrf_token": csrf_token(client, "/admin/users/new")}
        response = client.post("/admin/users/new", data=data)
        assert response.status_code == 400 and shown in response.get_data(as_text=True), name
    with app.app_context():
        assert session.scalar(select(User).where(User.username == "newbie")) is None
    client.post("/admin/users/new", data={
        "username": "newbie", "display_name": "  王\u0301小明 ", "roles": "trainee",
        "password": "long enough 1",
        "department": " 催收一部 ", "csrf_token": csrf_token(client, "/admin/users/new")})
    with app.app_context():
        user = session.scalar(select(User).where(User.username == "newbie"))
        assert (user.display_name, user.department) == ("王\u0301小明", "催收一部")


def test_the_cli_refuses_what_the_form_refuses(app, runner):
    result = runner.invoke(args=["lms", "user", "add", "bad", "--password", "long enough 1",
                                 "--role", "trainee", "--department", "一部\x00"])
    assert result.exit_code == 1 and "U+0000" in result.output
    with app.app_context():
        assert session.scalar(select(User).where(User.username == "bad")) is None


def _xlsx(*rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_over_long_cell_is_a_row_error_and_nothing_is_stored(app, client, make_user, login):
    login(make_user("hr"))
    data = _xlsx(["工号", "姓名", "部门"], ["E9301", "周敏", "催收一部"], ["E9302", "吴" * 61, "催收一部"],
                 ["E9303", "王五", "部" * 121])
    response = upload(client, "staff.xlsx", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "第 3 行「姓名」：姓名超过 60 个字符" in page and "第 4 行「部门」：超过 120 个字符的上限" in page
    with app.app_context():
        assert session.scalars(select(User).where(User.employee_no.like("E93%"))).all() == []


def test_a_huge_sheet_is_refused_before_it_is_unpacked(app, client, make_user, login):
    login(make_user("hr"))
    small = _xlsx(["工号", "姓名", "部门"], ["E9401", "周敏", "催收一部"])
    buffer = io.BytesIO()
    with (zipfile.ZipFile(io.BytesIO(small)) as source,
          zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out):
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":  # one cell of 21 MB, 21 KB packed
                content = content.replace(b"</sheetData>", b'<row r="3"><c r="A3" t="inlineStr"><is><t>'
                                          + b"x" * (21 * 1024 * 1024) + b"</t></is></c></row></sheetData>")
            out.writestr(info, content)
    assert len(buffer.getvalue()) < 200_000
    response = upload(client, "staff.xlsx", buffer.getvalue())
    assert response.status_code == 400 and "解压后超过 20 MB" in response.get_data(as_text=True)
    with app.app_context():
        assert session.scalar(select(User).where(User.employee_no == "E9401")) is None


def test_a_report_with_images_in_the_summary_renders(app, client, tiny, make_user, login):
    tiny()
    trainee = complete_course(client, app, make_user, login)
    with app.app_context():
        summary = session.scalars(select(TrainingSummary)).one()
        summary.body += ("\n\n![流程图](https://tracker.example/p.png) ![本地](/static/x.png) "
                         '<img src="https://tracker.example/q.png">')
        session.commit()
        enrolment_id = session.scalars(select(Enrolment.id)).one()
    login(trainee)
    response = client.get(f"/reports/enrolments/{enrolment_id}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert "流程图" in pdf_text(response.data)


def test_host_values_that_break_a_rule_are_left_out(app, caplog):
    from lms.accounts.identity import HostUser, sync_host_user

    with app.app_context():
        user = sync_host_user(HostUser(id=77, display_name="甲", employee_no=" H077 ", department="部" * 121,
                                       email="a\x00@example.com"))
        assert (user.employee_no, user.department, user.email) == ("H077", None, None)
    assert any("department" in record.getMessage() for record in caplog.records)


def test_a_reason_breaking_its_rule_is_refused_and_changes_nothing(app, client, tiny, make_user, login):
    tiny()
    trainee = make_user("trainee")
    with app.app_context():
        enrolment = session.scalars(select(Enrolment).where(Enrolment.user_id == trainee.id)).one()
        enrolment_id, before = enrolment.id, enrolment.due_at
    login(make_user("hr"))
    url = f"/hr/enrolments/{enrolment_id}/due"
    for reason in ("病假" + "\x1b" * 3, "长" * 5001):
        response = client.post(url, data={"due_on": "2099-01-01", "reason": reason,
                                          "csrf_token": csrf_token(client, url)})
        assert response.status_code == 400 and "5000" in response.get_data(as_text=True)
    for day in ("2100-01-01", "1999-12-31", "2099-13-01"):  # out of bounds, or no day at all
        response = client.post(url, data={"due_on": day, "reason": "病假",
                                          "csrf_token": csrf_token(client, url)})
        assert response.status_code == 400 and "2000-01-01" in response.get_data(as_text=True), day
        assert "2099-12-31" in response.get_data(as_text=True), day
    with app.app_context():
        assert session.get(Enrolment, enrolment_id).due_at == before
    done = client.post(url, data={"due_on": "2099-01-01", "reason": " 病假 ",
                                  "csrf_token": csrf_token(client, url)})
    assert done.status_code == 302


def test_a_summary_nested_hundreds_deep_is_shown_as_written(app, client, trainee, make_user, login):
    """The trainee, the trainer reviewing it and the report PDF get the text, not a 500."""
    body = "- " * 500 + "我学会了合规催收的红线和方法，也学会了沟通技巧。"
    client.post("/courses/mini/summary", data={"body": body, "action": "submit",
                                               "csrf_token": csrf_token(client, "/")})
    page = client.get("/courses/mini/summary")
    assert page.status_code == 200 and "我学会了合规催收的红线" in page.get_data(as_text=True)
    with app.app_context():
        summary_id = session.scalars(select(TrainingSummary.id)).one()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("trainer"))
    review = client.get(f"/review/summaries/{summary_id}")
    assert review.status_code == 200 and "我学会了合规催收的红线" in review.get_data(as_text=True)
