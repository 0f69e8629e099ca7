"""Courses on disk: ``course.yml`` plus ``NN-slug.md`` module files, parsed into plain objects."""

from __future__ import annotations

import hashlib
import mimetypes
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import images
from .errors import ContentError, ContentErrors
from .frontmatter import YamlDocument, parse_yaml, split_front_matter
from .render import CALLOUTS, TooDeeplyNested, all_image_references, callout_lines, render_markdown
from .validation import SLUG, Collector, read_text, text_field, text_list, unknown_keys

COURSE_FILE = "course.yml"
MODULE_FILE = re.compile(r"^(?P<position>\d+)-(?P<slug>[a-z0-9][a-z0-9-]*)\.md$")
IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}
#: the course's media: every image in it travels with the course, used by a module or not yet
IMAGE_FOLDER = "images"
MAX_ASSET_BYTES = 5 * 1024 * 1024

COURSE_KEYS = {"title", "description", "hours", "sequential", "modules", "enrolment", "summary",
               "completion", "certificate", "reading", "review_required"}
COMPLETION_KEYS = {"modules", "quizzes", "scenarios", "scenario_min_score", "summary"}
CERTIFICATE_KEYS = {"validity_months", "signatory", "signatory_title", "issuer", "template"}
SUMMARY_KEYS = {"min_chars"}
READING_KEYS = {"min_share"}
ENROLMENT_KEYS = {"all_trainees", "due_days"}
MODULE_KEYS = {"title", "summary", "minutes", "objectives", "activities"}


DEFAULT_COMPLETION = {"modules": True, "quizzes": True, "scenarios": True, "scenario_min_score": None,
                      "summary": True}
#: a module counts as read once the trainee spent this share of its minutes engaged on it
DEFAULT_READING = {"min_share": 0.5}
DEFAULT_CERTIFICATE = {"validity_months": 24, "signatory": "", "signatory_title": "", "issuer": "",
                       "template": None}


@dataclass(frozen=True)
class ModuleSpec:
    slug: str
    position: int
    title: str
    summary: str
    minutes: int
    objectives: tuple[str, ...]
    activities: tuple[str, ...]
    source: str
    html: str
    path: str
    activities_line: int = 1  # where the module names its activities, for messages

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AssetSpec:
    path: str  # relative to the course folder, with forward slashes
    data: bytes
    mime_type: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class CourseSpec:
    slug: str
    title: str
    description: str
    hours: float
    sequential: bool
    enrol_all_trainees: bool
    due_days: int | None
    modules: tuple[ModuleSpec, ...]
    assets: tuple[AssetSpec, ...] = field(default=())
    path: str = ""
    summary_min_chars: int = 500
    #: what completes the course: modules read, quizzes and case studies passed, scenarios
    #: passed (with at least scenario_min_score), summary approved
    completion: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_COMPLETION))
    certificate: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_CERTIFICATE))
    #: what reading a module asks for: min_share of its minutes, engaged
    reading: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_READING))
    #: quizzes, case studies and scenarios, when the course's quiz folder was loaded too
    quizzes: tuple[Any, ...] = field(default=())
    scenarios: tuple[Any, ...] = field(default=())
    #: publishing a change needs a second author's approval (four eyes)
    review_required: bool = False
    #: the text of course.yml
    source: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()


def _positive_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def asset_src(src: str) -> str:
    """Where a module's image is served from, relative to the module's page."""
    return "assets/" + posixpath.normpath(src)


