"""Course packages are refused whole when anything in them is unsafe or out of layout."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest

from lms.authoring.tree import MAX_MEMBERS, PackageError, parse_tree, read_zip, write_zip
from lms.content.course import MAX_ASSET_BYTES

GOOD = {"courses/demo/course.yml": b"title: t\nmodules: [intro]\n",
        "courses/demo/01-intro.md": "---\ntitle: 引言\n---\n正文。\n".encode()}


def package(members: dict[str, bytes], symlink: str | None = None) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize(("members", "symlink", "expected"), [
    ({**GOOD, "courses/demo/../../../evil.md": b"x"}, None, "a path that leaves the package"),
    ({**GOOD, "/etc/cron.d/evil": b"x"}, None, "an absolute path"),
    ({**GOOD, "C:/evil.md": b"x"}, None, "an absolute path"),
    (GOOD, "courses/demo/images/link.png", "a symbolic link"),
    ({**GOOD, "courses/demo/big.png": b"\0" * (MAX_ASSET_BYTES + 1)}, None, "larger than 5 MB"),
    ({**GOOD, "notes/readme.md": b"x"}, None, "not in the layout courses/<course>/"),
    ({**GOOD, "courses/course.yml": b"x"}, None, "not in the layout courses/<course>/"),
    ({f"courses/demo/{n}.png": b"" for n in range(MAX_MEMBERS + 1)}, None, "more than 2000"),
    ({"quizzes/demo/quiz.md": b"x"}, None, "no course"),
])
def test_hostile_packages_are_refused_with_a_clear_message(members, symlink, expected):
    with pytest.raises(PackageError) as raised:
        read_zip(package(members, symlink), "demo.zip")
    assert expected in str(raised.value) and str(raised.value).startswith("demo.zip")


def test_not_a_zip_is_refused():
    with pytest.raises(PackageError, match="not a ZIP file"):
        read_zip(io.BytesIO(b"PK not really"), "demo.zip")


def test_a_written_package_reads_back_byte_for_byte():
    buffer = io.BytesIO()
    write_zip(GOOD, buffer)
    first = buffer.getvalue()
    buffer.seek(0)
    assert read_zip(buffer) == GOOD
    again = io.BytesIO()
    write_zip(GOOD, again)
    assert again.getvalue() == first  # the same course gives the same bytes


def test_messages_name_the_files_in_the_package():
    from lms.content import ContentErrors

    with pytest.raises(ContentErrors) as raised:
        parse_tree({**GOOD, "courses/demo/01-intro.md": b"---\ntitle: t\nminutes: 0\n---\nx\n",
                    "quizzes/other/q.md": b"x"})
    assert [str(e) for e in raised.value.errors] == [
        "courses/demo/01-intro.md:3: 'minutes' must be a whole number from 1 to 600",
        "quizzes/other:1: no course 'other' in the package for these quizzes"]


def test_a_member_larger_than_it_says_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("courses/demo/course.yml", b"title: t\n")
        archive.writestr("courses/demo/big.png", b"\0" * (MAX_ASSET_BYTES + 10))
    data = bytearray(buffer.getvalue())
    # lie about the uncompressed size in the central directory: 16 bytes instead of 5 MB
    central = data.rindex(b"PK\x01\x02")
    data[central + 24:central + 28] = (16).to_bytes(4, "little")
    with pytest.raises(PackageError, match="big.png: (larger than it says|cannot be read)"):
        read_zip(io.BytesIO(bytes(data)), "demo.zip")
