"""The training summary reports as PDFs: a trainee's own, and the cohort's with its chart."""

from __future__ import annotations

import subprocess

from lms.assessments.models import ScenarioPlay
from lms.db import session
from lms.learning.models import Enrolment

from ..answering import choice_token
from ..conftest import csrf_token
from .test_certificates import complete_course


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


def pdf_fonts(data: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout


def test_a_trainee_downloads_their_own_report(app, client, tiny, make_user, login, tmp_path):
    tiny()
    trainee = complete_course(client, app, make_user, login, name="王小明")
    login(trainee)
    response = client.get("/courses/tiny/report.pdf", follow_redirects=True)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = pdf_text(response.data)
    for expected in ("培训总结报告", "王小明", "E7001", "红线测验", "通过", "我学会了合规催收的红线和方法",
                     "CC-"):
        assert expected in text, expected
    fonts = pdf_fonts(response.data, tmp_path)
    assert "Noto" in fonts and " no " not in fonts.split("\n", 2)[2]  # every font embedded


def test_reports_are_private_to_the_trainee_and_staff(app, client, tiny, make_user, login):
    tiny()
    owner = make_user("trainee")
    with app.app_context():
        enrolment_id = session.query(Enrolment).filter_by(user_id=owner.id).one().id
    login(make_user("trainee"))
    assert client.get(f"/reports/enrolments/{enrolment_id}.pdf").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("hr"))
    assert client.get(f"/reports/enrolments/{enrolment_id}.pdf").status_code == 200
    assert client.get("/reports/enrolments/999999.pdf").status_code == 404


def test_the_cohort_report_has_counts_a_chart_and_violations(app, client, mini, make_user, login):
    mini()
    trainee = make_user("trainee")
    login(trainee)
    url = "/courses/mini/scenarios/mini-scenario/"
    play = client.post(f"{url}start", data={"csrf_token": csrf_token(client, url)}).location.rsplit("/", 1)[1]
    with app.app_context():
        token = choice_token(session.get(ScenarioPlay, int(play)), 2)
    client.post(f"/plays/{play}/choose",
                data={"step": "start", "choice": token, "csrf_token": csrf_token(client, "/")})
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("trainer"))
    page = client.get("/hr/courses/mini/report").get_data(as_text=True)
    assert "<svg" in page and "综合成绩分布" in page and "语言措辞文明" in page
    pdf = client.get("/hr/courses/mini/report.pdf")
    text = pdf_text(pdf.data)
    assert "培训情况统计报告" in text and "迷你课程" in text and "完成率" in text and "语言措辞文明" in text
