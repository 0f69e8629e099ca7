"""axe-core finds no serious or critical accessibility problem on the trainer's pages (authoring,
review, statistics and the training statistics report), on a desktop and at 375 px, and no page
is wider than a phone's screen."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from ..conftest import COURSE
from .conftest import TRAINER
from .test_accessibility import _serious
from .test_trainee_journey import DESKTOP, PHONE, sign_in

MODULE = "overview-and-process"
PAGES = ["/author/", f"/author/{COURSE}/", f"/author/{COURSE}/media", f"/author/{COURSE}/new",
         f"/author/{COURSE}/module/{MODULE}/history?a=1&b=1", f"/author/{COURSE}/module/{MODULE}/rename",
         f"/author/{COURSE}/module/{MODULE}/retire", "/author/packages/import",
         "/review/", f"/review/courses/{COURSE}/", f"/hr/courses/{COURSE}/report",
         f"/review/courses/{COURSE}/activities/process-quiz/",
         f"/review/courses/{COURSE}/activities/scenario-refuses-to-pay/"]


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_trainer_pages_have_no_serious_accessibility_problems(browser, live_server, device):
    context = browser.new_context(locale="zh-CN", **(PHONE if device == "phone" else DESKTOP))
    page = context.new_page()
    sign_in(page, live_server, TRAINER)
    problems, too_wide = [], []
    for path in PAGES:
        response = page.goto(live_server + path)
        assert response.status == 200, path
        problems += _serious(Axe().run(page), path)
        if device == "phone" and page.evaluate("() => document.documentElement.scrollWidth") > 375:
            too_wide.append(path)
    context.close()
    assert not problems, "\n".join(problems)
    assert not too_wide, f"wider than 375 px: {too_wide}"
