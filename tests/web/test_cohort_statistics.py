"""The question statistics of the training statistics report (its PDF) and of the trainer's
statistics page: counted in the database, the same queries at any number of trainees."""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from lms.assessments import models, statistics
from lms.assessments.grading import is_scored
from lms.assessments.models import (
    CASE,
    QUIZ,
    SCENARIO,
    Activity,
    ActivityRevision,
    AttemptResponse,
    QuizAttempt,
    ScenarioPlay,
)
from lms.assessments.quizzes import Settings, questions_of
from lms.assessments.statistics import AttemptMarks, ItemInfo, QuizStatistics, activity_report
from lms.db import session
from lms.learning.models import Course, Enrolment
from lms.reports import summaries
from lms.reports.summaries import cohort_report

from ..conftest import COURSE, counted_queries
from .test_results import course, populate  # noqa: F401  (the course fixture)


def _exam(app, cached: bool = False) -> tuple[int, int, list[int], list[int]]:
    """Queries of the report's data with question statistics (counted afresh unless ``cached``),
    and the exam's attempts and option counts as it reports them."""
    if not cached:
        statistics._cache.clear()
        summaries._results.clear()
        models._decoded.clear()
    with counted_queries(app) as statements, app.app_context():
        report = cohort_report(session.scalar(select(Course).where(Course.slug == "big")), statistics=True)
        exam = next(r for r, _charts in report["statistics"] if r.activity.slug == "bank")
        first, second = exam.quiz.items
        found = ([o.count for o in first.options], [o.count for o in second.options])
    return len(statements), exam.quiz.attempts, *found


def test_the_reports_question_statistics_take_the_same_queries_at_50_and_200_trainees(app, course):  # noqa: F811
    populate(app, 1, 50)
    small, attempts, first, second = _exam(app)
    assert attempts == 50 - 7  # every 7th trainee has not started
    # every trainee chose the first option of the first question and the second of the second
    assert first == [attempts, 0] and second == [0, attempts]

    populate(app, 51, 150)
    large, attempts, first, second = _exam(app)
    assert attempts == 200 - 28 and first == [attempts, 0] and second == [0, attempts]
    assert large == small

    again, *same = _exam(app, cached=True)  # nothing graded since: nothing is counted again
    assert same == [attempts, first, second] and again < large - 4


def test_the_report_and_statistics_pages_take_the_same_queries_at_50_and_200_trainees(
        app, client, course, count_queries, make_user, login):  # noqa: F811
    login(make_user("hr", "trainer"))
    pages = ("/hr/courses/big/report", "/review/courses/big/activities/bank/",
             "/review/courses/big/activities/bank/?attempts=all",
             "/review/courses/big/activities/mini-scenario/")

    def counted_afresh() -> list[int]:
        found = []
        for page in pages:
            statistics._cache.clear()
            summaries._results.clear()
            models._decoded.clear()
            found.append(count_queries(page))
        return found

    populate(app, 1, 50)
    small = counted_afresh()
    populate(app, 51, 150)
    assert counted_afresh() == small


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


def test_the_simulation_statistics_are_kept_until_another_play_finishes(app, course):  # noqa: F811
    scenario = select(Activity).where(Activity.slug == "mini-scenario")

    def plays(afresh: bool) -> tuple[int, int]:
        if afresh:
            statistics._cache.clear()
        with counted_queries(app) as statements, app.app_context():
            found = activity_report(session.scalar(scenario)).scenario.plays
        return found, len(statements)

    populate(app, 1, 13)
    plays(afresh=True)  # the revision's content is decoded from here on
    (first, counted), (again, kept) = plays(afresh=True), plays(afresh=False)
    assert first == again == 12 and kept == counted - 1  # the plays are not counted again
    populate(app, 15, 1)  # (14 has not started)
    assert plays(afresh=False) == (13, counted)
    populate(app, 16, 200)
    assert plays(afresh=True)[1] == counted  # the same queries at 13 and 200 plays


def _from_every_answer(activity: Activity, all_attempts: bool) -> QuizStatistics:
    """The statistics as they were computed before the database counted them: every answer of the
    counted attempts read, and each attempt's marks and responses given to ``quiz_statistics``."""
    revision = activity.current_revision
    questions = questions_of(revision)
    items = {f"q{i}": ItemInfo.of(f"q{i}", q) for i, q in enumerate(questions) if is_scored(q)}
    marks: dict[int, list[tuple[str, float]]] = defaultdict(list)
    responses: dict[int, dict[str, Any]] = defaultdict(dict)
    counted = statistics.counted_attempts(activity, revision, all_attempts).scalar_subquery()
    for attempt_id, key, fraction, response in session.execute(
            select(AttemptResponse.attempt_id, AttemptResponse.question_key, AttemptResponse.fraction,
                   AttemptResponse.response).where(AttemptResponse.attempt_id.in_(counted))):
        if key in items:
            marks[attempt_id].append((key, fraction or 0.0))
            responses[attempt_id][key] = response.get("value") if isinstance(response, dict) else None
    attempts = [AttemptMarks(tuple(sorted(marks[a], key=lambda mark: int(mark[0][1:]))), responses[a])
                for a in sorted(marks)]
    guesses = {key: statistics.random_guess_score(questions[int(key[1:])]) for key in items}
    return statistics.quiz_statistics(attempts, items, guesses, drawn=bool(Settings.of(revision).draw))


