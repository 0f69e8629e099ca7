"""The trainee's notices: opening one (to the page it links to) and dismissing it. Both POST:
a GET never writes."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, url_for

from ..accounts.access import login_required
from ..accounts.identity import load_current_user
from ..db import session, utcnow
from . import services
from .models import Notice

bp = Blueprint("notices", __name__, url_prefix="/notices")


def _load(notice_id: int) -> Notice:
    """The notice when it is the current user's; 404 when unknown or someone else's."""
    notice = session.get(Notice, notice_id)
    if notice is None or notice.user_id != load_current_user().id:
        abort(404)
    return notice


@bp.post("/<lms_id:notice_id>/open")
@login_required
def open_notice(notice_id: int):
    notice = _load(notice_id)
    services.mark_opened(notice, utcnow())
    endpoint, values = notice.target
    return redirect(url_for(endpoint, **values), 303)


@bp.post("/<lms_id:notice_id>/dismiss")
@login_required
def dismiss(notice_id: int):
    notice = _load(notice_id)
    services.dismiss(notice, utcnow())
    return redirect(url_for("lms.learning.dashboard"), 303)
