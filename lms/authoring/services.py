"""Drafts, publishing, history, rollback, four eyes and retirement: how content changes.

Every change goes through :func:`publish_specs`, so the CLI, packages and the browser share one
history. Services flush; the caller commits once.
"""

from __future__ import annotations

import base64
import difflib
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select

from ..accounts.models import User
from ..audit.services import record
from ..content import ContentErrors, CourseSpec
from ..content.course import COURSE_FILE
from ..content.render import all_image_references
from ..content.validation import MAX_TEXT_BYTES
from ..db import insert_missing, session, utcnow
from ..i18n import gettext as _
from ..learning.models import CourseAsset
from ..progress import SILENT, Progress
from .items import (
    Item,
    course_item,
    course_tree,
    current,
    default_files,
    find_course,
    is_retired,
    record_of,
    refit_files,
    remember,
    revision,
    revision_files,
)
from .models import ACTIVITY, ASSET, COURSE, MODULE, Draft
from .publishing import ImportReport, Stamp, publish_courses, publish_steps, spec_files
from .tree import parse_tree

Who = User | str


class AuthoringError(Exception):
    """A change that is refused; nothing was changed."""


class Conflict(AuthoringError):
    """A save or publish based on an outdated revision or draft; ``diff`` shows what changed."""

    def __init__(self, message: str, diff: str):
        super().__init__(message)
        self.diff = diff


class ReviewRequired(AuthoringError):
    pass


def name_of(who: Who) -> str:
    return who.display_name if isinstance(who, User) else who


def _audit(action: str, subject: str, who: Who, details: dict[str, Any]) -> None:
    record(action, subject, who if isinstance(who, User) else None,
           {"author": name_of(who), **details})


def unified_diff(old: str, new: str, old_name: str, new_name: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        old_name, new_name))


# --- drafts -----------------------------------------------------------------------------------

def draft_of(item: Item, *, for_update: bool = False) -> Draft | None:
    """The item's draft; ``for_update`` reads it afresh and locks it for the rest of the
    transaction, so two saves, approvals or publishes of one draft take turns."""
    statement = select(Draft).where(Draft.course_slug == item.course, Draft.kind == item.kind,
                                    Draft.slug == item.slug)
    return session.scalar(_for_update(statement) if for_update else statement)


def drafts_of(course: str, *, for_update: bool = False) -> list[Draft]:
    statement = select(Draft).where(Draft.course_slug == course).order_by(Draft.id)
    return list(session.scalars(_for_update(statement) if for_update else statement))


def _for_update(statement: Select) -> Select:
    return statement.with_for_update().execution_options(populate_existing=True)


def review_required(course: str) -> bool:
    record_ = find_course(course)
    return bool(record_ is not None and (record_.settings or {}).get("review_required"))


def _check_base(item: Item, base_number: int | None) -> None:
    published = current(item)
    number = published.number if published is not None else None
    if base_number != number:
        base = revision(item, base_number) if base_number else None
        raise Conflict(
            _("%(name)s was published as r%(number)s after you started from r%(base)s; reload it and "
              "apply your change again", name=item.name, number=number, base=base_number)
            if base_number else
            _("%(name)s was published as r%(number)s after you started it as a new item; reload it "
              "and apply your change again", name=item.name, number=number),
            unified_diff(base.source if base else "", published.source if published else "",
                         f"r{base_number}" if base_number else _("(new)"), f"r{number}"))


