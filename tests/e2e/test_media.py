"""A trainer uploads an image from the module's editor and inserts it at the cursor with its alt
text, by keyboard; the page and the dialog pass axe-core."""

from __future__ import annotations

import io

from axe_playwright_python.sync_playwright import Axe
from PIL import Image

from .conftest import TRAINER
from .test_accessibility import _serious
from .test_trainee_journey import DESKTOP, sign_in

ITEM = "/author/credit-card-collection/module/communication-techniques"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (30, 90, 160)).save(out, "PNG")
    return out.getvalue()


def test_upload_then_insert_with_alt_text(browser, live_server):
    context = browser.new_context(locale="zh-CN", **DESKTOP)
    page = context.new_page()
    sign_in(page, live_server, TRAINER)
    page.goto(live_server + ITEM)
    source = page.locator("#source")
    source.evaluate("area => { area.focus(); area.setSelectionRange(0, 0); }")
    page.set_input_files("#media-image", files=[{"name": "沟通 流程.png", "mimeType": "image/png",
                                                 "buffer": png()}])
    page.get_by_role("button", name="上传", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert "images/沟通-流程.png" in dialog.inner_text()
    assert "已上传为 images/沟通-流程.png" in page.locator("[data-media-status]").inner_text()
    problems = _serious(Axe().run(page), ITEM + " (dialog)")

    page.keyboard.press("Enter")  # no alt text: refused, said next to the field
    assert "请填写替代文字" in dialog.inner_text()
    assert page.locator("#media-alt").get_attribute("aria-invalid") == "true"
    page.keyboard.type("沟通流程图")
    page.keyboard.press("Enter")
    dialog.wait_for(state="hidden")
    assert source.input_value().startswith("![沟通流程图](images/沟通-流程.png)")

    page.get_by_role("button", name="插入 沟通-流程.png").click()  # the list's own button, too
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.getAttribute('data-media-insert')") == "images/沟通-流程.png"

    page.goto(live_server + "/author/credit-card-collection/media")
    assert page.locator("img.media__thumb").first.evaluate("img => img.naturalWidth") == 120
    problems += _serious(Axe().run(page), "/author/…/media")
    context.close()
    assert not problems, "\n".join(problems)
