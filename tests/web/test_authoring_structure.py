"""A course's structure in the browser: create each kind, rename, reorder, retire and restore,
and the course settings form (round trip, messages next to their fields, conflicts, four eyes)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from lms.assessments.models import CASE, QUIZ, SCENARIO, Activity
from lms.audit.models import AuditEntry
from lms.authoring.items import Item, course_item, current
from lms.authoring.services import draft_of
from lms.db import session
from lms.learning.models import Course, Module, ModuleProgress

from ..conftest import COURSE, complete_modules, csrf_token

PAGE = f"/author/{COURSE}/"
SETTINGS = f"/author/{COURSE}/settings"


@pytest.fixture
def trainer(client, shipped_course, make_user, login):
    login(make_user("trainer", display_name="李培训"))
    return client


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def post(client, path, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, PAGE), **data})


def publish_all(client, message="发布"):
    response = post(client, f"/author/{COURSE}/publish", message=message)
    assert response.status_code == 302
    return client.get(PAGE)


def sign_in_as(client, login, user):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(user)


def actions(app) -> list[str]:
    with app.app_context():
        return [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def hidden(page: str, form_for: str, name: str) -> str:
    """A hidden field's value in the first form that holds ``form_for``."""
    start = page.index(form_for)
    form = page[page.rindex("<form", 0, start):page.index("</form>", start)]
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"', form).group(1)


@pytest.mark.parametrize(("kind", "slug", "stored"), [
    ("module", "new-module", None), ("quiz", "privacy-quiz", QUIZ), ("case", "privacy-case", CASE),
    ("scenario", "privacy-call", SCENARIO), ("exam", "second-exam", QUIZ)])
def test_each_kind_is_created_as_a_valid_draft_then_published(trainer, client, app, kind, slug, stored):
    response = post(client, f"/author/{COURSE}/new", kind=kind, slug=slug, title="隐私保护 新内容",
                    module="precautions")
    item_kind = "module" if kind == "module" else "activity"
    assert response.status_code == 302 and response.location.endswith(f"/{item_kind}/{slug}")
    editor = text(client.get(response.location))
    assert 'class="problem problem--error' not in editor, editor  # the starter passes lms check
    assert "title: 隐私保护 新内容" in editor
    page = text(client.get(PAGE))
    assert "隐私保护 新内容" in page and "草稿" in page
    publish_all(client)
    with app.app_context():
        if kind == "module":
            module = session.scalar(select(Module).where(Module.slug == slug))
            assert module.current_revision.number == 1 and not module.is_archived
            assert module.position == 7  # after the six shipped modules
        else:
            activity = session.scalar(select(Activity).where(Activity.slug == slug))
            assert activity.kind == stored and activity.current_revision.number == 1
            listed = session.scalar(select(Module).where(Module.slug == "precautions"))
            assert slug in listed.current_revision.activities
    assert "content.created" in actions(app)


def test_a_new_item_needs_a_valid_unused_slug_and_a_title(trainer, client):
    response = post(client, f"/author/{COURSE}/new", kind="quiz", slug="Bad Slug", title="测验")
    assert response.status_code == 400
    page = text(response)
    assert 'id="slug-errors"' in page and "Bad Slug" in page  # what was typed is kept
    response = post(client, f"/author/{COURSE}/new", kind="quiz", slug="process-quiz", title="测验")
    assert response.status_code == 400 and "process-quiz" in text(response)
    assert 'id="slug-errors"' in text(response)
    response = post(client, f"/author/{COURSE}/new", kind="module", slug="fresh", title="")
    assert response.status_code == 400 and 'id="title-errors"' in text(response)


def test_rename_changes_the_title_and_a_published_slug_stays(trainer, client, app, make_user, login):
    item = f"/author/{COURSE}/module/precautions"
    editor = text(client.get(item))
    assert 'data-testid="item-actions"' in editor
    response = post(client, f"{item}/rename", title="注意事项（修订）", slug="precautions",
                    base_number="1", version="")
    assert response.status_code == 302
    refused = post(client, f"{item}/rename", title="注意事项", slug="cautions", base_number="1",
                   version=hidden(text(client.get(f"{item}/rename")), 'name="title"', "version"))
    assert refused.status_code == 400
    assert "学员的学习记录以名称“precautions”指向它" in text(refused) and 'id="slug-errors"' in text(refused)
    publish_all(client)
    sign_in_as(client, login, make_user("trainee"))
    assert "注意事项（修订）" in text(client.get(f"/courses/{COURSE}/"))
    assert "content.renamed" in actions(app)


