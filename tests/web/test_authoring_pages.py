"""The trainer's /author/ pages: items and states, editing with preview and messages, publishing,
conflicts, history, diff, rollback and the package download."""

from __future__ import annotations

import io
import re
import zipfile
from html import escape as html_escape

import pytest
from sqlalchemy import select

from lms.assessments.models import Activity
from lms.db import session
from lms.learning.models import Module

from ..conftest import COURSE, csrf_token

MODULE = "overview-and-process"
ITEM = f"/author/{COURSE}/module/{MODULE}"


@pytest.fixture
def trainer(client, shipped_course, make_user, login):
    login(make_user("trainer", display_name="李培训"))
    return client


def source_of(client) -> str:
    from html import unescape

    page = client.get(ITEM).get_data(as_text=True)
    start = page.index('name="source"')
    start = page.index(">", start) + 1
    return unescape(page[start:page.index("</textarea>", start)])


def post(client, action, source, base="1", version=""):
    return client.post(ITEM, data={"csrf_token": csrf_token(client, ITEM), "action": action,
                                   "source": source, "base_number": base, "version": version,
                                   "message": "改写"})


def test_edit_preview_publish_and_a_trainee_reads_the_new_text(trainer, client, make_user, login):
    index = client.get("/author/").get_data(as_text=True)
    assert "course.yml" in index and "r1" in index
    source = source_of(client)
    bad = source.replace("minutes: 14", "minutes: 0", 1)
    post(client, "save", bad)
    page = client.get(ITEM).get_data(as_text=True)
    assert f"courses/{COURSE}/01-overview-and-process.md:4: &#39;minutes&#39; must be" in page

    good = source + "\n新增的一段说明。\n"
    assert post(client, "save", good, version="1").status_code == 302
    page = client.get(ITEM).get_data(as_text=True)
    assert 'data-testid="preview"' in page and "新增的一段说明。" in page
    assert "草稿（有未发布的修改）" in client.get("/author/").get_data(as_text=True)
    assert post(client, "publish", good, version="2").status_code == 302

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("trainee", username="reader"))
    assert "新增的一段说明。" in client.get(f"/courses/{COURSE}/{MODULE}").get_data(as_text=True)


def test_a_stale_save_is_refused_with_what_changed(trainer, client):
    source = source_of(client)
    post(client, "publish", source + "\n第一位培训师的修改。\n")
    response = post(client, "save", source + "\n第二位培训师的修改。\n", base="1")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "+第一位培训师的修改。" in page and "第二位培训师的修改。" in page  # their text is kept


def test_history_diff_and_rollback(trainer, client):
    source = source_of(client)
    post(client, "publish", source + "\n第二版。\n")
    page = client.get(f"{ITEM}/history?a=1&b=2").get_data(as_text=True)
    assert "+第二版。" in page and "李培训" in page
    client.post(f"{ITEM}/history".replace("/history", "/rollback"),
                data={"csrf_token": csrf_token(client, ITEM), "number": "1"})
    page = client.get(f"{ITEM}/history?a=1&b=3").get_data(as_text=True)
    assert "r3" in page and 'data-testid="diff"' not in page and "rollback to r1" in page


def test_the_package_download_is_the_on_disk_layout(trainer, client):
    response = client.get(f"/author/{COURSE}/package.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert f"courses/{COURSE}/course.yml" in names and f"quizzes/{COURSE}/final-exam.gift" in names


def test_unknown_items_are_not_found(trainer, client):
    assert client.get(f"/author/{COURSE}/module/nope").status_code == 404
    assert client.get(f"/author/{COURSE}/lesson/{MODULE}").status_code == 404


def test_a_package_upload_is_checked_listed_and_applied(trainer, client, app):
    exported = zipfile.ZipFile(io.BytesIO(client.get(f"/author/{COURSE}/package.zip").data))
    edited = io.BytesIO()
    with zipfile.ZipFile(edited, "w") as target:
        for name in exported.namelist():
            data = exported.read(name)
            if name.endswith("01-overview-and-process.md"):
                data += "\n上传的修改。\n".encode()
            target.writestr(name, data)

    def upload(mode, data):
        return client.post("/author/packages/import", content_type="multipart/form-data", data={
            "csrf_token": csrf_token(client, "/author/packages/import"), "mode": mode,
            "package": (io.BytesIO(data), "course.zip")})

    page = upload("check", edited.getvalue()).get_data(as_text=True)
    assert f"修改: {COURSE}/{MODULE}" in page
    assert "上传的修改。" not in source_of(client)  # only checked: nothing applied
    assert upload("draft", edited.getvalue()).status_code == 200
    assert "上传的修改。" in source_of(client)

    hostile = io.BytesIO()
    with zipfile.ZipFile(hostile, "w") as archive:
        archive.writestr("../escape.md", b"x")
    response = upload("publish", hostile.getvalue())
    assert response.status_code == 400
    assert "course.zip: ../escape.md: 路径指向课程包之外" in response.get_data(as_text=True)


def test_four_eyes_in_the_browser(trainer, client, make_user, login):
    settings = f"/author/{COURSE}/course/{COURSE}"
    page = client.get(settings).get_data(as_text=True)
    assert "course.yml" in page
    from html import unescape

    start = page.index(">", page.index('name="source"')) + 1
    course_yml = unescape(page[start:page.index("</textarea>", start)])
    client.post(settings, data={"csrf_token": csrf_token(client, settings), "action": "publish",
                                "source": course_yml + "review_required: true\n", "base_number": "1"})
    source = source_of(client)
    post(client, "save", source + "\n合规修改。\n")
    post(client, "publish", source + "\n合规修改。\n", version="1")
    assert "合规修改" not in client.get(f"/courses/{COURSE}/{MODULE}").get_data(as_text=True)

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user("trainer", username="reviewer", display_name="王审核"))
    page = client.get(ITEM).get_data(as_text=True)
    assert 'data-testid="draft-diff"' in page and "+合规修改。" in page
    version = re.search(r'name="version" value="(\d+)"', page)[1]
    client.post(ITEM, data={"csrf_token": csrf_token(client, ITEM), "action": "approve", "version": version})
    post(client, "publish", source + "\n合规修改。\n", version=version)  # the approver may publish
    assert "合规修改。" in client.get(f"/courses/{COURSE}/{MODULE}").get_data(as_text=True)
    page = client.get(f"{ITEM}/history").get_data(as_text=True)
    assert "王审核" in page and "李培训" in page


