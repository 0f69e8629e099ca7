"""A course's structure in the browser: create, rename, reorder, retire and restore its modules
and activities.

Every change is a draft of the items it touches (the new item, and the course.yml or module whose
list names it), so it is reviewed, published, conflicted and kept in history like any edit. The
order lives where files keep it: course.yml's ``modules`` list, each module's ``activities`` list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..accounts.models import User
from ..assessments.models import SCENARIO
from ..audit.services import record
from ..content.course import COURSE_FILE
from ..content.loader import SUMMARY_ACTIVITY
from ..content.scenario import SUFFIX
from ..content.validation import SLUG
from ..db import locked
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..learning.models import Course
from . import services
from .items import Item, course_item, current, find_course, is_retired, record_of, revision_files, split_files
from .models import ACTIVITY, COURSE, MODULE, Draft
from .services import AuthoringError, ItemState, Who, name_of
from .yamledit import edit_meta, get_list, meta_of, scalar, set_list, set_scalar

MAX_SLUG = 80
MAX_TITLE = 200
UP, DOWN = "up", "down"

#: what the "new" form offers: (label, kind of item)
NEW_KINDS: dict[str, tuple[Any, str]] = {
    "module": (_l("Module"), MODULE),
    "quiz": (_l("Quiz"), ACTIVITY),
    "case": (_l("Case study"), ACTIVITY),
    "scenario": (_l("Call simulation"), ACTIVITY),
    "exam": (_l("Final exam"), ACTIVITY),
}

_QUESTION = """## 催收时，可以向借款人的亲友透露其欠款情况吗？
- [ ] 可以，这样能督促借款人尽快还款
- [x] 不可以，应当保护借款人的隐私
> 保护客户隐私：不得向第三方泄露借款人的个人信息和欠款情况。
"""

STARTERS = {
    "module": """---
title: {title}
summary: 用一两句话说明本单元讲什么。
minutes: 10
objectives:
  - 学完本单元，学员能够说出……
activities: []
---
## {heading}

在这里撰写本单元的正文。
""",
    "quiz": """---
title: {title}
pass_mark: 80
attempts: 3
shuffle: true
reveal: after_attempt
---
""" + _QUESTION,
    "case": """---
title: {title}
kind: case
pass_mark: 80
attempts: 3
reveal: after_attempt
---
在这里描述案例：借款人的情况、催收员的做法和通话经过。

请根据本案例回答以下问题。

""" + _QUESTION,
    "exam": """---
title: {title}
pass_mark: 80
attempts: 3
wait: 1h
time_limit: 30m
shuffle: true
reveal: once_passed
---
""" + _QUESTION,
    "scenario": """---
title: {title}
pass_score: 60
rules:
  privacy: 保护客户隐私，不得向第三方泄露借款人的个人信息和欠款情况
---
## start: 接通电话
电话接通了，对方说：“我是他的同事，他现在不在。”

- “您好，麻烦您转告他给我们回个电话，谢谢。” -> end-pass (10)
  > 没有透露欠款情况，只请对方转告回电。
- “他欠银行的钱一直不还，麻烦您提醒他。” -> end-fail (-10) !privacy major
  > 向第三方泄露了借款人的欠款情况。

## end-pass: 处理得当 [end pass]
你保护了借款人的隐私。

## end-fail: 泄露了借款人的隐私 [end fail]
向第三方透露欠款情况违反了催收规范。
""",
}


class StructureError(AuthoringError):
    """A refused change; ``field`` names the form field the message belongs next to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _audit(action: str, item: Item, who: Who, details: dict[str, Any]) -> None:
    record(action, item.name, who if isinstance(who, User) else None,
           {"author": name_of(who), **details})


# --- the working copy: drafts where there are drafts, else what is published -------------------

@dataclass(frozen=True)
class Working:
    source: str
    files: list[list[Any]]
    number: int | None  # the published revision
    version: int | None  # the draft's version (None: no draft)


def working(item: Item, drafts: Mapping[Item, Draft] | None = None) -> Working | None:
    """The item as its trainer works on it: the draft, else what is published. ``drafts``: the
    course's drafts by item, when the caller has read them all (a page that shows every item)."""
    draft = drafts.get(item) if drafts is not None else services.draft_of(item)
    published = current(item)
    number = published.number if published is not None else None
    if draft is not None and not draft.is_retirement:
        return Working(draft.source, [list(f) for f in draft.files], number, draft.version)
    if published is not None:
        return Working(published.source, revision_files(item, published), number,
                       draft.version if draft is not None else None)
    return None