def parse_module(path: Path, text: str, position: int, slug: str, course_dir: Path,
                 errors: Collector) -> tuple[ModuleSpec | None, set[str]]:
    """Parse one module file; returns the module and the asset paths it uses."""
    shown = str(path)
    try:
        parsed = split_front_matter(text, shown)
    except ContentError as exc:
        errors.errors.append(exc)
        return None, set()
    meta, body, body_line = parsed.meta, parsed.body, parsed.body_line
    before = len(errors.errors)
    unknown_keys(meta, MODULE_KEYS, shown, errors)
    title = text_field(meta, "title", shown, errors, required=True)
    summary = text_field(meta, "summary", shown, errors, required=False)
    minutes = meta.data.get("minutes", 10)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 600:
        errors.add(shown, meta.line_of("minutes"), "'minutes' must be a whole number from 1 to 600")
        minutes = 10
    objectives = text_list(meta, "objectives", shown, errors)
    activities = text_list(meta, "activities", shown, errors)
    for index, activity in enumerate(activities):
        if not SLUG.match(activity):
            errors.add(shown, meta.line_of("activities", index),
                       f"activity '{activity}' must be a slug: lowercase letters, digits and '-'")
    if not body.strip():
        errors.add(shown, body_line, "the module has no text after its front matter")

    for line, kind in callout_lines(body):
        if kind not in CALLOUTS:
            known = "、".join(k for k in CALLOUTS if not k.isascii())
            errors.add(shown, body_line + line - 1, f"unknown callout '!!! {kind}' (use {known})")

    assets: set[str] = set()
    for line, src in all_image_references(body):
        if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.IGNORECASE) or src.startswith("/"):
            errors.add(shown, body_line + line - 1,
                       f"image '{src}' must be a file in the course folder, not a URL")
            continue
        relative = posixpath.normpath(src)
        target = course_dir / relative
        if relative.startswith("..") or not target.is_file():
            errors.add(shown, body_line + line - 1, f"image '{src}' not found in the course folder")
        elif target.suffix.lower() not in IMAGE_TYPES:
            errors.add(shown, body_line + line - 1,
                       f"image '{src}' must be one of {', '.join(sorted(IMAGE_TYPES))}")
        elif target.stat().st_size > MAX_ASSET_BYTES:
            errors.add(shown, body_line + line - 1, f"image '{src}' is larger than 5 MB")
        elif (refused := _refused_svg(target)) is not None:
            errors.add(shown, body_line + line - 1, f"image '{src}': {refused}")
        else:
            assets.add(relative)

    if len(errors.errors) > before:
        return None, assets
    try:
        html = render_markdown(body, image_url=asset_src, strict=True)
    except TooDeeplyNested as problem:
        errors.add(shown, body_line, f"{problem}: at most about a hundred levels")
        return None, assets
    module = ModuleSpec(slug=slug, position=position, title=title, summary=summary,
                        minutes=minutes, objectives=objectives, activities=activities,
                        source=text, html=html, path=shown,
                        activities_line=meta.line_of("activities"))
    return module, assets


def _refused_svg(target: Path) -> str | None:
    """Why an SVG drawing cannot be shown to trainees (a script, an event handler, a reference
    out of the file: what an upload is refused for too); None for one that can, and for other images."""
    if target.suffix.lower() != ".svg":
        return None
    try:
        images.clean_svg(target.read_bytes())
    except images.ImageRefused as refused:
        return str(refused)
    return None


