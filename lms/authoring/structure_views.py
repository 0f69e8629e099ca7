"""A course's page for trainers (its items in order, with state and actions), creating, renaming,
reordering, retiring and restoring items, and the course settings form."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from ..accounts.access import roles_required
from ..accounts.identity import load_current_user
from ..accounts.models import TRAINER
from ..content import ContentErrors
from ..db import session
from ..fields import small_int
from ..i18n import gettext as _
from . import course_settings, services, structure
from .forms import CourseSettingsForm, NewItemForm, RenameForm
from .items import Item, course_item, current, find_course, is_retired
from .models import ACTIVITY, MODULE
from .views import bp


def _course(course_slug: str):
    course = find_course(course_slug)
    if course is None or current(course_item(course_slug)) is None:
        abort(404)
    return course


def _item(course_slug: str, kind: str, slug: str) -> Item:
    if kind not in (MODULE, ACTIVITY):
        abort(404)
    _course(course_slug)
    item = Item(course_slug, kind, slug)
    if current(item) is None and services.draft_of(item) is None:
        abort(404)
    return item


def _int(raw: object) -> int | None:
    return small_int(str(raw or ""))


def _course_url(course_slug: str, anchor: str = "") -> str:
    return url_for(".course", course_slug=course_slug) + (f"#{anchor}" if anchor else "")


def _complete_form() -> None:
    """A change without the revision and draft version it started from cannot be checked for
    conflicts: refused, rather than taken as based on what is there now."""
    if request.method == "POST" and not {"base_number", "version"} <= set(request.form):
        abort(400)


@bp.app_template_global("author_item_info")
def item_info(item: Item) -> dict:
    """What the item page's actions need (lms/authoring/_item_actions.html)."""
    copy = structure.working(item)
    return {"title": structure.title_of(item, copy) if copy else item.slug,
            "is_published": current(item) is not None, "is_retired": is_retired(item)}


@bp.get("/<course_slug>/")
@roles_required(TRAINER)
def course(course_slug: str):
    return _course_page(course_slug)


def _course_page(course_slug: str, error: str = "", diff: str = "", status: int = 200):
    record = _course(course_slug)
    return render_template("lms/authoring/course.html", course=record,
                           outline=structure.outline(course_slug), error=error, diff=diff,
                           review_required=services.review_required(course_slug)), status


@bp.route("/<course_slug>/new", methods=["GET", "POST"])
@roles_required(TRAINER)
def new_item(course_slug: str):
    _course(course_slug)
    form = NewItemForm()
    modules = structure.titled(structure.outline(course_slug).modules)
    form.module.choices = [SelectChoice("", _("None for now"))] + [SelectChoice(*m) for m in modules]
    if not form.is_submitted() and modules:
        form.module.data = modules[-1][0]
    if form.validate_on_submit():
        try:
            item = structure.create(course_slug, form.kind.data or "", form.slug.data or "",
                                    form.title.data or "", load_current_user(), form.module.data or None)
        except structure.StructureError as error:
            session.rollback()
            getattr(form, error.field or "slug").errors = [str(error)]
        except services.AuthoringError as error:
            session.rollback()
            form.slug.errors = [str(error)]
        else:
            flash(_("Draft created: edit it, then publish it."), "info")
            return redirect(url_for(".item", course_slug=course_slug, kind=item.kind, slug=item.slug))
    return render_template("lms/authoring/new.html", form=form, course=_course(course_slug)), \
        400 if form.is_submitted() else 200


@bp.post("/<course_slug>/move")
@roles_required(TRAINER)
def move(course_slug: str):
    _course(course_slug)
    kind, slug = request.form.get("kind", ""), request.form.get("slug", "")
    if kind not in (MODULE, ACTIVITY) or not slug:
        abort(400)
    item = Item(course_slug, kind, slug)
    try:
        structure.move(item, request.form.get("direction", ""), load_current_user(),
                       _int(request.form.get("base_number")), _int(request.form.get("version")),
                       request.form.get("module") or None)
    except services.Conflict as conflict:
        session.rollback()
        return _course_page(course_slug, str(conflict), conflict.diff, 409)
    except services.AuthoringError as error:
        session.rollback()
        flash(str(error), "error")
    else:
        flash(_("Moved. Publish the change for trainees to see the new order."), "info")
    return redirect(_course_url(course_slug, f"{kind}-{slug}"))


@bp.post("/<course_slug>/publish")
@roles_required(TRAINER)
def publish_course(course_slug: str):
    _course(course_slug)
    try:
        services.publish(course_slug, load_current_user(), request.form.get("message", "").strip())
    except (services.AuthoringError, ContentErrors) as error:
        session.rollback()
        flash(str(error), "error")
    else:
        flash(_("Published."), "info")
    return redirect(_course_url(course_slug))


@bp.route("/<course_slug>/<kind>/<slug>/rename", methods=["GET", "POST"])
@roles_required(TRAINER)
def rename(course_slug: str, kind: str, slug: str):
    item = _item(course_slug, kind, slug)
    copy = structure.working(item)
    if copy is None:
        abort(404)
    _complete_form()
    form = RenameForm(data={"title": structure.title_of(item, copy), "slug": item.slug,
                            "base_number": copy.number or "", "version": copy.version or ""})
    status = 200
    if form.validate_on_submit():
        try:
            item = structure.rename(item, form.title.data or "", load_current_user(),
                                    _int(form.base_number.data), _int(form.version.data),
                                    form.slug.data or item.slug)
        except services.Conflict as conflict:
            session.rollback()
            return render_template("lms/authoring/rename.html", form=form, item=item,
                                   published=current(item) is not None, error=str(conflict),
                                   diff=conflict.diff), 409
        except structure.StructureError as error:
            session.rollback()
            getattr(form, error.field or "title").errors = [str(error)]
            status = 400
        except services.AuthoringError as error:
            session.rollback()
            form.title.errors = [str(error)]
            status = 400
        else:
            flash(_("Renamed. Publish the change for trainees to see it."), "info")
            return redirect(url_for(".item", course_slug=course_slug, kind=item.kind, slug=item.slug))
    elif form.is_submitted():
        status = 400
    return render_template("lms/authoring/rename.html", form=form, item=item,
                           published=current(item) is not None, error="", diff=""), status


