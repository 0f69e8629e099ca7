"""Small edits to YAML text that keep everything else as written: comments, quoting, key order.

Trainers keep course.yml and front matter in git with comments; a rename or a reorder in the
browser changes the one value it is about, so the diff a reviewer reads is that value only.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from ..content.frontmatter import FENCE


def scalar(value: str) -> str:
    """``value`` as a YAML scalar: plain when YAML reads it back unchanged, else double-quoted."""
    try:
        if value and value == value.strip() and "\n" not in value \
                and yaml.safe_load(f"k: {value}") == {"k": value}:
            return value
    except yaml.YAMLError:
        pass
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _root(text: str) -> yaml.MappingNode | None:
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    return node if isinstance(node, yaml.MappingNode) else None


def _entry(root: yaml.MappingNode | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if root is None:
        return None
    return next(((k, v) for k, v in root.value if str(k.value) == key), None)


def _with_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def set_scalar(text: str, key: str, value: str) -> str:
    """``text`` with the top-level ``key`` set to the string ``value`` (added first if absent)."""
    found = _entry(_root(text), key)
    if found is None:
        return f"{key}: {scalar(value)}\n" + text
    _, node = found
    if not isinstance(node, yaml.ScalarNode):
        raise ValueError(f"'{key}' is not a single value")
    old = text[node.start_mark.index:node.end_mark.index]
    new = scalar(value) + ("\n" if old.endswith("\n") else "")
    return text[:node.start_mark.index] + new + text[node.end_mark.index:]


def get_list(text: str, key: str) -> list[str]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    value = data.get(key) if isinstance(data, dict) else None
    return [str(v) for v in value if v is not None] if isinstance(value, list) else []


def set_list(text: str, key: str, values: list[str]) -> str:
    """``text`` with the top-level list ``key`` holding ``values``: a block list keeps each kept
    item's own line (and its comment); a flow list is written again; an absent key is appended."""
    flow = "[" + ", ".join(scalar(v) for v in values) + "]"
    root = _root(text)
    found = _entry(root, key)
    lines = text.splitlines(keepends=True)
    if found is None:
        return _with_newline(text) + f"{key}: {flow}\n"
    key_node, node = found
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        first, last = node.value[0].start_mark.line, node.value[-1].end_mark.line
        if node.value[-1].end_mark.column == 0:  # the mark sits at the start of the next line
            last -= 1
        if values and all(isinstance(item, yaml.ScalarNode) for item in node.value):
            kept = {str(item.value): lines[item.start_mark.line] for item in node.value}
            indent = lines[first][:len(lines[first]) - len(lines[first].lstrip())]
            new = [_with_newline(kept.get(v) or f"{indent}- {scalar(v)}\n") for v in values]
            return "".join(lines[:first] + new + lines[last + 1:])
        start = key_node.start_mark.line
        return "".join(lines[:start] + [f"{key}: {flow}\n"] + lines[last + 1:])
    if isinstance(node, yaml.SequenceNode):  # a flow list
        return text[:node.start_mark.index] + flow + text[node.end_mark.index:]
    if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):  # `key:` and nothing
        line = key_node.start_mark.line
        return "".join(lines[:line] + [f"{key}: {flow}\n"] + lines[line + 1:])
    raise ValueError(f"'{key}' is not a list")


def split_front(text: str) -> tuple[str, str, str] | None:
    """A Markdown file's (opening fence, front matter, rest from the closing fence on)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != FENCE:
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() == FENCE:
            return lines[0], "".join(lines[1:index]), "".join(lines[index:])
    return None


def edit_meta(text: str, name: str, change) -> str:
    """Apply ``change`` (YAML text -> YAML text) to a file's settings: the front matter of a
    Markdown file, the whole of a .yml file."""
    if name.endswith(".md"):
        parts = split_front(text)
        if parts is None:
            raise ValueError("missing front matter")
        fence, meta, rest = parts
        return fence + _with_newline(change(meta)) + rest
    return change(text)


def meta_of(text: str, name: str) -> dict[str, Any]:
    """The settings of a file, or {} when they cannot be read."""
    if name.endswith(".md"):
        parts = split_front(text)
        text = parts[1] if parts else ""
    elif not name.endswith((".yml", ".yaml")):
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}
