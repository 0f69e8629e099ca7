"""The one Markdown renderer: authored text in, sanitised HTML out."""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from html import escape

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.toc import slugify_unicode
from markdown.treeprocessors import Treeprocessor

#: Callout types authors may write as ``!!! 要点``; the value is the CSS modifier.
CALLOUTS = {
    "要点": "key",
    "注意": "warning",
    "案例": "example",
    "key": "key",
    "warning": "warning",
    "example": "example",
}

CALLOUT_LINE = re.compile(r"^!!!\s*(?P<type>[^\s\"]+)(?:\s+\"(?P<title>[^\"]*)\")?\s*$")
IMAGE_REF = re.compile(r"!\[(?P<alt>[^\]]*)\]\(\s*<?(?P<src>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "div",
    "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "img", "ins",
    "kbd", "li", "mark", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "div": {"class"},
    "p": {"class"},
    "span": {"class"},
    "table": {"class"},
    "td": {"align", "colspan", "rowspan", "data-label"},
    "th": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "*": {"id"},
}


def callout_lines(source: str) -> list[tuple[int, str]]:
    """``(line number, type)`` for every callout opener in ``source``."""
    found = []
    for number, line in enumerate(source.splitlines(), start=1):
        match = CALLOUT_LINE.match(line)
        if match:
            found.append((number, match["type"]))
    return found


def image_references(source: str) -> list[tuple[int, str]]:
    """``(line number, src)`` for every Markdown image in ``source``."""
    return [
        (number, match["src"])
        for number, line in enumerate(source.splitlines(), start=1)
        for match in IMAGE_REF.finditer(line)
    ]


def all_image_references(source: str) -> list[tuple[int, str]]:
    """``(line number, src)`` for every image the renderer will show: those ``image_references``
    reads, and any other way Markdown writes one (a reference ``![alt][id]`` defined elsewhere,
    an address in angle brackets), at the first line that names its ``src`` (else line 1)."""
    found = image_references(source)
    named = {src for _line, src in found}
    lines = source.splitlines()
    for src in _rendered_image_sources(source):
        if src not in named:
            named.add(src)
            found.append((next((n for n, line in enumerate(lines, start=1) if src in line), 1), src))
    return found


@functools.lru_cache(maxsize=256)
def _rendered_image_sources(source: str) -> tuple[str, ...]:
    seen: list[str] = []

    def record(src: str) -> str:
        seen.append(src)
        return src

    try:
        _rendered(source, record)
    except RecursionError:  # reported by the module's own rendering
        return ()
    return tuple(dict.fromkeys(seen))


def images_without_alt(source: str) -> list[tuple[int, str]]:
    """``(line number, src)`` for every Markdown image in ``source`` whose alt text is empty."""
    return [
        (number, match["src"])
        for number, line in enumerate(source.splitlines(), start=1)
        for match in IMAGE_REF.finditer(line)
        if not match["alt"].strip()
    ]


class _LessonTreeprocessor(Treeprocessor):
    def __init__(self, md: markdown.Markdown, image_url: Callable[[str], str] | None):
        super().__init__(md)
        self.image_url = image_url

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if element.tag == "div" and "admonition" in element.get("class", "").split():
                kind = element.get("class", "").split()[-1]
                element.set("class", f"callout callout-{CALLOUTS.get(kind, 'key')}")
                title = element.find("p")
                if title is not None and title.get("class") == "admonition-title":
                    title.set("class", "callout-title")
            elif element.tag == "img" and self.image_url is not None:
                element.set("src", self.image_url(element.get("src", "")))
            elif element.tag == "table":
                element.set("class", "table")
                _label_cells(element)


def _label_cells(table: etree.Element) -> None:
    """Give each body cell its column's heading, so a phone can show a row as a card."""
    headings = ["".join(th.itertext()).strip() for th in table.iter("th")]
    for row in table.iter("tr"):
        for index, cell in enumerate(row.findall("td")):
            if index < len(headings) and headings[index]:
                cell.set("data-label", headings[index])


class _LessonExtension(Extension):
    def __init__(self, image_url: Callable[[str], str] | None):
        super().__init__()
        self.image_url = image_url

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        md.treeprocessors.register(_LessonTreeprocessor(md, self.image_url), "lms_lesson", 0)


def _without_raw_html(md: markdown.Markdown) -> markdown.Markdown:
    """Raw HTML is shown as the text it is, never as markup: only Markdown makes elements, so
    every image passes the image checks and every link the sanitiser's."""
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


class TooDeeplyNested(ValueError):
    """Lists or quotes nested beyond what the Markdown renderer can follow (hundreds of levels)."""


def render_markdown(source: str, *, image_url: Callable[[str], str] | None = None,
                    strict: bool = False) -> str:
    """Render authored Markdown to HTML that is safe to show to anyone.

    ``image_url`` maps an image's ``src`` as written to the URL the page should load. Text nested
    too deeply to render is shown as plain paragraphs, or with ``strict`` (checking a module)
    raises :class:`TooDeeplyNested`.
    """
    try:
        return _rendered(source, image_url)
    except RecursionError:
        if strict:
            raise TooDeeplyNested("lists or quotes are nested too deeply to show") from None
        return _plain_paragraphs(source)


def _plain_paragraphs(source: str, line_breaks: bool = False) -> str:
    """Text as escaped paragraphs: what is shown when the Markdown cannot be rendered."""
    paragraphs = [block for block in source.replace("\r\n", "\n").split("\n\n") if block.strip()]
    joiner = "<br>\n" if line_breaks else "\n"
    return "".join(f"<p>{joiner.join(escape(line) for line in block.splitlines())}</p>"
                   for block in paragraphs)


# Rendering is pure, and the editor's preview renders the whole course at each pause in typing
# while only one text has changed: the others come from here (pass a module-level ``image_url``).
@functools.lru_cache(maxsize=256)
def _rendered(source: str, image_url: Callable[[str], str] | None) -> str:
    md = markdown.Markdown(
        extensions=[
            "tables",
            "admonition",
            "sane_lists",
            "smarty",
            "toc",
            _LessonExtension(image_url),
        ],
        extension_configs={"toc": {"slugify": slugify_unicode, "toc_depth": "2-3"}},
        output_format="html",
    )
    html = _without_raw_html(md).convert(source)
    return sanitise_html(html)


#: What trainees write (training summaries, essays) may format text but not load anything.
TRAINEE_TAGS = ALLOWED_TAGS - {"img"}


class _ImagesAsText(Treeprocessor):
    """An image becomes its alt text: nothing is loaded."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter("img"):
            alt = element.get("alt", "")
            element.tag = "span"
            element.attrib.clear()
            element.text = alt


def render_trainee_text(source: str) -> str:
    """Trainee-written Markdown: every line break kept as written, raw HTML shown as text, no
    images: each shows as its alt text (a remote image would be a tracking pixel on the
    trainer's page; a large one breaks the report PDF)."""
    md = markdown.Markdown(extensions=["nl2br", "sane_lists", "tables"], output_format="html")
    md.treeprocessors.register(_ImagesAsText(md), "lms_images_as_text", 0)
    try:
        return sanitise_html(_without_raw_html(md).convert(source), tags=TRAINEE_TAGS)
    except RecursionError:  # nested hundreds of levels deep: shown as written, still readable
        return _plain_paragraphs(source, line_breaks=True)


def sanitise_html(html: str, tags: set[str] = ALLOWED_TAGS) -> str:
    return nh3.clean(
        html,
        tags=tags,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
