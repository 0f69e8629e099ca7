"""course.yml as a form: its fields read out, written back as YAML, and checked by the validator
``lms check`` runs, with each message placed next to the field it names.

Only the values that change are written again: a key left as it was keeps its text, comments
included, so the draft's diff shows what the trainer changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from sqlalchemy import select

from ..content import ContentError, ContentErrors
from ..content.course import COURSE_FILE, DEFAULT_CERTIFICATE, DEFAULT_COMPLETION, DEFAULT_READING
from ..db import session
from ..learning.models import CourseAsset
from . import services
from .items import course_item, find_course
from .models import ASSET, COURSE, Draft

#: form field -> (path in course.yml, default when absent, kind of value)
FIELDS: dict[str, tuple[tuple[str, ...], Any, str]] = {
    "title": (("title",), None, "text"),
    "description": (("description",), "", "text"),
    "hours": (("hours",), 1, "number"),
    "sequential": (("sequential",), False, "flag"),
    "review_required": (("review_required",), False, "flag"),
    "all_trainees": (("enrolment", "all_trainees"), False, "flag"),
    "due_days": (("enrolment", "due_days"), None, "number"),
    "min_share": (("reading", "min_share"), DEFAULT_READING["min_share"], "number"),
    "min_chars": (("summary", "min_chars"), 500, "number"),
    "completion_modules": (("completion", "modules"), DEFAULT_COMPLETION["modules"], "flag"),
    "completion_quizzes": (("completion", "quizzes"), DEFAULT_COMPLETION["quizzes"], "flag"),
    "completion_scenarios": (("completion", "scenarios"), DEFAULT_COMPLETION["scenarios"], "flag"),
    "completion_summary": (("completion", "summary"), DEFAULT_COMPLETION["summary"], "flag"),
    "scenario_min_score": (("completion", "scenario_min_score"), None, "number"),
    "validity_months": (("certificate", "validity_months"), DEFAULT_CERTIFICATE["validity_months"],
                        "months"),
    "issuer": (("certificate", "issuer"), "", "text"),
    "signatory": (("certificate", "signatory"), "", "text"),
    "signatory_title": (("certificate", "signatory_title"), "", "text"),
    "template": (("certificate", "template"), None, "choice"),
}
#: a message's first quoted key -> the field it belongs next to
BY_KEY = {".".join(path): name for name, (path, _, _) in FIELDS.items()}
BY_KEY["enrolment"] = "all_trainees"
QUOTED_KEY = re.compile(r"'([a-z_]+(?:\.[a-z_]+)?)'")
_ABSENT = object()


def parse(source: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _get(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = data
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return _ABSENT
        value = value[key]
    return value


def values(source: str) -> dict[str, Any]:
    """The form's values for course.yml's text: what it says, else what it means by default."""
    data = parse(source)
    found = {}
    for name, (path, default, kind) in FIELDS.items():
        value = _get(data, path)
        value = default if value is _ABSENT else value
        if kind in ("number", "months", "text"):
            value = "" if value is None else str(value)
        elif kind == "choice":
            value = value or ""
        found[name] = value
    return found


def _typed(raw: Any, kind: str) -> Any:
    """A form value as YAML would read it from a file: "6" is a number, "六" stays text for the
    validator to refuse in its own words; an empty field is absent (None: "never" for months)."""
    if kind == "flag":
        return bool(raw)
    text = str(raw or "").strip()
    if kind == "choice" or kind == "text":
        return text or _ABSENT
    if not text:
        return None if kind == "months" else _ABSENT
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, int | float) and not isinstance(value, bool) else text


def build(source: str, form: dict[str, Any]) -> str:
    """course.yml's text with the form's values: changed keys written again, the rest as they were."""
    old = parse(source)
    new: dict[str, Any] = {key: (dict(value) if isinstance(value, dict) else value)
                           for key, value in old.items()}
    for name, (path, default, kind) in FIELDS.items():
        value = _typed(form.get(name), kind)
        wanted = value is not _ABSENT and (_get(old, path) is not _ABSENT or value != default)
        if len(path) == 1:
            if wanted:
                new[path[0]] = value
            elif value is _ABSENT:
                new.pop(path[0], None)
            continue
        section, key = path
        mapping = new[section] if isinstance(new.get(section), dict) else {}
        if wanted:
            mapping[key] = value
        elif value is _ABSENT:
            mapping.pop(key, None)
        if mapping:
            new[section] = mapping
        else:
            new.pop(section, None)
    return _rewrite(source, old, new)


def _dump(key: str, value: Any) -> str:
    return yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False,
                          default_flow_style=False, width=1000)


def _blocks(text: str) -> tuple[str, dict[str, tuple[str, Any, int]]]:
    """The text before the first key, and each top-level key's lines, value node and line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return "", {}
    if not isinstance(root, yaml.MappingNode) or not root.value:
        return text, {}
    lines = text.splitlines(keepends=True)
    starts = [key.start_mark.line for key, _ in root.value] + [len(lines)]
    blocks = {str(key.value): ("".join(lines[starts[i]:starts[i + 1]]), node, starts[i])
              for i, (key, node) in enumerate(root.value)}
    return "".join(lines[:starts[0]]), blocks


