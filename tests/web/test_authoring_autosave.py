"""The editor's autosave endpoint: the text kept as a draft, its version handed back, conflicts
refused with what changed, only for trainers."""

from __future__ import annotations

import pytest

from lms.authoring import services
from lms.authoring.items import Item, current
from lms.authoring.models import MODULE as MODULE_KIND
from lms.db import session

from ..conftest import COURSE, csrf_token
from .test_authoring_pages import ITEM, MODULE, source_of

DRAFT_URL = f"{ITEM}/draft"


@pytest.fixture
def trainer(client, shipped_course, make_user, login):
    login(make_user("trainer", display_name="李培训"))
    return client


def autosave(client, source, base=1, version=None):
    return client.post(DRAFT_URL, json={"source": source, "base_number": base, "version": version},
                       headers={"X-CSRFToken": csrf_token(client, ITEM)})


def test_autosave_keeps_a_draft_and_hands_back_its_version(trainer, client, app):
    source = source_of(client)
    first = autosave(client, source + "\n自动保存的一段。\n")
    assert first.status_code == 200 and first.get_json() == {"version": 1}
    second = autosave(client, source + "\n自动保存的一段，又改了。\n", version=1)
    assert second.get_json() == {"version": 2}
    assert "又改了" in source_of(client)
    with app.app_context():
        item = Item(COURSE, MODULE_KIND, MODULE)
        assert "自动保存" not in current(item).source  # trainees still get r1
        assert services.draft_of(item).author == "李培训"
    # the form's Publish, based on the version autosave handed back
    answer = client.post(ITEM, data={"csrf_token": csrf_token(client, ITEM), "action": "publish",
                                     "source": source + "\n自动保存的一段，又改了。\n", "base_number": "1",
                                     "version": "2", "message": "自动保存后发布"})
    assert answer.status_code == 302
    with app.app_context():
        assert "又改了" in current(Item(COURSE, MODULE_KIND, MODULE)).source


def test_a_repeated_identical_save_has_one_effect(trainer, client, app):
    text = source_of(client) + "\n同一段。\n"
    assert autosave(client, text).get_json() == {"version": 1}
    assert autosave(client, text).get_json() == {"version": 1}  # the same request again
    assert autosave(client, text, version=1).get_json() == {"version": 1}
    with app.app_context():
        assert services.draft_of(Item(COURSE, MODULE_KIND, MODULE)).version == 1


def test_the_published_text_leaves_no_draft(trainer, client, app):
    source = source_of(client)
    autosave(client, source + "\n改动。\n")
    assert autosave(client, source, version=1).get_json() == {"version": None}
    with app.app_context():
        assert services.draft_of(Item(COURSE, MODULE_KIND, MODULE)) is None


def test_a_newer_draft_by_someone_else_is_a_conflict_with_its_diff(trainer, client, app):
    source = source_of(client)
    with app.app_context():
        services.save_draft(Item(COURSE, MODULE_KIND, MODULE), source + "\n王五的修改。\n", "王五", 1)
        session.commit()
    answer = autosave(client, source + "\n我的修改。\n")
    assert answer.status_code == 409
    body = answer.get_json()
    assert "王五" in body["error"] and "+王五的修改。" in body["diff"] and "-我的修改。" in body["diff"]
    assert body["diff"].startswith("--- 你的版本\n+++ 草稿 v1\n")  # the labels in the page's language
    with app.app_context():
        assert "王五的修改" in services.draft_of(Item(COURSE, MODULE_KIND, MODULE)).source  # not overwritten


def test_a_save_on_an_outdated_revision_is_a_conflict(trainer, client, app):
    source = source_of(client)
    answer = autosave(client, source + "\n基于旧版本。\n", base=None)
    assert answer.status_code == 409 and "r1" in answer.get_json()["error"]
    assert answer.get_json()["diff"].startswith("--- （新建）\n+++ r1\n")


def test_bad_requests_are_refused(trainer, client):
    token = csrf_token(client, ITEM)
    assert client.post(DRAFT_URL, data="x", headers={"X-CSRFToken": token}).status_code == 400
    assert client.post(DRAFT_URL, json={"source": "x"}).status_code == 400  # no CSRF token
    assert client.post(f"/author/{COURSE}/module/nothing/draft", json={"source": "x"},
                       headers={"X-CSRFToken": token}).status_code == 404


@pytest.mark.parametrize("role", ["trainee", "hr"])
def test_trainees_and_hr_may_not_save_drafts(client, shipped_course, make_user, login, role):
    login(make_user(role))
    answer = client.post(DRAFT_URL, json={"source": "x"}, headers={"X-CSRFToken": csrf_token(client, "/")})
    assert answer.status_code == 403


def test_a_nul_in_the_text_is_refused_and_no_draft_is_kept(trainer, client, app):
    """JSON escapes let a NUL through where a form could not; PostgreSQL cannot store it."""
    answer = autosave(client, source_of(client) + "\n一段\u0000。\n")
    assert answer.status_code == 400 and "NUL" in answer.get_json()["error"]
    with app.app_context():
        assert services.draft_of(Item(COURSE, MODULE_KIND, MODULE)) is None


def test_a_draft_left_behind_by_an_import_is_not_saved_over_it(trainer, client, app, tmp_path):
    """r2 published by `lms import` while a draft of r1 was open: saving the draft is refused with
    what r2 changed, until the trainer keeps the draft on r2 (it silently replaced r2's change)."""
    import shutil

    from ..conftest import SHIPPED_COURSES, SHIPPED_QUIZZES, import_content

    source = source_of(client)
    assert autosave(client, source + "\n草稿里的一段。\n").get_json() == {"version": 1}
    courses = tmp_path / "courses"
    shutil.copytree(SHIPPED_COURSES, courses)
    [module_file] = (courses / COURSE).glob(f"*-{MODULE}.md")
    imported = module_file.read_text(encoding="utf-8") + "\n从代码库导入的一段。\n"
    module_file.write_text(imported, encoding="utf-8")
    import_content(app, courses, SHIPPED_QUIZZES)  # r2

    page = client.get(ITEM).get_data(as_text=True)
    assert 'data-testid="stale-draft"' in page and "从代码库导入的一段" in page  # the diff r1 → r2
    assert 'name="base_number" value="1"' in page
    refused = autosave(client, source + "\n草稿里的一段，又改了。\n", base=1, version=1)
    assert refused.status_code == 409
    token = csrf_token(client, ITEM)
    form = {"csrf_token": token, "base_number": "1", "version": "1"}
    saved = client.post(ITEM, data={**form, "action": "save", "source": source + "\n草稿里的一段。\n"})
    assert saved.status_code == 409
    text = source + "\n从代码库导入的一段。\n\n草稿里的一段。\n"  # r2's change taken in
    kept = client.post(ITEM, data={**form, "action": "rebase", "source": text})
    assert kept.status_code == 302
    with app.app_context():
        draft = services.draft_of(Item(COURSE, MODULE_KIND, MODULE))
        assert draft.base_number == 2 and "从代码库导入的一段" in draft.source
    assert 'data-testid="stale-draft"' not in client.get(ITEM).get_data(as_text=True)


def test_a_text_over_the_limit_is_refused_with_the_reason(trainer, client, app):
    answer = autosave(client, source_of(client) + "长" * 200_000)
    assert answer.status_code == 400 and "512 KB" in answer.get_json()["error"]
    with app.app_context():
        assert services.draft_of(Item(COURSE, MODULE_KIND, MODULE)) is None
