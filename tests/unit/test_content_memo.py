"""Parsed YAML and each item's findings are kept by the text's SHA-256: the same answers, reused."""

from __future__ import annotations

import pytest

from lms.content import ContentError, analysis, frontmatter


def test_the_same_yaml_is_parsed_once_and_errors_name_the_path_asked_about(monkeypatch):
    first = frontmatter.parse_yaml("title: 催收\nminutes: 14\n", "a.md", first_line=2)
    calls = []
    monkeypatch.setattr(frontmatter, "_parse_yaml", lambda *args: calls.append(args))
    again = frontmatter.parse_yaml("title: 催收\nminutes: 14\n", "b.md", first_line=2)
    assert again == first and again.line_of("minutes") == 3 and not calls
    again.data["title"] = "changed"  # a caller's change does not reach the next one
    assert frontmatter.parse_yaml("title: 催收\nminutes: 14\n", "c.md", first_line=2).data["title"] == "催收"
    monkeypatch.undo()
    for path in ("one.md", "two.md"):
        with pytest.raises(ContentError) as raised:
            frontmatter.parse_yaml("- a list\n", path)
        assert str(raised.value) == f"{path}:1: expected a mapping of keys to values"


def test_an_item_s_findings_are_computed_again_only_when_its_source_changes(monkeypatch):
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Module:
        path: str
        source: str

        @property
        def sha256(self) -> str:
            return self.source

    calls = []

    def analyse_module(module):
        calls.append(module.source)
        return [analysis.Finding(module.path, 1, module.source)]

    analyse_module.__name__ = "test_analyse_module"
    first = analysis._analysed(analyse_module, Module("m.md", "v1"))
    assert analysis._analysed(analyse_module, Module("m.md", "v1")) == first and calls == ["v1"]
    assert analysis._analysed(analyse_module, Module("m.md", "v2"))[0].message == "v2"
    assert calls == ["v1", "v2"]