def test_deleting_past_where_a_quiz_s_settings_begin_is_checked_not_a_server_error(trainer, client, app):
    """The final exam is a GIFT file and a settings file edited as one text; a GIFT file without a
    final newline puts the border inside a line."""
    from lms.authoring import services
    from lms.authoring.items import Item, current, revision_files
    from lms.authoring.models import ACTIVITY
    from lms.db import session

    url = f"/author/{COURSE}/activity/final-exam"
    with app.app_context():
        item = Item(COURSE, ACTIVITY, "final-exam")
        (gift, gift_chars), (settings, settings_chars) = revision_files(item, current(item))
        source = current(item).source
        text = source[:gift_chars - 1] + source[gift_chars:]
        services.save_draft(item, text, "王五", 1, files=[[gift, gift_chars - 1], [settings, settings_chars]])
        session.commit()
    cut = text[:gift_chars + 3]  # the settings cut down to their first characters
    token = csrf_token(client, url)
    preview = client.post(f"{url}/preview", json={"source": cut}, headers={"X-CSRFToken": token})
    assert preview.status_code == 200
    assert any("final-exam.yml" in p["message"] for p in preview.get_json()["problems"])
    saved = client.post(url, data={"csrf_token": token, "action": "save", "source": cut,
                                   "base_number": "1", "version": "1"})
    assert saved.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "final-exam.yml:1:" in page  # the problem, shown at its line under the editor
    for short in ("", "x"):
        answer = client.post(f"{url}/preview", json={"source": short}, headers={"X-CSRFToken": token})
        assert answer.status_code == 200


def test_the_course_page_looks_each_row_up_once(app, trainer, client):
    """The course's items are looked up many times while the page is built; the course, its
    modules, its activities and its drafts are each read at once."""
    from ..conftest import counted_queries

    client.get(f"/author/{COURSE}/")
    with counted_queries(app) as statements:
        page = client.get(f"/author/{COURSE}/").get_data(as_text=True)
    assert "催收概述与流程" in page
    for table in ("lms_courses", "lms_modules", "lms_activities", "lms_drafts"):
        reads = [s for s in statements if f"FROM {table} " in s or s.endswith(f"FROM {table}")]
        assert len(reads) <= (2 if table == "lms_drafts" else 1), (table, len(reads))


def test_the_course_page_shows_published_titles_without_reading_their_text(app, trainer, client):
    """A published module or activity is listed by its revision's stored title and activities;
    only a draft's settings are parsed. The course's modules and activities each have a text of
    their own: reading them one by one made the page 28 statements for the shipped course."""
    from ..conftest import counted_queries

    client.get(f"/author/{COURSE}/")
    with counted_queries(app) as statements:
        page = client.get(f"/author/{COURSE}/").get_data(as_text=True)
    texts = [s for s in statements
             if "lms_module_revisions.source" in s or "lms_activity_revisions.source" in s]
    assert texts == []
    assert len(statements) <= 12, statements
    with app.app_context():
        module = session.scalars(select(Module).where(Module.slug == "overview-and-process")).one()
        activity = session.scalars(select(Activity).where(Activity.current_revision_id.is_not(None))).first()
        titles = (module.current_revision.title, activity.current_revision.title)
    assert all(html_escape(title) in page for title in titles)