def test_an_unpublished_item_can_change_its_slug(trainer, client, app):
    post(client, f"/author/{COURSE}/new", kind="quiz", slug="draft-quiz", title="草稿测验",
         module="precautions")
    response = post(client, f"/author/{COURSE}/activity/draft-quiz/rename", title="改名测验",
                    slug="renamed-quiz", base_number="", version="1")
    assert response.status_code == 302 and response.location.endswith("/activity/renamed-quiz")
    assert client.get(f"/author/{COURSE}/activity/draft-quiz").status_code == 404
    publish_all(client)
    with app.app_context():
        module = session.scalar(select(Module).where(Module.slug == "precautions"))
        assert "renamed-quiz" in module.current_revision.activities
        assert current(Item(COURSE, "activity", "renamed-quiz")).files[0][0] == "renamed-quiz.md"


def test_reorder_modules_and_activities_then_trainees_see_the_order(trainer, client, app, make_user, login):
    page = text(client.get(PAGE))
    assert 'aria-label="将“沟通与催收技巧”上移"' in page
    base = hidden(page, 'name="slug" value="communication-techniques"', "base_number")
    assert post(client, f"/author/{COURSE}/move", kind="module", slug="communication-techniques",
                direction="up", base_number=base, version="").status_code == 302
    with app.app_context():
        source = draft_of(course_item(COURSE)).source
    assert source.index("communication-techniques") < source.index("overview-and-process")
    assert "# modules must be completed in order" in source  # comments stay
    page = text(client.get(PAGE))
    version = hidden(page, 'name="slug" value="case-refuses-to-pay"', "version")
    assert post(client, f"/author/{COURSE}/move", kind="activity", slug="case-refuses-to-pay",
                module="overview-and-process", direction="up", base_number="1",
                version=version).status_code == 302
    # a click from a page showing the old order is refused, nothing overwritten
    stale = post(client, f"/author/{COURSE}/move", kind="module", slug="precautions", direction="up",
                 base_number=base, version="")
    assert stale.status_code == 409 and 'data-testid="conflict-diff"' in text(stale)
    publish_all(client)
    assert "content.reordered" in actions(app)

    sign_in_as(client, login, make_user("trainee"))
    course_page = text(client.get(f"/courses/{COURSE}/"))
    assert course_page.index("沟通与催收技巧") < course_page.index("催收概述与流程")
    with app.app_context():
        module = session.scalar(select(Module).where(Module.slug == "overview-and-process"))
        assert list(module.current_revision.activities) == ["case-refuses-to-pay", "process-quiz"]


def test_retire_asks_first_keeps_results_and_can_be_restored(trainer, client, app, make_user):
    trainee = make_user("trainee")
    complete_modules(app, trainee.id, COURSE, 4)
    item = f"/author/{COURSE}/module/field-visits"
    confirm = text(client.get(f"{item}/retire"))
    assert 'data-testid="retire-confirm"' in confirm and "1" in confirm
    with app.app_context():
        module = session.scalar(select(Module).where(Module.slug == "field-visits"))
        assert module.is_archived is False  # asking changes nothing
        seen = session.scalar(select(ModuleProgress.revision_id).where(ModuleProgress.module_id == module.id))
    assert post(client, f"{item}/retire", message="合并到注意事项").status_code == 302
    with app.app_context():
        module = session.scalar(select(Module).where(Module.slug == "field-visits"))
        assert module.is_archived and module.current_revision_id == seen
        kept = session.scalar(select(ModuleProgress.revision_id).where(ModuleProgress.module_id == module.id))
        assert kept == seen
    page = text(client.get(PAGE))
    retired = page[page.index('data-testid="retired"'):]
    assert "field-visits" in retired
    assert "content.retired" in actions(app)

    assert post(client, f"{item}/restore").status_code == 302
    publish_all(client)
    with app.app_context():
        module = session.scalar(select(Module).where(Module.slug == "field-visits"))
        assert not module.is_archived and module.position == 6
    assert "content.restored" in actions(app)


