"""Course packages: a course exported in the on-disk layout (ZIP or folders), and read back."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from ..content import CourseSpec
from ..i18n import gettext as _
from ..progress import SILENT, Progress
from .items import course_item, current, find_course, published_tree
from .publishing import ImportReport
from .services import AuthoringError, Change, Who, changes, import_content
from .tree import Tree, parse_tree, read_zip, write_folder, write_zip


def export_tree(course: str) -> Tree:
    """The published course: courses/<course>/… and quizzes/<course>/…, images included."""
    record = find_course(course)
    if record is None:
        raise AuthoringError(_("No course '%(course)s'.", course=course))
    if current(course_item(course)) is None:
        raise AuthoringError(_("%(course)s: course.yml was imported before revisions were kept; "
                               "import the course from its files once.", course=course))
    return published_tree(record)[0]


def export_course(course: str, target: str | Path | IO[bytes]) -> Tree:
    """Write the course to ``target``: a ZIP file (``….zip`` or a stream) or a folder."""
    tree = export_tree(course)
    if isinstance(target, str | Path) and not str(target).lower().endswith(".zip"):
        write_folder(tree, Path(target))
    else:
        write_zip(tree, target)
    return tree


def read_package(file: str | Path | IO[bytes],
                 shown: str = "package") -> tuple[list[CourseSpec], list[Change]]:
    """Validate a package (raises :class:`PackageError` or :class:`ContentErrors`) and list its
    changes against what is published; nothing changes."""
    specs = parse_tree(read_zip(file, shown))
    return specs, [change for spec in specs for change in changes(spec)]


def import_package(specs: list[CourseSpec], who: Who, publish_now: bool,
                   message: str = "", progress: Progress = SILENT) -> ImportReport:
    return import_content(specs, who, publish_now, message, action="package.imported", progress=progress)
