"""An uploaded image made safe to serve: its type read from its bytes, raster images decoded and
encoded again (nothing but the pixels survives: no EXIF, no comments, no appended payload), SVG
rebuilt from an allow-list, and a file name that is a readable slug.

Pure functions over bytes; messages are for the trainer who uploaded the file.
"""

from __future__ import annotations

import contextlib
import io
import re
import unicodedata
import warnings
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from xml.parsers import expat

from PIL import Image, ImageOps, UnidentifiedImageError

from ..i18n import gettext as _

PNG, JPEG, GIF, WEBP, SVG = "png", "jpeg", "gif", "webp", "svg"
SUFFIXES = {PNG: ".png", JPEG: ".jpg", GIF: ".gif", WEBP: ".webp", SVG: ".svg"}
MIME_TYPES = {PNG: "image/png", JPEG: "image/jpeg", GIF: "image/gif", WEBP: "image/webp",
              SVG: "image/svg+xml"}
PILLOW_FORMATS = {PNG: "PNG", JPEG: "JPEG", GIF: "GIF", WEBP: "WEBP"}
#: decoding this many pixels takes ~160 MB and about a second; a course image needs far fewer
MAX_PIXELS = 40_000_000
MAX_NAME_CHARS = 60

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
#: drawing elements only: no script, foreignObject, image, a, iframe, animation or external use
SVG_ELEMENTS = {
    "svg", "g", "defs", "symbol", "use", "title", "desc", "style", "path", "rect", "circle",
    "ellipse", "line", "polyline", "polygon", "text", "tspan", "textPath", "linearGradient",
    "radialGradient", "stop", "clipPath", "mask", "pattern", "marker", "filter", "feGaussianBlur",
    "feOffset", "feBlend", "feColorMatrix", "feFlood", "feComposite", "feMerge", "feMergeNode",
    "feDropShadow",
}
#: elements refused with a message, rather than dropped: they are why SVG is dangerous
SVG_REFUSED = {"script", "foreignObject", "iframe", "embed", "object", "image", "feImage", "a",
               "animate", "set", "animateTransform", "animateMotion", "handler", "listener"}
SVG_ATTRIBUTES = {
    "id", "class", "style", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "d",
    "points", "width", "height", "viewBox", "preserveAspectRatio", "transform", "fill",
    "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-linecap",
    "stroke-linejoin", "stroke-dasharray", "stroke-dashoffset", "stroke-miterlimit", "opacity",
    "color", "font-family", "font-size", "font-weight", "font-style", "text-anchor",
    "dominant-baseline", "alignment-baseline", "letter-spacing", "dx", "dy", "rotate",
    "textLength", "lengthAdjust", "offset", "stop-color", "stop-opacity", "gradientUnits",
    "gradientTransform", "spreadMethod", "fx", "fy", "fr", "clip-path", "clip-rule",
    "clipPathUnits", "mask", "maskUnits", "maskContentUnits", "patternUnits",
    "patternContentUnits", "patternTransform", "marker-start", "marker-mid", "marker-end",
    "markerWidth", "markerHeight", "markerUnits", "refX", "refY", "orient", "filter",
    "filterUnits", "primitiveUnits", "in", "in2", "result", "stdDeviation", "mode", "values",
    "type", "operator", "k1", "k2", "k3", "k4", "flood-color", "flood-opacity", "visibility",
    "display", "vector-effect", "shape-rendering", "text-rendering", "version", "href",
    "pathLength", "startOffset", "xml:space",
}
#: a url() that points inside the file (#id) is the only reference allowed in a value
EXTERNAL_REFERENCE = re.compile(r"url\(\s*(?!['\"]?#)|@import|expression\(|javascript:|\\",
                                re.IGNORECASE)


class ImageRefused(ValueError):
    """An upload that is not stored; the message says why, for the trainer."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    kind: str  # png, jpeg, gif, webp or svg
    width: int | None
    height: int | None

    @property
    def suffix(self) -> str:
        return SUFFIXES[self.kind]

    @property
    def mime_type(self) -> str:
        return MIME_TYPES[self.kind]


def sniff(data: bytes) -> str | None:
    """The image type the bytes start with (never the name or the Content-Type), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!DOCTYPE svg", b"<!doctype svg")):
        return SVG
    return None


def clean(data: bytes) -> CleanImage:
    """The image in ``data`` re-encoded or rebuilt; raises :class:`ImageRefused`."""
    if not data:
        raise ImageRefused(_("The file is empty."))
    kind = sniff(data)
    if kind is None:
        raise ImageRefused(_("This file is not an image: only PNG, JPEG, GIF, WebP and SVG files "
                             "can be uploaded (the file's content is checked, not its name)."))
    if kind == SVG:
        return clean_svg(data)
    return clean_raster(data, kind)


def clean_raster(data: bytes, kind: str) -> CleanImage:
    """Decode and encode again. An animated GIF keeps its first frame only: frames multiply the
    decoding work, and a module's picture needs no animation."""
    too_large = _("The image has more than %(mp)d million pixels, the most accepted. Make it "
                  "smaller and try again.", mp=MAX_PIXELS // 1_000_000)
    try:
        with warnings.catch_warnings():  # the header only: the size is checked below
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[kind]])
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise ImageRefused(f"{too_large} ({width} × {height})")
        image.seek(0)
        image.load()
    except ImageRefused:
        raise
    except Image.DecompressionBombError:
        raise ImageRefused(too_large) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageRefused(_("The file looks like a %(kind)s image but cannot be read as one: "
                             "it is damaged or not an image.", kind=kind.upper())) from exc
    if kind == JPEG:  # the EXIF orientation goes with the EXIF data: apply it to the pixels first
        image = ImageOps.exif_transpose(image)
    fresh = image.copy()
    transparency = image.info.get("transparency")
    fresh.info = {"transparency": transparency} if transparency is not None else {}
    output = io.BytesIO()
    if kind == JPEG:
        if fresh.mode not in ("RGB", "L"):
            fresh = fresh.convert("RGB")
        fresh.save(output, "JPEG", quality=90, optimize=True)
    elif kind == PNG:
        fresh.save(output, "PNG", optimize=True)
    elif kind == GIF:
        fresh.save(output, "GIF")
    else:
        fresh.save(output, "WEBP", quality=90, method=4)
    return CleanImage(output.getvalue(), kind, width, height)