def save_draft(item: Item, source: str, author: Who, base_number: int | None,
               version: int | None = None, files: list[list[Any]] | None = None,
               retire: bool = False) -> Draft | None:
    """Keep unpublished changes to ``item`` (nothing a trainee sees changes).

    ``base_number`` is the published revision the editor started from and ``version`` the draft
    version it loaded (None: no draft); either being outdated raises :class:`Conflict`, unless the
    draft already has this very source (a repeated save overwrites nothing). Returns
    None when the source equals the published revision (the draft is dropped).
    """
    if item.kind != ASSET and len(source.encode("utf-8")) > MAX_TEXT_BYTES:
        raise AuthoringError(_("The text is larger than %(size)d KB, the most a course file may hold: "
                               "split it into several modules or quizzes.", size=MAX_TEXT_BYTES // 1024))
    draft = draft_of(item, for_update=True)
    if draft is not None and version != draft.version and draft.source != source:
        raise Conflict(_("%(author)s saved a newer draft of %(name)s (version %(version)d); reload it "
                         "and apply your change again", author=draft.author, name=item.name,
                         version=draft.version),
                       unified_diff(source, draft.source, _("yours"),
                                    _("draft v%(version)d", version=draft.version)))
    if draft is None and version is not None:
        raise Conflict(_("The draft of %(name)s you edited was published or discarded.", name=item.name), "")
    _check_base(item, base_number)
    published = current(item)
    split = [] if retire else files if files is not None else draft_files(item, source)
    if published is not None and not retire and published.source == source \
            and revision_files(item, published) == split and not is_retired(item):
        if draft is not None:
            session.delete(draft)
            session.flush()
        return None
    if draft is not None and draft.source == source and draft.files == split:
        return draft  # nothing changed: the author and any approval stay
    if draft is None:
        created = insert_missing(Draft, {"course_slug": item.course, "kind": item.kind,
                                         "slug": item.slug, "source": source, "files": split,
                                         "base_number": base_number, "version": 1,
                                         "author": name_of(author)},
                                 ("course_slug", "kind", "slug"))
        if not created:  # another save created it meanwhile: judge this one against that draft
            return save_draft(item, source, author, base_number, version, files, retire)
        return draft_of(item, for_update=True)
    draft.source, draft.files, draft.base_number = source, split, base_number
    draft.version += 1
    draft.author, draft.updated_at = name_of(author), utcnow()
    draft.approved_by = draft.approved_at = None
    draft.review_comment = ""
    session.flush()
    return draft


def draft_files(item: Item, source: str) -> list[list[Any]]:
    """How ``source`` splits into the item's files: as its draft or published revision did (the
    first file takes the change in length), else the one file an item of its kind has."""
    draft, published = draft_of(item), current(item)
    if draft is not None and draft.files:
        return refit_files(draft.files, source, draft.source)
    if published is not None:
        return refit_files(revision_files(item, published), source, published.source)
    return default_files(item, source)


def discard_draft(item: Item) -> None:
    draft = draft_of(item, for_update=True)
    if draft is not None:
        session.delete(draft)
        session.flush()


def validate(course: str, drafts: Iterable[Draft] = ()) -> list[CourseSpec]:
    """The course as it would be with ``drafts`` published; raises :class:`ContentErrors` with
    the messages ``lms check`` prints."""
    tree = course_tree(course, drafts)
    if not tree:
        raise AuthoringError(_("No course '%(course)s'.", course=course))
    return [spec for spec in parse_tree(tree) if spec.slug == course]


# --- four eyes --------------------------------------------------------------------------------

def approve(item: Item, approver: Who, version: int) -> Draft:
    """A second author approves the draft ``version`` they reviewed."""
    draft = draft_of(item, for_update=True)
    if draft is None:
        raise AuthoringError(_("%(name)s has no draft to approve.", name=item.name))
    if draft.version != version:
        raise Conflict(_("The draft of %(name)s changed while you reviewed it.", name=item.name), "")
    if name_of(approver) == draft.author:
        raise ReviewRequired(_("%(author)s wrote this draft of %(name)s: a second author must approve it.",
                               author=draft.author, name=item.name))
    draft.approved_by, draft.approved_at = name_of(approver), utcnow()
    session.flush()
    _audit("content.approved", item.name, approver, {"draft_author": draft.author,
                                                     "version": draft.version})
    return draft


def send_back(item: Item, reviewer: Who, comment: str) -> Draft:
    draft = draft_of(item, for_update=True)
    if draft is None:
        raise AuthoringError(_("%(name)s has no draft to review.", name=item.name))
    draft.approved_by = draft.approved_at = None
    draft.review_comment = comment
    session.flush()
    _audit("content.returned", item.name, reviewer, {"draft_author": draft.author, "reason": comment})
    return draft


# --- publishing -------------------------------------------------------------------------------

def publish_specs(specs: list[CourseSpec], stamp: Stamp, who: Who, action: str,
                  details: dict[str, Any] | None = None, progress: Progress = SILENT) -> ImportReport:
    """Publish validated courses and audit it: the one way revisions are made."""
    report = publish_courses(specs, stamp, progress)
    for spec in specs:
        mine = [name for name in report.revisions_created if name.startswith(spec.slug + "/")]
        retired = [name for name in report.modules_archived if name.startswith(spec.slug + "/")]
        if mine or retired or spec.slug in report.courses_created:
            _audit(action, spec.slug, who, {"revisions": mine, "retired": retired,
                                            "message": stamp.message,
                                            "approved_by": stamp.approved_by, **(details or {})})
        for name in retired:
            _audit("content.retired", name, who, {"message": stamp.message})
    return report


def publish(course: str, publisher: Who, message: str = "",
            items: Iterable[Item] | None = None) -> ImportReport:
    """Publish the course's drafts (or those of ``items``) as new revisions, in one go. A second
    publish at the same moment waits for the first and then finds its drafts gone."""
    drafts = drafts_of(course, for_update=True)
    if items is not None:
        wanted = set(items)
        chosen = [d for d in drafts if Item(d.course_slug, d.kind, d.slug) in wanted]
        drafts = chosen + _images_used_by(chosen, drafts)
    if not drafts:
        raise AuthoringError(_("%(course)s has no draft to publish.", course=course))
    for draft in drafts:
        _check_base(Item(draft.course_slug, draft.kind, draft.slug), draft.base_number)
    approvers = None
    if review_required(course):
        waiting = [f"{d.course_slug}/{d.slug}" for d in drafts
                   if not d.approved_by and not _is_new_image(d)]
        if waiting:
            raise ReviewRequired(_("%(course)s needs a second author's approval before publishing: "
                                   "%(items)s", course=course, items=", ".join(waiting)))
        approvers = ", ".join(sorted({d.approved_by for d in drafts if d.approved_by}))[:120]
    specs = validate(course, drafts)
    authors = ", ".join(sorted({d.author for d in drafts} | {name_of(publisher)}))[:120]
    stamp = Stamp(author=authors, message=message, approved_by=approvers)
    report = publish_specs(specs, stamp, publisher, "content.published")
    for draft in drafts:
        session.delete(draft)
    session.flush()
    return report


def _images_used_by(chosen: list[Draft], drafts: list[Draft]) -> list[Draft]:
    """The image drafts the chosen modules show: a module is published with its new images."""
    used = {posixpath.normpath(src) for d in chosen if d.kind == MODULE
            for _line, src in all_image_references(d.source)}
    return [d for d in drafts if d.kind == ASSET and d not in chosen and d.slug in used]


def _is_new_image(draft: Draft) -> bool:
    """An image that replaces none: trainees see it only through a module, which is reviewed."""
    if draft.kind != ASSET:
        return False
    course = find_course(draft.course_slug)
    return course is None or session.scalar(select(CourseAsset.id).where(
        CourseAsset.course_id == course.id, CourseAsset.path == draft.slug)) is None


def rollback(item: Item, number: int, who: Who, message: str = "") -> ImportReport | Draft:
    """Publish revision ``number``'s source as a new revision (a draft awaiting approval when
    the course needs four eyes)."""
    old, published = revision(item, number), current(item)
    if old is None or published is None:
        raise AuthoringError(_("%(name)s has no revision r%(number)d.", name=item.name, number=number))
    existing = draft_of(item)
    draft = save_draft(item, old.source, who, published.number,
                       existing.version if existing else None, revision_files(item, old))
    if draft is None:
        raise AuthoringError(_("%(name)s r%(current)d already has the source of r%(number)d.",
                               name=item.name, current=published.number, number=number))
    _audit("content.rolled_back", item.name, who, {"to": number, "from": published.number,
                                                   "message": message})
    if review_required(item.course):
        return draft
    return publish(item.course, who, message or f"rollback to r{number}", [item])


def retire(item: Item, who: Who, message: str = "") -> ImportReport | list[Draft]:
    """Retire a module or activity: trainees no longer get it; nothing is deleted and results
    keep their revisions. A module also leaves course.yml's list."""
    if item.kind == COURSE:
        raise AuthoringError(_("A course is retired by retiring its modules and activities."))
    if record_of(item) is None or is_retired(item):
        raise AuthoringError(_("%(name)s is not published.", name=item.name))
    drafts = []
    if item.kind == MODULE:
        settings = course_item(item.course)
        draft = draft_of(settings)
        source = draft.source if draft is not None else current(settings).source
        base = current(settings)
        drafts.append(save_draft(settings, _without_module(source, item.slug), who,
                                 base.number if base else None, draft.version if draft else None))
    existing = draft_of(item)
    drafts.append(save_draft(item, "", who, current(item).number,
                             existing.version if existing else None, retire=True))
    if review_required(item.course):
        return [d for d in drafts if d is not None]
    keys = [Item(d.course_slug, d.kind, d.slug) for d in drafts if d is not None]
    return publish(item.course, who, message or f"retire {item.slug}", keys)


def _without_module(source: str, slug: str) -> str:
    """course.yml without the line that lists ``slug`` under ``modules``."""
    from ..content.frontmatter import parse_yaml

    doc = parse_yaml(source, COURSE_FILE)
    modules = doc.data.get("modules") or []
    if slug not in modules:
        return source
    line = doc.line_of("modules", modules.index(slug))
    lines = source.splitlines(keepends=True)
    return "".join(lines[:line - 1] + lines[line:])


def diff(item: Item, old: int | None, new: int | None) -> str:
    """Unified diff between two revisions; None stands for the draft."""
    def text(number: int | None) -> tuple[str, str]:
        if number is None:
            draft = draft_of(item)
            if draft is None:
                raise AuthoringError(_("%(name)s has no draft.", name=item.name))
            return draft.source, _("draft")
        rev = revision(item, number)
        if rev is None:
            raise AuthoringError(_("%(name)s has no revision r%(number)d.", name=item.name, number=number))
        return rev.source, f"r{number}"

    (a, a_name), (b, b_name) = text(old), text(new)
    return unified_diff(a, b, f"{item.name} {a_name}", f"{item.name} {b_name}")


# --- content from files and packages ----------------------------------------------------------

@dataclass(frozen=True)
class Change:
    item: Item
    action: str  # added, changed, retired

    def __str__(self) -> str:
        return f"{self.action}: {self.item.name}"


def changes(spec: CourseSpec) -> list[Change]:
    """How ``spec`` differs from what is published, per item."""
    found: list[Change] = []
    incoming: dict[Item, str] = {course_item(spec.slug): spec.sha256}
    incoming |= {Item(spec.slug, MODULE, m.slug): m.sha256 for m in spec.modules}
    incoming |= {Item(spec.slug, ACTIVITY, a.slug): a.sha256 for a in (*spec.quizzes, *spec.scenarios)}
    for item, sha in incoming.items():
        published = current(item)
        if published is None:
            found.append(Change(item, "added"))
        elif published.sha256 != sha or is_retired(item):
            found.append(Change(item, "changed"))
    course = find_course(spec.slug)
    stored = {} if course is None else {asset.path: asset.sha256 for asset in session.scalars(
        select(CourseAsset).where(CourseAsset.course_id == course.id))}
    found += [Change(Item(spec.slug, ASSET, asset.path), "changed" if asset.path in stored else "added")
              for asset in spec.assets if stored.get(asset.path) != asset.sha256]
    if course is not None:
        from ..assessments.models import Activity

        active = [Item(spec.slug, MODULE, m.slug) for m in course.active_modules]
        active += [Item(spec.slug, ACTIVITY, a.slug) for a in session.scalars(
            select(Activity).where(Activity.course_id == course.id, Activity.is_archived.is_(False)))]
        found += [Change(item, "retired") for item in active if item not in incoming]
    return found


def import_content(specs: list[CourseSpec], who: Who, publish_now: bool = True,
                   message: str = "", action: str = "content.imported",
                   progress: Progress = SILENT) -> ImportReport:
    """Validated content from files or a package: published, or kept as drafts (always as drafts
    for a published course that needs four eyes). ``progress`` advances by ``import_steps``."""
    report = ImportReport()
    for spec in specs:
        if publish_now and not review_required(spec.slug):
            done = publish_specs([spec], Stamp(name_of(who), message), who, action, progress=progress)
            for name in ("courses_created", "revisions_created", "modules_archived"):
                getattr(report, name).extend(getattr(done, name))
            report.assets_changed += done.assets_changed
            report.enrolments_created += done.enrolments_created
            report.unchanged_modules += done.unchanged_modules
        else:
            report.drafts_saved += _save_as_drafts(spec, who)
            progress.advance(publish_steps(spec))
    return report


def import_steps(specs: list[CourseSpec]) -> int:
    return sum(publish_steps(spec) for spec in specs)


def _save_as_drafts(spec: CourseSpec, who: Who) -> list[str]:
    by_item: dict[Item, Any] = {course_item(spec.slug): spec}
    by_item |= {Item(spec.slug, MODULE, m.slug): m for m in spec.modules}
    by_item |= {Item(spec.slug, ACTIVITY, a.slug): a for a in (*spec.quizzes, *spec.scenarios)}
    assets = {asset.path: asset.data for asset in spec.assets}
    saved = []
    for change in changes(spec):
        published, existing = current(change.item), draft_of(change.item)
        base = published.number if published else None
        version = existing.version if existing else None
        if change.item.kind == ASSET:
            data = base64.b64encode(assets[change.item.slug]).decode("ascii")
            save_draft(change.item, data, who, None, version, [[change.item.slug, len(data)]])
        elif change.action == "retired":
            save_draft(change.item, "", who, base, version, retire=True)
        else:
            item_spec = by_item[change.item]
            save_draft(change.item, item_spec.source, who, base, version, spec_files(item_spec))
        saved.append(f"{change.item.name} ({change.action})")
    return saved


__all__ = ["AuthoringError", "Change", "Conflict", "ContentErrors", "ReviewRequired", "approve",
           "changes", "diff", "discard_draft", "draft_of", "drafts_of", "import_content", "import_steps",
           "publish", "publish_specs", "retire", "rollback", "save_draft", "send_back", "validate"]


# --- what the trainer's pages show ------------------------------------------------------------

PUBLISHED, DRAFT, RETIRED = "published", "draft", "retired"


@dataclass(frozen=True)
class ItemState:
    item: Item
    title: str
    state: str  # published, draft (unpublished changes) or retired
    number: int | None  # the published revision
    author: str  # of the last change (the draft's, else the revision's)
    changed_at: Any


def overview(course: str) -> list[ItemState]:
    """The course's settings, modules and activities, each with its state and last change."""
    from ..assessments.models import Activity

    record_ = find_course(course)
    drafts = {Item(d.course_slug, d.kind, d.slug): d for d in drafts_of(course)}
    rows: list[tuple[Item, str]] = [(course_item(course), COURSE_FILE)]
    if record_ is not None:
        activities = session.scalars(select(Activity).where(Activity.course_id == record_.id)
                                     .order_by(Activity.slug)).all()
        remember([*record_.modules, *activities])
        rows += [(Item(course, MODULE, m.slug), m.current_revision.title if m.current_revision else m.slug)
                 for m in record_.modules]
        rows += [(Item(course, ACTIVITY, a.slug), a.title) for a in activities]
    rows += [(item, item.slug) for item in drafts  # images are listed on the media page
             if item not in {i for i, _ in rows} and item.kind != ASSET]
    states = []
    for item, title in rows:
        published, draft = current(item), drafts.get(item)
        state = DRAFT if draft is not None else RETIRED if is_retired(item) else PUBLISHED
        last = draft if draft is not None else published
        states.append(ItemState(item, title, state, published.number if published else None,
                                last.author if last else "",
                                (draft.updated_at if draft else published.created_at) if last else None))
    return states


def editable_source(item: Item) -> tuple[str, int | None, int | None]:
    """What the editor opens: (source, the published revision it is based on, draft version).
    A draft is based on the revision it was started from, which a later publication (``lms
    import``, a rollback) may have left behind: see :func:`stale_base`."""
    draft, published = draft_of(item), current(item)
    if draft is not None:
        return draft.source, draft.base_number, draft.version
    if published is None:
        return "", None, None
    return published.source, published.number, None


@dataclass(frozen=True)
class StaleBase:
    """A draft started from a revision older than the published one."""

    number: int  # the published revision
    diff: str  # what it changed since the draft's base


def stale_base(item: Item, draft: Draft | None) -> StaleBase | None:
    """When ``draft`` was started from a revision older than the published one, what was
    published since; None otherwise. Saving it again is refused until the trainer has taken
    those changes in (``rebase``)."""
    published = current(item)
    if draft is None or published is None or draft.base_number == published.number:
        return None
    base = revision(item, draft.base_number) if draft.base_number else None
    return StaleBase(published.number, unified_diff(
        base.source if base else "", published.source,
        f"r{draft.base_number}" if draft.base_number else _("(new)"), f"r{published.number}"))


def rebase(item: Item, source: str, author: Who, version: int | None) -> Draft | None:
    """Keep ``source`` as the draft, now based on the published revision: the trainer has seen
    what that revision changed (``stale_base``) and taken in what they need."""
    published = current(item)
    return save_draft(item, source, author, published.number if published is not None else None, version)
