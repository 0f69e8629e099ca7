"""The map of a call simulation: on its item page (of the text being edited) and as an SVG file,
for trainers only, linking each step and choice to its line in the editor."""

from __future__ import annotations

import re
from html import unescape

import pytest

from lms.authoring import simmap

from ..conftest import COURSE, csrf_token

SLUG = "scenario-refuses-to-pay"
ITEM = f"/author/{COURSE}/activity/{SLUG}"
MAP = f"{ITEM}/map.svg"
needs_dot = pytest.mark.skipif(not simmap.dot_available(), reason="Graphviz's dot is not installed")


@pytest.fixture
def trainer(client, shipped_course, make_user, login):
    login(make_user("trainer", display_name="李培训"))
    return client


def source_of(client) -> str:
    page = client.get(ITEM).get_data(as_text=True)
    start = page.index(">", page.index('name="source"')) + 1
    return unescape(page[start:page.index("</textarea>", start)])


def save(client, source: str, version: str = ""):
    response = client.post(ITEM, data={"csrf_token": csrf_token(client, ITEM), "action": "save",
                                       "source": source, "base_number": "1", "version": version})
    assert response.status_code == 302
    return response


def between(page: str, start: str, end: str) -> str:
    first = page.index(start)
    return page[first:page.index(end, first)]


def section(page: str) -> str:
    return between(page, 'data-testid="simmap"', "</section>")


@needs_dot
def test_the_item_page_of_a_simulation_shows_its_map_outline_and_legend(trainer, client):
    source = source_of(client)
    page = client.get(ITEM).get_data(as_text=True)
    found = section(page)
    assert 'data-testid="simmap-svg"' in found and "<svg" in found and 'role="group"' in found
    assert '<title id="simmap-title">' in found and "实战模拟：借款人拒绝还款" in found
    lines = source.splitlines()
    links = {int(n) for n in re.findall(rf'href="{ITEM}#L(\d+)"', found)}
    headings = {number for number, line in enumerate(lines, 1) if line.startswith("## ")}
    choices = {number for number, line in enumerate(lines, 1) if line.startswith(("- ", "? "))}
    assert headings | choices == links  # every step and choice, in the drawing and the outline
    svg = found[found.index("<svg"):found.index("</svg>")]
    assert {int(n) for n in re.findall(rf'href="{ITEM}#L(\d+)"', svg)} == headings | choices
    assert "Steps that need attention" not in found and "需要注意的步骤" not in found
    outline = found[found.index('data-testid="simmap-outline"'):]
    assert "start: 电话接通" in outline and "(-30) !no-threats critical" in outline
    assert "[end pass]" in outline
    assert "style=" not in found and "<script" not in found  # the page's CSP holds
    assert f'href="{MAP}"' in found


def test_a_module_page_has_no_map(trainer, client):
    page = client.get(f"/author/{COURSE}/module/overview-and-process").get_data(as_text=True)
    assert 'data-testid="simmap"' not in page
    assert client.get(f"/author/{COURSE}/activity/process-quiz").status_code == 200
    assert 'data-testid="simmap"' not in client.get(f"/author/{COURSE}/activity/process-quiz").get_data(True)
    assert client.get(f"/author/{COURSE}/activity/process-quiz/map.svg").status_code == 404
    assert client.get(f"/author/{COURSE}/activity/no-such/map.svg").status_code == 404


@needs_dot
def test_the_map_of_the_draft_shows_its_unreachable_steps_and_dead_ends(trainer, client):
    source = source_of(client)
    draft = source.replace("## review: 通话小结",
                           "## orphan: 孤立的步骤 <script>alert(1)</script>\n- 一直绕圈。 -> orphan\n\n"
                           "## review: 通话小结")
    save(client, draft)
    orphan = draft.splitlines().index("## orphan: 孤立的步骤 <script>alert(1)</script>") + 1
    page = client.get(ITEM).get_data(as_text=True)
    found = section(page)
    problems = between(found, 'data-testid="simmap-problems"', "</ul>")
    assert f'href="{ITEM}#L{orphan}"' in problems
    assert f"无法到达：orphan（第 {orphan} 行）：从开始没有路径通向它" in unescape(problems)
    assert "死路：orphan" in unescape(problems)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script" in found
    svg = client.get(MAP)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    text = svg.get_data(as_text=True)
    assert f'href="{ITEM}#L{orphan}"' in text and "孤立的步骤" in text and "<script" not in text
    published = client.get(f"{MAP}?revision=1").get_data(as_text=True)
    assert "孤立的步骤" not in published and "电话接通" in published
    assert client.get(f"{MAP}?revision=9").status_code == 404
    assert client.get(f"{MAP}?revision=x").status_code == 404


@needs_dot
def test_the_svg_keeps_the_apps_security_policy(trainer, client):
    response = client.get(MAP)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp and "default-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_data(as_text=True).startswith('<svg xmlns="http://www.w3.org/2000/svg"')


@needs_dot
def test_dot_draws_each_source_once(trainer, client, monkeypatch):
    calls = []
    real = simmap.render_svg
    monkeypatch.setattr(simmap, "render_svg", lambda dot, *a, **k: calls.append(1) or real(dot, *a, **k))
    client.get(MAP)
    client.get(MAP)
    client.get(ITEM)
    assert len(calls) <= 1  # a map drawn by an earlier test in this process is not drawn again
    save(client, source_of(client) + "\n")
    client.get(MAP)
    assert len(calls) <= 2 and calls


def test_without_dot_the_page_shows_the_outline_and_says_why(trainer, client, monkeypatch):
    monkeypatch.setattr(simmap, "DOT", "no-such-dot")
    response = client.get(ITEM)
    assert response.status_code == 200
    found = section(response.get_data(as_text=True))
    assert 'data-testid="simmap-note"' in found and "<svg" not in found.split("simmap__legend")[0]
    assert "lms doctor" in found and 'data-testid="simmap-outline"' in found
    assert client.get(MAP).status_code == 503


def test_a_draft_whose_front_matter_cannot_be_read_has_no_map(trainer, client):
    save(client, "---\ntitle: [没有闭合\n---\n## start: 开始\n")
    found = section(client.get(ITEM).get_data(as_text=True))
    assert 'data-testid="simmap-note"' in found and 'data-testid="simmap-outline"' not in found
    assert client.get(MAP).status_code == 422


@pytest.mark.parametrize("role", ["trainee", "hr"])
def test_trainees_and_hr_may_not_see_maps(client, shipped_course, make_user, login, role):
    login(make_user(role))
    assert client.get(MAP).status_code == 403
    assert client.get(f"{MAP}?revision=1").status_code == 403
