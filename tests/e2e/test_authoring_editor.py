"""The trainer's source editor in Chromium: the preview follows the text, a validation error shows
at its line in the gutter, the fix clears it, publishing reaches trainees while a trainee who
finished the module earlier keeps the revision they read. Accessible, and readable on a phone."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from lms.accounts import services as accounts
from lms.authoring import services
from lms.authoring.items import Item, current
from lms.authoring.models import MODULE as MODULE_KIND
from lms.db import session
from lms.learning import services as learning
from lms.learning.models import ModuleProgress, ModuleRevision

from ..conftest import COURSE, PASSWORD, TEST_CONFIG, _build_app, _migrate, complete_modules, import_content
from .conftest import serve
from .test_accessibility import _serious
from .test_trainee_journey import DESKTOP, PHONE

MODULE = "overview-and-process"
EDITOR = f"/author/{COURSE}/module/{MODULE}"
NEW_TEXT = "浏览器里新写的一段说明。"
AUTOSAVED = "停笔片刻后自动保存的一段。"


@pytest.fixture(scope="module")
def editor_server(tmp_path_factory) -> Iterator[tuple[str, object]]:
    """The shipped course on a server of its own (publishing here changes what others read),
    with a trainer and two trainees, one of whom finished the first module already."""
    folder = tmp_path_factory.mktemp("editor-live")
    url = f"sqlite:///{folder / 'lms.db'}"
    _migrate(url, folder / "instance")
    app = _build_app({**TEST_CONFIG, "TESTING": False, "SQLALCHEMY_DATABASE_URI": url}, folder / "instance")
    with app.app_context():
        for username, name, roles, number in [("teacher", "李培训", ["trainer"], "T6001"),
                                              ("early", "钱早读", ["trainee"], "E6001"),
                                              ("reader", "孙后读", ["trainee"], "E6002")]:
            accounts.create_user(username, PASSWORD, roles, accounts.UserDetails(
                display_name=name, employee_no=number, department="信用卡催收一部"))
        session.commit()
    import_content(app)
    with app.app_context():
        early = accounts.find_user("early").id
    complete_modules(app, early, COURSE, 1)
    base, server = serve(app)
    yield base, app
    server.shutdown()


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:not([name])")
    page.wait_for_url(f"{base}/")


def select_line(page, number: int) -> None:
    """Put the cursor on line ``number`` the way a link to it does, then select the line."""
    page.evaluate(f"window.location.hash = '#L{number}'")
    page.keyboard.press("Home")
    page.keyboard.press("Shift+End")


def gutter_line_of(page, marker) -> int:
    """The number in the line-number gutter level with ``marker``."""
    top = marker.bounding_box()["y"]
    numbers = page.locator(".cm-lineNumbers .cm-gutterElement")
    for i in range(numbers.count()):
        box = numbers.nth(i).bounding_box()
        text = numbers.nth(i).inner_text().strip()
        if box and text.isdigit() and abs(box["y"] - top) < 4:
            return int(text)
    raise AssertionError("no line number level with the marker")


def test_edit_preview_fix_publish_and_what_trainees_read(browser, editor_server, artifacts):
    base, app = editor_server
    context = browser.new_context(locale="zh-CN", **DESKTOP)
    page = context.new_page()
    sign_in(page, base, "teacher")
    page.goto(base + EDITOR)
    editor = page.locator(".cm-content")
    expect(editor).to_be_visible()
    expect(page.locator("textarea#source")).to_be_hidden()  # still in the form, posted as before
    expect(page.locator(".cm-lineNumbers")).to_contain_text("14")
    preview = page.get_by_test_id("preview")
    expect(preview).to_contain_text("信用卡催收")

    # typing changes the preview (debounced, rendered by the server)
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n\n" + NEW_TEXT)
    expect(preview).to_contain_text(NEW_TEXT)

    # a validation error, at its line in the gutter and in the list, with lms check's message
    select_line(page, 4)
    page.keyboard.type("minutes: 0")
    marker = page.locator(".cm-gutter-lint .cm-gutterElement:has(.cm-lint-marker-error)")
    expect(marker).to_have_count(1)
    assert gutter_line_of(page, marker.first) == 4
    problem = page.get_by_test_id("problems").locator("li")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text(f"courses/{COURSE}/01-overview-and-process.md:4: 'minutes' must be")
    expect(problem.locator("a")).to_have_attribute("href", "#L4")
    expect(page.locator("[data-preview-stale]")).to_be_visible()
    page.screenshot(path=str(artifacts / "author-editor-error.png"))

    # fixed: the marker goes, the preview is current again
    select_line(page, 4)
    page.keyboard.type("minutes: 14")
    expect(marker).to_have_count(0)
    expect(problem).to_have_count(0)
    expect(page.locator("[data-preview-stale]")).to_be_hidden()
    expect(preview).to_contain_text(NEW_TEXT)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / "author-editor.png"))  # docs/images/author-editor.png

    page.fill("#message", "补充一段说明")
    page.get_by_role("button", name="发布").click()
    expect(page.locator(".flash")).to_contain_text("已发布")
    context.close()

    reader = browser.new_context(locale="zh-CN", **PHONE)
    page = reader.new_page()
    sign_in(page, base, "reader")
    page.goto(f"{base}/courses/{COURSE}/{MODULE}")
    expect(page.locator(".module__content")).to_contain_text(NEW_TEXT)
    reader.close()

    with app.app_context():
        course = learning.get_course(COURSE)
        module = next(m for m in course.modules if m.slug == MODULE)
        assert module.current_revision.number == 2 and NEW_TEXT in module.current_revision.source
        early = accounts.find_user("early")
        enrolment = learning.current_enrolment(early, course)
        progress = session.scalar(select(ModuleProgress).where(ModuleProgress.enrolment_id == enrolment.id,
                                                               ModuleProgress.module_id == module.id))
        read = session.get(ModuleRevision, progress.revision_id)
        assert read.number == 1 and NEW_TEXT not in read.source


@pytest.mark.parametrize("path", [EDITOR, f"/author/{COURSE}/activity/process-quiz",
                                  f"/author/{COURSE}/activity/scenario-privacy-request"])
def test_the_editor_page_has_no_serious_accessibility_problems(browser, editor_server, artifacts, path):
    base, _app = editor_server
    context = browser.new_context(locale="zh-CN", **DESKTOP)
    page = context.new_page()
    sign_in(page, base, "teacher")
    page.goto(base + path)
    expect(page.locator(".cm-content")).to_be_visible()
    problems = _serious(Axe().run(page), path)
    page.locator(".preview-pane").evaluate("pane => pane.scrollTop = pane.scrollHeight / 3")
    page.screenshot(path=str(artifacts / f"author-{path.rsplit('/', 1)[1]}.png"))
    context.close()
    assert not problems, "\n".join(problems)


def test_the_preview_is_readable_on_a_phone(browser, editor_server, artifacts):
    base, _app = editor_server
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    sign_in(page, base, "teacher")
    for path in (EDITOR, f"/author/{COURSE}/activity/process-quiz"):
        page.goto(base + path)
        preview = page.get_by_test_id("preview")
        expect(preview).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, (path, width)  # the page never scrolls sideways
        box = preview.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, (path, box)
    page.goto(base + EDITOR)
    page.screenshot(path=str(artifacts / "author-editor-375.png"))
    page.get_by_test_id("preview").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "author-editor-375-preview.png"))
    context.close()


def test_keyboard_only_line_links_and_tab_that_does_not_trap(browser, editor_server):
    base, _app = editor_server
    context = browser.new_context(locale="zh-CN", **DESKTOP)
    page = context.new_page()
    sign_in(page, base, "teacher")
    page.goto(f"{base}{EDITOR}#L30")  # a link to a line puts the cursor there
    expect(page.locator(".cm-lineNumbers .cm-activeLineGutter")).to_have_text("30")
    content = page.locator(".cm-content")
    expect(content).to_be_focused()
    page.keyboard.press("Tab")  # indents: the focus stays
    expect(content).to_be_focused()
    expect(page.locator(".cm-activeLine")).to_contain_text("  ")
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")  # Escape, then Tab leaves the editor
    expect(content).not_to_be_focused()
    assert page.evaluate("document.activeElement.closest('.cm-editor') === null")
    context.close()


def test_a_pause_in_typing_saves_a_draft_that_trainees_do_not_see(browser, editor_server):
    base, app = editor_server
    context = browser.new_context(locale="zh-CN", **DESKTOP)
    page = context.new_page()
    sign_in(page, base, "teacher")
    page.goto(base + EDITOR)
    page.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n\n" + AUTOSAVED)
    status = page.get_by_test_id("autosave-status")
    expect(status).to_have_text(re.compile(r"^草稿已自动保存 \d\d:\d\d$"), timeout=15_000)
    expect(page.locator("form[data-editor-form] input[name=version]")).to_have_value(re.compile(r"^\d+$"))
    page.reload()
    expect(page.locator(".cm-content")).to_be_visible()  # CodeMirror draws only the lines in view
    assert AUTOSAVED in page.evaluate("window.lmsEditor.view.state.doc.toString()")
    context.close()

    reader = browser.new_context(locale="zh-CN", **DESKTOP)
    page = reader.new_page()
    sign_in(page, base, "reader")
    page.goto(f"{base}/courses/{COURSE}/{MODULE}")
    expect(page.locator(".module__content")).to_be_visible()
    expect(page.locator(".module__content")).not_to_contain_text(AUTOSAVED)
    reader.close()
    with app.app_context():
        item = Item(COURSE, MODULE_KIND, MODULE)
        assert AUTOSAVED in services.draft_of(item).source and AUTOSAVED not in current(item).source
