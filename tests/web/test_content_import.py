"""`lms check` and `lms import`: revisions, and a bad file changes nothing."""

from __future__ import annotations

import shutil

import pytest

from lms.db import session
from lms.learning.models import Module, ModuleProgress, ModuleRevision

from ..conftest import COURSE, SHIPPED_COURSES, SHIPPED_QUIZZES, let_time_pass, open_module


@pytest.fixture
def courses(tmp_path):
    """A copy of the shipped courses that a test may edit."""
    target = tmp_path / "courses"
    shutil.copytree(SHIPPED_COURSES, target)
    return target


def module_file(courses, name="01-overview-and-process.md"):
    return courses / COURSE / name


def revisions(app):
    with app.app_context():
        return [(r.module.slug, r.number) for r in session.query(ModuleRevision)
                .order_by(ModuleRevision.id)]


def test_check_passes_on_the_shipped_course(runner):
    result = runner.invoke(args=["lms", "check", str(SHIPPED_COURSES)])
    assert result.exit_code == 0, result.output
    assert "1 course(s), 6 module(s), 8 quiz(zes) and case stud(ies), 4 scenario(s)" in result.output


def test_check_reports_path_line_message_and_fails(runner, courses):
    path = module_file(courses)
    path.write_text(path.read_text(encoding="utf-8").replace("minutes: 14", "minutes: soon"),
                    encoding="utf-8")
    result = runner.invoke(args=["lms", "check", str(courses)])
    assert result.exit_code == 1
    assert f"{path}:4: 'minutes' must be a whole number" in result.output


def test_import_creates_revisions_once(app, runner, courses):
    first = runner.invoke(args=["lms", "import", str(courses), "--author", "李培训"])
    assert first.exit_code == 0, first.output
    assert "19 new revision(s)" in first.output  # course.yml, 6 modules, 8 quizzes, 4 scenarios
    second = runner.invoke(args=["lms", "import", str(courses)])
    assert "0 new revision(s), 18 unchanged" in second.output
    assert len(revisions(app)) == 6
    with app.app_context():
        assert {r.author for r in session.query(ModuleRevision)} == {"李培训"}


def test_import_shows_a_bar_on_a_terminal_and_nothing_elsewhere(app, runner, courses, monkeypatch):
    from lms import progress as progress_module

    quiet = runner.invoke(args=["lms", "import", str(courses)])
    assert quiet.exit_code == 0 and "importing" not in quiet.output  # tests, CI, cron: no bar

    steps: list[int] = []
    advance = progress_module._Bar.advance
    monkeypatch.setattr(progress_module._Bar, "advance", lambda bar, n, line=None: (steps.append(n),
                                                                                    advance(bar, n, line)))
    monkeypatch.setattr(progress_module, "is_terminal", lambda: True)
    shown = runner.invoke(args=["lms", "import", str(courses)])
    assert shown.exit_code == 0, shown.output
    assert "importing" in shown.output and "0 new revision(s), 18 unchanged" in shown.output
    assert steps == [6, 12, 1]  # the modules, the quizzes and scenarios, the enrolments


