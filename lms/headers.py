"""Security and caching headers: on every LMS response, and on every response of the standalone
app (its 404s for unknown addresses and its error pages included)."""

from __future__ import annotations

import secrets

from flask import Response, current_app, g, request

#: No inline script, no inline style (the templates use classes and static files only); the
#: pages may be framed only by their own site.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
])
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000"
#: endpoints whose files are public and may be cached
CACHEABLE_ENDPOINTS = frozenset({"lms.static", "static"})


def style_nonce() -> str:
    """A nonce this response's policy allows <style> elements to carry: for a page whose script
    inserts one (the source editor's CodeMirror). Pages that never ask keep the plain policy."""
    if "lms_style_nonce" not in g:
        g.lms_style_nonce = secrets.token_urlsafe(18)
    return g.lms_style_nonce


def content_security_policy() -> str:
    nonce = g.get("lms_style_nonce")
    if not nonce:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("style-src 'self'", f"style-src 'self' 'nonce-{nonce}'")


def apply_security_headers(response: Response) -> Response:
    """Set what the response does not set itself (a view may send a stricter policy, e.g. for an
    SVG, or its own caching, e.g. course images)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    if "Cache-Control" not in headers and request.endpoint not in CACHEABLE_ENDPOINTS:
        # Pages carry a person's data or their session's CSRF token; PDFs and exports too.
        headers["Cache-Control"] = "no-store"
    return response