def _settings_file(texts: dict[str, str]) -> str:
    """The file holding an item's settings: a GIFT quiz's .yml, else its only file."""
    return next((name for name in texts if name.endswith(".yml")), next(iter(texts)))


def meta(item: Item, copy: Working | None = None) -> dict[str, Any]:
    copy = copy or working(item)
    if copy is None:
        return {}
    texts = split_files(copy.source, copy.files)
    name = _settings_file(texts)
    return meta_of(texts[name], name)


def _edit(item: Item, change: Callable[[str], str], who: Who,
          expected: tuple[int | None, int | None] | None = None):
    """Save a draft of ``item`` with ``change`` applied to its settings. ``expected`` is the
    (published revision, draft version) the trainer saw: a newer one raises :class:`Conflict`."""
    copy = working(item)
    if copy is None:
        raise AuthoringError(_("%(name)s does not exist.", name=item.name))
    texts = split_files(copy.source, copy.files)
    name = _settings_file(texts)
    try:
        texts[name] = edit_meta(texts[name], name, change)
    except (ValueError, yaml.YAMLError) as exc:  # unreadable YAML: fixed in the editor
        raise AuthoringError(_("%(name)s cannot be changed here until its settings can be read: %(error)s",
                               name=item.name, error=str(exc).splitlines()[0])) from None
    base, version = expected if expected is not None else (copy.number, copy.version)
    return services.save_draft(item, "".join(texts.values()), who, base, version,
                               [[n, len(t)] for n, t in texts.items()])


def module_order(course: str) -> list[str]:
    """The modules in course.yml's order, as the course would be with its drafts published."""
    copy = working(course_item(course))
    return get_list(copy.source, "modules") if copy is not None else []


def activity_order(course: str, module: str) -> list[str]:
    return [str(a) for a in meta(Item(course, MODULE, module)).get("activities") or []
            if isinstance(a, str | int)]


# --- create and rename ------------------------------------------------------------------------

def slug_problem(course: str, kind: str, slug: str) -> str | None:
    """Why ``slug`` cannot name a new item, or None (the rules of ``lms check``, and unused)."""
    if not SLUG.match(slug) or len(slug) > MAX_SLUG:
        return _("Use lowercase letters, digits and '-' only, starting with a letter or digit "
                 "(at most %(n)d characters).", n=MAX_SLUG)
    if kind == ACTIVITY and slug == SUMMARY_ACTIVITY:
        return _("'%(slug)s' is the name of the training summary.", slug=slug)
    item = Item(course, kind, slug)
    if is_retired(item):
        return _("A retired item is named '%(slug)s': restore it, or choose another name.", slug=slug)
    if record_of(item) is not None or services.draft_of(item) is not None:
        return _("'%(slug)s' is taken in this course: choose another name.", slug=slug)
    return None


def _title_problem(title: str) -> str | None:
    if not title.strip():
        return _("Give it a title.")
    if len(title) > MAX_TITLE or "\n" in title:
        return _("Use one line of at most %(n)d characters.", n=MAX_TITLE)
    return None


def _file_name(kind: str, slug: str, position: int = 1) -> str:
    if kind == "module":
        return f"{position:02d}-{slug}.md"
    return f"{slug}{SUFFIX if kind == SCENARIO else '.md'}"


def _with_activity(activities: list[str], slug: str) -> list[str]:
    """``activities`` with ``slug`` added last, before the training summary that ends a course."""
    if activities and activities[-1] == SUMMARY_ACTIVITY:
        return activities[:-1] + [slug, SUMMARY_ACTIVITY]
    return activities + [slug]


