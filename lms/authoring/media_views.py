"""A course's images: the media page, uploads, and the files themselves for thumbnails and the
editor's preview (drafts included, so an image shows before it is published)."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from ..accounts.access import roles_required
from ..accounts.identity import load_current_user
from ..accounts.models import TRAINER
from ..db import session
from ..i18n import gettext as _
from ..params import wants_json
from . import media
from .items import course_item
from .models import COURSE
from .views import KINDS, _item, bp


def _limit() -> int:
    return min(current_app.config.get("LMS_MAX_IMAGE_BYTES", media.DEFAULT_MAX_BYTES),
               media.DEFAULT_MAX_BYTES)


bp.add_app_template_global(_limit, "media_limit")


def _course(course_slug: str) -> str:
    _item(course_slug, COURSE, course_slug)  # 404 for a course that is neither published nor drafted
    return course_slug


def _back(course_slug: str) -> str:
    """The item page the upload came from, else the media page (never another site)."""
    kind, slug = request.form.get("kind", ""), request.form.get("slug", "")
    if kind in KINDS and slug and "/" not in slug:
        return url_for(".item", course_slug=course_slug, kind=kind, slug=slug)
    return url_for(".media_page", course_slug=course_slug)


@bp.route("/<course_slug>/media", methods=["GET", "POST"])
@roles_required(TRAINER)
def media_page(course_slug: str):
    course = _course(course_slug)
    json_wanted = wants_json()
    error = ""
    if request.method == "POST":
        upload = request.files.get("image")
        if upload is None or not upload.filename:
            error = _("Choose an image file to upload.")
        else:
            limit = _limit()
            try:
                done = media.upload(course, upload.filename, upload.stream.read(limit + 1),
                                    load_current_user(), limit)
            except media.MediaError as refused:
                session.rollback()
                error = str(refused)
            else:
                message = (_("This image is already in the course as %(path)s.", path=done.path)
                           if done.is_reused else
                           _("Uploaded as %(path)s: a draft, published with the first module that "
                             "shows it.", path=done.path))
                if json_wanted:
                    return jsonify(path=done.path, reused=done.is_reused, message=message,
                                   url=url_for(".media_file", course_slug=course, asset_path=done.path))
                flash(message, "info")
                return redirect(_back(course))
        if json_wanted:
            return jsonify(message=error), 400
    return render_template("lms/authoring/media.html", course=course, item=course_item(course),
                           media_files=media.media_of(course), error=error), 400 if error else 200


@bp.get("/<course_slug>/media/<path:asset_path>")
@roles_required(TRAINER)
def media_file(course_slug: str, asset_path: str):
    return _serve(_course(course_slug), asset_path)


@bp.get("/<course_slug>/module/assets/<folder>/<path:rest>")
@roles_required(TRAINER)
def preview_asset(course_slug: str, folder: str, rest: str):
    """Where the preview's ``assets/<path>`` leads from the module's editor page."""
    return _serve(_course(course_slug), f"{folder}/{rest}")


def _serve(course: str, path: str) -> Response:
    found = media.media_file(course, path)
    if found is None:
        abort(404)
    data, mime_type = found
    response = Response(data, mimetype=mime_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if mime_type == "image/svg+xml":
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
