"""The trainer's review queue: what waits, the oldest first, in a fixed number of queries however
long the queue grows."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lms.accounts.models import User
from lms.assessments.models import AWAITING_GRADING, SUBMITTED, Activity, QuizAttempt, TrainingSummary
from lms.assessments.queue import SHOWN
from lms.db import session, utcnow
from lms.learning.models import Course
from lms.learning.services import enrol

from ..conftest import counted_queries


def wait_in_queue(app, make_user, count: int, days_ago: int = 1) -> None:
    """``count`` trainees each with a submitted summary and an essay waiting to be graded,
    submitted a minute apart from ``days_ago`` days ago (the first created first)."""
    users = [make_user("trainee") for _ in range(count)]
    start = utcnow() - timedelta(days=days_ago)
    with app.app_context():
        course = session.scalar(select(Course).where(Course.slug == "mini"))
        essay = session.scalar(select(Activity).where(Activity.slug == "essay-quiz"))
        for number, ref in enumerate(users):
            enrolment, _ = enrol(session.get(User, ref.id), course)
            at = start + timedelta(minutes=number)
            session.add(TrainingSummary(enrolment_id=enrolment.id, body="总结", status=SUBMITTED,
                                        submitted_at=at))
            session.add(QuizAttempt(enrolment_id=enrolment.id, activity_id=essay.id,
                                    revision_id=essay.current_revision_id, number=1, open_key=None,
                                    state=AWAITING_GRADING, layout=[], submitted_at=at))
        session.commit()


def test_the_queue_shows_the_oldest_first_with_the_total(app, client, mini, make_user, login):
    mini()
    wait_in_queue(app, make_user, 3)
    login(make_user("trainer"))
    page = client.get("/review/").get_data(as_text=True)
    summaries = page.split('data-testid="pending-summaries"')[1].split("</ul>")[0]
    assert summaries.index("学员1<") < summaries.index("学员2<") < summaries.index("学员3<")
    assert "待审核的培训总结 (3)" in page and "待评分的问答题 (3)" in page
    assert 'data-testid="queue-shown"' not in page  # all of them are shown
    attempts = page.split('data-testid="pending-attempts"')[1].split("</ul>")[0]
    assert attempts.count("/review/attempts/") == 3 and "学员1 · " in attempts


def test_a_long_queue_shows_its_oldest_in_the_same_queries(app, client, mini, make_user, login):
    mini()
    wait_in_queue(app, make_user, 2, days_ago=2)
    login(make_user("trainer"))
    client.get("/review/")
    with counted_queries(app) as short:
        client.get("/review/")
    wait_in_queue(app, make_user, SHOWN + 3)
    with counted_queries(app) as long:
        page = client.get("/review/").get_data(as_text=True)
    assert len(long) == len(short)
    summaries = page.split('data-testid="pending-summaries"')[1].split("</ul>")[0]
    assert summaries.count("/review/summaries/") == SHOWN
    # the two waiting longest first; the newest wait until these are done
    assert summaries.index("学员1<") < summaries.index("学员2<") < summaries.index("学员4<")
    assert all(f"学员{n}<" not in summaries for n in (SHOWN + 4, SHOWN + 5, SHOWN + 6))
    assert f"显示最早的 {SHOWN} 条，共 {SHOWN + 5} 条" in page
