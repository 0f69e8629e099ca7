"""A call simulation drawn as a map: steps as nodes, choices and branches as edges.

:func:`build` turns a parsed scenario (valid or not yet) into a :class:`SimMap`: the start, the
endings with their outcome, each choice's points and violation, the unreachable steps and the dead
ends, each with its line in the source. :func:`to_dot` writes it in Graphviz's language with every
text quoted; :func:`render_svg` runs ``dot`` and :func:`clean_svg` keeps only an allow-list of SVG
elements and attributes, with links only to the editor. Colour is never the only cue: every kind of
edge also has its own line style and says its points and violation in its label.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

from ..content.scenario import CRITICAL, FAIL, OTHERWISE, PASS, ScenarioSpec, Step, reachable
from ..i18n import lazy_gettext as _l

DOT = "dot"
DOT_TIMEOUT = 20  # seconds; the shipped simulations take well under one
FONT = "Noto Sans CJK SC"
#: what a browser without dot's font draws the text with (dot measured the text in FONT)
FONT_STACK = f"'{FONT}', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"

GOOD, NEUTRAL, POOR = "good", "neutral", "poor"  # a choice without a violation, by its points
MINOR, MAJOR = "minor", "major"  # and CRITICAL: a choice with a violation, by its severity
BRANCH = "branch"  # a step that follows the score


@dataclass(frozen=True)
class Look:
    """How one kind of edge is drawn: colour, Graphviz style and pen width, and an SVG dash
    pattern for the legend (the same as dot draws)."""

    colour: str
    style: str
    width: float
    dashes: str
    label: object  # a lazy string for the legend


#: Edge looks, in the legend's order. Colours hold 4.5:1 or more on white (the labels use them).
LOOKS: dict[str, Look] = {
    GOOD: Look("#1a7a37", "solid", 2.4, "", _l("Best choice at its step (most points)")),
    NEUTRAL: Look("#4a5563", "solid", 1.2, "", _l("Other choice with points of 0 or more")),
    POOR: Look("#6b4aa0", "dotted", 1.6, "1,5", _l("Choice that loses points")),
    MINOR: Look("#946200", "dashed", 1.6, "5,2", _l("Minor violation (!rule minor)")),
    MAJOR: Look("#c2410c", "dashed", 2.6, "5,2", _l("Major violation (!rule major)")),
    CRITICAL: Look("#b00020", "bold", 3.2, "", _l("Critical violation: the call ends failed")),
    BRANCH: Look("#1f5fa8", "solid", 1.2, "", _l("Branch on the score so far (? score …)")),
}
PASS_FILL, FAIL_FILL, END_FILL = "#dff3e4", "#fbe3e4", "#eceff3"
PROBLEM_FILL, PROBLEM_COLOUR = "#fff1c2", "#8a5a00"


@dataclass(frozen=True)
class Node:
    key: str  # the step id, or for a missing target the id it names
    title: str
    line: int  # of the heading; of the first choice naming it, for a missing step
    kind: str  # step, branch (follows the score), end, or missing (named but not defined)
    outcome: str | None = None  # of an ending: pass, fail or None (not declared)
    is_start: bool = False
    is_unreachable: bool = False
    is_dead_end: bool = False


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    text: str  # the choice's full text, or the branch's condition
    line: int
    look: str  # a key of LOOKS
    points: int = 0
    rule: str | None = None
    severity: str | None = None

    @property
    def mark(self) -> str:
        """Points and violation as the source writes them: ``(+10) !privacy major``."""
        if self.look == BRANCH:
            return ""
        mark = f"({self.points:+d})"
        return f"{mark} !{self.rule} {self.severity}" if self.rule else mark


@dataclass(frozen=True)
class SimMap:
    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    def edges_from(self, key: str) -> list[Edge]:
        return [edge for edge in self.edges if edge.source == key]

    @property
    def unreachable(self) -> list[Node]:
        return [node for node in self.nodes if node.is_unreachable]

    @property
    def dead_ends(self) -> list[Node]:
        return [node for node in self.nodes if node.is_dead_end]

    @property
    def missing(self) -> list[Node]:
        return [node for node in self.nodes if node.kind == "missing"]


# --- the graph --------------------------------------------------------------------------------

def _choice_edges(step: Step) -> list[Edge]:
    best = max((c.points for c in step.choices if c.violation is None), default=None)
    edges = []
    for choice in step.choices:
        if choice.violation is not None:
            look = choice.violation.severity
        elif choice.points < 0:
            look = POOR
        elif best is not None and choice.points == best and best > 0:
            look = GOOD
        else:
            look = NEUTRAL
        edges.append(Edge(step.id, choice.target, choice.text, choice.line, look, choice.points,
                          choice.violation.rule if choice.violation else None,
                          choice.violation.severity if choice.violation else None))
    return edges


def _branch_edges(step: Step) -> list[Edge]:
    return [Edge(step.id, branch.target,
                 "otherwise" if branch.op == OTHERWISE else f"score {branch.op} {branch.value}",
                 branch.line, BRANCH) for branch in step.branches]


def build(spec: ScenarioSpec) -> SimMap:
    """The map of ``spec``, which may be a draft with problems (see ``read_scenario``): a target
    that names no step becomes a ``missing`` node; a step is a dead end when no ending can be
    reached from it (a step without choices is one), and unreachable when no path from the start
    leads to it."""
    steps: dict[str, Step] = {}
    for step in spec.steps:
        steps.setdefault(step.id, step)  # a step defined twice: the parser reports the second
    edges = [edge for step in steps.values() for edge in (*_choice_edges(step), *_branch_edges(step))
             if edge.target]
    missing: dict[str, int] = {}
    for edge in edges:
        if edge.target not in steps:
            missing.setdefault(edge.target, edge.line)
    targets: dict[str, list[str]] = {}
    sources: dict[str, list[str]] = {}
    for edge in edges:
        targets.setdefault(edge.source, []).append(edge.target)
        sources.setdefault(edge.target, []).append(edge.source)
    start = spec.steps[0].id if spec.steps else None
    reached = reachable([start] if start else [], lambda key: targets.get(key, []))
    # a missing step is reported as such: what leads to it is not also called a dead end
    ends = {key for key, step in steps.items() if step.is_end} | set(missing)
    can_end = reachable(ends, lambda key: sources.get(key, []))

    nodes = []
    for key, step in steps.items():
        kind = "end" if step.is_end else BRANCH if step.branches and not step.choices else "step"
        nodes.append(Node(key, step.title, step.line, kind, step.outcome if step.is_end else None,
                          is_start=key == start, is_unreachable=key not in reached,
                          is_dead_end=not step.is_end and key not in can_end))
    nodes += [Node(key, "", line, "missing") for key, line in missing.items()]
    return SimMap(spec.title, tuple(nodes), tuple(edges))


# --- Graphviz ---------------------------------------------------------------------------------

def _columns(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


CLOSING = set("。，、；：？！”’）》」』…")  # punctuation that never starts a line


def wrap(text: str, width: int, lines: int) -> list[str]:
    """``text`` on at most ``lines`` lines of ``width`` columns (a CJK character takes two; a
    closing punctuation mark may overhang), cut with … when longer; Latin words are kept whole
    where they fit."""
    text = " ".join(text.split())
    found: list[str] = []
    line, used = "", 0
    for word in re.findall(r"[A-Za-z0-9_\-./:!?()+]+\s*|.", text):
        size = sum(_columns(c) for c in word.rstrip())
        if used + size > width and line.strip() and word not in CLOSING:
            found.append(line.rstrip())
            line, used = "", 0
            word = word.lstrip()
        line += word
        used += sum(_columns(c) for c in word)
    if line.strip():
        found.append(line.rstrip())
    if len(found) > lines:
        found = found[:lines]
        last = found[-1]
        while last and sum(_columns(c) for c in last) > width - 2:
            last = last[:-1]
        found[-1] = last.rstrip() + "…"
    return found


def quote(text: str) -> str:
    """A Graphviz quoted string showing ``text`` exactly: backslashes and quotes escaped (so no
    ``\\N``-style escape and no end of the string), ``&`` written as an entity (dot keeps
    entities as they are), control characters dropped."""
    text = "".join(c for c in text if c >= " " or c == "\n")
    text = text.replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\n", "\\n") + '"'


def _statement(subject: str, **values: object) -> str:
    """``  subject [name="value", …];`` with every value quoted, None values left out."""
    attributes = ", ".join(f"{name}={quote(str(value))}" for name, value in values.items()
                           if value is not None)
    return f"  {subject} [{attributes}];"


def _node(node: Node, name: str, words: dict[str, str]) -> str:
    lines = [node.key] if node.kind == "missing" else [node.key, *wrap(node.title, 18, 2)]
    shape, style, fill, colour, width = "box", "rounded", None, "#333333", "1.2"
    if node.kind == "end":
        lines.append(f"[end {node.outcome}]" if node.outcome else "[end]")
        shape, style = "doubleoctagon", "filled"
        fill = {PASS: PASS_FILL, FAIL: FAIL_FILL}.get(node.outcome or "", END_FILL)
    elif node.kind == BRANCH:
        shape = "hexagon"
    if node.is_start:
        lines.insert(0, f"▶ {words['start']}")
        width = "3"
    problems = [words[word] for word, flag in (("unreachable", node.is_unreachable),
                                               ("dead end", node.is_dead_end),
                                               ("missing", node.kind == "missing")) if flag]
    if problems:
        lines.append("⚠ " + " · ".join(problems))
        style = "dashed,filled" + (",rounded" if shape == "box" else "")
        fill, colour, width = PROBLEM_FILL, PROBLEM_COLOUR, "2"
    return _statement(name, id=name, label="\n".join(lines),
                      shape=shape, style=style, fillcolor=fill, color=colour, penwidth=width,
                      URL="#", tooltip=name)


def anchors(simmap: SimMap, link: Callable[[int], str]) -> dict[str, tuple[str, str]]:
    """What each node and edge links to and says when pointed at, by the id :func:`to_dot`
    gives it: ``{"n0": (link(line), "start: 电话接通"), "e0": (…), …}``."""
    found = {f"n{index}": (link(node.line), f"{node.key}: {node.title}" if node.title else node.key)
             for index, node in enumerate(simmap.nodes)}
    found |= {f"e{index}": (link(edge.line),
                            f"{edge.source} → {edge.target}: {edge.text} {edge.mark}".strip())
              for index, edge in enumerate(simmap.edges)}
    return found


def to_dot(simmap: SimMap, words: dict[str, str]) -> str:
    """The map in Graphviz's language, top to bottom. Node names and ids are generated (``n0``…,
    ``e0``…, see :func:`anchors`), and every text is quoted; the links are put in by
    :func:`clean_svg`. ``words`` gives the translated "start", "unreachable", "dead end" and
    "missing" shown in the nodes."""
    names = {node.key: f"n{index}" for index, node in enumerate(simmap.nodes)}
    out = ["digraph simmap {",
           _statement("graph", rankdir="TB", fontname=FONT, nodesep="0.2", ranksep="0.5", pad="0.25",
                      bgcolor="white"),
           _statement("node", fontname=FONT, fontsize="12", shape="box", style="rounded", margin="0.15,0.06"),
           _statement("edge", fontname=FONT, fontsize="10", arrowsize="0.7")]
    out += [_node(node, names[node.key], words) for node in simmap.nodes]
    if simmap.nodes and simmap.nodes[0].is_start:
        out.append(_statement("start", shape="point", width="0.18", color="#333333"))
        out.append(_statement(f"start -> {names[simmap.nodes[0].key]}", penwidth="1.5"))
    for index, edge in enumerate(simmap.edges):
        look = LOOKS[edge.look]
        label = [*wrap(edge.text, 14, 2), *wrap(edge.mark, 20, 2)] if edge.mark else wrap(edge.text, 14, 1)
        out.append(_statement(f"{names[edge.source]} -> {names[edge.target]}", id=f"e{index}",
                              label="\n".join(label), color=look.colour, fontcolor=look.colour,
                              style=look.style, penwidth=look.width, URL="#", tooltip=f"e{index}"))
    out.append("}")
    return "\n".join(out) + "\n"


class MapError(Exception):
    """dot is missing, failed or took too long."""


def dot_available() -> bool:
    return shutil.which(DOT) is not None


def render_svg(dot_source: str, timeout: float = DOT_TIMEOUT) -> str:
    """What ``dot -Tsvg`` makes of ``dot_source`` (not yet cleaned: see :func:`clean_svg`)."""
    path = shutil.which(DOT)
    if path is None:
        raise MapError("Graphviz's dot is not installed")
    try:
        done = subprocess.run([path, "-Tsvg"], input=dot_source.encode("utf-8"), capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise MapError(f"dot took more than {timeout:g} s") from None
    if done.returncode != 0:
        raise MapError(f"dot failed: {done.stderr.decode('utf-8', 'replace').strip()[:300]}")
    return done.stdout.decode("utf-8")


# --- cleaning dot's SVG -----------------------------------------------------------------------

SVG_NS = "http://www.w3.org/2000/svg"
ELEMENTS = {"svg", "g", "a", "title", "path", "polygon", "polyline", "ellipse", "circle", "text", "rect"}
ATTRIBUTES = {"x", "y", "width", "height", "viewBox", "points", "d", "cx", "cy", "rx", "ry", "fill",
              "stroke", "stroke-width", "stroke-dasharray", "font-family", "font-size", "font-weight",
              "font-style", "text-anchor", "transform", "fill-opacity", "stroke-opacity"}
PLAIN_VALUE = re.compile(r"^[#\w\s.,%:;'\"-]*$")  # no url(…), no script
TRANSFORM = re.compile(r"^(\s*(scale|rotate|translate)\([-\d.,\s]*\))+\s*$")


def clean_svg(svg: str, links: dict[str, tuple[str, str]], title: str) -> str:
    """dot's SVG rebuilt from an allow-list: the elements and presentation attributes it draws
    with; no ids, classes, styles, scripts or comments. dot's links are replaced by ours: an
    anchor dot made for node or edge ``id`` links to ``links[id]``'s address with its text as
    ``<title>`` (see :func:`anchors`); any other is dropped, its drawing kept. The map's ``title``
    becomes the SVG's first child, naming it for screen readers."""
    try:
        source = ET.fromstring(svg[svg.index("<svg"):])  # without the XML declaration and DOCTYPE
    except (ValueError, ET.ParseError) as error:
        raise MapError(f"dot's SVG cannot be read: {error}") from None
    root = ET.Element(f"{{{SVG_NS}}}svg", {"role": "group", "aria-labelledby": "simmap-title"})
    _copy_attributes(source, root)
    root.set("font-family", FONT_STACK)
    label = ET.SubElement(root, f"{{{SVG_NS}}}title", {"id": "simmap-title"})
    label.text = title
    for child in source:
        _copy(child, root, links, "")
    ET.register_namespace("", SVG_NS)
    return ET.tostring(root, encoding="unicode")


