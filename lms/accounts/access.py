"""View decorators: sign-in and role checks, answered before any work is done."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, redirect, request, url_for

from .identity import load_current_user


def login_url() -> str:
    configured = current_app.config.get("LMS_LOGIN_URL")
    if configured:
        return configured
    if current_app.extensions["lms"].uses_host_identity:
        host_view = getattr(getattr(current_app, "login_manager", None), "login_view", None)
        if host_view:
            return url_for(host_view, next=request.full_path.rstrip("?"))
        abort(401)
    return url_for("lms.accounts.login", next=request.full_path.rstrip("?"))


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if load_current_user() is None:
            return redirect(login_url())
        return view(*args, **kwargs)

    return wrapped


def roles_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Signed in and holding any of ``roles`` (an admin holds every role), else 403."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = load_current_user()
            if user is None:
                return redirect(login_url())
            if not user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
