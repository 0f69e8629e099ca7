"""A course's images: uploaded as drafts of the course (published with the modules that use
them, so history, packages and the round trip hold), listed with where each is used.

An upload never replaces a file: the same image again is the one already there, another image
with a taken name gets a new name. So a new image changes nothing a trainee sees until a module
that shows it is published.
"""

from __future__ import annotations

import base64
import hashlib
import io
import posixpath
import re
import warnings
from dataclasses import dataclass, field

from PIL import Image
from sqlalchemy import select

from ..content import images
from ..content.course import IMAGE_FOLDER, IMAGE_TYPES, MAX_ASSET_BYTES
from ..content.render import all_image_references
from ..db import session
from ..i18n import gettext as _
from ..learning.models import CourseAsset
from .items import Item, find_course
from .models import ASSET, MODULE, Draft
from .services import AuthoringError, Who, drafts_of, save_draft

DEFAULT_MAX_BYTES = MAX_ASSET_BYTES


class MediaError(AuthoringError):
    """An upload that was refused; nothing was stored."""


@dataclass(frozen=True)
class Use:
    module: str  # the module's slug
    title: str
    line: int


@dataclass
class MediaFile:
    path: str  # in the course folder: images/流程图.png
    size: int
    mime_type: str
    sha256: str
    is_draft: bool
    width: int | None = None
    height: int | None = None
    uses: list[Use] = field(default_factory=list)

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)


@dataclass(frozen=True)
class Uploaded:
    path: str
    is_reused: bool  # the same image was already in the course


def _is_image(path: str) -> bool:
    return posixpath.splitext(path)[1].lower() in IMAGE_TYPES


def _asset_drafts(course: str) -> dict[str, Draft]:
    return {d.slug: d for d in drafts_of(course) if d.kind == ASSET}


def _published(course: str) -> dict[str, CourseAsset]:
    record = find_course(course)
    if record is None:
        return {}
    return {asset.path: asset for asset in session.scalars(
        select(CourseAsset).where(CourseAsset.course_id == record.id).order_by(CourseAsset.path))}


def media_file(course: str, path: str) -> tuple[bytes, str] | None:
    """An image's bytes and type as the author sees them: the draft's, else the published one."""
    draft = _asset_drafts(course).get(path)
    if draft is not None:
        if draft.is_retirement:
            return None
        return base64.b64decode(draft.source), _mime_type(path)
    asset = _published(course).get(path)
    return (asset.data, asset.mime_type) if asset is not None else None


def _mime_type(path: str) -> str:
    suffix = posixpath.splitext(path)[1].lower()
    kind = next((k for k, s in images.SUFFIXES.items() if s == suffix), images.JPEG)
    return images.MIME_TYPES[kind]


def media_of(course: str) -> list[MediaFile]:
    """Every image of the course, published or draft, with its size and the modules using it."""
    files: dict[str, MediaFile] = {}
    for path, asset in _published(course).items():
        if _is_image(path):
            files[path] = MediaFile(path, len(asset.data), asset.mime_type, asset.sha256, False,
                                    *_dimensions(asset.data))
    for path, draft in _asset_drafts(course).items():
        if draft.is_retirement:
            files.pop(path, None)
        elif _is_image(path):
            data = base64.b64decode(draft.source)
            files[path] = MediaFile(path, len(data), _mime_type(path),
                                    hashlib.sha256(data).hexdigest(), True, *_dimensions(data))
    for use_path, use in _uses(course):
        if use_path in files:
            files[use_path].uses.append(use)
    return sorted(files.values(), key=lambda f: f.path)


def _uses(course: str) -> list[tuple[str, Use]]:
    """(image path, where) for every image reference in the modules as the author sees them."""
    record = find_course(course)
    sources: dict[str, tuple[str, str]] = {}
    if record is not None:
        for module in record.active_modules:
            if module.current_revision is not None:
                sources[module.slug] = (module.current_revision.title, module.current_revision.source)
    for draft in drafts_of(course):
        if draft.kind == MODULE:
            if draft.is_retirement:
                sources.pop(draft.slug, None)
            else:
                title = sources.get(draft.slug, (draft.slug, ""))[0]
                sources[draft.slug] = (title, draft.source)
    return [(posixpath.normpath(src), Use(slug, title, line))
            for slug, (title, source) in sorted(sources.items())
            for line, src in all_image_references(source)]


def _dimensions(data: bytes) -> tuple[int | None, int | None]:
    """Read from the header only; an SVG's from its root element."""
    if images.sniff(data) == images.SVG:
        match = re.search(rb"<svg\b[^>]*>", data[:4096])
        if match is None:
            return None, None
        tag = match[0].decode("utf-8", "replace")

        def attribute(name: str) -> str | None:
            found = re.search(rf'\s{name}\s*=\s*["\']([^"\']*)["\']', tag)
            return found[1] if found else None

        return images.svg_size(attribute("width"), attribute("height"), attribute("viewBox"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None, None


def upload(course: str, filename: str, data: bytes, who: Who,
           max_bytes: int = DEFAULT_MAX_BYTES) -> Uploaded:
    """Check, clean and keep an image as a draft of the course; raises :class:`MediaError`."""
    limit = min(max_bytes, MAX_ASSET_BYTES)
    if len(data) > limit:
        raise MediaError(_("The file is larger than %(limit)s, the most an image may be: make "
                           "it smaller and try again.", limit=_megabytes(limit)))
    try:
        image = images.clean(data)
    except images.ImageRefused as refused:
        raise MediaError(str(refused)) from None
    if len(image.data) > limit:
        raise MediaError(_("Stored without its metadata the image is still %(size)s; at most "
                           "%(limit)s can be kept. Make it smaller and try again.",
                           size=_megabytes(len(image.data)), limit=_megabytes(limit)))
    sha256 = hashlib.sha256(image.data).hexdigest()
    taken = {f.path: f.sha256 for f in media_of(course)}
    taken |= {path: "" for path in _published(course) if path not in taken}
    same = next((path for path, sha in taken.items() if sha == sha256), None)
    if same is not None:
        return Uploaded(same, True)
    stem = images.safe_stem(filename)
    path, number = f"{IMAGE_FOLDER}/{stem}{image.suffix}", 1
    while path in taken or _asset_drafts(course).get(path) is not None:
        number += 1
        path = f"{IMAGE_FOLDER}/{stem}-{number}{image.suffix}"
    encoded = base64.b64encode(image.data).decode("ascii")
    save_draft(Item(course, ASSET, path), encoded, who, None, None, [[path, len(encoded)]])
    return Uploaded(path, False)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
