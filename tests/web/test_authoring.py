"""Authoring services: drafts, publishing, history, diff, rollback, conflicts, four eyes and
retirement, on a small course."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.assessments.models import Activity
from lms.audit.models import AuditEntry
from lms.authoring import services
from lms.authoring.items import Item, course_item, current, history
from lms.authoring.models import Draft
from lms.content import ContentErrors
from lms.db import session
from lms.learning.models import Module

from ..conftest import import_content, write_content

SLUG = "demo"
COURSE_YML = "title: 演示课程\nmodules:\n  - intro\n  - rules\n"
INTRO = "---\ntitle: 引言\nactivities: [intro-quiz]\n---\n# 引言\n\n第一版正文。\n"
RULES = "---\ntitle: 规范\n---\n# 规范\n\n不得骚扰借款人的亲友。\n"
QUIZ = ("---\ntitle: 随堂测验\npass_mark: 80\n---\n## 催收时可以向借款人的亲友透露欠款吗？\n"
        "- [ ] 可以\n- [x] 不可以\n")
INTRO_ITEM = Item(SLUG, "module", "intro")


@pytest.fixture
def demo(app, tmp_path):
    """The small course, published once by 张三; yields inside an app context."""
    def make(course_yml=COURSE_YML):
        courses, quizzes = write_content(tmp_path, SLUG, {
            "course.yml": course_yml, "01-intro.md": INTRO, "02-rules.md": RULES},
            {"intro-quiz.md": QUIZ})
        import_content(app, courses, quizzes, author="张三")
        with app.app_context():
            yield
    return make


@pytest.fixture
def course(demo):
    yield from demo()


@pytest.fixture
def reviewed_course(demo):
    yield from demo(COURSE_YML + "review_required: true\n")


def actions():
    return [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_a_draft_changes_nothing_until_it_is_published(course):
    changed = INTRO.replace("第一版", "第二版")
    draft = services.save_draft(INTRO_ITEM, changed, "李四", base_number=1)
    session.commit()
    assert draft.version == 1 and draft.author == "李四" and draft.base_number == 1
    module = session.scalar(select(Module).where(Module.slug == "intro"))
    assert module.current_revision.number == 1 and "第一版" in module.current_revision.html

    report = services.publish(SLUG, "李四", "改写正文")
    session.commit()
    assert report.revisions_created == [f"{SLUG}/intro r2"]
    revision = current(INTRO_ITEM)
    assert (revision.number, revision.author, revision.message) == (2, "李四", "改写正文")
    assert "第二版" in revision.html and revision.files == [["01-intro.md", len(changed)]]
    assert [r.number for r in history(INTRO_ITEM)] == [1, 2]
    assert services.draft_of(INTRO_ITEM) is None
    assert actions()[-1] == "content.published"


def test_saving_the_published_source_drops_the_draft(course):
    services.save_draft(INTRO_ITEM, INTRO + "多一行。\n", "李四", base_number=1)
    draft = services.draft_of(INTRO_ITEM)
    assert services.save_draft(INTRO_ITEM, INTRO, "李四", 1, draft.version) is None
    assert session.scalar(select(Draft)) is None


def test_publishing_an_invalid_draft_reports_path_line_and_changes_nothing(course):
    services.save_draft(INTRO_ITEM, INTRO.replace("title: 引言\n", "title: 引言\nminutes: 0\n"),
                        "李四", base_number=1)
    with pytest.raises(ContentErrors) as raised:
        services.publish(SLUG, "李四")
    assert [str(e) for e in raised.value.errors] == [
        "courses/demo/01-intro.md:3: 'minutes' must be a whole number from 1 to 600"]
    assert current(INTRO_ITEM).number == 1 and services.draft_of(INTRO_ITEM) is not None


def test_diff_and_rollback_publish_the_old_source_as_a_new_revision(course):
    services.save_draft(INTRO_ITEM, INTRO.replace("第一版", "第二版"), "李四", base_number=1)
    services.publish(SLUG, "李四")
    diff = services.diff(INTRO_ITEM, 1, 2)
    assert "-第一版正文。\n+第二版正文。" in diff and diff.startswith("--- demo/intro r1")

    services.rollback(INTRO_ITEM, 1, "王五", "错误的修改")
    session.commit()
    revisions = history(INTRO_ITEM)
    assert [r.number for r in revisions] == [1, 2, 3]
    assert revisions[2].source == revisions[0].source and revisions[2].message == "错误的修改"
    assert revisions[2].author == "王五"
    assert {"content.rolled_back", "content.published"} <= set(actions())


def test_a_save_based_on_an_outdated_revision_is_refused_with_what_changed(course):
    services.save_draft(INTRO_ITEM, INTRO.replace("第一版", "第二版"), "李四", base_number=1)
    services.publish(SLUG, "李四")
    with pytest.raises(services.Conflict) as raised:
        services.save_draft(INTRO_ITEM, INTRO + "王五的补充。\n", "王五", base_number=1)
    assert "r2" in str(raised.value) and "+第二版正文。" in raised.value.diff
    assert services.draft_of(INTRO_ITEM) is None


def test_a_save_over_a_newer_draft_is_refused(course):
    first = services.save_draft(INTRO_ITEM, INTRO + "李四。\n", "李四", base_number=1)
    services.save_draft(INTRO_ITEM, INTRO + "李四又改。\n", "李四", 1, first.version)
    with pytest.raises(services.Conflict) as raised:
        services.save_draft(INTRO_ITEM, INTRO + "王五。\n", "王五", 1, version=1)
    assert "李四" in str(raised.value) and "+李四又改。" in raised.value.diff
    assert "李四又改" in services.draft_of(INTRO_ITEM).source


def test_publishing_a_draft_on_an_outdated_revision_is_refused(course, tmp_path, app):
    services.save_draft(INTRO_ITEM, INTRO + "草稿。\n", "李四", base_number=1)
    session.commit()
    other = INTRO.replace("第一版", "文件版")
    (tmp_path / "courses" / SLUG / "01-intro.md").write_text(other, encoding="utf-8")
    import_content(app, tmp_path / "courses", tmp_path / "quizzes", author="张三")
    with pytest.raises(services.Conflict) as raised:
        services.publish(SLUG, "李四")
    assert "+文件版正文。" in raised.value.diff
    assert current(INTRO_ITEM).source == other


def test_four_eyes_a_second_author_must_approve(reviewed_course):
    draft = services.save_draft(INTRO_ITEM, INTRO.replace("第一版", "合规版"), "李四", base_number=1)
    with pytest.raises(services.ReviewRequired):
        services.publish(SLUG, "李四")
    with pytest.raises(services.ReviewRequired):
        services.approve(INTRO_ITEM, "李四", draft.version)
    services.approve(INTRO_ITEM, "王五", draft.version)
    changed = services.save_draft(INTRO_ITEM, draft.source + "再改。\n", "李四", 1, draft.version)
    assert changed.approved_by is None  # a change after approval needs approval again
    with pytest.raises(services.ReviewRequired):
        services.publish(SLUG, "李四")
    services.approve(INTRO_ITEM, "王五", changed.version)
    services.publish(SLUG, "李四", "合规审核通过")
    session.commit()
    revision = current(INTRO_ITEM)
    assert (revision.number, revision.author, revision.approved_by) == (2, "李四", "王五")
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action.startswith("content."))).all()
    approved = [e for e in entries if e.action == "content.approved"]
    assert len(approved) == 2 and approved[0].details["author"] == "王五"
    assert approved[0].details["draft_author"] == "李四"
    assert entries[-1].action == "content.published" and entries[-1].details["approved_by"] == "王五"


def test_four_eyes_files_become_drafts_and_a_reviewer_can_send_one_back(reviewed_course, tmp_path, app):
    (tmp_path / "courses" / SLUG / "02-rules.md").write_text(RULES + "新增条款。\n", encoding="utf-8")
    report = import_content(app, tmp_path / "courses", tmp_path / "quizzes", author="张三")
    assert report.drafts_saved == ["demo/rules (changed)"] and not report.revisions_created
    rules = Item(SLUG, "module", "rules")
    draft = services.send_back(rules, "王五", "条款措辞需要法务确认")
    assert draft.review_comment == "条款措辞需要法务确认" and current(rules).number == 1


def test_retiring_a_module_keeps_its_revisions_and_leaves_course_yml(course):
    services.retire(Item(SLUG, "module", "rules"), "李四")
    session.commit()
    module = session.scalar(select(Module).where(Module.slug == "rules"))
    assert module.is_archived and module.current_revision.number == 1
    settings = current(course_item(SLUG))
    assert settings.number == 2 and "rules" not in settings.source
    assert settings.source == COURSE_YML.replace("  - rules\n", "")
    assert "content.retired" in actions()
    with pytest.raises(services.AuthoringError):
        services.retire(Item(SLUG, "module", "rules"), "李四")


def test_an_activity_a_module_still_names_cannot_be_retired(course):
    quiz = Item(SLUG, "activity", "intro-quiz")
    with pytest.raises(ContentErrors) as raised:
        services.retire(quiz, "李四")
    assert "activity 'intro-quiz' not found" in str(raised.value)
    session.rollback()
    services.save_draft(INTRO_ITEM, INTRO.replace("activities: [intro-quiz]\n", ""), "李四", 1)
    services.publish(SLUG, "李四")
    services.retire(quiz, "李四")
    activity = session.scalar(select(Activity).where(Activity.slug == "intro-quiz"))
    assert activity.is_archived and activity.current_revision.number == 1


def test_a_package_kept_as_drafts_carries_its_images_until_published(course):
    import io

    from lms.authoring.packages import export_tree, import_package, read_package
    from lms.authoring.tree import write_zip
    from lms.learning.models import CourseAsset

    tree = export_tree(SLUG)
    tree[f"courses/{SLUG}/images/flow.png"] = b"\x89PNG\r\n\x1a\n-flow-"
    tree[f"courses/{SLUG}/01-intro.md"] += "\n![催收流程](images/flow.png)\n".encode()
    package = io.BytesIO()
    write_zip(tree, package)
    package.seek(0)
    specs, found = read_package(package)
    assert sorted(map(str, found)) == [f"added: {SLUG}/images/flow.png", f"changed: {SLUG}/intro"]
    report = import_package(specs, "李四", publish_now=False)
    assert len(report.drafts_saved) == 2 and session.scalar(select(CourseAsset)) is None

    services.publish(SLUG, "王五")
    session.commit()
    asset = session.scalar(select(CourseAsset))
    assert asset.path == "images/flow.png" and asset.data.endswith(b"-flow-")
    assert current(INTRO_ITEM).number == 2 and 'src="assets/images/flow.png"' in current(INTRO_ITEM).html
