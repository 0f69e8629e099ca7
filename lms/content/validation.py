"""Shared by the content parsers: collecting every problem, and checking YAML fields."""

from __future__ import annotations

import re
from pathlib import Path

from .errors import ContentError
from .frontmatter import YamlDocument

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class Collector:
    """Gathers every problem in a course instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[ContentError] = []

    def add(self, path: str, line: int, message: str) -> None:
        self.errors.append(ContentError(path, line, message))


def text_field(doc: YamlDocument, key: str, path: str, errors: Collector, required: bool) -> str:
    value = doc.data.get(key)
    if value is None:
        if required:
            errors.add(path, doc.start_line, f"'{key}' is required")
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        errors.add(path, doc.line_of(key), f"'{key}' must be text")
        return ""
    text = str(value).strip()
    if required and not text:
        errors.add(path, doc.line_of(key), f"'{key}' must not be empty")
    return text


def text_list(doc: YamlDocument, key: str, path: str, errors: Collector) -> tuple[str, ...]:
    value = doc.data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        errors.add(path, doc.line_of(key), f"'{key}' must be a list")
        return ()
    items = []
    for index, item in enumerate(value):
        if not isinstance(item, str | int) or isinstance(item, bool) or not str(item).strip():
            errors.add(path, doc.line_of(key, index), f"'{key}' item {index + 1} must be text")
            continue
        items.append(str(item).strip())
    return tuple(items)


def unknown_keys(doc: YamlDocument, allowed: set[str], path: str, errors: Collector) -> None:
    for key in doc.data:
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            errors.add(path, doc.line_of(key), f"unknown key '{key}' (known keys: {known})")


#: the largest text file a course may hold (a module, a quiz, a simulation, course.yml): the
#: shipped course's largest is 28 KB; the editor publishes a text as a form, which is refused
#: over 2 MB once URL-encoded, about three times the size of Chinese text
MAX_TEXT_BYTES = 512 * 1024
TOO_LARGE = f"the file is larger than {MAX_TEXT_BYTES // 1024} KB: split it into several modules or quizzes"


def read_text(path: Path, errors: Collector) -> str | None:
    try:
        if path.stat().st_size > MAX_TEXT_BYTES:
            errors.add(str(path), 1, TOO_LARGE)
            return None
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        errors.add(str(path), line, "the file is not valid UTF-8")
    except OSError as exc:
        errors.add(str(path), 1, f"cannot read the file: {exc.strerror}")
    return None
