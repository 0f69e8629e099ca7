"""The content parser: good files, and every kind of bad file reported as path:line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lms.content import ContentErrors, load_courses, parse_course, render_markdown

COURSE_YML = """\
title: 测试课程
description: 用于测试。
hours: 2
sequential: true
modules:
  - first
  - second
enrolment:
  all_trainees: true
  due_days: 14
"""

FIRST = """\
---
title: 第一单元
summary: 概述。
minutes: 5
objectives:
  - 说出五个步骤
activities: [first-quiz]
---
## 小节
正文，**重点**。

!!! 要点 "本单元要点"
    - 不得利用暴力、威胁等手段进行催收。
"""

SECOND = """\
---
title: 第二单元
---
## 另一节
正文。
"""


def write_course(root: Path, **files: str) -> Path:
    course = root / "demo-course"
    course.mkdir(parents=True, exist_ok=True)
    contents = {"course.yml": COURSE_YML, "01-first.md": FIRST, "02-second.md": SECOND, **files}
    for name, text in contents.items():
        if text is not None:
            (course / name).write_text(text, encoding="utf-8")
    return course


def errors_of(course: Path) -> list[str]:
    with pytest.raises(ContentErrors) as caught:
        parse_course(course)
    return [f"{Path(e.path).name}:{e.line}: {e.message}" for e in caught.value.errors]


def test_a_good_course_parses_into_plain_objects(tmp_path):
    course = parse_course(write_course(tmp_path))
    assert course.slug == "demo-course"
    assert course.title == "测试课程"
    assert course.hours == 2.0
    assert course.sequential is True
    assert course.enrol_all_trainees is True and course.due_days == 14
    first, second = course.modules
    assert (first.slug, first.position, first.minutes) == ("first", 1, 5)
    assert first.objectives == ("说出五个步骤",)
    assert first.activities == ("first-quiz",)
    assert '<div class="callout callout-key">' in first.html
    assert '<p class="callout-title">本单元要点</p>' in first.html
    assert "<strong>重点</strong>" in first.html
    assert second.minutes == 10  # the default
    assert len(first.sha256) == 64 and first.sha256 != second.sha256


def test_the_course_order_comes_from_course_yml(tmp_path):
    course = write_course(tmp_path, **{"course.yml": COURSE_YML.replace(
        "  - first\n  - second\n", "  - second\n  - first\n")})
    assert [m.slug for m in parse_course(course).modules] == ["second", "first"]


@pytest.mark.parametrize(("files", "expected"), [
    ({"course.yml": "title: [unclosed\n"}, "course.yml:1: invalid YAML"),
    ({"course.yml": COURSE_YML.replace("title: 测试课程\n", "")}, "course.yml:1: 'title' is required"),
    ({"course.yml": COURSE_YML + "colour: red\n"}, "course.yml:11: unknown key 'colour'"),
    ({"course.yml": COURSE_YML.replace("hours: 2", "hours: -1")},
     "course.yml:3: 'hours' must be a positive number"),
    ({"course.yml": COURSE_YML.replace("sequential: true", "sequential: maybe")},
     "course.yml:4: 'sequential' must be true or false"),
    ({"course.yml": COURSE_YML.replace("  - second\n", "  - second\n  - third\n")},
     "course.yml:8: module 'third' has no file"),
    ({"course.yml": COURSE_YML.replace("  - second\n", "  - second\n  - first\n")},
     "course.yml:8: module 'first' is listed twice"),
    ({"course.yml": COURSE_YML.replace("due_days: 14", "due_days: zero")},
     "course.yml:10: 'enrolment.due_days' must be a whole number"),
    ({"course.yml": COURSE_YML + "reading:\n  min_share: 1.5\n"},
     "course.yml:12: 'reading.min_share' must be a number from 0 to 1"),
    ({"course.yml": COURSE_YML + "reading:\n  min_share: half\n"},
     "course.yml:12: 'reading.min_share' must be a number from 0 to 1"),
    ({"course.yml": COURSE_YML + "reading:\n  min_shares: 0.5\n"},
     "course.yml:12: unknown key 'reading.min_shares' (known keys: min_share)"),
    ({"course.yml": COURSE_YML + "reading: 0.5\n"}, "course.yml:11: 'reading' must be a mapping"),
    ({"03-third.md": SECOND}, "03-third.md:1: module 'third' is not listed under 'modules'"),
    ({"notes.md": SECOND}, "notes.md:1: a module file must be named NN-slug.md"),
    ({"01-first.md": "## 没有前言\n"}, "01-first.md:1: missing front matter"),
    ({"01-first.md": "---\ntitle: 没有结束\n## 正文\n"}, "01-first.md:1: front matter is not closed"),
    ({"01-first.md": FIRST.replace("title: 第一单元\n", "")}, "01-first.md:2: 'title' is required"),
    ({"01-first.md": FIRST.replace("minutes: 5", "minutes: 五")},
     "01-first.md:4: 'minutes' must be a whole number"),
    ({"01-first.md": FIRST.replace("minutes: 5", "minuts: 5")}, "01-first.md:4: unknown key 'minuts'"),
    ({"01-first.md": FIRST.replace("summary: 概述。", "summary: [a: b")}, "01-first.md:4: invalid YAML"),
    ({"01-first.md": FIRST.replace("[first-quiz]", "[First Quiz]")},
     "01-first.md:7: activity 'First Quiz' must be a slug"),
    ({"01-first.md": FIRST.replace("!!! 要点", "!!! 重点")}, "01-first.md:12: unknown callout '!!! 重点'"),
    ({"02-second.md": SECOND + "\n![图](images/missing.png)\n"},
     "02-second.md:7: image 'images/missing.png' not found"),
    ({"02-second.md": SECOND + "\n![图](https://example.com/a.png)\n"},
     "02-second.md:7: image 'https://example.com/a.png' must be a file in the course folder"),
    ({"02-second.md": SECOND + "\n![图](../../secret.png)\n"},
     "02-second.md:7: image '../../secret.png' not found"),
    ({"02-second.md": "---\ntitle: 空\n---\n"}, "02-second.md:4: the module has no text"),
])
def test_each_kind_of_bad_file_is_reported_with_its_line(tmp_path, files, expected):
    found = errors_of(write_course(tmp_path, **files))
    assert any(line.startswith(expected) for line in found), found


@pytest.mark.parametrize(("extra", "share"), [("", 0.5), ("reading:\n  min_share: 0.8\n", 0.8),
                                               ("reading:\n  min_share: 0\n", 0.0),
                                               ("reading:\n  min_share: 1\n", 1.0)])
def test_the_reading_minimum_is_a_share_of_each_module(tmp_path, extra, share):
    course = parse_course(write_course(tmp_path, **{"course.yml": COURSE_YML + extra}))
    assert course.reading == {"min_share": share}


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    course = write_course(tmp_path, **{
        "01-first.md": FIRST.replace("minutes: 5", "minutes: 0"),
        "02-second.md": SECOND.replace("title: 第二单元\n", ""),
    })
    found = errors_of(course)
    assert any(e.startswith("01-first.md:4:") for e in found)
    assert any(e.startswith("02-second.md:2: 'title' is required") for e in found)


def test_a_file_that_is_not_utf8_is_reported(tmp_path):
    course = write_course(tmp_path)
    (course / "02-second.md").write_bytes("---\ntitle: 第二\n---\n正文".encode("gb18030"))
    assert any("02-second.md:2: the file is not valid UTF-8" in e for e in errors_of(course))


def test_images_in_the_course_folder_become_assets(tmp_path):
    course = write_course(tmp_path, **{"02-second.md": SECOND + "\n![流程图](images/flow.png)\n"})
    (course / "images").mkdir()
    (course / "images" / "flow.png").write_bytes(b"\x89PNG\r\n\x1a\n fake")
    parsed = parse_course(course)
    assert [asset.path for asset in parsed.assets] == ["images/flow.png"]
    assert parsed.assets[0].mime_type == "image/png"
    assert 'src="assets/images/flow.png"' in parsed.modules[1].html


def test_load_courses_finds_course_folders_under_a_root(tmp_path):
    write_course(tmp_path)
    assert [c.slug for c in load_courses([tmp_path])] == ["demo-course"]
    assert [c.slug for c in load_courses([tmp_path / "demo-course" / "01-first.md"])] == ["demo-course"]


def test_load_courses_reports_missing_paths_and_empty_folders(tmp_path):
    with pytest.raises(ContentErrors) as caught:
        load_courses([tmp_path / "nope"])
    assert "no such file or folder" in str(caught.value)
    with pytest.raises(ContentErrors) as caught:
        load_courses([tmp_path])
    assert "no course found" in str(caught.value)


@pytest.mark.parametrize("attack", [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[点我](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="https://example.com"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
])
def test_authored_html_cannot_run_script(attack):
    html = render_markdown(f"正文\n\n{attack}\n")
    tags = " ".join(re.findall(r"<[^>]*>", html)).lower()  # raw HTML may remain as text
    assert "<script" not in tags and "javascript:" not in tags and "<iframe" not in tags
    assert "onerror" not in tags and "style=" not in tags and "<img" not in tags


def test_raw_html_is_text_in_all_markdown():
    """Only Markdown makes elements: an image written as HTML loads nothing, in course content
    as in what trainees write."""
    from lms.content.render import render_trainee_text

    source = '正文 <img src="https://tracker.example/p.png"> 与 <b>粗体</b>\n\n<div>\n<img src=x>\n</div>\n'
    for html in (render_markdown(source), render_trainee_text(source)):
        assert "<img" not in html and "<b>" not in html and "<div>" not in html
        assert "&lt;img src=" in html and "&lt;b&gt;粗体&lt;/b&gt;" in html


def test_trainee_images_become_their_alt_text():
    from lms.content.render import render_trainee_text

    html = render_trainee_text("见图 ![催收流程图](https://tracker.example/p.png) 与 ![][ref]\n\n"
                               "[ref]: https://tracker.example/q.png\n")
    assert "<img" not in html and "tracker.example" not in html
    assert "催收流程图" in html


def test_markdown_features_authors_use():
    html = render_markdown(
        "## 标题\n\n| 情境 | 合规说法 |\n| --- | --- |\n| 首次通话 | 您好 |\n\n"
        "> 引用\n\n1. 一\n2. 二\n\n!!! 注意\n    不得泄露客户信息。\n\n!!! 案例 \"对比\"\n    示例\n")
    assert '<h2 id="标题">标题</h2>' in html
    assert '<table class="table">' in html and '<td data-label="情境">首次通话</td>' in html
    assert "<blockquote>" in html and "<ol>" in html
    assert '<div class="callout callout-warning">' in html
    assert '<div class="callout callout-example">' in html


def test_trainee_text_keeps_line_breaks_and_loads_nothing():
    from lms.content.render import render_trainee_text

    html = render_trainee_text("第一行\n第二行\n\n第二段 <img src=x onerror=alert(1)> "
                               "![像素](https://tracker.example/p.png) <script>alert(1)</script>")
    assert "<p>第一行<br>\n第二行</p>" in html
    assert "<img" not in html and "<script" not in html and "tracker.example" not in html
    assert "&lt;img src=x" in html  # raw HTML is shown as text, not dropped silently


def test_lists_nested_hundreds_deep_are_a_clear_error_not_a_crash(tmp_path):
    deep = SECOND + "\n" + "- " * 1000 + "深\n"
    found = errors_of(write_course(tmp_path, **{"02-second.md": deep}))
    assert found == ["02-second.md:4: lists or quotes are nested too deeply to show: "
                     "at most about a hundred levels"]
    # elsewhere (a quiz's feedback, a trainee's text) it is shown as written instead of failing
    from lms.content.render import render_trainee_text

    assert render_markdown("- " * 1000 + "x").startswith("<p>- - - ")
    assert render_trainee_text("- " * 600 + "总结\n第二行") == "<p>" + "- " * 600 + "总结<br>\n第二行</p>"


def test_an_svg_with_a_script_is_refused_as_an_upload_would_be(tmp_path):
    """Images from the course folder (`lms import`, a package) pass the checks uploads pass."""
    images = "\n![图](images/evil.svg)\n![图](images/ok.svg)\n"
    course = write_course(tmp_path, **{"02-second.md": SECOND + images})
    (course / "images").mkdir()
    (course / "images" / "evil.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>')
    (course / "images" / "ok.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>')
    [found] = errors_of(course)
    assert found.startswith("02-second.md:7: image 'images/evil.svg': ") and "onload" in found


@pytest.mark.parametrize(("written", "line"), [
    ("![图][流程]\n\n[流程]: images/missing.png", 9),  # where the reference names the file
    ("![图](<images/no such.png>)", 7),
])
def test_an_image_written_any_way_markdown_allows_is_checked(tmp_path, written, line):
    found = errors_of(write_course(tmp_path, **{"02-second.md": SECOND + "\n" + written + "\n"}))
    [problem] = found
    assert problem.startswith(f"02-second.md:{line}: image '") and "not found" in problem


def test_a_text_file_over_the_limit_is_refused_before_it_is_read(tmp_path):
    """One limit for every way a text arrives (a folder, a package, the editor): 512 KB."""
    found = errors_of(write_course(tmp_path, **{"02-second.md": SECOND + "长" * 200_000}))
    assert found == ["02-second.md:1: the file is larger than 512 KB: "
                     "split it into several modules or quizzes"]
