"""Engaged reading time: what a module asks for, how recorded time is shown, what hours are credited.

The one definition of each. The module page, completion, the trainee's report, HR's exports and
the certificate all call these functions, so they show the same numbers.

- A module asks for ``required_minutes``: the course's ``reading.min_share`` of the module's
  ``minutes``, rounded up to whole minutes.
- Recorded time is shown in whole minutes, rounded down (``recorded_minutes``); a total is the sum
  of the modules' minutes as shown, so a table always adds up.
- ``credited_hours``: the course's ``hours`` when the recorded minutes reach the required minimum
  (the sum of the module minimums), otherwise none. Completing every module guarantees it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..content.course import DEFAULT_READING


def min_share(settings: Mapping[str, Any]) -> float:
    """The share of a module's minutes a trainee must spend on it, from a course's settings."""
    return float({**DEFAULT_READING, **settings.get("reading", {})}["min_share"])


def required_minutes(minutes: int, share: float) -> int:
    """The engaged minutes a module of ``minutes`` asks for."""
    return math.ceil(round(minutes * share, 6))


def recorded_minutes(seconds: int) -> int:
    """Recorded engaged seconds as the whole minutes every page, export and certificate shows."""
    return max(0, seconds) // 60


def credited_hours(hours: float, minutes: int, required: int) -> float:
    """The training hours credited: the course's ``hours`` once the recorded engaged ``minutes``
    reach the ``required`` minimum, otherwise none."""
    return float(hours) if minutes >= required else 0.0


@dataclass(frozen=True)
class ModuleTime:
    slug: str
    title: str
    seconds: int          # engaged seconds recorded
    required: int         # engaged minutes the module asks for

    @property
    def minutes(self) -> int:
        return recorded_minutes(self.seconds)

    @property
    def remaining_seconds(self) -> int:
        return max(0, 60 * self.required - self.seconds)

    @property
    def remaining_minutes(self) -> int:
        """The time still needed as shown: whole minutes, rounded up (never 0 while some is left)."""
        return -(-self.remaining_seconds // 60)

    @property
    def is_enough(self) -> bool:
        return self.remaining_seconds == 0


@dataclass(frozen=True)
class ReadingTime:
    """A trainee's recorded engaged time in each module of a course, and the hours it credits."""

    hours: float          # the course's hours
    modules: tuple[ModuleTime, ...]

    @property
    def minutes(self) -> int:
        return sum(module.minutes for module in self.modules)

    @property
    def required(self) -> int:
        return sum(module.required for module in self.modules)

    @property
    def credited_hours(self) -> float:
        return credited_hours(self.hours, self.minutes, self.required)

    def to_json(self) -> dict[str, Any]:
        """As frozen in a certificate's snapshot: minutes per module (by slug) and in total."""
        return {"minutes": self.minutes, "required_minutes": self.required,
                "modules": {module.slug: module.minutes for module in self.modules}}


@dataclass(frozen=True)
class ModuleRead:
    """One module as the time rules see it: slug, title, the minutes of the revision read (or the
    current one) and the engaged seconds recorded."""

    slug: str
    title: str
    minutes: int
    seconds: int


def reading_time(hours: float, settings: Mapping[str, Any], modules: Iterable[ModuleRead]) -> ReadingTime:
    share = min_share(settings)
    return ReadingTime(float(hours), tuple(
        ModuleTime(m.slug, m.title, m.seconds, required_minutes(m.minutes, share)) for m in modules))