def test_retiring_an_activity_takes_it_out_of_its_module(trainer, client, app):
    assert post(client, f"/author/{COURSE}/activity/case-refuses-to-pay/retire").status_code == 302
    with app.app_context():
        activity = session.scalar(select(Activity).where(Activity.slug == "case-refuses-to-pay"))
        assert activity.is_archived and activity.current_revision.number == 1
        module = session.scalar(select(Module).where(Module.slug == "overview-and-process"))
        assert "case-refuses-to-pay" not in module.current_revision.activities
    assert post(client, f"/author/{COURSE}/activity/case-refuses-to-pay/restore",
                module="overview-and-process").status_code == 302
    publish_all(client)
    with app.app_context():
        module = session.scalar(select(Module).where(Module.slug == "overview-and-process"))
        assert "case-refuses-to-pay" in module.current_revision.activities


def settings_data(client) -> dict[str, str]:
    """The settings form as the browser would send it back unchanged."""
    page = client.get(SETTINGS).get_data(as_text=True)
    data = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if kind and kind.group(1) == "checkbox":
            if "checked" in tag:
                data[name.group(1)] = "y"
        else:
            data[name.group(1)] = unescape(value.group(1)) if value else ""
    description = re.search(r'<textarea[^>]*name="description"[^>]*>(.*?)</textarea>', page, re.S)
    data["description"] = unescape(description.group(1)).lstrip("\n")
    selected = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', page)
    data["template"] = (selected.group(1) or selected.group(2)) if selected else ""
    return data


def test_settings_round_trip_keeps_the_file_and_publishes(trainer, client, app):
    data = settings_data(client)
    assert data["title"] == "信用卡催收合规培训" and data["hours"] == "6" and data["due_days"] == "30"
    response = client.post(SETTINGS, data={**data, "action": "save"})
    assert response.status_code == 302  # nothing changed: nothing to save
    with app.app_context():
        assert draft_of(course_item(COURSE)) is None

    data = settings_data(client)
    response = client.post(SETTINGS, data={**data, "hours": "8", "signatory": "王主任", "action": "save"})
    assert response.status_code == 302
    with app.app_context():
        source = draft_of(course_item(COURSE)).source
    assert "hours: 8\n" in source and "signatory: 王主任" in source
    assert "# modules must be completed in order" in source  # untouched lines keep their comments
    data = settings_data(client)
    assert data["hours"] == "8"
    response = client.post(SETTINGS, data={**data, "action": "publish", "message": "学时调整"})
    assert response.status_code == 302
    with app.app_context():
        course = session.scalar(select(Course).where(Course.slug == COURSE))
        assert course.hours == 8 and course.settings["certificate"]["signatory"] == "王主任"
        assert current(course_item(COURSE)).message == "学时调整"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("title", "", "'title' is required"),
    ("hours", "六", "'hours' must be a positive number"),
    ("due_days", "0", "'enrolment.due_days' must be a whole number"),
    ("min_share", "2", "'reading.min_share' must be a number from 0 to 1"),
    ("min_chars", "-1", "'summary.min_chars' must be a whole number"),
    ("scenario_min_score", "101", "'completion.scenario_min_score' must be a whole number"),
    ("validity_months", "999", "'certificate.validity_months' must be a whole number"),
    ("template", "nowhere", "'certificate.template' must be a folder"),
])
def test_each_invalid_setting_is_shown_next_to_its_field(trainer, client, app, name, value, message):
    data = settings_data(client)
    response = client.post(SETTINGS, data={**data, name: value, "action": "save"})
    assert response.status_code == 400
    page = text(response)
    errors = re.search(rf'<ul class="errors" id="{name}-errors">(.*?)</ul>', page, re.S)
    assert errors and message in errors.group(1), page
    assert f'aria-describedby="{name}-errors"' in page or name == "template"
    with app.app_context():
        assert draft_of(course_item(COURSE)) is None  # nothing saved


def test_a_stale_settings_form_is_refused(trainer, client, app):
    first, second = settings_data(client), settings_data(client)
    assert client.post(SETTINGS, data={**first, "hours": "7", "action": "save"}).status_code == 302
    response = client.post(SETTINGS, data={**second, "hours": "9", "action": "save"})
    assert response.status_code == 409
    assert 'data-testid="conflict-diff"' in text(response) and 'value="9"' in text(response)
    with app.app_context():
        assert "hours: 7" in draft_of(course_item(COURSE)).source


