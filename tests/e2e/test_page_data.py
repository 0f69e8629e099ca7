"""A page's scripts read their data (translated messages, the editor's settings) from their own
JSON block, whatever ids the author's headings get: a module headed "LMS i18n" still reports
reading progress."""

from __future__ import annotations

from ..conftest import PASSWORD, TEST_CONFIG, _build_app, _migrate, import_content, write_content
from .conftest import serve
from .test_trainee_journey import sign_in

COURSE = "title: 标题冲突\nmodules: [m1]\nenrolment:\n  all_trainees: true\n"
MODULE = ("---\ntitle: 标题与页面数据同名\nminutes: 1\n---\n"
          "## LMS i18n\n\n正文。\n\n## Editor data\n\n正文。\n")


def test_a_heading_named_like_the_page_data_does_not_stop_the_scripts(browser, tmp_path):
    from lms.accounts import services as accounts
    from lms.db import session

    courses, quizzes = write_content(tmp_path, "collide", {"course.yml": COURSE, "01-m1.md": MODULE}, {})
    url = f"sqlite:///{tmp_path / 'lms.db'}"
    _migrate(url, tmp_path / "instance")
    app = _build_app({**TEST_CONFIG, "TESTING": False, "SQLALCHEMY_DATABASE_URI": url}, tmp_path / "instance")
    with app.app_context():
        accounts.create_user("chen", PASSWORD, ["trainee"], accounts.UserDetails(display_name="陈静"))
        session.commit()
    import_content(app, courses, quizzes)
    base, server = serve(app)
    try:
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, base, "chen")
        with page.expect_response(lambda r: r.url.endswith("/progress")):  # the visit, sent on load
            page.goto(f"{base}/courses/collide/m1")
        assert page.locator("h2#lms-i18n").count() == 1  # the heading keeps its id
        assert errors == []
        context.close()
    finally:
        server.shutdown()
