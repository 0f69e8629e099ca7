"""The lock files pin every declared dependency, at versions the declared lower bounds accept."""

from __future__ import annotations

import re
import tomllib

import pytest

from lms.paths import PROJECT_DIR

PYPROJECT = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text(encoding="utf-8"))["project"]
REQUIREMENT = re.compile(r"^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?\s*(?:>=\s*([0-9][0-9.]*))?")


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def _pins(lock: str) -> dict[str, str]:
    text = (PROJECT_DIR / lock).read_text(encoding="utf-8")
    entries = re.findall(r"^([A-Za-z0-9._-]+)==([^\s;]+)(?: ;[^\\\n]*)?"  # name==version ; marker
                         r"((?: \\\n\s+--hash=sha256:[0-9a-f]{64})+)", text, re.M)
    assert len(entries) == len(re.findall(r"^[A-Za-z0-9._-]+==", text, re.M)), "a pin without a hash"
    return {_name(name): version for name, version, _ in entries}


def _declared(*groups: str) -> list[tuple[str, str | None]]:
    requirements = list(PYPROJECT["dependencies"])
    for group in groups:
        requirements += PYPROJECT["optional-dependencies"][group]
    return [(_name(m.group(1)), m.group(2)) for m in map(REQUIREMENT.match, requirements)
            if _name(m.group(1)) != "lms-collections"]


@pytest.mark.parametrize(("lock", "groups"), [("requirements.lock", ("postgres", "redis")),
                                              ("requirements-test.lock", ("postgres", "redis", "test"))])
def test_every_dependency_is_pinned_with_hashes_within_its_bounds(lock, groups):
    pins = _pins(lock)
    for name, lower in _declared(*groups):
        assert name in pins, f"{name} is not in {lock}: run `make lock`"
        if lower:
            assert _version(pins[name]) >= _version(lower), f"{name} {pins[name]} < {lower}"


def test_the_lower_bounds_the_code_needs():
    bounds = dict(_declared("postgres", "redis"))
    assert _version(bounds["weasyprint"]) >= (70,)  # weasyprint.urls.URLFetcher
    assert "psycopg" in bounds and "redis" in bounds


def test_make_installs_from_the_lock_files():
    makefile = (PROJECT_DIR / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements.lock" in makefile
    assert "--require-hashes -r requirements-test.lock" in makefile
    assert re.search(r"^lock:", makefile, re.M)
    assert "gunicorn -c gunicorn.conf.py" in makefile
