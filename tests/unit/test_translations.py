"""The Chinese catalogue covers every UI string, and the compiled catalogue is current.

English is the source language of the UI strings, so English needs no catalogue.
"""

from __future__ import annotations

import subprocess
import sys

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from lms.paths import PACKAGE_DIR, PROJECT_DIR

CATALOGUE = PACKAGE_DIR / "translations" / "zh_Hans_CN" / "LC_MESSAGES"


def extract(tmp_path):
    target = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-o", str(target), "--no-location", "."],
        cwd=PROJECT_DIR, check=True)
    with target.open("rb") as handle:
        return read_po(handle)


def test_every_ui_string_has_a_chinese_translation(tmp_path):
    with (CATALOGUE / "lms.po").open("rb") as handle:
        chinese = read_po(handle, locale="zh_Hans_CN")
    missing = []
    for message in extract(tmp_path):
        if not message.id:
            continue
        translated = chinese.get(message.id)
        strings = translated and (translated.string if isinstance(translated.string, tuple)
                                  else (translated.string,))
        if not translated or translated.fuzzy or not all(strings):
            missing.append(message.id)
    assert not missing, f"run `make translations` and translate: {missing}"


def test_the_compiled_catalogue_matches_the_source():
    with (CATALOGUE / "lms.po").open("rb") as handle:
        source = {_key(m.id): _key(m.string) for m in read_po(handle) if m.id and not m.fuzzy}
    with (CATALOGUE / "lms.mo").open("rb") as handle:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(handle) if m.id}
    assert compiled == source, "run `make translations` to recompile lms.mo"


def _key(value):
    return tuple(value) if isinstance(value, list | tuple) else value


def test_the_interface_addresses_the_user_one_way():
    """你 throughout the interface (emails, being letters, may say 您)."""
    with (CATALOGUE / "lms.po").open("rb") as handle:
        formal = [m.id for m in read_po(handle) if m.id and "您" in "".join(
            m.string if isinstance(m.string, tuple) else (m.string,))]
    assert not formal
