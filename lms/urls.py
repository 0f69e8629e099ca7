"""Absolute URLs that leave the site (certificates, QR codes, emails): built only from
``LMS_PUBLIC_URL``, never from the request's Host header, which a client chooses."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for


class PublicUrlMissing(RuntimeError):
    """``LMS_PUBLIC_URL`` is not configured, so no absolute link can be made."""

    def __init__(self) -> None:
        super().__init__("LMS_PUBLIC_URL is not set: set it to the address trainees and auditors "
                         "reach this site at (e.g. https://training.example.com), then retry")


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` on the configured public address."""
    base = current_app.config.get("LMS_PUBLIC_URL")
    if not base:
        raise PublicUrlMissing()
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)
