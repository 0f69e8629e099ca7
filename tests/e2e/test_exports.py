"""In Chromium: HR asks for the statistics report PDF while no worker runs; the page shows it
waiting, then, once a worker has made it, the download link (export.js polls its JSON)."""

from __future__ import annotations

from lms.db import session

from .test_trainee_journey import DESKTOP, sign_in


def test_hr_follows_an_export_until_it_is_ready(browser, tiny_server, tmp_path, artifacts):
    from lms.reports.exports import make_export
    from lms.reports.models import Export

    base, app = tiny_server
    immediate = app.config["LMS_QUEUE_URL"]
    app.config["LMS_QUEUE_URL"] = f"sqlite:///{tmp_path / 'queue.db'}"  # queued; nobody works on it
    app.extensions.pop("lms.queue", None)
    context = browser.new_context(locale="zh-CN", accept_downloads=True, **DESKTOP)
    try:
        desk = context.new_page()
        errors: list[str] = []
        desk.on("pageerror", lambda error: errors.append(str(error)))  # export.js must not fail
        sign_in(desk, base, "hr")
        desk.goto(f"{base}/hr/courses/tiny/report")
        desk.click("[data-testid=export-cohort-pdf]")
        desk.wait_for_selector("[data-testid=export][data-state=queued]")
        assert "排队中" in desk.locator("[data-testid=export-state]").inner_text()
        assert desk.locator("[data-testid=export-download]").is_hidden()
        with app.app_context():  # the worker's turn
            export_id = session.query(Export).order_by(Export.id.desc()).first().id
            make_export(export_id)
            session.commit()
        desk.wait_for_selector("[data-testid=export-download]:visible", timeout=15_000)
        assert "已生成" in desk.locator("[data-testid=export-state]").inner_text()
        desk.screenshot(path=artifacts / "hr-export-ready.png", full_page=True)
        with desk.expect_download() as download:
            desk.click("[data-testid=export-download]")
        assert download.value.path().read_bytes().startswith(b"%PDF")
        assert errors == []
    finally:
        context.close()
        app.config["LMS_QUEUE_URL"] = immediate
        app.extensions.pop("lms.queue", None)
