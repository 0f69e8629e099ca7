"""Durations as authors write them: ``30s``, ``10m``, ``2h``, ``1d`` and combinations like ``1h30m``."""

from __future__ import annotations

import re
from datetime import timedelta

UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
DURATION = re.compile("^" + r"\s*".join(rf"(?:(?P<{unit}>\d{{1,9}}){unit})?" for unit, _ in UNITS) + "$")
EXAMPLES = "30s, 10m, 2h, 1d or 1h30m"


def parse_duration(text: str) -> timedelta:
    """``"1h30m"`` → ``timedelta(hours=1, minutes=30)``.

    Each part is a whole number followed by a unit, ``d``, ``h``, ``m`` or ``s``, largest unit
    first, each unit at most once; spaces between the parts are allowed. Raises
    :class:`ValueError` with a message fit to show the author.
    """
    cleaned = text.strip().lower()
    match = DURATION.match(cleaned)
    if not cleaned or not match:
        raise ValueError(f"'{text}' is not a duration: write whole numbers with units d, h, m "
                         f"or s, largest first, e.g. {EXAMPLES}")
    seconds = sum(int(match[unit] or 0) * size for unit, size in UNITS)
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"'{text}' is too long a duration") from None


def format_duration(duration: timedelta) -> str:
    """The inverse of :func:`parse_duration`: ``timedelta(minutes=90)`` → ``"1h30m"``."""
    if duration < timedelta(0) or duration.microseconds:
        raise ValueError(f"{duration} is not a whole, non-negative number of seconds")
    remaining = duration.days * 86400 + duration.seconds
    parts = []
    for unit, size in UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