@bp.route("/<course_slug>/<kind>/<slug>/retire", methods=["GET", "POST"])
@roles_required(TRAINER)
def retire(course_slug: str, kind: str, slug: str):
    """A confirmation page, then the retirement."""
    item = _item(course_slug, kind, slug)
    if current(item) is None or is_retired(item):
        flash(_("Only a published item that is not retired can be retired."), "error")
        return redirect(url_for(".item", course_slug=course_slug, kind=kind, slug=slug))
    if request.method == "POST":
        try:
            done = structure.retire(item, load_current_user(), request.form.get("message", "").strip())
        except (services.AuthoringError, ContentErrors) as error:
            session.rollback()
            flash(str(error), "error")
            return redirect(url_for(".retire", course_slug=course_slug, kind=kind, slug=slug))
        if isinstance(done, list):
            flash(_("Saved as drafts: a second author approves them, then they are published."), "info")
        else:
            flash(_("Retired. Results keep the revisions trainees saw."), "info")
        return redirect(_course_url(course_slug, "retired"))
    return render_template("lms/authoring/retire.html", item=item, title=structure.title_of(item),
                           results=structure.results_kept(item),
                           modules=structure.listing_modules(item) if kind == ACTIVITY else [],
                           review_required=services.review_required(course_slug))


@bp.route("/<course_slug>/<kind>/<slug>/restore", methods=["GET", "POST"])
@roles_required(TRAINER)
def restore(course_slug: str, kind: str, slug: str):
    item = _item(course_slug, kind, slug)
    if not is_retired(item):
        flash(_("%(name)s is not retired.", name=item.name), "error")
        return redirect(url_for(".item", course_slug=course_slug, kind=kind, slug=slug))
    modules = structure.titled(structure.outline(course_slug).modules)
    error = ""
    if request.method == "POST":
        try:
            structure.restore(item, load_current_user(), request.form.get("module") or None)
        except services.AuthoringError as exc:
            session.rollback()
            error = str(exc)
        else:
            flash(_("A draft brings it back: publish it to restore it for trainees."), "info")
            return redirect(url_for(".item", course_slug=course_slug, kind=kind, slug=slug))
    return render_template("lms/authoring/restore.html", item=item, title=structure.title_of(item),
                           modules=modules, error=error), 400 if error else 200


@bp.route("/<course_slug>/settings", methods=["GET", "POST"])
@roles_required(TRAINER)
def settings(course_slug: str):
    record = _course(course_slug)
    item = course_item(course_slug)
    copy = structure.working(item)
    _complete_form()
    form = CourseSettingsForm(data={**course_settings.values(copy.source),
                                    "base_number": copy.number or "", "version": copy.version or ""})
    designs = course_settings.template_choices(course_slug)
    chosen = course_settings.values(copy.source)["template"]
    if chosen and chosen not in designs:  # kept, for the validator to say what is wrong with it
        designs.append(chosen)
    form.template.choices = [SelectChoice("", _("The standard design"))] + [
        SelectChoice(name, name) for name in designs]
    check, error, diff, status = None, "", "", 200
    if form.is_submitted():
        status = 400
        if form.validate():
            data = {k: v.replace("\r\n", "\n") if isinstance(v, str) else v for k, v in form.data.items()}
            text = course_settings.build(copy.source, data)
            check = course_settings.check(course_slug, text)
            for name, messages in check.fields.items():
                getattr(form, name).errors = list(messages)
            if not check.blocks_saving:
                status, error, diff = _save_settings(item, text, form)
                if status == 302:
                    return redirect(url_for(".settings", course_slug=course_slug))
    return render_template("lms/authoring/settings.html", form=form, course=record, check=check,
                           error=error, diff=diff, copy=copy, item=item,
                           draft=services.draft_of(item),
                           review_required=services.review_required(course_slug)), status


def _save_settings(item: Item, text: str, form: CourseSettingsForm) -> tuple[int, str, str]:
    user = load_current_user()
    publish = request.form.get("action") == "publish"
    try:
        draft = services.save_draft(item, text, user, _int(form.base_number.data), _int(form.version.data))
        if draft is None:
            flash(_("Nothing to publish: the settings are as published."), "info")
            return 302, "", ""
        if publish:
            services.publish(item.course, user, (form.message.data or "").strip(),
                             structure.publication(item))
    except services.Conflict as conflict:
        session.rollback()
        return 409, str(conflict), conflict.diff
    except services.ReviewRequired as waiting:  # the draft stays for a second author to approve
        flash(_("Draft saved, not published: %(reason)s", reason=str(waiting)), "info")
        return 302, "", ""
    except (services.AuthoringError, ContentErrors) as exc:
        session.rollback()
        return 400, str(exc), ""
    flash(_("Published.") if publish else _("Draft saved."), "info")
    return 302, "", ""