def create(course: str, new_kind: str, slug: str, title: str, who: Who,
           module: str | None = None) -> Item:
    """A draft of a new module or activity with a starter source that validates; a new module
    is added to course.yml's list, a new activity to ``module``'s. Creations in one course take
    turns (a double click's second sees the first's draft), so no list names an item twice."""
    record_ = find_course(course)
    if record_ is None or current(course_item(course)) is None:
        raise AuthoringError(_("No course '%(course)s'.", course=course))
    locked(Course, record_.id)
    if new_kind not in NEW_KINDS:
        raise StructureError(_("Choose what to create."), "kind")
    kind = NEW_KINDS[new_kind][1]
    slug = slug.strip()
    if problem := slug_problem(course, kind, slug):
        raise StructureError(problem, "slug")
    if problem := _title_problem(title):
        raise StructureError(problem, "title")
    modules = module_order(course)
    if kind == ACTIVITY and module and module not in modules:
        raise StructureError(_("Choose one of the course's modules."), "module")
    heading = title.strip().replace("\n", " ")
    source = STARTERS[new_kind].format(title=scalar(title.strip()), heading=heading)
    item = Item(course, kind, slug)
    name = _file_name(new_kind, slug, len(modules) + 1)
    services.save_draft(item, source, who, None, None, [[name, len(source)]])
    if kind == MODULE:
        _edit(course_item(course), lambda text: set_list(text, "modules", modules + [slug]), who)
    elif module:
        listed = activity_order(course, module)
        _edit(Item(course, MODULE, module),
              lambda text: set_list(text, "activities", _with_activity(listed, slug)), who)
    _audit("content.created", item, who, {"kind": new_kind, "title": title.strip(),
                                          "module": module or ""})
    return item


def discard(item: Item, who: Who) -> None:
    """Discard ``item``'s draft. A never-published item also leaves the list its creation added it
    to (course.yml's modules, a module's activities): a list naming a missing item would stop the
    next publication. A list draft left with nothing else to change is dropped."""
    if current(item) is None and services.draft_of(item) is not None:
        if item.kind == MODULE and item.slug in module_order(item.course):
            listed = module_order(item.course)
            _edit(course_item(item.course),
                  lambda text: set_list(text, "modules", [m for m in listed if m != item.slug]), who)
        elif item.kind == ACTIVITY:
            owners = set(module_order(item.course)) | {d.slug for d in services.drafts_of(item.course)
                                                        if d.kind == MODULE}
            for module in sorted(owners):
                listed = activity_order(item.course, module)
                if item.slug in listed:
                    _edit(Item(item.course, MODULE, module),
                          lambda text, listed=listed: set_list(
                              text, "activities", [a for a in listed if a != item.slug]), who)
    services.discard_draft(item)


def title_of(item: Item, copy: Working | None = None) -> str:
    return _title_in(meta(item, copy), item)


def _title_in(settings: Mapping[str, Any], item: Item) -> str:
    """An item's title as its settings give it; its name while they give none."""
    value = settings.get("title")
    return str(value) if value not in (None, "") else item.slug


def rename(item: Item, title: str, who: Who, base_number: int | None, version: int | None,
           new_slug: str | None = None) -> Item:
    """Change an item's title; its slug too while it was never published (once published,
    trainees' results point at it by that name)."""
    if item.kind not in (MODULE, ACTIVITY):
        raise AuthoringError(_("Only modules and activities are renamed here; the course's title "
                               "is in its settings."))
    if problem := _title_problem(title):
        raise StructureError(problem, "title")
    new_slug = (new_slug or item.slug).strip()
    if new_slug != item.slug:
        if current(item) is not None:
            raise StructureError(_("%(name)s is published: trainees' results point at it by its name "
                                   "'%(slug)s', so the name stays. Change its title instead.",
                                   name=item.name, slug=item.slug), "slug")
        if problem := slug_problem(item.course, item.kind, new_slug):
            raise StructureError(problem, "slug")
    before = title_of(item)
    _edit(item, lambda text: set_scalar(text, "title", title.strip()), who, (base_number, version))
    if new_slug != item.slug:
        item = _move_draft(item, new_slug, who)
    _audit("content.renamed", item, who, {"from": before, "to": title.strip()})
    return item


def _move_draft(item: Item, slug: str, who: Who) -> Item:
    """A never-published item's draft under a new slug, and the list that names it."""
    draft = services.draft_of(item)
    moved = Item(item.course, item.kind, slug)
    draft.slug = slug
    draft.files = [[name.replace(item.slug, slug, 1), chars] for name, chars in draft.files]
    if item.kind == MODULE:
        order = [slug if s == item.slug else s for s in module_order(item.course)]
        _edit(course_item(item.course), lambda text: set_list(text, "modules", order), who)
    else:
        for module in module_order(item.course):
            listed = activity_order(item.course, module)
            if item.slug in listed:
                new = [slug if s == item.slug else s for s in listed]
                _edit(Item(item.course, MODULE, module),
                      lambda text, new=new: set_list(text, "activities", new), who)
    return moved


# --- reorder ----------------------------------------------------------------------------------