def _assert_same(expected: Any, found: Any, where: str = "") -> None:
    """Equal, floats to 1e-9; the scores (for the histogram) in any order."""
    if dataclasses.is_dataclass(expected):
        for column in dataclasses.fields(expected):
            name = column.name
            _assert_same(getattr(expected, name), getattr(found, name), f"{where}.{name}")
    elif isinstance(expected, list):
        if where.endswith((".scores", ".scores_list")):
            expected, found = sorted(expected), sorted(found)
        assert len(expected) == len(found), where
        for index, (one, other) in enumerate(zip(expected, found, strict=True)):
            _assert_same(one, other, f"{where}[{index}]")
    elif isinstance(expected, float):
        assert math.isclose(expected, found, rel_tol=1e-9, abs_tol=1e-9), (where, expected, found)
    else:
        assert expected == found, (where, expected, found)


def test_counted_in_the_database_as_computed_from_every_answer(app, runner, shipped_course):
    """On demo trainees of the shipped course (choice, text, matching and ordering questions, a
    final exam drawn from a pool): every figure as the per-answer computation gives it."""
    result = runner.invoke(args=["lms", "demo", "--trainees", "40", "--seed", "3"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        quizzes = session.scalars(select(Activity).join(Course).where(
            Course.slug == COURSE, Activity.kind.in_((QUIZ, CASE))).order_by(Activity.slug)).all()
        drawn_seen = 0
        for activity in quizzes:
            for all_attempts in (False, True):
                statistics._cache.clear()
                found = statistics.load_quiz_statistics(activity, activity.current_revision, all_attempts)
                _assert_same(_from_every_answer(activity, all_attempts), found, activity.slug)
                drawn_seen += bool(found.questions and found.attempts > 1)
        assert drawn_seen and sum(bool(a.current_revision) for a in quizzes) >= 5
        simulations = session.scalars(select(Activity).join(Course).where(
            Course.slug == COURSE, Activity.kind == SCENARIO).order_by(Activity.slug)).all()
        for activity in simulations:
            for all_attempts in (False, True):
                counted = statistics.counted_scenario_statistics(
                    *statistics.load_plays(activity, activity.current_revision, all_attempts))
                _assert_same(_from_every_choice(activity, all_attempts), counted, activity.slug)
        assert simulations and counted.plays and counted.violations
        shipped = session.scalar(select(Course).where(Course.slug == COURSE))
        summaries._results.clear()
        hardest = [(q["quiz"], q["answers"], q["right"]) for q in cohort_report(shipped)["hardest"]]
        assert hardest and hardest == _hardest_from_every_answer(shipped)


def _from_every_choice(activity: Activity, all_attempts: bool) -> statistics.ScenarioStatistics:
    """The simulation statistics as they were computed before the database counted them: every
    finished play and choice read, each enrolment's first play kept unless ``all_attempts``."""
    revision = activity.current_revision
    finished = (ScenarioPlay.activity_id == activity.id, ScenarioPlay.finished_at.is_not(None))
    plays = session.scalars(select(ScenarioPlay).where(*finished)
                            .order_by(ScenarioPlay.enrolment_id, ScenarioPlay.id)).all()
    first: dict[int, int] = {}
    for play in plays:
        first.setdefault(play.enrolment_id, play.id)
    counted = [play for play in plays if play.revision_id == revision.id
               and (all_attempts or first[play.enrolment_id] == play.id)]
    records = [statistics.PlayRecord(
        tuple(statistics.ChoiceMade(c.step_id, c.choice_index, c.violation_rule, c.violation_severity)
              for c in play.choices),
        play.step_id, play.score or 0, bool(play.is_passed), play.failed_critically) for play in counted]
    steps = [statistics.StepInfo(step_id, data.get("title", ""),
                                 tuple(c.get("text", "") for c in data.get("choices", [])))
             for step_id, data in revision.data["steps"].items()]
    return statistics.scenario_statistics(records, steps, revision.data.get("rules", {}))


def _hardest_from_every_answer(shipped: Course) -> list[tuple[str, int, int]]:
    """The report's hardest questions as counted from every graded answer of the open enrolments."""
    answered: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for revision_id, key, fraction in session.execute(
            select(QuizAttempt.revision_id, AttemptResponse.question_key, AttemptResponse.fraction)
            .join(AttemptResponse, AttemptResponse.attempt_id == QuizAttempt.id)
            .join(Enrolment, Enrolment.id == QuizAttempt.enrolment_id)
            .where(Enrolment.course_id == shipped.id, Enrolment.is_archived.is_(False),
                   QuizAttempt.state == "graded", AttemptResponse.fraction.is_not(None))):
        answered[revision_id, key][0] += 1
        answered[revision_id, key][1] += fraction >= 0.999
    groups = sorted((revision_id, key, count, right) for (revision_id, key), (count, right)
                    in answered.items() if count >= 3)
    groups = sorted(groups, key=lambda g: (g[3] / g[2], -g[2]))[:10]
    return [(session.get(ActivityRevision, revision_id).title, count, round(100 * right / count))
            for revision_id, _key, count, right in groups]


def test_the_hardest_questions_by_their_share_of_right_answers(app, course):  # noqa: F811
    populate(app, 1, 50)  # the exam: the first question right unless n % 3 == 0, the second wrong
    active = [n for n in range(1, 51) if n % 7]
    with app.app_context():
        summaries._results.clear()
        hardest = cohort_report(session.scalar(select(Course).where(Course.slug == "big")))["hardest"]
    right = round(100 * sum(n % 3 != 0 for n in active) / len(active))
    assert [(q["answers"], q["right"]) for q in hardest] == [(len(active), 0), (len(active), right)]
    assert len({q["question"] for q in hardest}) == 2
