"""Errors in authored content, reported as ``path:line: message``."""

from __future__ import annotations

import os
from dataclasses import dataclass


def display_path(path: str | os.PathLike[str]) -> str:
    """A path as the author knows it: relative to the working directory when inside it."""
    path = os.fspath(path)
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if relative.startswith("..") else relative


@dataclass(frozen=True)
class ContentError(Exception):
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{display_path(self.path)}:{self.line}: {self.message}"


class ContentErrors(Exception):
    """Every problem found in a content set; nothing was loaded."""

    def __init__(self, errors: list[ContentError]):
        super().__init__(f"{len(errors)} problem(s) in content")
        self.errors = sorted(errors, key=lambda e: (e.path, e.line))

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)
