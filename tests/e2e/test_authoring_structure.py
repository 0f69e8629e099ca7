"""A trainer creates a module and moves it with the keyboard only, in real Chromium; the course
page and the settings form have no serious accessibility problem. Only drafts are made, so
trainees of the shared course see nothing change."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

from ..conftest import PASSWORD
from .test_accessibility import _serious
from .test_trainee_journey import DESKTOP

COURSE = "tiny"


def tab_to(page, matches: str, limit: int = 80) -> None:
    """Press Tab until the focused element satisfies the JS predicate ``matches`` (el => bool)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(matches => matches(document.activeElement))({matches})"):
            return
    raise AssertionError(f"never reached by Tab: {matches}")


def test_create_and_reorder_with_the_keyboard(browser, tiny_server):
    base, _ = tiny_server
    context = browser.new_context(locale="zh-CN", **DESKTOP)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "teacher")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:not([name])")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/author/{COURSE}/")
    problems = _serious(Axe().run(page), "course page")
    tab_to(page, "el => el.matches('a[href$=\"/new\"]')")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/author/{COURSE}/new")
    tab_to(page, "el => el.name === 'kind' && el.value === 'module'")
    page.keyboard.press("Space")
    tab_to(page, "el => el.name === 'title'")
    page.keyboard.type("键盘新建的单元")
    page.keyboard.press("Tab")
    page.keyboard.type("keyboard-module")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/author/{COURSE}/module/keyboard-module")
    assert "title: 键盘新建的单元" in page.input_value("#source")

    page.goto(f"{base}/author/{COURSE}/")
    rows = page.locator("tr.structure-module th")
    assert "键盘新建的单元" in rows.nth(1).inner_text()
    tab_to(page, "el => (el.getAttribute('aria-label') || '').includes('键盘新建的单元') "
                 "&& (el.getAttribute('aria-label') || '').endsWith('上移')")
    with page.expect_navigation():  # the move is a form: POST, then the course page again
        page.keyboard.press("Enter")
    assert "键盘新建的单元" in page.locator("tr.structure-module th").nth(0).inner_text()

    page.goto(f"{base}/author/{COURSE}/settings")
    problems += _serious(Axe().run(page), "settings")
    page.goto(f"{base}/author/{COURSE}/new")
    problems += _serious(Axe().run(page), "new")
    context.close()
    assert not problems, "\n".join(problems)
