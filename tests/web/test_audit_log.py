"""The admin's audit log page: a page at a time, newest first, filtered by action, person or
subject, and the days the entries were recorded."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from lms.accounts.models import User
from lms.audit.services import record
from lms.db import session

from ..conftest import counted_queries

#: midnight of 1 March 2026 in Shanghai (the test app's time zone)
MARCH_1 = datetime(2026, 2, 28, 16, 0, tzinfo=UTC)


@pytest.fixture
def admin(make_user, login):
    return login(make_user("admin", display_name="审计员"))


def add_entries(app, count: int, action: str = "certificate.download", start: datetime = MARCH_1,
                subject: str = "CC-2026-{n:04d}", actor_id: int | None = None) -> None:
    """``count`` entries an hour apart from ``start``; entry n's subject is ``subject`` with n."""
    with app.app_context():
        actor = session.get(User, actor_id) if actor_id else None
        for n in range(count):
            record(action, subject.format(n=n), actor, {"n": n}, now=start + timedelta(hours=n))
        session.commit()


def subjects(page: str) -> list[str]:
    return re.findall(r'<td data-label="[^"]*" class="mono">([^<]*)</td>', page)


def test_the_log_is_shown_a_page_at_a_time_newest_first(app, client, admin):
    add_entries(app, 120)
    first = client.get("/admin/audit?action=certificate.download").get_data(as_text=True)
    assert subjects(first) == [f"CC-2026-{n:04d}" for n in range(119, 69, -1)]
    assert "显示第 1–50 条，共 120 条" in first
    last = client.get("/admin/audit?action=certificate.download&page=3").get_data(as_text=True)
    assert subjects(last) == [f"CC-2026-{n:04d}" for n in range(19, -1, -1)]
    small = client.get("/admin/audit?action=certificate.download&per_page=25&page=2").get_data(as_text=True)
    assert subjects(small) == [f"CC-2026-{n:04d}" for n in range(94, 69, -1)]
    assert 'href="/admin/audit?action=certificate.download&amp;per_page=25&amp;page=3"' in small
    past_the_end = client.get("/admin/audit?action=certificate.download&page=99").get_data(as_text=True)
    assert subjects(past_the_end) == subjects(last)


def test_a_person_or_subject_is_found_in_any_case_and_wildcards_are_plain_text(app, client, admin, make_user):
    add_entries(app, 3)
    hr_person = make_user("hr", display_name="张𪚥")
    add_entries(app, 2, subject="D00{n}/credit-card-collection", actor_id=hr_person.id)
    add_entries(app, 1, subject="100%_done")
    assert subjects(client.get("/admin/audit?q=cc-2026-0001").get_data(as_text=True)) == ["CC-2026-0001"]
    assert subjects(client.get("/admin/audit?q=𪚥").get_data(as_text=True)) == [
        "D001/credit-card-collection", "D000/credit-card-collection"]
    assert subjects(client.get("/admin/audit?q=%25_").get_data(as_text=True)) == ["100%_done"]
    assert subjects(client.get("/admin/audit?q=_").get_data(as_text=True)) == ["100%_done"]
    nothing = client.get("/admin/audit?q=nobody-has-this").get_data(as_text=True)
    assert subjects(nothing) == [] and 'data-testid="no-entries"' in nothing


def test_the_days_recorded_are_the_sites_days(app, client, admin):
    """An entry at 23:30 on 1 March in Shanghai is 15:30 UTC: it belongs to 1 March."""
    add_entries(app, 48, start=MARCH_1 - timedelta(minutes=30))  # 23:30 on 28 Feb, then hourly

    def shown(query: str) -> list[str]:
        page = client.get(f"/admin/audit?{query}&per_page=100&action=certificate")
        return subjects(page.get_data(as_text=True))

    assert shown("from=2026-03-01&to=2026-03-01") == [f"CC-2026-{n:04d}" for n in range(24, 0, -1)]
    assert shown("from=2026-03-02") == [f"CC-2026-{n:04d}" for n in range(47, 24, -1)]
    until = shown("to=2026-02-28")
    assert "CC-2026-0000" in until and "CC-2026-0001" not in until


def test_an_unreadable_filter_is_shown_next_to_its_field_and_not_applied(app, client, admin):
    add_entries(app, 3)
    page = client.get("/admin/audit?from=2026-13-01&action=certificate.download")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="audit-from-errors"' in html and "YYYY-MM-DD" in html
    assert len(subjects(html)) == 3
    backwards = client.get("/admin/audit?from=2026-03-05&to=2026-03-01&action=certificate.download")
    html = backwards.get_data(as_text=True)
    assert 'id="audit-to-errors"' in html and "结束日期早于开始日期" in html
    assert len(subjects(html)) == 3
    too_long = client.get("/admin/audit?q=" + "a" * 201).get_data(as_text=True)
    assert 'id="audit-q-errors"' in too_long


def test_the_page_runs_the_same_statements_however_long_the_log(app, client, admin):
    add_entries(app, 5)
    client.get("/admin/audit")
    with counted_queries(app) as few:
        client.get("/admin/audit?q=CC&page=1")
    add_entries(app, 200)
    with counted_queries(app) as many:
        page = client.get("/admin/audit?q=CC&page=1").get_data(as_text=True)
    assert len(many) == len(few)
    assert len(subjects(page)) == 50


def test_a_moment_in_the_details_reads_in_the_site_s_time(app):
    """A refresher's due moment, recorded in UTC, reads as the site's local time on the audit log
    and the person page (the raw 2026-12-16T23:07:42+00:00 was shown); other text stays as it is."""
    from lms.audit.labels import readable_details

    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        shown = dict(readable_details({"due_at": "2026-12-16T23:07:42+00:00", "reason": "2026-12-16T 病假"}))
    assert "2026年12月17日" in shown["截止日期"] and "07:07:42" in shown["截止日期"]
    assert shown["原因"] == "2026-12-16T 病假"
