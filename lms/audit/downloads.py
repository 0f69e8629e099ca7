"""Downloads that enter the audit log only once they have been sent in full."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from flask import Response, stream_with_context

from ..accounts.models import User
from ..db import session
from ..transaction import immediate
from .services import record


def audited_download(body: bytes | str | Iterable[bytes | str], *, action: str, subject: str,
                     actor: User | None, details: dict[str, Any] | None = None,
                     mimetype: str, disposition: str) -> Response:
    """A download (``Cache-Control: private, no-store``) whose audit entry is appended after its
    last byte was handed to the server. A download cut off on the way (the client gone, the
    worker killed or timed out) never reaches that point, so it is not recorded as made."""
    actor_id = actor.id if actor is not None else None  # the stream may run in a fresh session
    whole = isinstance(body, (bytes, str))
    chunks: Iterable[bytes | str] = [body] if whole else body

    @stream_with_context
    def stream() -> Iterator[bytes | str]:
        yield from chunks
        # The request only read, so its transaction is still open: end it, and write the entry in
        # a new one that takes SQLite's write lock up front (a read cannot always be upgraded).
        session.commit()
        with immediate():
            record(action, subject, session.get(User, actor_id) if actor_id else None, details)
            session.commit()

    response = Response(stream(), mimetype=mimetype,
                        headers={"Content-Disposition": disposition, "Cache-Control": "private, no-store"})
    if whole:
        response.content_length = len(body.encode() if isinstance(body, str) else body)
    return response
