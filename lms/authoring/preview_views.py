"""The editor's live preview: the text being typed, checked and rendered, as JSON."""

from __future__ import annotations

from flask import jsonify, request

from ..accounts.access import roles_required
from ..accounts.models import TRAINER
from ..db import session
from ..i18n import gettext as _
from ..transaction import reads_only
from .preview import preview as preview_of
from .views import _item, bp


@bp.post("/<course_slug>/<kind>/<slug>/preview")
@reads_only
@roles_required(TRAINER)
def preview(course_slug: str, kind: str, slug: str):
    """{"source": text} → {"html": …, "problems": [{"line", "severity", "message", "path"}]}.
    Writes nothing, whatever the text."""
    item = _item(course_slug, kind, slug)
    payload = request.get_json(silent=True)
    source = payload.get("source") if isinstance(payload, dict) else None
    if not isinstance(source, str):
        return jsonify(error=_("Send the source as JSON: {\"source\": text}.")), 400
    result = preview_of(item, source.replace("\r\n", "\n"))
    session.rollback()
    return jsonify(result.as_json())
