"""The time rules: what a module asks for, how recorded time is shown, which hours are credited."""

from __future__ import annotations

import pytest

from lms.learning.reading import (
    ModuleRead,
    credited_hours,
    min_share,
    reading_time,
    recorded_minutes,
    required_minutes,
)


@pytest.mark.parametrize(("minutes", "share", "required"), [
    (14, 0.5, 7), (13, 0.5, 7), (10, 0.3, 3), (10, 0.35, 4), (12, 0, 0), (12, 1, 12), (1, 0.5, 1)])
def test_a_module_asks_for_a_share_of_its_minutes_rounded_up(minutes, share, required):
    assert required_minutes(minutes, share) == required


def test_the_share_comes_from_the_course_settings_with_a_default():
    assert min_share({}) == 0.5
    assert min_share({"reading": {"min_share": 0.8}}) == 0.8


@pytest.mark.parametrize(("seconds", "minutes"), [(0, 0), (59, 0), (60, 1), (419, 6), (420, 7), (-5, 0)])
def test_recorded_time_is_shown_in_whole_minutes_rounded_down(seconds, minutes):
    assert recorded_minutes(seconds) == minutes


def test_hours_are_credited_only_when_the_minimum_is_reached():
    assert credited_hours(6, 40, 40) == 6.0
    assert credited_hours(6, 39, 40) == 0.0
    assert credited_hours(1.5, 0, 0) == 1.5


def test_totals_add_up_the_modules_as_shown_and_decide_the_hours():
    settings = {"reading": {"min_share": 0.5}}
    modules = [ModuleRead("a", "甲", 14, 7 * 60 + 59), ModuleRead("b", "乙", 13, 7 * 60 + 30)]
    time = reading_time(6, settings, modules)
    assert [m.minutes for m in time.modules] == [7, 7]
    assert [m.required for m in time.modules] == [7, 7]
    assert time.minutes == 14 and time.required == 14 and time.credited_hours == 6.0
    assert time.to_json() == {"minutes": 14, "required_minutes": 14, "modules": {"a": 7, "b": 7}}
    short = reading_time(6, settings, [modules[0], ModuleRead("b", "乙", 13, 6 * 60 + 59)])
    assert short.minutes == 13 and short.credited_hours == 0.0
    assert short.modules[1].remaining_seconds == 1 and short.modules[1].remaining_minutes == 1