def parse_course(course_dir: Path) -> CourseSpec:
    """Parse a course folder; raises :class:`ContentErrors` listing every problem."""
    errors = Collector()
    course_file = course_dir / COURSE_FILE
    shown = str(course_file)
    slug = course_dir.name
    if not SLUG.match(slug):
        errors.add(shown, 1, f"course folder name '{slug}' must be lowercase letters, digits, '-'")
    if not course_file.is_file():
        raise ContentErrors([ContentError(shown, 1, "course.yml not found in the course folder")])
    text = read_text(course_file, errors)
    if text is None:
        raise ContentErrors(errors.errors)
    try:
        doc = parse_yaml(text, shown)
    except ContentError as exc:
        raise ContentErrors([exc]) from None

    unknown_keys(doc, COURSE_KEYS, shown, errors)
    title = text_field(doc, "title", shown, errors, required=True)
    description = text_field(doc, "description", shown, errors, required=False)
    hours = doc.data.get("hours", 1)
    if not _positive_number(hours):
        errors.add(shown, doc.line_of("hours"), "'hours' must be a positive number")
        hours = 1
    sequential = doc.data.get("sequential", False)
    if not isinstance(sequential, bool):
        errors.add(shown, doc.line_of("sequential"), "'sequential' must be true or false")
        sequential = False
    review_required = doc.data.get("review_required", False)
    if not isinstance(review_required, bool):
        errors.add(shown, doc.line_of("review_required"), "'review_required' must be true or false")
        review_required = False
    enrol_all, due_days = _parse_enrolment(doc, shown, errors)
    summary_min_chars = _parse_summary(doc, shown, errors)
    completion = _parse_completion(doc, shown, errors)
    certificate = _parse_certificate(doc, shown, errors, course_dir)
    reading = _parse_reading(doc, shown, errors)

    files: dict[str, tuple[int, Path]] = {}
    for path in sorted(course_dir.glob("*.md")):
        match = MODULE_FILE.match(path.name)
        if not match:
            errors.add(str(path), 1, "a module file must be named NN-slug.md, e.g. 01-process.md")
            continue
        if match["slug"] in files:
            errors.add(str(path), 1, f"module '{match['slug']}' is defined twice")
            continue
        files[match["slug"]] = (int(match["position"]), path)

    order = text_list(doc, "modules", shown, errors)
    if "modules" not in doc.data:
        order = tuple(sorted(files, key=lambda s: files[s][0]))
    listed = set()
    for index, module_slug in enumerate(order):
        if module_slug in listed:
            errors.add(shown, doc.line_of("modules", index), f"module '{module_slug}' is listed twice")
        elif module_slug not in files:
            errors.add(shown, doc.line_of("modules", index),
                       f"module '{module_slug}' has no file NN-{module_slug}.md in the course folder")
        listed.add(module_slug)
    for module_slug, (_, path) in files.items():
        if module_slug not in listed:
            errors.add(str(path), 1, f"module '{module_slug}' is not listed under 'modules' "
                       f"in {COURSE_FILE}")
    if not order:
        errors.add(shown, doc.line_of("modules"), "the course has no modules")

    modules, asset_paths = [], set()
    for number, module_slug in enumerate(order, start=1):
        if module_slug not in files:
            continue
        path = files[module_slug][1]
        source = read_text(path, errors)
        if source is None:
            continue
        module, used = parse_module(path, source, number, module_slug, course_dir, errors)
        asset_paths |= used
        if module is not None:
            modules.append(module)

    asset_paths |= _media(course_dir, errors)
    if errors.errors:
        raise ContentErrors(errors.errors)
    if certificate.get("template"):  # a course's own certificate design travels with it
        folder = course_dir / certificate["template"]
        asset_paths |= {path.relative_to(course_dir).as_posix() for path in folder.rglob("*")
                        if path.is_file() and path.stat().st_size <= MAX_ASSET_BYTES}
    assets = tuple(
        AssetSpec(path=relative, data=(course_dir / relative).read_bytes(),
                  mime_type=mimetypes.guess_type(relative)[0] or "application/octet-stream")
        for relative in sorted(asset_paths)
    )
    return CourseSpec(slug=slug, title=title, description=description, hours=float(hours),
                      sequential=sequential, enrol_all_trainees=enrol_all, due_days=due_days,
                      modules=tuple(modules), assets=assets, path=str(course_dir),
                      summary_min_chars=summary_min_chars, completion=completion,
                      certificate=certificate, reading=reading, review_required=review_required,
                      source=text)


def _media(course_dir: Path, errors: Collector) -> set[str]:
    folder = course_dir / IMAGE_FOLDER
    if not folder.is_dir():
        return set()
    found = set()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.suffix.lower() in IMAGE_TYPES:
            if path.stat().st_size > MAX_ASSET_BYTES:
                errors.add(str(path), 1, "the image is larger than 5 MB")
            else:
                found.add(path.relative_to(course_dir).as_posix())
    return found


def _parse_enrolment(doc: YamlDocument, path: str, errors: Collector) -> tuple[bool, int | None]:
    value = doc.data.get("enrolment")
    if value is None:
        return False, None
    line = doc.line_of("enrolment")

    def line_of(key: str) -> int:
        return doc.key_lines.get(f"enrolment.{key}", line)

    if not isinstance(value, dict):
        errors.add(path, line, "'enrolment' must be a mapping with all_trainees and due_days")
        return False, None
    for key in value:
        if key not in ENROLMENT_KEYS:
            errors.add(path, line_of(key), f"unknown key 'enrolment.{key}' (known keys: "
                       f"{', '.join(sorted(ENROLMENT_KEYS))})")
    enrol_all = value.get("all_trainees", False)
    if not isinstance(enrol_all, bool):
        errors.add(path, line_of("all_trainees"), "'enrolment.all_trainees' must be true or false")
        enrol_all = False
    due_days = value.get("due_days")
    if due_days is not None and (not isinstance(due_days, int) or isinstance(due_days, bool)
                                 or not 1 <= due_days <= 3650):
        errors.add(path, line_of("due_days"),
                   "'enrolment.due_days' must be a whole number of days from 1 to 3650")
        due_days = None
    return enrol_all, due_days


