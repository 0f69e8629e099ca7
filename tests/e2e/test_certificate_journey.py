"""In Chromium: a trainee completes a course and downloads the certificate; HR finds them,
downloads the ZIP of certificates and opens the verification link printed under the QR code."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile

from lms.assessments.models import QuizAttempt
from lms.db import session

from ..answering import attempt_form
from .test_trainee_journey import DESKTOP, PHONE, sign_in


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


def test_complete_download_find_zip_and_verify(browser, tiny_server, artifacts):
    base, app = tiny_server
    trainee = browser.new_context(locale="zh-CN", accept_downloads=True, **PHONE)
    page = trainee.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, base, "zhou")
    page.goto(f"{base}/courses/tiny/rules")
    page.locator("[data-module-end]").scroll_into_view_if_needed()
    page.wait_for_selector("[data-progress-status][data-state=completed]")
    page.goto(f"{base}/courses/tiny/quizzes/red-lines/")
    page.click("button:has-text('开始作答')")
    page.wait_for_selector("[data-attempt-form]")
    with app.app_context():
        right = attempt_form(session.get(QuizAttempt, int(page.url.rsplit("/", 1)[1])))
    (field, token), = right.items()
    page.locator(f"fieldset.question--truefalse input[name='{field}'][value='{token}']").check()
    page.click("button:has-text('提交答案')")
    page.wait_for_url(re.compile(r".*/review$"))
    page.goto(f"{base}/courses/tiny/summary")
    page.fill("textarea[name=body]", "通过本次培训，我牢记了不得利用暴力、威胁等手段进行催收的红线。")
    page.click("button[value=submit]")
    page.wait_for_selector("[data-testid=summary-status]:has-text('已提交')")

    trainer = browser.new_context(locale="zh-CN", **DESKTOP)
    review = trainer.new_page()
    sign_in(review, base, "teacher")
    review.goto(f"{base}/review/")
    review.click("[data-testid=pending-summaries] a:has-text('周敏')")
    review.click("button[value=approve]")
    review.wait_for_url(f"{base}/review/")
    trainer.close()

    page.goto(f"{base}/")
    certificate_line = page.locator("[data-testid=certificate]")
    assert "有效" in certificate_line.inner_text()
    page.screenshot(path=artifacts / "dashboard-certificate-phone.png", full_page=True)
    with page.expect_download() as download_info:
        certificate_line.locator("a").click()
    pdf = download_info.value.path().read_bytes()
    text = pdf_text(pdf)
    assert "周敏" in text and "结业证书" in text
    serial = re.search(r"CC-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", text).group(0)
    with app.app_context():  # the URL the QR code encodes, also printed under it
        from lms.certificates.services import find

        verify_url = find(serial).snapshot["verify_url"]
    assert verify_url.startswith(base) and serial in verify_url
    assert "/verify/" in text.replace("\n", "")
    trainee.close()

    hr = browser.new_context(locale="zh-CN", accept_downloads=True, **DESKTOP)
    desk = hr.new_page()
    sign_in(desk, base, "hr")
    desk.goto(f"{base}/hr/courses/tiny/")
    desk.fill("input[name=q]", "E5001")
    desk.click("button:has-text('筛选')")
    roster = desk.locator("[data-testid=roster]").inner_text()
    assert "周敏" in roster and serial in roster
    desk.screenshot(path=artifacts / "hr-dashboard.png", full_page=True)
    desk.click("button:has-text('证书（ZIP）')")  # prepared by the worker (here: at once)
    desk.wait_for_selector("[data-testid=export-download]:visible")
    with desk.expect_download() as zip_info:
        desk.click("[data-testid=export-download]")
    archive = zipfile.ZipFile(io.BytesIO(zip_info.value.path().read_bytes()))
    assert [name for name in archive.namelist() if serial in name]
    assert archive.read(archive.namelist()[0]) == pdf  # the stored bytes, not a new rendering

    public = browser.new_context(locale="zh-CN", **PHONE)  # whoever scans the QR code
    check = public.new_page()
    check.goto(verify_url)
    assert serial in check.locator("h1").inner_text()
    assert "有效" in check.locator("[data-testid=certificate-status]").inner_text()
    assert check.locator("[data-testid=holder]").inner_text() == "周*"
    check.screenshot(path=artifacts / "verify-phone.png", full_page=True)
    public.close()
    hr.close()
