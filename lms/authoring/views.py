"""Trainers' authoring pages: courses and their items, the source editor with a server-side
preview and `lms check`'s messages, drafts, publishing, history, diff, rollback, packages."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from ..accounts.access import roles_required
from ..accounts.identity import load_current_user
from ..accounts.models import TRAINER
from ..audit.downloads import audited_download
from ..content import ContentErrors
from ..db import session
from ..fields import small_int
from ..i18n import gettext as _
from ..learning import services as learning
from . import services, structure
from .items import Item, current, history
from .models import ACTIVITY, COURSE, MODULE
from .packages import export_course

bp = Blueprint("author", __name__, url_prefix="/author")
KINDS = (COURSE, MODULE, ACTIVITY)


def _item(course_slug: str, kind: str, slug: str) -> Item:
    if kind not in KINDS or (kind == COURSE and slug != course_slug):
        abort(404)
    item = Item(course_slug, kind, slug)
    if current(item) is None and services.draft_of(item) is None:
        abort(404)
    return item


def _number(name: str) -> int | None:
    raw = request.values.get(name, "")
    return small_int(raw)


@bp.get("/")
@roles_required(TRAINER)
def index():
    courses = [(course, services.overview(course.slug)) for course in learning.all_courses()]
    return render_template("lms/authoring/index.html", courses=courses)


@bp.get("/<course_slug>/package.zip")
@roles_required(TRAINER)
def package(course_slug: str):
    buffer = io.BytesIO()
    try:
        export_course(course_slug, buffer)
    except services.AuthoringError:
        abort(404)
    buffer.seek(0)
    return audited_download(buffer.getvalue(), action="content.exported", subject=course_slug,
                            actor=load_current_user(), mimetype="application/zip",
                            disposition=f'attachment; filename="{course_slug}.zip"')


@bp.route("/<course_slug>/<kind>/<slug>", methods=["GET", "POST"])
@roles_required(TRAINER)
def item(course_slug: str, kind: str, slug: str):
    item = _item(course_slug, kind, slug)
    user = load_current_user()
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action in ("save", "publish"):
                services.save_draft(item, request.form.get("source", "").replace("\r\n", "\n"), user,
                                    _number("base_number"), _number("version"))
            elif action == "rebase":
                services.rebase(item, request.form.get("source", "").replace("\r\n", "\n"), user,
                                _number("version"))
            if action == "publish":
                services.publish(course_slug, user, request.form.get("message", "").strip(),
                                 structure.publication(item))
            elif action == "approve":
                services.approve(item, user, _number("version") or 0)
            elif action == "send_back":
                comment = request.form.get("comment", "").strip()
                if not comment:
                    raise services.AuthoringError(_("Say what should change before sending a draft back."))
                services.send_back(item, user, comment)
            elif action == "discard":
                structure.discard(item, user)
        except services.Conflict as conflict:
            session.rollback()
            return _editor(item, error=str(conflict), diff=conflict.diff,
                           source=request.form.get("source", "")), 409
        except services.ReviewRequired as waiting:
            if action != "publish":
                session.rollback()
                flash(str(waiting), "error")
            else:  # the saved draft stays for a second author to approve
                flash(_("Draft saved, not published: %(reason)s", reason=str(waiting)), "info")
        except (services.AuthoringError, ContentErrors) as error:
            session.rollback()
            flash(str(error), "error")
        else:
            done = {"save": _("Draft saved."), "rebase": _("Draft saved on the published revision."),
                    "publish": _("Published."), "approve": _("Draft approved."),
                    "send_back": _("Draft sent back."), "discard": _("Draft discarded.")}
            flash(done.get(action, ""), "info")
            if current(item) is None and services.draft_of(item) is None:  # a discarded new item
                return redirect(url_for(".course", course_slug=course_slug))
        return redirect(url_for(".item", course_slug=course_slug, kind=kind, slug=slug))
    return _editor(item)


def _editor(item: Item, error: str = "", diff: str = "", source: str | None = None):
    from .media import media_of
    from .preview import preview as preview_of
    from .simmap_views import map_of

    text, base_number, version = services.editable_source(item)
    draft = services.draft_of(item)
    published = current(item)
    number = published.number if published is not None else None
    shown = text if source is None else source
    changes = services.diff(item, number, None) if draft is not None and number else ""
    return render_template("lms/authoring/item.html", item=item, source=shown,
                           changes=changes, base_number=base_number, stale=services.stale_base(item, draft),
                           number=number, version=version, draft=draft,
                           preview=preview_of(item, shown), error=error, diff=diff,
                           media_files=media_of(item.course) if item.kind == MODULE else None,
                           simmap=map_of(item, shown) if item.kind == ACTIVITY else None,
                           review_required=services.review_required(item.course))


@bp.get("/<course_slug>/<kind>/<slug>/history")
@roles_required(TRAINER)
def item_history(course_slug: str, kind: str, slug: str):
    item = _item(course_slug, kind, slug)
    revisions = history(item)
    old, new = _number("a"), _number("b")
    diff = ""
    if old and new:
        try:
            diff = services.diff(item, old, new)
        except services.AuthoringError:
            abort(404)
    return render_template("lms/authoring/history.html", item=item, revisions=revisions[::-1],
                           diff=diff, old=old, new=new)


@bp.post("/<course_slug>/<kind>/<slug>/rollback")
@roles_required(TRAINER)
def rollback(course_slug: str, kind: str, slug: str):
    item = _item(course_slug, kind, slug)
    try:
        services.rollback(item, _number("number") or 0, load_current_user(),
                          request.form.get("message", "").strip())
    except (services.AuthoringError, ContentErrors) as error:
        session.rollback()
        flash(str(error), "error")
    else:
        flash(_("Rolled back."), "info")
    return redirect(url_for(".item_history", course_slug=course_slug, kind=kind, slug=slug))


@bp.route("/packages/import", methods=["GET", "POST"])
@roles_required(TRAINER)
def package_import():
    """Upload a course package: validated first, its changes listed, then applied as drafts or
    published — or only checked."""
    from .packages import import_package, read_package
    from .tree import PackageError

    changes, problems, applied = [], [], None
    if request.method == "POST":
        upload = request.files.get("package")
        if upload is None or not upload.filename:
            problems = [_("Choose a ZIP file.")]
        else:
            try:
                specs, changes = read_package(io.BytesIO(upload.read()), upload.filename)
                mode = request.form.get("mode", "check")
                if mode in ("draft", "publish"):
                    applied = import_package(specs, load_current_user(), mode == "publish",
                                             request.form.get("message", "").strip())
            except PackageError as error:
                session.rollback()
                problems = str(error).splitlines()
            except ContentErrors as errors:
                session.rollback()
                problems = [str(e) for e in errors.errors]
    return render_template("lms/authoring/package_import.html", changes=changes, problems=problems,
                           applied=applied), 400 if problems else 200


from . import autosave_views, media_views, preview_views, simmap_views, structure_views  # noqa: E402,F401  (routes on bp)
