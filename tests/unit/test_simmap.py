"""A call simulation as a map: the graph read from a scenario (also one not yet valid), the
Graphviz text with every text quoted, and dot's SVG rebuilt from an allow-list with our links."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from lms.authoring import simmap
from lms.content.errors import ContentErrors
from lms.content.scenario import read_scenario

needs_dot = pytest.mark.skipif(not simmap.dot_available(), reason="Graphviz's dot is not installed")
WORDS = {"start": "开始", "unreachable": "无法到达", "dead end": "死路", "missing": "未定义"}
SVG = "{http://www.w3.org/2000/svg}"

DRAFT = """\
---
title: 借款人拒绝还款
rules:
  no-threats: 不得利用暴力、威胁等手段进行催收
  language: 语言措辞文明
---
## start: 电话接通
借款人：“没钱，不还了。”

- 先稳定情绪，询问原因。 -> reason (+10)
- 语气强硬：“欠钱不还还有理了？” -> reason (2) !language minor
- 敷衍几句。 -> reason (0)
- 说要去他单位闹。 -> end-complaint (-30) !no-threats critical
- 转到别的话题。 -> loop (-5)

## reason: 了解原因
借款人：“我失业了。”

- 记下原因，约定再联系。 -> review (+10)
- 去找一个没写的步骤。 -> elsewhere

## review: 通话小结
? score >= 15 -> end-pass
? otherwise -> end-fail

## loop: 兜圈子
- 再兜一圈。 -> loop

## orphan: 没有路通向这里
- 回到开头。 -> start

## stuck: 没有选项

## end-pass: 达成约定 [end pass]
好。

## end-fail: 没有达成约定 [end fail]
不好。

## end-complaint: 投诉 [end fail]
投诉。

## end-plain: 旧式结尾 [end]
"""

HOSTILE = """\
---
title: 标题 <b>&amp; "x"
---
## start: <script>alert(1)</script>
- "]; a -> b [ label="x -> middle (+5)
- \\N \\G & &amp; <img src=x onerror=alert(1)> -> end (-3)

## middle: "]; evil -> evil [ URL="javascript:alert(1)"
- 继续 -> end

