"""A course as files in the on-disk layout, in memory: ``{"courses/<slug>/…": bytes,
"quizzes/<slug>/…": bytes}``. Folders and ZIP packages are read into it and written from it;
parsing goes through the same loader as ``lms check``, so messages are the same."""

from __future__ import annotations

import dataclasses
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import IO

from ..content import ContentError, ContentErrors, CourseSpec, load_courses
from ..content.course import MAX_ASSET_BYTES
from ..i18n import gettext as _

Tree = dict[str, bytes]
ROOTS = ("courses", "quizzes")
MAX_MEMBERS = 2000
MAX_PACKAGE_BYTES = 200 * 1024 * 1024


class PackageError(ValueError):
    """A package that is refused as a whole; nothing was read from it."""


def read_folder(folder: Path, root: str) -> Tree:
    """Every file under ``folder`` (a course's folder or its quiz folder) as ``root/<name>/…``."""
    tree: Tree = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            tree[f"{root}/{folder.name}/{path.relative_to(folder).as_posix()}"] = path.read_bytes()
    return tree


def write_folder(tree: Tree, folder: Path) -> None:
    for name, data in sorted(tree.items()):
        target = folder.joinpath(*PurePosixPath(name).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def write_zip(tree: Tree, file: str | Path | IO[bytes]) -> None:
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(tree.items()):
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))  # same bytes every time
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, data)


def member_problem(info: zipfile.ZipInfo) -> str | None:
    """Why a ZIP member is refused, or None."""
    name = info.filename
    parts = PurePosixPath(name).parts
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return _("an absolute path")
    if "\\" in name or ".." in parts or "." in parts:
        return _("a path that leaves the package")
    if stat.S_ISLNK(info.external_attr >> 16):
        return _("a symbolic link")
    if len(parts) < 3 or parts[0] not in ROOTS:
        return _("not in the layout courses/<course>/… or quizzes/<course>/…")
    if info.file_size > MAX_ASSET_BYTES:
        return _("larger than %(size)d MB", size=MAX_ASSET_BYTES // (1024 * 1024))
    return None


def read_zip(file: str | Path | IO[bytes], shown: str = "package") -> Tree:
    """The files of a course package; raises :class:`PackageError` for anything unsafe."""
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageError(_("%(package)s: not a ZIP file (%(reason)s)", package=shown, reason=exc)) from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > MAX_MEMBERS:
            raise PackageError(_("%(package)s: %(count)d files, more than %(most)d", package=shown,
                                 count=len(members), most=MAX_MEMBERS))
        problems = [f"{shown}: {info.filename}: {problem}" for info in members
                    if (problem := member_problem(info))]
        if problems:
            raise PackageError("\n".join(problems))
        if sum(info.file_size for info in members) > MAX_PACKAGE_BYTES:
            raise PackageError(_("%(package)s: more than %(size)d MB unpacked", package=shown,
                                 size=MAX_PACKAGE_BYTES // (1024 * 1024)))
        tree: Tree = {}
        total = 0
        for info in members:
            try:
                with archive.open(info) as member:  # the sizes a ZIP declares are not trusted
                    data = member.read(MAX_ASSET_BYTES + 1)
            except (RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error) as exc:
                raise PackageError(_("%(package)s: %(file)s: cannot be read (%(reason)s)", package=shown,
                                     file=info.filename, reason=exc)) from None
            total += len(data)
            if len(data) > MAX_ASSET_BYTES or total > MAX_PACKAGE_BYTES:
                raise PackageError(_("%(package)s: %(file)s: larger than it says", package=shown,
                                     file=info.filename))
            if info.filename in tree:
                raise PackageError(_("%(package)s: %(file)s: in the package twice", package=shown,
                                     file=info.filename))
            tree[info.filename] = data
    if not any(name.startswith("courses/") for name in tree):
        raise PackageError(_("%(package)s: no course (a package holds courses/<course>/course.yml)",
                             package=shown))
    return tree


def parse_tree(tree: Tree) -> list[CourseSpec]:
    """The courses of ``tree``, parsed as ``lms check`` parses folders; paths in messages and specs
    are the package's (``courses/<course>/01-intro.md``). Raises :class:`ContentErrors`."""
    with tempfile.TemporaryDirectory(prefix="lms-content-") as folder:
        root = Path(folder)
        write_folder(tree, root)
        for name in ROOTS:
            (root / name).mkdir(exist_ok=True)
        prefix = str(root) + "/"
        courses_dir, quizzes_dir = root / "courses", root / "quizzes"
        errors = [ContentError(f"quizzes/{path.name}", 1, f"no course '{path.name}' in the package "
                               "for these quizzes") for path in sorted(quizzes_dir.iterdir())
                  if not (courses_dir / path.name).is_dir()]
        try:
            specs = load_courses([courses_dir], quizzes_dir=quizzes_dir, courses_dir=courses_dir)
        except ContentErrors as exc:
            errors += exc.errors
        if errors:
            raise ContentErrors([ContentError(e.path.replace(prefix, ""), e.line,
                                              e.message.replace(prefix, "")) for e in errors])
    return [_relative(spec, prefix) for spec in specs]


def _relative(spec: CourseSpec, prefix: str) -> CourseSpec:
    def moved(item):
        return dataclasses.replace(item, path=item.path.replace(prefix, ""))

    return dataclasses.replace(moved(spec), modules=tuple(map(moved, spec.modules)),
                               quizzes=tuple(map(moved, spec.quizzes)),
                               scenarios=tuple(map(moved, spec.scenarios)))
