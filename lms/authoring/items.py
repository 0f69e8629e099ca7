"""A course's items (its settings, modules and activities) as published, and as files."""

from __future__ import annotations

import base64
import bisect
import difflib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Union

import yaml
from sqlalchemy import inspect, select

from ..assessments.models import SCENARIO, Activity, ActivityRevision
from ..content.course import COURSE_FILE
from ..db import session
from ..learning.models import Course, CourseAsset, Module, ModuleRevision
from .models import ACTIVITY, ASSET, COURSE, MODULE, CourseRevision, Draft
from .tree import Tree

Revision = Union[CourseRevision, ModuleRevision, ActivityRevision]  # noqa: UP007 (a runtime alias)


@dataclass(frozen=True)
class Item:
    course: str
    kind: str  # course (its course.yml), module or activity
    slug: str

    @property
    def name(self) -> str:
        return f"{self.course}/{COURSE_FILE if self.kind == COURSE else self.slug}"

    @property
    def folder(self) -> str:
        return f"{'quizzes' if self.kind == ACTIVITY else 'courses'}/{self.course}"


def course_item(course: str) -> Item:
    return Item(course, COURSE, course)


#: ``Session.info`` key: the rows this session found by slug. A page that lists a course's items
#: looks each one up several times; the row found first is used again, as long as the session
#: still holds it under that slug (the identity map alone would let it go between lookups).
_FOUND = "lms_items_found"


def _by_slug(model: type[Course] | type[Module] | type[Activity], slug: str,
             course_id: int | None = None) -> Course | Module | Activity | None:
    found = session.info.setdefault(_FOUND, {})
    key = (model, course_id, slug)
    row = found.get(key)
    if (row is not None and row in session and not inspect(row).deleted and row.slug == slug
            and getattr(row, "course_id", None) == course_id):
        return row
    statement = select(model).where(model.slug == slug)
    if course_id is not None:
        statement = statement.where(model.course_id == course_id)
    row = session.scalar(statement)
    if row is not None:  # not found may change within the request (a first publish creates it)
        found[key] = row
    return row


def remember(rows: Iterable[Course | Module | Activity]) -> None:
    """Rows a caller read otherwise (all of a course's modules, say), for :func:`record_of`."""
    found = session.info.setdefault(_FOUND, {})
    for row in rows:
        found[type(row), getattr(row, "course_id", None), row.slug] = row


def find_course(slug: str) -> Course | None:
    return _by_slug(Course, slug)


def record_of(item: Item) -> Course | Module | Activity | None:
    """The row that carries the item's identity and state (retired or not)."""
    course = find_course(item.course)
    if course is None or item.kind == COURSE:
        return course
    if item.kind == ASSET:  # assets have no revisions: a changed file replaces the old one
        return None
    return _by_slug(Module if item.kind == MODULE else Activity, item.slug, course.id)


def history(item: Item) -> list[Revision]:
    """Every published revision of the item, oldest first."""
    record = record_of(item)
    if record is None:
        return []
    if item.kind == COURSE:
        query = select(CourseRevision).where(CourseRevision.course_id == record.id)
        return list(session.scalars(query.order_by(CourseRevision.number)))
    if item.kind == MODULE:
        query = select(ModuleRevision).where(ModuleRevision.module_id == record.id)
        return list(session.scalars(query.order_by(ModuleRevision.number)))
    query = select(ActivityRevision).where(ActivityRevision.activity_id == record.id)
    return list(session.scalars(query.order_by(ActivityRevision.number)))


def current(item: Item) -> Revision | None:
    """What trainees get now (the last revision of a retired item)."""
    record = record_of(item)
    if record is None:
        return None
    if item.kind == COURSE:
        return session.scalar(select(CourseRevision).where(CourseRevision.course_id == record.id)
                              .order_by(CourseRevision.number.desc()).limit(1))
    return record.current_revision


def revision(item: Item, number: int) -> Revision | None:
    return next((r for r in history(item) if r.number == number), None)


def is_retired(item: Item) -> bool:
    record = record_of(item)
    return bool(record is not None and record.is_archived)


def default_files(item: Item, source: str, position: int = 1, kind: str | None = None) -> list[list[Any]]:
    if item.kind == COURSE:
        return [[COURSE_FILE, len(source)]]
    if item.kind == MODULE:
        return [[f"{position:02d}-{item.slug}.md", len(source)]]
    return [[f"{item.slug}{'.scenario.md' if kind == SCENARIO else '.md'}", len(source)]]


def split_files(source: str, files: list[list[Any]]) -> dict[str, str]:
    """``source`` cut into its files: [[name, characters], …]."""
    texts, start = {}, 0
    for name, chars in files:
        texts[name] = source[start:start + chars]
        start += chars
    return texts


