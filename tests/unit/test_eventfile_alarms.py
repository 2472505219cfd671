"""A timing point's own "no read for N seconds" alarm delay in the event file."""

from __future__ import annotations

import pytest

from edge.errors import InvalidInput
from edge.imports.eventfile import parse_event_file

FILE = """\
slug: trail-2026
name: Trail
date: 2026-06-01
timezone: Europe/Paris
timing_points:
  - {code: START, kind: start}
  - {code: FINISH, kind: finish, no_read_alarm_s: VALUE}
races:
  - code: T20
    name: Trail 20
    points: [START, FINISH]
    waves: [{code: W1, start: "2026-06-01T08:00:00"}]
"""


def delays(value: str) -> dict[str, int | None]:
    event = parse_event_file(FILE.replace("VALUE", value))
    return {p.code: p.no_read_alarm_us for p in event.timing_points}


def test_absent_means_the_box_setting_zero_means_never():
    assert delays("90") == {"START": None, "FINISH": 90_000_000}
    assert delays("0") == {"START": None, "FINISH": 0}
    assert delays("1.5") == {"START": None, "FINISH": 1_500_000}


@pytest.mark.parametrize("value", ["soon", "-5", "100000"])
def test_a_wrong_delay_is_refused_with_where_and_why(value: str):
    with pytest.raises(InvalidInput) as caught:
        parse_event_file(FILE.replace("VALUE", value))
    (problem,) = caught.value.problems
    assert "no_read_alarm_s" in problem.where
    assert problem.line == 7
