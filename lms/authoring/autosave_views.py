"""The editor's autosave: the text being typed kept as a draft, as JSON (nothing a trainee sees
changes)."""

from __future__ import annotations

from flask import jsonify, request

from ..accounts.access import roles_required
from ..accounts.identity import load_current_user
from ..accounts.models import TRAINER
from ..content import ContentErrors
from ..i18n import gettext as _
from . import services
from .views import _item, bp


def _optional_number(payload: dict, name: str) -> int | None:
    value = payload.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


@bp.post("/<course_slug>/<kind>/<slug>/draft")
@roles_required(TRAINER)
def autosave(course_slug: str, kind: str, slug: str):
    """{"source", "base_number", "version"} → {"version"} (null: the text is the published one and
    there is no draft); 409 {"error", "diff"} when someone else saved or published meanwhile."""
    item = _item(course_slug, kind, slug)
    payload = request.get_json(silent=True)
    source = payload.get("source") if isinstance(payload, dict) else None
    if not isinstance(source, str):
        return jsonify(error=_("Send the source as JSON: {\"source\": text}.")), 400
    try:
        draft = services.save_draft(item, source.replace("\r\n", "\n"), load_current_user(),
                                    _optional_number(payload, "base_number"),
                                    _optional_number(payload, "version"))
    except services.Conflict as conflict:
        return jsonify(error=str(conflict), diff=conflict.diff), 409
    except (services.AuthoringError, ContentErrors) as error:
        return jsonify(error=str(error)), 400
    return jsonify(version=draft.version if draft is not None else None)