def refit_files(files: list[list[Any]], source: str, old: str | None = None) -> list[list[Any]]:
    """The same files for a new ``source``. Given the ``old`` source they split, the borders
    between files follow the edit line by line (a quiz's GIFT file and its settings file may both
    change); otherwise the first file takes the change in length, and when the text is shorter
    than the files after the first, those keep their lengths from the end and the earlier ones
    shrink (never an error: the validation then says what each file lacks)."""
    if old is not None and len(files) > 1:
        moved = _moved_borders(files, old, source)
        if moved is not None:
            sizes = [b - a for a, b in zip([0, *moved], [*moved, len(source)], strict=True)]
            return [[name, size] for (name, _), size in zip(files, sizes, strict=True)]
    sizes, left = [], len(source)
    for _name, chars in reversed(files[1:]):
        sizes.append(min(chars, left))
        left -= sizes[-1]
    sizes.append(left)
    return [[name, size] for (name, _), size in zip(files, reversed(sizes), strict=True)]


def _moved_borders(files: list[list[Any]], old: str, new: str) -> list[int] | None:
    """Where the borders between ``files`` (splitting ``old``) are in ``new``, or None."""
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    old_starts = list(itertools.accumulate((len(line) for line in old_lines), initial=0))
    new_starts = list(itertools.accumulate((len(line) for line in new_lines), initial=0))
    borders = list(itertools.accumulate(chars for _, chars in files[:-1]))
    if sum(chars for _, chars in files) != len(old):
        return None
    codes = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes()
    moved = []
    for border in borders:
        line = bisect.bisect_right(old_starts, border) - 1  # the line the border is in (or starts)
        within = border - old_starts[line]
        # the last stretch reaching the border: lines added at a border go to the file before it
        tag, i1, i2, j1, j2 = [code for code in codes if code[1] <= line <= code[2]][-1]
        if within and tag == "equal":  # a file that does not end its last line: inside a kept line
            moved.append(new_starts[j1 + line - i1] + within)
        else:
            moved.append(new_starts[j1 + min(line - i1, j2 - j1)])
    return moved if moved == sorted(moved) else None


def revision_files(item: Item, rev: Revision, record: Any = None) -> list[list[Any]]:
    if rev.files:
        return [list(f) for f in rev.files]
    record = record if record is not None else record_of(item)
    kind = getattr(record, "kind", None)
    return default_files(item, rev.source, getattr(record, "position", 1), kind)


def item_tree(item: Item, source: str, files: list[list[Any]]) -> Tree:
    return {f"{item.folder}/{name}": text.encode("utf-8")
            for name, text in split_files(source, files).items()}


def published_tree(course: Course) -> tuple[Tree, dict[Item, list[str]]]:
    """The course as published, in the on-disk layout, and the paths of each item."""
    tree: Tree = {}
    paths: dict[Item, list[str]] = {}

    def add(item: Item, rev: Revision | None, record: Any = None) -> None:
        if rev is None:
            return
        files = item_tree(item, rev.source, revision_files(item, rev, record))
        tree.update(files)
        paths[item] = list(files)

    item = course_item(course.slug)
    add(item, current(item))
    for module in course.active_modules:
        add(Item(course.slug, MODULE, module.slug), module.current_revision, module)
    for activity in session.scalars(select(Activity).where(Activity.course_id == course.id,
                                                           Activity.is_archived.is_(False))):
        add(Item(course.slug, ACTIVITY, activity.slug), activity.current_revision, activity)
    for asset in session.scalars(select(CourseAsset).where(CourseAsset.course_id == course.id)):
        tree[f"courses/{course.slug}/{asset.path}"] = asset.data
    return tree, paths


def course_tree(slug: str, drafts: Iterable[Draft] = ()) -> Tree:
    """The course as published with ``drafts`` applied: what publishing them would give."""
    course = find_course(slug)
    tree, paths = published_tree(course) if course is not None else ({}, {})
    changed: set[str] = set()
    for draft in drafts:
        item = Item(draft.course_slug, draft.kind, draft.slug)
        for path in paths.get(item, []):
            tree.pop(path, None)
        if draft.kind == ASSET:
            tree[f"{item.folder}/{item.slug}"] = base64.b64decode(draft.source)
        elif not draft.is_retirement:
            tree.update(item_tree(item, draft.source, draft.files))
        changed.add(item.slug)
    listed = _listed_modules(tree.get(f"courses/{slug}/{COURSE_FILE}", b""))
    if listed is not None:  # a module dropped from course.yml is retired with it
        for item, item_paths in paths.items():
            if item.kind == MODULE and item.slug not in listed and item.slug not in changed:
                for path in item_paths:
                    tree.pop(path, None)
    return tree


def _listed_modules(text: bytes) -> set[str] | None:
    try:
        data = yaml.safe_load(text.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return None
    modules = data.get("modules") if isinstance(data, dict) else None
    return {str(m) for m in modules} if isinstance(modules, list) else None
