"""Sorting names as people expect: 催收二部 before 催收十部, 第2期 before 第10期."""

from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMBER = re.compile(r"\d+|[零〇一二两三四五六七八九十百千]+")


def chinese_number(text: str) -> int:
    """一 → 1, 十 → 10, 十二 → 12, 二十 → 20, 一百零五 → 105."""
    total, digit = 0, 0
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS[char]
        else:
            total += (digit or 1) * _UNITS[char]
            digit = 0
    return total + digit


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key in which runs of Arabic or Chinese numerals compare as numbers."""
    key: list[tuple[int, int | str]] = []
    position = 0
    for match in _NUMBER.finditer(text):
        if match.start() > position:
            key.append((1, text[position:match.start()]))
        run = match.group()
        key.append((0, int(run) if run.isdigit() else chinese_number(run)))
        position = match.end()
    if position < len(text):
        key.append((1, text[position:]))
    return tuple(key)
