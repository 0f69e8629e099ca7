"""Time the training statistics report (HTML page, its data with question statistics, the PDF)
and the trainer's statistics pages on a database filled by ``lms demo --trainees N``, and count
their SQL statements.

    export LMS_INSTANCE_PATH=/tmp/bench/instance LMS_PUBLIC_URL=https://training.example.com
    lms init && lms import && lms demo --trainees 2000
    python benchmarks/cohort_report.py [--pdf] [--copies K]

``--copies K`` first adds K copies of everyone's learning records (accounts, enrolments, progress,
attempts and answers, plays and choices, summaries; not certificates) in INSERT … SELECT
statements: 2,000 demo trainees and ``--copies 4`` make 10,000 in seconds (SQLite only).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lms import create_app  # noqa: E402
from lms.accounts import services as accounts  # noqa: E402
from lms.assessments import statistics  # noqa: E402
from lms.assessments.models import Activity  # noqa: E402
from lms.db import Base, session  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.learning.models import Course, Enrolment  # noqa: E402
from lms.reports import summaries  # noqa: E402

ROUNDS = 3


def timed(app, call) -> tuple[float, float, float, int]:
    """The first and the best of ``ROUNDS`` wall-clock times, the first's processor time (SQLite
    works in this process: on a shared machine, the figure other people's work does not
    lengthen), and the statements of the first."""
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    times = []
    processor = 0.0
    for round_ in range(ROUNDS):
        listener = (lambda *args: statements.append(args[2])) if round_ == 0 else (lambda *args: None)
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            started, used = time.perf_counter(), time.process_time()
            call()
            times.append(time.perf_counter() - started)
            processor = processor or time.process_time() - used
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
    return times[0], min(times), processor, len(statements)


CLONED = ("lms_users", "lms_user_roles", "lms_enrolments", "lms_module_progress", "lms_quiz_attempts",
          "lms_attempt_responses", "lms_scenario_plays", "lms_scenario_choices", "lms_training_summaries")


def add_copies(copies: int) -> None:
    """Copy every row of ``CLONED`` ``copies`` times, ids shifted (and the foreign keys between
    these tables with them), usernames and employee numbers suffixed ``-k``."""
    tables = {name: Base.metadata.tables[name] for name in CLONED}
    first = {name: (session.scalar(sa.select(sa.func.max(t.c.id))) or 0) + 1 for name, t in tables.items()}
    for k in range(1, copies + 1):
        for name, table in tables.items():
            expressions = []
            for column in table.columns:
                targets = {key.column.table.name for key in column.foreign_keys}
                if column.name == "id":
                    expressions.append(column + k * first[name])
                elif targets & set(CLONED):
                    expressions.append(column + k * first[targets.pop()])
                elif name == "lms_users" and column.name in ("username", "employee_no"):
                    expressions.append(column + f"-{k}")
                else:
                    expressions.append(column)
            session.execute(sa.insert(table).from_select(
                [c.name for c in table.columns], sa.select(*expressions).where(table.c.id < first[name])))
    session.commit()


def main() -> None:
    app = create_app({"WTF_CSRF_ENABLED": False, "LMS_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "LMS_PUBLIC_URL": "https://training.example.com"})
    with app.app_context():
        if "--copies" in sys.argv:
            started = time.perf_counter()
            add_copies(int(sys.argv[sys.argv.index("--copies") + 1]))
            print(f"copies added in {time.perf_counter() - started:.1f} s")
        course = session.scalar(sa.select(Course).where(Course.is_archived.is_(False)).order_by(Course.id))
        trainees = session.scalar(sa.select(sa.func.count()).select_from(Enrolment)
                                  .where(Enrolment.course_id == course.id))
        accounts.set_password(accounts.find_user("admin"), "bench-password")
        session.commit()
        slug = course.slug
    client = app.test_client()
    assert client.post("/login", data={"username": "admin", "password": "bench-password"}).status_code == 302
    print(f"{slug}: {trainees} enrolments")

    def page(path: str):
        def get():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        return get

    def data():
        with app.app_context():
            summaries.cohort_report(session.get(Course, course.id), statistics=True)
            session.remove()

    with app.app_context():
        activities = [(a.slug, a.kind) for a in session.scalars(
            sa.select(Activity).where(Activity.course_id == course.id, Activity.is_archived.is_(False))
            .order_by(Activity.kind, Activity.slug))]

    def fresh(call):
        def run():
            statistics._cache.clear()
            summaries._results.clear()
            call()
        return run

    pages = []
    first_of_each_kind = {kind: activity for activity, kind in reversed(activities)}
    for kind, activity in sorted(first_of_each_kind.items()):
        statistics_page = page(f"/review/courses/{slug}/activities/{activity}/")
        pages += [(f"statistics page of {kind} {activity}, counted afresh", fresh(statistics_page)),
                  (f"statistics page of {kind} {activity}, nothing graded since", statistics_page)]
    report = page(f"/hr/courses/{slug}/report")
    for name, call in [("report page (HTML), counted afresh", fresh(report)),
                       ("report page (HTML), nothing recorded since", report),
                       ("results by course page (HTML)", page(f"/review/courses/{slug}/")),
                       ("report data with question statistics (the PDF's), counted afresh", fresh(data)),
                       ("the same, nothing graded since", data), *pages]:
        first, best, processor, queries = timed(app, call)
        print(f"{name}: first {first:.3f} s (processor {processor:.3f} s), best {best:.3f} s, "
              f"{queries} queries")
    if "--pdf" in sys.argv:
        started = time.perf_counter()
        page(f"/hr/courses/{slug}/report.pdf")()
        print(f"report PDF: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
