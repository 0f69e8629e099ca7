"""YAML front matter and YAML documents with line numbers for every key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import yaml

from ..memo import LatestCache
from .errors import ContentError

FENCE = "---"


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML mapping that remembers the line (1-based) of each top-level key."""

    data: dict[str, Any]
    key_lines: dict[str, int]
    start_line: int

    def line_of(self, key: str, index: int | None = None) -> int:
        """Line of ``key``, or of item ``index`` of the list under it, when known."""
        line = self.key_lines.get(key, self.start_line)
        if index is not None:
            line = self.key_lines.get(f"{key}[{index}]", line)
        return line


#: Parsed YAML by its text's SHA-256: the editor checks the whole course on every keystroke, and
#: only the item being edited has changed. Errors are kept without the path, which varies.
_parsed = LatestCache(size=512, per_database=False)


def parse_yaml(text: str, path: str, first_line: int = 1) -> YamlDocument:
    """Parse a YAML mapping; ``first_line`` is the file line the text starts on."""
    subject = (hashlib.sha256(text.encode("utf-8")).hexdigest(), first_line)
    found = _parsed.get(subject, None)
    if found is None:
        found = _parse_yaml(text, first_line)
        _parsed.put(subject, None, found)
    if isinstance(found, tuple):
        raise ContentError(path, *found)
    return found


def _parse_yaml(text: str, first_line: int) -> YamlDocument | tuple[int, str]:
    """The document, or the (line, message) of the error it has."""
    offset = first_line - 1
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        return _yaml_error(exc, text, offset)
    except yaml.YAMLError as exc:
        return first_line, f"invalid YAML: {exc}"
    if data is None:
        return YamlDocument({}, {}, first_line)
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        return first_line, "expected a mapping of keys to values"
    key_lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        key_lines[key] = offset + key_node.start_mark.line + 1
        if isinstance(value_node, yaml.SequenceNode):
            for index, item in enumerate(value_node.value):
                key_lines[f"{key}[{index}]"] = offset + item.start_mark.line + 1
        elif isinstance(value_node, yaml.MappingNode):
            for sub_key, _ in value_node.value:
                key_lines[f"{key}.{sub_key.value}"] = offset + sub_key.start_mark.line + 1
    return YamlDocument({str(k): v for k, v in data.items()}, key_lines, first_line)


def _yaml_error(exc: yaml.MarkedYAMLError, text: str, offset: int) -> tuple[int, str]:
    """The line to blame and a message: where the parser stopped, or where an unclosed
    construct began when it ran off the end of the text."""
    last_line = max(1, len(text.rstrip("\n").splitlines()))
    problem, context = exc.problem_mark, exc.context_mark
    message = f"invalid YAML: {exc.problem or exc.context}"
    if problem is None or (problem.line + 1 > last_line and context is not None):
        mark = context or problem
        return offset + (mark.line + 1 if mark else 1), message
    if context is not None and context.line != problem.line and exc.context:
        message += f" ({exc.context} started on line {offset + context.line + 1})"
    return offset + min(problem.line + 1, last_line), message


@dataclass(frozen=True)
class FrontMatterFile:
    meta: YamlDocument
    body: str
    body_line: int  # file line on which the body starts


def split_front_matter(text: str, path: str) -> FrontMatterFile:
    """Split ``---`` YAML front matter from a Markdown body."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != FENCE:
        raise ContentError(path, 1, "missing front matter: the file must start with a '---' line")
    for index in range(1, len(lines)):
        if lines[index].strip() == FENCE:
            meta = parse_yaml("".join(lines[1:index]), path, first_line=2)
            return FrontMatterFile(meta, "".join(lines[index + 1 :]), index + 2)
    raise ContentError(path, 1, "front matter is not closed: add a '---' line after it")