def move(item: Item, direction: str, who: Who, base_number: int | None, version: int | None,
         module: str | None = None) -> None:
    """Move a module one place up or down in course.yml, or an activity in ``module``'s list.
    ``base_number``/``version`` are those of the list's owner as the trainer saw it."""
    if item.kind == MODULE:
        owner, key, order = course_item(item.course), "modules", module_order(item.course)
    elif item.kind == ACTIVITY and module:
        owner, key = Item(item.course, MODULE, module), "activities"
        order = activity_order(item.course, module)
    else:
        raise AuthoringError(_("Only modules and activities can be moved."))
    if item.slug not in order:
        raise AuthoringError(_("%(name)s is not in that list any more; reload the page.", name=item.name))
    index = order.index(item.slug)
    other = index - 1 if direction == UP else index + 1
    if direction not in (UP, DOWN) or not 0 <= other < len(order):
        raise AuthoringError(_("%(name)s cannot move further.", name=item.name))
    order[index], order[other] = order[other], order[index]
    _edit(owner, lambda text: set_list(text, key, order), who, (base_number, version))
    _audit("content.reordered", item, who, {"list": owner.name, "order": order})


# --- retire and restore -----------------------------------------------------------------------

def listing_modules(item: Item) -> list[str]:
    return [m for m in module_order(item.course) if item.slug in activity_order(item.course, m)]


def retire(item: Item, who: Who, message: str = ""):
    """Retire a module or an activity; an activity also leaves the modules that list it, in the
    same publication. Nothing is deleted: results keep the revisions trainees saw."""
    if item.kind != ACTIVITY or not listing_modules(item):
        return services.retire(item, who, message)
    if record_of(item) is None or is_retired(item):
        raise AuthoringError(_("%(name)s is not published.", name=item.name))
    keys = []
    for module in listing_modules(item):
        owner = Item(item.course, MODULE, module)
        rest = [a for a in activity_order(item.course, module) if a != item.slug]
        _edit(owner, lambda text, rest=rest: set_list(text, "activities", rest), who)
        keys.append(owner)
    existing = services.draft_of(item)
    services.save_draft(item, "", who, current(item).number,
                        existing.version if existing else None, retire=True)
    keys.append(item)
    if services.review_required(item.course):
        return [services.draft_of(key) for key in keys]
    return services.publish(item.course, who, message or f"retire {item.slug}", keys)


def restore(item: Item, who: Who, module: str | None = None) -> None:
    """A draft that brings a retired item back with its last revision: publishing it restores it
    (a module back at the end of course.yml's list, an activity in ``module``'s)."""
    if not is_retired(item):
        raise AuthoringError(_("%(name)s is not retired.", name=item.name))
    last = current(item)
    existing = services.draft_of(item)
    services.save_draft(item, last.source, who, last.number, existing.version if existing else None,
                        revision_files(item, last))
    if item.kind == MODULE:
        order = module_order(item.course)
        if item.slug not in order:
            _edit(course_item(item.course), lambda text: set_list(text, "modules", order + [item.slug]), who)
    elif module:
        if module not in module_order(item.course):
            raise StructureError(_("Choose one of the course's modules."), "module")
        listed = activity_order(item.course, module)
        if item.slug not in listed:
            _edit(Item(item.course, MODULE, module),
                  lambda text: set_list(text, "activities", _with_activity(listed, item.slug)), who)
    _audit("content.restored", item, who, {"revision": last.number, "module": module or ""})


def publication(item: Item) -> list[Item]:
    """``item`` and the drafts that must be published with it: a list's owner whose draft adds
    or drops it, and what such a draft adds or drops in turn."""
    course = item.course
    drafts = {Item(d.course_slug, d.kind, d.slug): d for d in services.drafts_of(course)}

    def listed(owner: Item, published: bool) -> set[str]:
        key = "modules" if owner.kind == COURSE else "activities"
        if published:
            rev = current(owner)
            copy = Working(rev.source, revision_files(owner, rev), None, None) if rev else None
        else:
            copy = working(owner)
        if copy is None:
            return set()
        if owner.kind == COURSE:
            return set(get_list(copy.source, key))
        return {str(a) for a in meta(owner, copy).get(key) or []}

    def changed(owner: Item) -> set[str]:
        if owner not in drafts or drafts[owner].is_retirement:
            return set()
        return listed(owner, True) ^ listed(owner, False)

    modules = set(module_order(course)) | {i.slug for i in drafts if i.kind == MODULE}
    owners = [course_item(course)] + [Item(course, MODULE, m) for m in modules]
    links: dict[Item, set[Item]] = {}
    for owner in owners:
        member_kind = MODULE if owner.kind == COURSE else ACTIVITY
        for slug in changed(owner):
            member = Item(course, member_kind, slug)
            links.setdefault(owner, set()).add(member)
            links.setdefault(member, set()).add(owner)
    found, todo = {item}, [item]
    while todo:
        for other in links.get(todo.pop(), ()):
            if other not in found:
                found.add(other)
                todo.append(other)
    return [i for i in found if i == item or i in drafts]


