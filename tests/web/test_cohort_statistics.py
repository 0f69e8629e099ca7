"""The question statistics of the training statistics report (its PDF) and of the trainer's
statistics page: counted in the database, the same queries at any number of trainees."""

from __future__ import annotations

from sqlalchemy import select

from lms.assessments import statistics
from lms.assessments.models import Activity
from lms.assessments.statistics import activity_report
from lms.db import session
from lms.learning.models import Course
from lms.reports import summaries
from lms.reports.summaries import cohort_report

from ..conftest import counted_queries
from .test_results import course, populate  # noqa: F401  (the course fixture)


def _exam(app, cached: bool = False) -> tuple[int, int, list[int], list[int]]:
    """Queries of the report's data with question statistics (counted afresh unless ``cached``),
    and the exam's attempts and option counts as it reports them."""
    if not cached:
        statistics._cache.clear()
        summaries._results.clear()
    with counted_queries(app) as statements, app.app_context():
        report = cohort_report(session.scalar(select(Course).where(Course.slug == "big")), statistics=True)
        exam = next(r for r, _charts in report["statistics"] if r.activity.slug == "bank")
        first, second = exam.quiz.items
        found = ([o.count for o in first.options], [o.count for o in second.options])
    return len(statements), exam.quiz.attempts, *found


def test_the_reports_question_statistics_take_the_same_queries_at_30_and_120_trainees(app, course):  # noqa: F811
    populate(app, 1, 30)
    small, attempts, first, second = _exam(app)
    assert attempts == 30 - 4  # every 7th trainee has not started
    # every trainee chose the first option of the first question and the second of the second
    assert first == [attempts, 0] and second == [0, attempts]

    populate(app, 31, 90)
    large, attempts, first, second = _exam(app)
    assert attempts == 120 - 17 and first == [attempts, 0] and second == [0, attempts]
    assert large == small

    again, *same = _exam(app, cached=True)  # nothing graded since: nothing is counted again
    assert same == [attempts, first, second] and again < large - 4


def test_the_statistics_follow_a_newly_graded_attempt(app, course):  # noqa: F811
    exam = select(Activity).where(Activity.slug == "bank")
    big = select(Course).where(Course.slug == "big")
    populate(app, 1, 13)
    with app.app_context():
        assert activity_report(session.scalar(exam)).quiz.attempts == 12
        assert cohort_report(session.scalar(big))["scored"] == 12
    populate(app, 15, 1)  # (14 has not started)
    with app.app_context():
        assert activity_report(session.scalar(exam)).quiz.attempts == 13
        assert cohort_report(session.scalar(big))["scored"] == 13
