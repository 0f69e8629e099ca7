"""The map of a call simulation on the item page (the text being edited) and as its own SVG
(what the editor opens, or a revision)."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from flask import Response, abort, request, url_for
from markupsafe import Markup

from ..accounts.access import roles_required
from ..accounts.models import TRAINER
from ..assessments.models import SCENARIO
from ..content import ContentErrors
from ..content.scenario import SUFFIX, read_scenario
from ..i18n import current_locale
from ..i18n import gettext as _
from ..memo import LatestCache
from . import simmap
from .items import Item, record_of, revision
from .models import ACTIVITY
from .services import draft_of, editable_source
from .views import _item, _number, bp

logger = logging.getLogger(__name__)
_svgs = LatestCache(size=64)  # dot takes a tenth of a second or more; a map changes with its source


@dataclass
class MapView:
    """What the item page shows of a simulation: the outline always, the SVG when dot drew it."""

    graph: simmap.SimMap | None = None
    svg: Markup = Markup("")
    note: str = ""
    editor: str = ""  # the item page's address
    looks: dict[str, simmap.Look] = field(default_factory=lambda: simmap.LOOKS)

    def link(self, line: int) -> str:
        """The editor at ``line`` of the source."""
        return f"{self.editor}#L{line}"


def is_scenario(item: Item) -> bool:
    if item.kind != ACTIVITY:
        return False
    draft = draft_of(item)
    if draft is not None and draft.files:
        return any(str(name).endswith(SUFFIX) for name, _chars in draft.files)
    record = record_of(item)
    return record is not None and getattr(record, "kind", None) == SCENARIO


def _editor_url(item: Item) -> str:
    return url_for(".item", course_slug=item.course, kind=item.kind, slug=item.slug)


def _words() -> dict[str, str]:
    return {"start": _("start"), "unreachable": _("unreachable"), "dead end": _("dead end"),
            "missing": _("not defined")}


def _read(item: Item, source: str) -> simmap.SimMap:
    spec, _problems = read_scenario(source, f"{item.folder}/{item.slug}{SUFFIX}", item.slug)
    return simmap.build(spec)


def svg_of(item: Item, source: str, graph: simmap.SimMap) -> str:
    """The map as cleaned SVG, drawn once per source, address and language."""
    editor = _editor_url(item)
    key = ("simmap", editor, current_locale(), hashlib.sha256(source.encode("utf-8")).hexdigest())
    found = _svgs.get(key, key[-1])
    if found is None:
        links = simmap.anchors(graph, lambda line: f"{editor}#L{line}")
        title = _("Map of the call simulation %(title)s", title=graph.title or item.slug)
        found = simmap.clean_svg(simmap.render_svg(simmap.to_dot(graph, _words())), links, title)
        _svgs.put(key, key[-1], found)
    return found


def map_of(item: Item, source: str) -> MapView | None:
    """The map of ``source`` for the item page; None when the item is not a call simulation."""
    if not is_scenario(item):
        return None
    view = MapView(editor=_editor_url(item))
    try:
        view.graph = _read(item, source)
    except ContentErrors:
        view.note = _("The map appears once the front matter can be read (see the problems above).")
        return view
    if not view.graph.nodes:
        view.note = _("No steps to draw yet: a step starts with '## id: title'.")
    elif not simmap.dot_available():
        view.note = _("The map is not drawn: Graphviz (dot) is not installed on the server; "
                      "lms doctor says how to install it. The outline below has the same steps.")
    else:
        try:
            view.svg = Markup(svg_of(item, source, view.graph))  # noqa: S704 (rebuilt from an allow-list)
        except simmap.MapError as error:
            logger.warning("map of %s not drawn: %s", item.name, error)
            view.note = _("The map could not be drawn this time; the outline below has the same steps.")
    return view


@bp.get("/<course_slug>/activity/<slug>/map.svg")
@roles_required(TRAINER)
def simulation_map(course_slug: str, slug: str):
    """The map as an SVG file: of what the editor opens (the draft, else the published
    revision), or of ``?revision=N``."""
    item = _item(course_slug, ACTIVITY, slug)
    if not is_scenario(item):
        abort(404)
    number = _number("revision")
    if "revision" in request.args:
        found = revision(item, number) if number else None
        if found is None:
            abort(404)
        source = found.source
    else:
        source = editable_source(item)[0]
    try:
        graph = _read(item, source)
    except ContentErrors:
        return Response(_("The front matter cannot be read, so there is no map."), 422, mimetype="text/plain")
    if not graph.nodes or not simmap.dot_available():
        message = (_("No steps to draw yet.") if not graph.nodes else
                   _("Graphviz (dot) is not installed on the server; lms doctor says how to install it."))
        return Response(message, 422 if not graph.nodes else 503, mimetype="text/plain")
    try:
        svg = svg_of(item, source, graph)
    except simmap.MapError as error:
        logger.warning("map of %s not drawn: %s", item.name, error)
        return Response(_("The map could not be drawn this time."), 503, mimetype="text/plain")
    return Response(svg, mimetype="image/svg+xml")