# --- the course page --------------------------------------------------------------------------

@dataclass
class Row:
    """A module or activity in its place, with what the page shows and can do."""

    item: Item | None  # None: the training summary, which has no file
    title: str
    state: ItemState | None
    first: bool = False
    last: bool = False
    activities: list[Row] = field(default_factory=list)


@dataclass
class Outline:
    settings: ItemState
    settings_copy: Working | None
    modules: list[Row]
    module_copies: dict[str, Listed]  # each module's base and version, for moving its activities
    loose: list[Row]  # not in the course's order: activities no module lists, pending retirements
    retired: list[ItemState]
    drafts: int


@dataclass(frozen=True)
class Listed:
    """What the outline shows of an item: its title, the activities it lists (a module) and the
    base and version a move form sends. From the draft's settings when there is a draft, else from
    the published revision's stored title and list: the page reads and parses no published text."""

    title: str
    activities: list[str]
    number: int | None
    version: int | None


def _listed(item: Item, drafts: Mapping[Item, Draft]) -> Listed | None:
    draft = drafts.get(item)
    published = current(item)
    number = published.number if published is not None else None
    if draft is not None and not draft.is_retirement:
        settings = meta(item, Working(draft.source, [list(f) for f in draft.files], number, draft.version))
        return Listed(_title_in(settings, item), [str(a) for a in settings.get("activities") or []],
                      number, draft.version)
    if published is None:
        return None
    listed = getattr(published, "activities", None) or []  # a module's; an activity lists none
    return Listed(published.title or item.slug, [str(a) for a in listed], number,
                  draft.version if draft is not None else None)


def outline(course: str) -> Outline:
    states = {s.item: s for s in services.overview(course)}
    settings = states.pop(course_item(course))
    drafts = {Item(d.course_slug, d.kind, d.slug): d for d in services.drafts_of(course)}
    course_copy = working(course_item(course), drafts)
    order = get_list(course_copy.source, "modules") if course_copy is not None else []
    modules, listings, placed = [], {}, set()
    for index, slug in enumerate(order):
        item = Item(course, MODULE, slug)
        listed = _listed(item, drafts)
        row = Row(item if listed is not None else None, listed.title if listed else slug,
                  states.get(item), index == 0, index == len(order) - 1)
        placed.add(item)
        if listed is not None:
            listings[slug] = listed
            for position, activity in enumerate(listed.activities):
                sub = Item(course, ACTIVITY, activity)
                known = sub in states
                shown = _listed(sub, drafts) if known else None
                row.activities.append(Row(sub if known else None, shown.title if shown else activity,
                                          states.get(sub), position == 0,
                                          position == len(listed.activities) - 1))
                placed.add(sub)
        modules.append(row)
    loose = []
    for item, state in states.items():
        if item not in placed and state.state != services.RETIRED:
            shown = _listed(item, drafts)
            loose.append(Row(item, shown.title if shown else item.slug, state))
    retired = [state for state in states.values() if state.state == services.RETIRED]
    return Outline(settings, course_copy, modules, listings, loose, retired, len(drafts))


def titled(rows: list[Row]) -> list[tuple[str, str]]:
    return [(row.item.slug, row.title) for row in rows if row.item is not None]


__all__ = ["COURSE_FILE", "NEW_KINDS", "StructureError", "create", "discard", "move", "outline",
           "publication", "rename", "restore", "retire", "slug_problem", "working"]


def results_kept(item: Item) -> int:
    """How many trainee records (module readings, attempts, plays) point at the item's revisions."""
    from sqlalchemy import func, select

    from ..assessments.models import QuizAttempt, ScenarioPlay
    from ..db import session
    from ..learning.models import ModuleProgress

    found = record_of(item)
    if found is None or item.kind == COURSE:
        return 0
    if item.kind == MODULE:
        return session.scalar(select(func.count()).where(ModuleProgress.module_id == found.id)) or 0
    return sum(session.scalar(select(func.count()).where(model.activity_id == found.id)) or 0
               for model in (QuizAttempt, ScenarioPlay))
