"""The trainer's results table on a phone and on a laptop: it scrolls sideways inside its frame,
the page does not, and the names stay in view and on one line."""

from __future__ import annotations

import pytest

from .conftest import TRAINEES, TRAINER
from .test_trainee_journey import PHONE, sign_in

LAPTOP = {"viewport": {"width": 1366, "height": 768}}
RESULTS = "/review/courses/credit-card-collection/"


@pytest.mark.parametrize(("device", "width"), [("phone", 375), ("laptop", 1366)])
def test_the_results_table_scrolls_inside_its_frame(browser, live_server, artifacts, device, width):
    context = browser.new_context(locale="zh-CN", **(PHONE if device == "phone" else LAPTOP))
    page = context.new_page()
    sign_in(page, live_server, TRAINER)
    page.goto(live_server + RESULTS)
    page.wait_for_load_state("load")
    frame = page.locator(".results-wrap")
    assert page.locator("[data-testid=order]").inner_text() == "按工号排序"
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
    assert frame.evaluate("e => e.scrollWidth > e.clientWidth"), "the table fits: nothing to scroll"

    names = page.locator("tbody th.sticky")
    assert names.count() >= len(TRAINEES)  # other journeys may have added a trainee
    for index in range(names.count()):  # one line each: one box for the name, cell one line high
        cell = names.nth(index)
        assert cell.locator(".person").evaluate("e => e.getClientRects().length") == 1
        assert cell.evaluate("e => e.getBoundingClientRect().height"
                             " < 2 * parseFloat(getComputedStyle(e).lineHeight) + 20")
    frame.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / f"results-{device}.png")

    first = names.first.bounding_box()
    last_cell = page.locator("tbody tr").first.locator("td").last
    before = last_cell.bounding_box()
    frame.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
    page.wait_for_function("() => document.querySelector('.results-wrap').scrollLeft > 0")
    after = last_cell.bounding_box()
    assert after["x"] < before["x"], "the table did not scroll"
    assert names.first.bounding_box()["x"] == pytest.approx(first["x"], abs=1)
    # the name is on top where it stands: no result cell scrolled over it
    covering = page.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('th')?.className",
                             [first["x"] + 8, first["y"] + first["height"] / 2])
    assert covering == "sticky"
    assert page.evaluate("window.scrollX") == 0
    page.screenshot(path=artifacts / f"results-{device}-scrolled.png")
    context.close()