def _parse_summary(doc: YamlDocument, path: str, errors: Collector) -> int:
    value = doc.data.get("summary")
    if value is None:
        return 500
    if not isinstance(value, dict):
        errors.add(path, doc.line_of("summary"), "'summary' must be a mapping with min_chars")
        return 500
    for key in value:
        if key not in SUMMARY_KEYS:
            errors.add(path, doc.key_lines.get(f"summary.{key}", doc.line_of("summary")),
                       f"unknown key 'summary.{key}' (known keys: min_chars)")
    minimum = value.get("min_chars", 500)
    if not isinstance(minimum, int) or isinstance(minimum, bool) or not 0 <= minimum <= 20000:
        errors.add(path, doc.key_lines.get("summary.min_chars", doc.line_of("summary")),
                   "'summary.min_chars' must be a whole number from 0 to 20000")
        return 500
    return minimum


def _mapping(doc: YamlDocument, key: str, known: set[str], path: str,
             errors: Collector) -> dict[str, Any]:
    value = doc.data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.add(path, doc.line_of(key), f"'{key}' must be a mapping of {', '.join(sorted(known))}")
        return {}
    for name in value:
        if name not in known:
            errors.add(path, doc.key_lines.get(f"{key}.{name}", doc.line_of(key)),
                       f"unknown key '{key}.{name}' (known keys: {', '.join(sorted(known))})")
    return value


def _parse_completion(doc: YamlDocument, path: str, errors: Collector) -> dict[str, Any]:
    value = _mapping(doc, "completion", COMPLETION_KEYS, path, errors)
    rules = dict(DEFAULT_COMPLETION)
    for name in ("modules", "quizzes", "scenarios", "summary"):
        if name in value:
            if not isinstance(value[name], bool):
                errors.add(path, doc.key_lines.get(f"completion.{name}", 1),
                           f"'completion.{name}' must be true or false")
            else:
                rules[name] = value[name]
    minimum = value.get("scenario_min_score")
    if minimum is not None:
        if not isinstance(minimum, int) or isinstance(minimum, bool) or not 0 <= minimum <= 100:
            errors.add(path, doc.key_lines.get("completion.scenario_min_score", 1),
                       "'completion.scenario_min_score' must be a whole number from 0 to 100")
        else:
            rules["scenario_min_score"] = minimum
    return rules


def _parse_reading(doc: YamlDocument, path: str, errors: Collector) -> dict[str, Any]:
    value = _mapping(doc, "reading", READING_KEYS, path, errors)
    settings = dict(DEFAULT_READING)
    share = value.get("min_share", settings["min_share"])
    if not isinstance(share, int | float) or isinstance(share, bool) or not 0 <= share <= 1:
        errors.add(path, doc.key_lines.get("reading.min_share", doc.line_of("reading")),
                   "'reading.min_share' must be a number from 0 to 1 (the share of a module's "
                   "minutes a trainee must spend on it)")
    else:
        settings["min_share"] = float(share)
    return settings


def _parse_certificate(doc: YamlDocument, path: str, errors: Collector,
                       course_dir: Path) -> dict[str, Any]:
    value = _mapping(doc, "certificate", CERTIFICATE_KEYS, path, errors)
    settings = dict(DEFAULT_CERTIFICATE)
    months = value.get("validity_months", settings["validity_months"])
    if months is not None and (not isinstance(months, int) or isinstance(months, bool)
                               or not 1 <= months <= 240):
        errors.add(path, doc.key_lines.get("certificate.validity_months", 1),
                   "'certificate.validity_months' must be a whole number of months from 1 to 240, "
                   "or null for certificates that never expire")
    else:
        settings["validity_months"] = months
    for name in ("signatory", "signatory_title", "issuer"):
        if name in value:
            if not isinstance(value[name], str):
                errors.add(path, doc.key_lines.get(f"certificate.{name}", 1),
                           f"'certificate.{name}' must be text")
            else:
                settings[name] = value[name].strip()
    template = value.get("template")
    if template is not None:
        folder = course_dir / str(template)
        if not isinstance(template, str) or not (folder / "certificate.html").is_file() \
                or not folder.resolve().is_relative_to(course_dir.resolve()):
            errors.add(path, doc.key_lines.get("certificate.template", 1),
                       f"'certificate.template' must be a folder of the course with a "
                       f"certificate.html: {template}")
        else:
            settings["template"] = str(template)
    return settings