def test_a_changed_module_gets_a_new_revision_and_progress_keeps_the_old(
        app, client, runner, courses, make_user, login):
    runner.invoke(args=["lms", "import", str(courses)])
    login(make_user("trainee"))
    url = f"/courses/{COURSE}/overview-and-process"
    token = open_module(client, url)
    let_time_pass(app, "overview-and-process", 7)  # the module asks for 7 minutes of reading
    client.post(f"{url}/progress", data={"csrf_token": token, "reached_end": "y", "seconds": "420"})

    path = module_file(courses)
    path.write_text(path.read_text(encoding="utf-8") + "\n新增的一段说明。\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "import", str(courses)])
    assert "new revision: credit-card-collection/overview-and-process r2" in result.output
    with app.app_context():
        module = session.query(Module).filter_by(slug="overview-and-process").one()
        assert module.current_revision.number == 2
        assert "新增的一段说明" in module.current_revision.html
        progress = session.query(ModuleProgress).one()
        assert progress.revision.number == 1
    assert "新增的一段说明" in client.get(url).get_data(as_text=True)
    course_page = client.get(f"/courses/{COURSE}/").get_data(as_text=True)
    assert "学习后已更新" in course_page


def test_a_bad_file_changes_nothing(app, runner, courses):
    runner.invoke(args=["lms", "import", str(courses)])
    before = revisions(app)
    good = module_file(courses, "02-communication-techniques.md")
    good.write_text(good.read_text(encoding="utf-8") + "\n改动。\n", encoding="utf-8")
    bad = module_file(courses)
    bad.write_text(bad.read_text(encoding="utf-8").replace("title: 催收概述与流程\n", ""),
                   encoding="utf-8")
    result = runner.invoke(args=["lms", "import", str(courses)])
    assert result.exit_code == 1
    assert f"{bad}:2: 'title' is required" in result.output
    assert "nothing was imported" in result.output
    assert revisions(app) == before


def test_a_removed_module_is_archived_not_deleted(app, runner, courses):
    runner.invoke(args=["lms", "import", str(courses)])
    course_file = courses / COURSE / "course.yml"
    course_file.write_text(course_file.read_text(encoding="utf-8")
                           .replace("  - training-summary\n", ""), encoding="utf-8")
    module_file(courses, "06-training-summary.md").unlink()
    result = runner.invoke(args=["lms", "import", str(courses)])
    assert "archived: credit-card-collection/training-summary" in result.output
    with app.app_context():
        archived = session.query(Module).filter_by(slug="training-summary").one()
        assert archived.is_archived and archived.current_revision is not None


def test_images_are_served_from_the_database(app, client, runner, courses, make_user, login):
    folder = courses / COURSE
    (folder / "images").mkdir()
    (folder / "images" / "flow.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', encoding="utf-8")
    path = module_file(courses)
    path.write_text(path.read_text(encoding="utf-8") + "\n![催收流程图](images/flow.svg)\n",
                    encoding="utf-8")
    assert runner.invoke(args=["lms", "import", str(courses)]).exit_code == 0
    shutil.rmtree(folder / "images")  # served from the database, not the disk
    login(make_user("trainee"))
    page = client.get(f"/courses/{COURSE}/overview-and-process").get_data(as_text=True)
    assert 'src="assets/images/flow.svg"' in page
    response = client.get(f"/courses/{COURSE}/assets/images/flow.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert client.get(f"/courses/{COURSE}/assets/images/other.svg").status_code == 404


@pytest.fixture
def content_copy(tmp_path):
    """Copies of the shipped courses and quizzes, apart from the configured folders."""
    shutil.copytree(SHIPPED_COURSES, tmp_path / "copy" / "courses")
    shutil.copytree(SHIPPED_QUIZZES, tmp_path / "copy" / "quizzes")
    return tmp_path / "copy"


def test_check_and_import_read_the_quizzes_folder_given(app, runner, content_copy):
    quiz = content_copy / "quizzes" / COURSE / "process-quiz.md"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("pass_mark: 80", "pass_mark: 800"),
                    encoding="utf-8")
    args = [str(content_copy / "courses"), str(content_copy / "quizzes")]
    result = runner.invoke(args=["lms", "check", *args])
    assert result.exit_code == 1 and f"{quiz}:3: 'pass_mark'" in result.output, result.output
    result = runner.invoke(args=["lms", "check", args[0], str(content_copy / "quizzes" / COURSE)])
    assert result.exit_code == 1 and f"{quiz}:3: 'pass_mark'" in result.output, result.output

    quiz.write_text(quiz.read_text(encoding="utf-8").replace("pass_mark: 800", "pass_mark: 70"),
                    encoding="utf-8")
    result = runner.invoke(args=["lms", "import", *args])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from lms.assessments.models import Activity

        activity = session.query(Activity).filter_by(slug="process-quiz").one()
        assert activity.current_revision.data["settings"]["pass_mark"] == 70


def test_a_path_read_by_nothing_is_an_error(runner, content_copy, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    for stray in (tmp_path / "empty", tmp_path / "notes.txt"):
        result = runner.invoke(args=["lms", "check", str(content_copy / "courses"), str(stray)])
        assert result.exit_code == 1 and f"{stray}:1: read by nothing" in result.output, result.output