def test_settings_under_four_eyes_need_a_second_author(trainer, client, app, make_user, login):
    data = settings_data(client)
    response = client.post(SETTINGS, data={**data, "review_required": "y", "action": "publish"})
    assert response.status_code == 302
    data = settings_data(client)
    response = client.post(SETTINGS, data={**data, "hours": "5", "action": "publish"})
    assert response.status_code == 302  # kept as a draft that waits for a second author
    with app.app_context():
        assert "hours: 5" not in current(course_item(COURSE)).source
    item = f"/author/{COURSE}/course/{COURSE}"
    version = hidden(text(client.get(item)), 'value="approve"', "version")
    assert post(client, item, action="approve", version=version).status_code == 302
    with app.app_context():
        assert draft_of(course_item(COURSE)).approved_by is None  # the author cannot approve

    sign_in_as(client, login, make_user("trainer", display_name="王审核"))
    assert post(client, item, action="approve", version=version).status_code == 302
    data = settings_data(client)
    assert client.post(SETTINGS, data={**data, "action": "publish"}).status_code == 302
    with app.app_context():
        revision = current(course_item(COURSE))
        assert revision.approved_by == "王审核" and "hours: 5" in revision.source
    assert "content.approved" in actions(app)


ROUTES = [("GET", PAGE), ("GET", f"/author/{COURSE}/new"), ("POST", f"/author/{COURSE}/new"),
          ("POST", f"/author/{COURSE}/move"), ("POST", f"/author/{COURSE}/publish"),
          ("GET", SETTINGS), ("POST", SETTINGS),
          ("GET", f"/author/{COURSE}/module/precautions/rename"),
          ("POST", f"/author/{COURSE}/module/precautions/rename"),
          ("GET", f"/author/{COURSE}/module/precautions/retire"),
          ("POST", f"/author/{COURSE}/module/precautions/retire")]


@pytest.mark.parametrize("role", ["trainee", "hr"])
def test_trainees_and_hr_get_403(client, shipped_course, make_user, login, app, role):
    login(make_user(role))
    token = csrf_token(client, "/")
    for method, path in ROUTES:
        response = client.get(path) if method == "GET" else client.post(path, data={"csrf_token": token})
        assert response.status_code == 403, (method, path)
    with app.app_context():
        assert not session.scalar(select(Module).where(Module.is_archived.is_(True)))


def test_every_action_is_a_keyboard_reachable_control(trainer, client):
    page = client.get(PAGE).get_data(as_text=True)
    assert 'tabindex="-1"' not in page
    buttons = re.findall(r"<button[^>]*>", page)
    moves = [b for b in buttons if "aria-label=" in b]
    assert len(moves) >= 2 * 6 and all('type="submit"' in b for b in moves)
    assert re.search(r'<a href="/author/[^"]+/retire">', page)


@pytest.mark.parametrize(("kind", "slug", "owner"), [
    ("module", "fresh-module", course_item(COURSE)),
    ("quiz", "fresh-quiz", Item(COURSE, "module", "precautions"))])
def test_discarding_a_new_item_takes_it_out_of_the_list_its_creation_added_it_to(trainer, client, app,
                                                                                  kind, slug, owner):
    created = post(client, f"/author/{COURSE}/new", kind=kind, slug=slug, title="临时新内容",
                   module="precautions")
    with app.app_context():
        assert draft_of(owner) is not None and slug in draft_of(owner).source
    discarded = post(client, created.location, action="discard")
    assert discarded.status_code == 302 and discarded.location.endswith(PAGE)  # the item is gone
    with app.app_context():
        assert draft_of(owner) is None  # the list draft held only the new entry: dropped with it
        assert draft_of(Item(COURSE, "module" if kind == "module" else "activity", slug)) is None
    # the course's other drafts still publish
    response = client.post(SETTINGS, data={**settings_data(client), "hours": "8", "action": "save"})
    assert response.status_code == 302
    publish_all(client)
    with app.app_context():
        assert "hours: 8\n" in current(course_item(COURSE)).source and slug not in current(owner).source


def test_discarding_a_new_activity_keeps_the_other_changes_of_its_module_draft(trainer, client, app):
    module = Item(COURSE, "module", "precautions")
    for kind, slug, title in (("quiz", "kept-quiz", "保留的测验"), ("case", "dropped-case", "放弃的案例")):
        post(client, f"/author/{COURSE}/new", kind=kind, slug=slug, title=title, module="precautions")
    post(client, f"/author/{COURSE}/activity/dropped-case", action="discard")
    with app.app_context():
        source = draft_of(module).source
        assert "kept-quiz" in source and "dropped-case" not in source
    publish_all(client)
    with app.app_context():
        assert "kept-quiz" in current(module).source
