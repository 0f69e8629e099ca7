from lms.db import session
from lms.learning.models import ModuleProgress

from ..conftest import COURSE, csrf_token

MODULE = "overview-and-process"


def test_trainee_is_enrolled_and_sees_the_course_on_the_dashboard(client, shipped_course, make_user, login):
    login(make_user("trainee"))
    page = client.get("/").get_data(as_text=True)
    assert "信用卡催收合规培训" in page
    assert "0%" in page
    assert f"/courses/{COURSE}/{MODULE}" in page  # the next step


def test_reading_to_the_end_completes_the_module(app, client, shipped_course, make_user, login):
    login(make_user("trainee"))
    page = client.get(f"/courses/{COURSE}/{MODULE}").get_data(as_text=True)
    assert "理解客户情况" in page
    token = csrf_token(client, f"/courses/{COURSE}/{MODULE}")
    response = client.post(f"/courses/{COURSE}/{MODULE}/progress",
                           data={"csrf_token": token, "seconds": "40", "reached_end": "y"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json["completed"] is True
    assert response.json["course_percent"] == 17
    with app.app_context():
        row = session.query(ModuleProgress).one()
        assert row.completed_at is not None
        assert 0 < row.seconds_spent <= 40
    assert "17%" in client.get("/").get_data(as_text=True)
