"""A trainee signs in, reads a module to its end and sees their progress change."""

from __future__ import annotations

import pytest

from ..conftest import PASSWORD

PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def sign_in(page, live_server: str, username: str) -> None:
    page.goto(f"{live_server}/")
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:not([name])")
    page.wait_for_url(f"{live_server}/")


@pytest.mark.parametrize(("device", "username"), [("phone", "wang"), ("desktop", "li")])
def test_trainee_reads_a_module_and_progress_changes(browser, live_server, artifacts, device,
                                                     username):
    context = browser.new_context(locale="zh-CN", **(PHONE if device == "phone" else DESKTOP))
    page = context.new_page()
    sign_in(page, live_server, username)
    card = page.locator("[data-course=credit-card-collection]")
    before = card.locator("[data-testid=percent]").inner_text()
    page.screenshot(path=artifacts / f"dashboard-{device}.png", full_page=True)

    card.locator("a.next-step").click()
    page.wait_for_selector("article.module")
    content = page.locator(".module__content").inner_text()
    assert "理解客户情况" in content
    assert "不得利用暴力、威胁等手段进行催收" in page.content() or "暴力" in content
    page.screenshot(path=artifacts / f"module-{device}.png")
    page.locator("[data-module-end]").scroll_into_view_if_needed()
    page.wait_for_selector("[data-progress-status][data-state=completed]", timeout=10_000)

    page.goto(f"{live_server}/")
    after = card.locator("[data-testid=percent]").inner_text()
    assert before != after
    context.close()