def _rewrite(source: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    header, blocks = _blocks(source)
    if not blocks and old:  # unreadable: write it whole
        return yaml.safe_dump(new, allow_unicode=True, sort_keys=False, width=1000)
    parts = [header]
    for key in list(old) + [k for k in new if k not in old]:
        if key not in new:
            continue
        if key in blocks and old.get(key) == new[key]:
            parts.append(blocks[key][0])
        elif key in blocks and isinstance(old.get(key), dict) and isinstance(new[key], dict):
            parts.append(_rewrite_section(key, *blocks[key], old[key], new[key]))
        else:
            parts.append(_dump(key, new[key]))
    return "".join(part if part.endswith("\n") or not part else part + "\n" for part in parts)


def _rewrite_section(key: str, text: str, node: Any, line: int, old: dict[str, Any],
                     new: dict[str, Any]) -> str:
    """One nested mapping with only its changed keys written again."""
    if not isinstance(node, yaml.MappingNode) or node.flow_style or not node.value:
        return _dump(key, new)
    lines = text.splitlines(keepends=True)
    starts = [sub.start_mark.line - line for sub, _ in node.value] + [len(lines)]
    indent = " " * node.value[0][0].start_mark.column
    own = {str(sub.value): "".join(lines[starts[i]:starts[i + 1]])
           for i, (sub, _) in enumerate(node.value)}
    out = "".join(lines[:starts[0]])
    for sub in list(old) + [k for k in new if k not in old]:
        if sub not in new:
            continue
        if sub in own and old.get(sub) == new[sub]:
            out += own[sub]
        else:
            out += indent + _dump(sub, new[sub])
    return out


def field_of(error: ContentError) -> str | None:
    """The form field a course.yml message is about, when it names one."""
    if not error.path.endswith(COURSE_FILE):
        return None
    found = QUOTED_KEY.search(error.message)
    return BY_KEY.get(found.group(1)) if found else None


@dataclass
class Check:
    fields: dict[str, list[str]]  # messages next to their field
    general: list[str]  # the rest, above the form

    @property
    def blocks_saving(self) -> bool:
        """course.yml itself is wrong (other files' problems are theirs to fix)."""
        return bool(self.fields) or any(f"/{COURSE_FILE}:" in message for message in self.general)


def check(course: str, text: str) -> Check:
    """What ``lms check`` says of the course with this course.yml and its other drafts."""
    mine = Draft(course_slug=course, kind=COURSE, slug=course, source=text,
                 files=[[COURSE_FILE, len(text)]])
    drafts = [d for d in services.drafts_of(course) if d.kind != COURSE] + [mine]
    result = Check({}, [])
    try:
        services.validate(course, drafts)
    except ContentErrors as errors:
        for error in errors.errors:
            name = field_of(error)
            if name is None:
                result.general.append(str(error))
            else:
                result.fields.setdefault(name, []).append(error.message)
    return result


def template_choices(course: str) -> list[str]:
    """The course's folders that hold a certificate.html: the designs a course can choose."""
    record_ = find_course(course)
    paths = [] if record_ is None else list(session.scalars(
        select(CourseAsset.path).where(CourseAsset.course_id == record_.id)))
    paths += [d.slug for d in services.drafts_of(course) if d.kind == ASSET and not d.is_retirement]
    return sorted({path.rsplit("/", 1)[0] for path in paths
                   if path.endswith("/certificate.html")})


def settings_item(course: str):
    return course_item(course)
