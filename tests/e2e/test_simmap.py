"""A trainer sees a call simulation as a map in Chromium: drawn in Chinese, under the page's
policy, accessible, and each step a link to its line in the editor."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from lms.authoring import simmap

from .conftest import TRAINER
from .test_accessibility import _serious
from .test_trainee_journey import DESKTOP, PHONE, sign_in

ITEM = "/author/credit-card-collection/activity/scenario-refuses-to-pay"
pytestmark = pytest.mark.skipif(not simmap.dot_available(), reason="Graphviz's dot is not installed")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_trainer_reads_the_map_and_jumps_to_a_step(browser, live_server, artifacts, device):
    context = browser.new_context(locale="zh-CN", **(PHONE if device == "phone" else DESKTOP))
    page = context.new_page()
    sign_in(page, live_server, TRAINER)
    page.goto(live_server + ITEM)
    drawing = page.locator("[data-testid=simmap-svg] svg")
    box = drawing.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 600
    page.locator("[data-testid=simmap-svg]").screenshot(path=str(artifacts / f"simmap-{device}.png"))
    # the drawn text is Chinese in a CJK font, not boxes: its width is that of the characters
    title = drawing.locator("text", has_text="电话接通").first
    assert title.bounding_box()["width"] > 40
    assert drawing.get_attribute("aria-labelledby") == "simmap-title"
    problems = _serious(Axe().run(page), ITEM)
    assert not problems, "\n".join(problems)

    step = drawing.locator("a", has=page.locator("text", has_text="寻找还款动力")).first
    href = step.get_attribute("href")
    assert href.startswith(ITEM + "#L")
    step.click()
    page.wait_for_url(f"{live_server}{href}")
    context.close()