def clean_svg(data: bytes) -> CleanImage:
    """Rebuild the drawing from allowed elements and attributes. A DOCTYPE (where entities hide),
    script, foreignObject, event handlers and references out of the file are refused."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImageRefused(_("The SVG file is not UTF-8 text.")) from None
    _refuse_doctype(data)
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise ImageRefused(_("The SVG file is not well-formed XML (%(detail)s).", detail=str(exc))) from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise ImageRefused(_("The file is XML but not an SVG image (its root element must be "
                             "<svg xmlns=\"http://www.w3.org/2000/svg\">)."))
    built = _rebuild(root)
    built.set("xmlns", SVG_NS)  # the tree is built of plain names: one namespace, declared once
    output = ElementTree.tostring(built, encoding="unicode")
    width, height = _svg_size(built)
    return CleanImage(output.encode("utf-8"), SVG, width, height)


def _refuse_doctype(data: bytes) -> None:
    """Stop at the DOCTYPE, before any entity is declared, let alone expanded."""
    def refuse(*_args) -> None:
        raise ImageRefused(_("The SVG file declares a DOCTYPE or entities, which are not "
                             "accepted: export it again as plain SVG."))

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    with contextlib.suppress(expat.ExpatError):  # reported by the parse that builds the tree
        parser.Parse(data, True)


def _local(name: str) -> tuple[str, str]:
    if name.startswith("{"):
        namespace, _brace, local = name[1:].partition("}")
        return namespace, local
    return "", name


def _refused(what: str) -> ImageRefused:
    return ImageRefused(_("The SVG file contains %(what)s, which is not accepted in a course "
                          "image: remove it and upload the file again.", what=what))


def _rebuild(element: ElementTree.Element) -> ElementTree.Element:
    namespace, tag = _local(element.tag)
    built = ElementTree.Element(tag)
    for name, value in element.attrib.items():
        attr_ns, attr = _local(name)
        if attr.lower().startswith("on"):
            raise _refused(_("an event handler (%(name)s)", name=attr))
        if attr == "href" and attr_ns in ("", XLINK_NS):
            if not value.strip().startswith("#"):
                raise _refused(_("a link out of the file (%(value)s)", value=value[:80]))
            built.set("href", value.strip())
            continue
        if attr_ns == "http://www.w3.org/XML/1998/namespace" and attr == "space":
            built.set("xml:space", value)
            continue
        if attr_ns or attr not in SVG_ATTRIBUTES:
            continue  # editors' own attributes (inkscape:, sodipodi:, data-…) are dropped
        if EXTERNAL_REFERENCE.search(value):
            raise _refused(_("a reference out of the file (%(value)s)", value=value[:80]))
        built.set(attr, value)
    if tag == "style" and element.text and EXTERNAL_REFERENCE.search(element.text):
        raise _refused(_("a style sheet that loads something from outside the file"))
    if tag in ("style", "title", "desc", "text", "tspan", "textPath"):
        built.text = element.text
    for child in element:
        child_ns, child_tag = _local(child.tag)
        if child_tag in SVG_REFUSED:
            raise _refused(f"<{child_tag}>")
        if child_ns == SVG_NS and child_tag in SVG_ELEMENTS:
            built.append(_rebuild(child))
            built[-1].tail = child.tail if tag in ("text", "tspan", "textPath") else None
        elif child_ns != SVG_NS and child_ns.startswith("http://www.w3.org/1999/xhtml"):
            raise _refused(_("HTML (%(tag)s)", tag=child_tag))
        # anything else (metadata, an editor's own elements) is dropped
    return built


def _svg_size(root: ElementTree.Element) -> tuple[int | None, int | None]:
    return svg_size(root.get("width"), root.get("height"), root.get("viewBox"))


def svg_size(width: str | None, height: str | None,
             view_box: str | None) -> tuple[int | None, int | None]:
    """Pixels from an SVG's width and height (plain or px numbers), else from its viewBox."""
    def number(value: str | None) -> int | None:
        match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(px)?\s*$", value or "")
        return round(float(match[1])) if match else None

    found = number(width), number(height)
    if None in found and view_box:
        parts = re.split(r"[\s,]+", view_box.strip())
        if len(parts) == 4:
            found = number(parts[2]), number(parts[3])
    return found


def safe_stem(filename: str) -> str:
    """A file name as a slug that stays readable: Chinese kept, any folder dropped, everything
    but letters, digits, '-' and '_' made '-'. ``../../etc/passwd.png`` → ``passwd``."""
    name = unicodedata.normalize("NFKC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name.lstrip(".")
    stem = re.sub(r"[^\w-]+", "-", stem.lower(), flags=re.UNICODE)
    stem = re.sub(r"-{2,}", "-", stem).strip("-_")[:MAX_NAME_CHARS].strip("-_")
    return stem or "image"
