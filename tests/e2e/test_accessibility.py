"""axe-core finds no serious or critical accessibility problem on the trainee's pages."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from .test_trainee_journey import DESKTOP, PHONE, sign_in

PAGES = ["/", "/courses/credit-card-collection/",
         "/courses/credit-card-collection/overview-and-process"]


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_trainee_pages_have_no_serious_accessibility_problems(browser, live_server, device):
    context = browser.new_context(locale="zh-CN", **(PHONE if device == "phone" else DESKTOP))
    page = context.new_page()
    page.goto(f"{live_server}/login")
    problems = _serious(Axe().run(page), "/login")
    sign_in(page, live_server, "zhao")
    for path in PAGES:
        page.goto(live_server + path)
        problems += _serious(Axe().run(page), path)
    context.close()
    assert not problems, "\n".join(problems)


def _serious(results, path: str) -> list[str]:
    return [f"{path}: {v['id']} ({v['impact']}): {v['help']} — "
            f"{[node['target'] for node in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]

