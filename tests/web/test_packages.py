"""`lms export` and `lms import FILE.zip`: the on-disk layout, round trips, drafts, refusals."""

from __future__ import annotations

import shutil
import zipfile

from sqlalchemy import select

from lms.assessments.models import Activity
from lms.audit.models import AuditEntry
from lms.authoring.items import Item, course_item, current
from lms.authoring.models import Draft
from lms.db import session
from lms.learning.models import Course, Module

from ..conftest import COURSE, SHIPPED_COURSES, SHIPPED_QUIZZES, _clear_postgres, import_content


def item_hashes(app) -> dict[str, str]:
    with app.app_context():
        found = {"course.yml": current(course_item(COURSE)).sha256}
        for module in session.scalars(select(Module)):
            found[module.slug] = module.current_revision.sha256
        for activity in session.scalars(select(Activity)):
            found[activity.slug] = activity.current_revision.sha256
        return found


def empty_database(app, database, tmp_path) -> None:
    with app.app_context():
        from lms.extensions import db

        db.engine.dispose()
    if database.backend == "postgresql":
        _clear_postgres(database.schema)
    else:
        shutil.copy(database.template, tmp_path / "lms.db")


def test_export_writes_the_on_disk_layout_and_the_zip_round_trips(app, runner, database, tmp_path):
    import_content(app)
    folder = tmp_path / "export"
    result = runner.invoke(args=["lms", "export", COURSE, "-o", str(folder)])
    assert result.exit_code == 0, result.output
    for shipped, exported in ((SHIPPED_COURSES / COURSE, folder / "courses" / COURSE),
                              (SHIPPED_QUIZZES / COURSE, folder / "quizzes" / COURSE)):
        names = sorted(p.relative_to(shipped).as_posix() for p in shipped.rglob("*") if p.is_file())
        assert sorted(p.relative_to(exported).as_posix() for p in exported.rglob("*")) == names
        assert all((shipped / n).read_bytes() == (exported / n).read_bytes() for n in names)

    package = tmp_path / "course.zip"
    assert runner.invoke(args=["lms", "export", COURSE, "-o", str(package)]).exit_code == 0
    before = item_hashes(app)
    again = runner.invoke(args=["lms", "import", str(package), "--publish"])
    assert again.exit_code == 0, again.output
    assert "0 new revision(s)" in again.output  # export → import on the same site: nothing new

    empty_database(app, database, tmp_path)
    result = runner.invoke(args=["lms", "import", str(package), "--publish", "--author", "李培训"])
    assert result.exit_code == 0, result.output
    assert f"added: {COURSE}/course.yml" in result.output
    assert item_hashes(app) == before
    with app.app_context():
        assert session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) \
            == "package.imported"


def test_a_package_is_kept_as_drafts_unless_published(app, runner, tmp_path):
    import_content(app)
    package = tmp_path / "course.zip"
    runner.invoke(args=["lms", "export", COURSE, "-o", str(package)])
    edited = tmp_path / "edited.zip"
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(edited, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("01-overview-and-process.md"):
                data += "\n补充说明。\n".encode()
            if not info.filename.endswith("techniques-quiz.md"):
                target.writestr(info, data)
    result = runner.invoke(args=["lms", "import", str(edited)])
    assert result.exit_code == 1, result.output  # a module still names the removed quiz
    assert "activity 'techniques-quiz' not found" in result.output
    assert "nothing was imported" in result.output

    with zipfile.ZipFile(package) as source, zipfile.ZipFile(edited, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("01-overview-and-process.md"):
                data += "\n补充说明。\n".encode()
            target.writestr(info, data)
    result = runner.invoke(args=["lms", "import", str(edited)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"changed: {COURSE}/overview-and-process"
    assert "0 new revision(s)" in result.output and "1 draft(s) saved" in result.output
    with app.app_context():
        draft = session.scalar(select(Draft))
        assert draft.slug == "overview-and-process" and draft.source.endswith("补充说明。\n")
        assert current(Item(COURSE, "module", "overview-and-process")).number == 1


def test_a_hostile_package_changes_nothing(app, runner, tmp_path):
    package = tmp_path / "evil.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.write(SHIPPED_COURSES / COURSE / "course.yml", f"courses/{COURSE}/course.yml")
        archive.writestr("../../evil.md", b"x")
    result = runner.invoke(args=["lms", "import", str(package), "--publish"])
    assert result.exit_code == 1
    assert f"{package}: ../../evil.md: 路径指向课程包之外" in result.output  # the configured locale
    assert "nothing was imported" in result.output
    with app.app_context():
        assert session.scalar(select(Course)) is None


def test_revisions_stored_before_file_names_were_kept_learn_them_on_the_next_import(app, runner, tmp_path):
    import_content(app)
    with app.app_context():
        exam = session.scalar(select(Activity).where(Activity.slug == "final-exam")).current_revision
        exam.files = None
        session.commit()
    import_content(app)
    with app.app_context():
        exam = session.scalar(select(Activity).where(Activity.slug == "final-exam")).current_revision
        assert exam.number == 1 and [name for name, _ in exam.files] == ["final-exam.gift", "final-exam.yml"]
