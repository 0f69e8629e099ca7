"""What a request's URL and query string may carry: ids, numbers and days within bounds, and no
NUL characters, so that a hostile value is a 404 or a 400 and never reaches the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, NoReturn

from flask import Response, abort, jsonify, make_response, render_template, request
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from .fields import has_nul, small_int

#: the largest value of the databases' integer primary keys (PostgreSQL's ``integer``)
MAX_ID = 2**31 - 1
#: Werkzeug decodes an URL-encoded body whole, about 1 s of CPU per MB of escaped Chinese text;
#: the largest form (a quiz with several long essays) is well under this
MAX_URLENCODED_BYTES = 2 * 1024 * 1024
#: the days a date in a query string or form may name
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


class IdConverter(IntegerConverter):
    """``<lms_id:name>``: a record id, 1 to MAX_ID; anything else is no such page (404)."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 (Werkzeug's signature)
        super().__init__(map, min=1, max=MAX_ID)


def iso_day(value: str | None) -> date | None:
    """A day written YYYY-MM-DD, or None."""
    if not value or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_day(value: str | None) -> date | None:
    """A day written YYYY-MM-DD between FIRST_DAY and LAST_DAY; None for anything else."""
    day = iso_day(value)
    return day if day is not None and FIRST_DAY <= day <= LAST_DAY else None


def int_arg(name: str, default: int, maximum: int = MAX_ID) -> int:
    """A positive whole number from the query string, else ``default``."""
    number = small_int(request.args.get(name))
    return number if number is not None and 1 <= number <= maximum else default


def int_list(values: list[str]) -> set[int]:
    """The ids among form values; anything else is left out."""
    return {n for n in map(small_int, values) if n is not None and 1 <= n <= MAX_ID}


def wants_json() -> bool:
    """Whether the request is a page's script that reads the answer as JSON (autosaves, beacons):
    it asks for JSON, or sends it."""
    return request.accept_mimetypes.best == "application/json" or request.is_json


def bad_request(message: str) -> NoReturn:
    """Answer 400 with ``message``: on the error page, or to a script as JSON (``error`` and
    ``message``, the two keys the pages' scripts read)."""
    if wants_json():
        abort(make_response(jsonify(error=message, message=message), 400))
    abort(Response(render_template("lms/errors/error.html", error=BadRequest(), message=message), 400))


def _strings(value: Any) -> Iterator[str]:
    """Every string in a decoded JSON document, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def check_request() -> None:
    """Refuse what no page sends before anything reads it: an URL-encoded form larger than
    MAX_URLENCODED_BYTES (413), and a NUL character anywhere in the path, query string, form or
    JSON body (400: PostgreSQL cannot store or compare it, and no one types it)."""
    from .i18n import gettext as _

    if (request.mimetype == "application/x-www-form-urlencoded"
            and (request.content_length or 0) > MAX_URLENCODED_BYTES):
        abort(413)
    sources = [request.args]
    writing = request.method in ("POST", "PUT", "PATCH")
    if writing and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form)
    values = [request.path] + [text for source in sources for key, values in source.lists()
                               for text in (key, *values)]
    if writing and request.is_json:
        values += _strings(request.get_json(silent=True))
    if any(has_nul(value) for value in values):
        bad_request(_("The request contains a NUL character, which cannot be stored: remove it "
                      "and try again."))