def _local(tag: object) -> str | None:
    if not isinstance(tag, str) or not tag.startswith(f"{{{SVG_NS}}}"):
        return None  # comments, processing instructions, other namespaces
    return tag.split("}", 1)[1]


def _copy_attributes(source: ET.Element, target: ET.Element) -> None:
    for name, value in source.attrib.items():
        if name not in ATTRIBUTES:
            continue
        if name == "transform" and not TRANSFORM.match(value):
            continue
        if name != "transform" and not PLAIN_VALUE.match(value):
            continue
        if name != "font-family":  # dot names FONT on each text; the root names it with fallbacks
            target.set(name, value)


def _copy(source: ET.Element, parent: ET.Element, links: dict[str, tuple[str, str]], owner: str) -> None:
    """Copy ``source`` under ``parent``; ``owner`` is the id of the ``<g>`` dot wrapped it in
    (``a_n3``, ``a_e5-label`` for an anchor)."""
    name = _local(source.tag)
    if name is None or name not in ELEMENTS or name in ("svg", "title"):
        return  # dot's titles name its generated node names; our links carry the real ones
    if name == "a":
        key = owner.removeprefix("a_").removesuffix("-label")
        if owner.startswith("a_") and key in links:
            href, text = links[key]
            target = ET.SubElement(parent, f"{{{SVG_NS}}}a", {"href": href})
            ET.SubElement(target, f"{{{SVG_NS}}}title").text = text
        else:
            target = parent  # the drawing without a link
    else:
        target = ET.SubElement(parent, f"{{{SVG_NS}}}{name}")
        _copy_attributes(source, target)
        if name == "text":
            target.text = source.text
    for child in source:
        _copy(child, target, links, source.get("id", "") if name == "g" else "")