## end: 结束 [end pass]
"""


def graph_of(text: str) -> simmap.SimMap:
    spec, _problems = read_scenario(text, "x.scenario.md", "x")
    return simmap.build(spec)


def test_the_graph_of_a_draft_with_its_problems():
    spec, problems = read_scenario(DRAFT, "x.scenario.md", "x")
    assert any("unreachable step 'orphan'" in p.message for p in problems)  # the draft is not valid
    graph = simmap.build(spec)
    nodes = {node.key: node for node in graph.nodes}
    assert list(nodes) == ["start", "reason", "review", "loop", "orphan", "stuck", "end-pass", "end-fail",
                           "end-complaint", "end-plain", "elsewhere"]
    assert nodes["start"].is_start and nodes["start"].line == 7 and nodes["start"].kind == "step"
    assert not any(node.is_start for key, node in nodes.items() if key != "start")
    assert nodes["review"].kind == "branch"
    assert [(n.kind, n.outcome) for n in (nodes["end-pass"], nodes["end-fail"], nodes["end-plain"])] == [
        ("end", "pass"), ("end", "fail"), ("end", None)]
    assert nodes["elsewhere"].kind == "missing" and nodes["elsewhere"].line == 20
    assert [n.key for n in graph.unreachable] == ["orphan", "stuck", "end-plain"]
    assert [n.key for n in graph.dead_ends] == ["loop", "stuck"]  # orphan leads to the start
    assert [n.key for n in graph.missing] == ["elsewhere"]

    start = graph.edges_from("start")
    assert [(e.target, e.line, e.look, e.mark) for e in start] == [
        ("reason", 10, simmap.GOOD, "(+10)"),
        ("reason", 11, simmap.MINOR, "(+2) !language minor"),
        ("reason", 12, simmap.NEUTRAL, "(+0)"),
        ("end-complaint", 13, "critical", "(-30) !no-threats critical"),
        ("loop", 14, simmap.POOR, "(-5)")]
    assert [(e.text, e.target, e.line, e.look, e.mark) for e in graph.edges_from("review")] == [
        ("score >= 15", "end-pass", 23, simmap.BRANCH, ""), ("otherwise", "end-fail", 24, simmap.BRANCH, "")]
    assert len(graph.edges) == 11


def test_a_scenario_that_cannot_be_read_has_no_graph():
    with pytest.raises(ContentErrors):
        read_scenario("---\ntitle: [unclosed\n---\n", "x.scenario.md", "x")
    assert graph_of("---\ntitle: 空\n---\n").nodes == ()


def test_every_shipped_simulation_is_valid_and_fully_connected():
    from pathlib import Path

    for path in sorted(Path("quizzes").glob("*/*.scenario.md")):
        slug = path.name.removesuffix(".scenario.md")
        spec, problems = read_scenario(path.read_text("utf-8"), str(path), slug)
        graph = simmap.build(spec)
        assert problems == [] and not graph.unreachable and not graph.dead_ends and not graph.missing, path
        assert any(edge.look == simmap.GOOD for edge in graph.edges)


def test_long_labels_are_wrapped_and_cut():
    assert simmap.wrap("短句", 24, 2) == ["短句"]
    assert simmap.wrap("说要去他单位闹。", 14, 2) == ["说要去他单位闹。"]  # no line starts with 。
    lines = simmap.wrap("您打算申请房贷，那按计划还款、保持良好的信用，对今后办贷款会有帮助。", 22, 2)
    assert len(lines) == 2 and lines[1].endswith("…") and all(len(line) <= 11 for line in lines)
    assert simmap.wrap("step-one: call the debtor back tomorrow", 16, 3) == [
        "step-one: call", "the debtor back", "tomorrow"]


def test_every_text_is_quoted_in_the_dot_language():
    dot = simmap.to_dot(graph_of(HOSTILE), WORDS)
    # with every quoted string taken out, what is left is statements naming generated ids only
    skeleton = re.sub(r'"(?:\\.|[^"\\])*"', "Q", dot).splitlines()
    assert skeleton[0] == "digraph simmap {" and skeleton[-1] == "}"
    statement = re.compile(r"  (\w+)(?: -> (\w+))? \[\w+=Q(?:, \w+=Q)*\];")
    statements = [statement.fullmatch(line) for line in skeleton[1:-1]]
    assert all(statements), skeleton
    assert [s.groups() for s in statements[3:]] == [
        ("n0", None), ("n1", None), ("n2", None), ("start", None), ("start", "n0"),
        ("n0", "n1"), ("n0", "n2"), ("n1", "n2")]
    labels = [bytes(text, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
              for text in re.findall(r'label="((?:\\.|[^"\\])*)"', dot)]
    shown = ["".join(label.split("\n")) for label in labels]
    assert shown[:2] == ["▶ 开始start<script>alert(1)</script>", 'middle"]; evil -> evil [URL="…']
    assert '"]; a -> b [label="x(+5)' in shown  # labels are wrapped at spaces, and cut with …
    assert "\\N \\G &amp; &amp;amp;<img src=x…(-3)" in shown  # shown as written: no escapes
    assert simmap.quote('a"b\\c&d\ne\x07') == '"a\\"b\\\\c&amp;d\\ne"'


@needs_dot
def test_the_svg_shows_hostile_text_as_text_and_links_only_to_the_editor():
    graph = graph_of(HOSTILE)
    links = simmap.anchors(graph, lambda line: f"/author/c/activity/x#L{line}")
    svg = simmap.clean_svg(simmap.render_svg(simmap.to_dot(graph, WORDS)), links, "地图 <b>")
    root = ET.fromstring(svg)
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert tags <= simmap.ELEMENTS and "script" not in tags and "a" in tags
    assert root[0].tag == f"{SVG}title" and root[0].text == "地图 <b>"
    for element in root.iter():
        assert not {"style", "id", "class", "onload", "onerror"} & set(element.attrib) or element is root[0]
    hrefs = [a.get("href") for a in root.iter(f"{SVG}a")]
    assert set(hrefs) == {"/author/c/activity/x#L4", "/author/c/activity/x#L5", "/author/c/activity/x#L6",
                          "/author/c/activity/x#L8", "/author/c/activity/x#L9", "/author/c/activity/x#L11"}
    texts = "".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "<script>alert(1)</script>" in texts and "\\N \\G & &amp;<img src" in texts
    assert "<script" not in svg and "<img" not in svg and "javascript:" not in "".join(hrefs)
    titles = [a[0].text for a in root.iter(f"{SVG}a")]
    assert "start: <script>alert(1)</script>" in titles
    assert "start → end: \\N \\G & &amp; <img src=x onerror=alert(1)> (-3)" in titles


def test_the_cleaner_drops_what_dot_never_draws():
    hostile = ('<?xml version="1.0"?><!DOCTYPE svg><svg xmlns="http://www.w3.org/2000/svg" '
               'xmlns:xlink="http://www.w3.org/1999/xlink" width="10pt" onload="alert(1)">'
               '<script>alert(1)</script><style>*{}</style><foreignObject><p>x</p></foreignObject>'
               '<g id="a_n0"><a xlink:href="javascript:alert(1)">'
               '<text x="1" style="fill:red">t</text></a></g>'
               '<g id="a_other"><a xlink:href="https://evil.example/"><path d="M0,0" fill="url(https://x/)"/></a></g>'
               '<g transform="translate(1 2) skewX(javascript)"><rect x="1"/></g></svg>')
    svg = simmap.clean_svg(hostile, {"n0": ("/author/c/activity/x#L3", "start")}, "t")
    assert svg == ('<svg xmlns="http://www.w3.org/2000/svg" role="group" aria-labelledby="simmap-title" '
                   f'width="10pt" font-family="{simmap.FONT_STACK}"><title id="simmap-title">t</title>'
                   '<g><a href="/author/c/activity/x#L3">'
                   '<title>start</title><text x="1">t</text></a></g><g><path d="M0,0" /></g><g><rect x="1" />'
                   '</g></svg>')
    with pytest.raises(simmap.MapError):
        simmap.clean_svg("no svg here", {}, "t")


@needs_dot
def test_dot_is_given_the_cjk_font_and_a_timeout(monkeypatch):
    dot = simmap.to_dot(graph_of(DRAFT), WORDS)
    assert dot.count(f'fontname="{simmap.FONT}"') == 3
    svg = simmap.render_svg(dot)
    assert 'font-family="Noto Sans CJK SC"' in svg and "电话接通" in svg
    with pytest.raises(simmap.MapError, match="more than"):
        simmap.render_svg(dot, timeout=0.000001)
    monkeypatch.setattr(simmap, "DOT", "no-such-dot-program")
    assert not simmap.dot_available()
    with pytest.raises(simmap.MapError, match="not installed"):
        simmap.render_svg(dot)
