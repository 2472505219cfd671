"""Per-point crossing settings in the event file (``crossing:`` under a timing point)."""

from __future__ import annotations

import pytest

from edge.domain.event import CrossingMethod
from edge.errors import InvalidInput
from edge.imports.eventfile import CrossingDefinition, parse_event_file
from edge.timing.crossing import METHODS, CrossingSettings

# Line numbers in the expected problems refer to this text.
FILE = """\
slug: trail-2026
name: Trail
date: 2026-06-01
timezone: Europe/Paris
timing_points:
  - {code: START, kind: start}
  - code: FINISH
    kind: finish
    crossing: {CROSSING}
races:
  - code: T20
    name: Trail 20
    points: [START, FINISH]
    waves: [{code: W1, start: "2026-06-01T08:00:00"}]
"""


def points(crossing: str) -> dict[str, CrossingDefinition]:
    event = parse_event_file(FILE.replace("{CROSSING}", crossing))
    return {p.code: p.crossing for p in event.timing_points}


def problems(crossing: str) -> list[tuple[str, int | None, str]]:
    with pytest.raises(InvalidInput) as caught:
        parse_event_file(FILE.replace("{CROSSING}", crossing))
    return [(p.where, p.line, p.reason) for p in caught.value.problems]


def test_settings_are_read_in_seconds_and_default_elsewhere():
    found = points("{method: strongest, quiet_gap_s: 0.25, stray_limit_s: 12, repeat_window_s: 60}")
    assert found["FINISH"] == CrossingDefinition(
        CrossingMethod.STRONGEST, 250_000, 12_000_000, 60_000_000
    )
    assert found["START"] == CrossingDefinition()  # no crossing: key
    assert found["START"].method is CrossingMethod.QUADREG


def test_partial_settings_keep_the_other_defaults():
    assert points("{repeat_window_s: 0}")["FINISH"] == CrossingDefinition(repeat_window_us=0)
    assert points("{quiet_gap_s: .5}")["FINISH"].quiet_gap_us == 500_000
    assert points("{method: FIRST}")["FINISH"].method is CrossingMethod.FIRST


@pytest.mark.parametrize(
    ("crossing", "where", "reason"),
    [
        ("{method: peak}", "method", "'peak' is not one of quadreg | strongest | first"),
        ("{quiet_gap_s: -1}", "quiet_gap_s", "'-1' is not a number of seconds such as 0.4"),
        ("{quiet_gap_s: 0.4s}", "quiet_gap_s", "'0.4s' is not a number of seconds such as 0.4"),
        ("{quiet_gap_s: 0}", "quiet_gap_s", "must be more than 0 (a pass ends after a quiet gap)"),
        ("{quiet_gap_s: 90}", "quiet_gap_s", "90 s is more than 60 s"),
        ("{quiet_gap_s: 2, stray_limit_s: 1}", "stray_limit_s", "must be longer than quiet_gap_s"),
        ("{quiet_gap_s: 0.0000001}", "quiet_gap_s", "'0.0000001' is not a number of seconds"),
    ],
)
def test_bad_settings_are_named_with_their_line(crossing: str, where: str, reason: str):
    [(path, line, text)] = problems(crossing)
    assert path == f"timing_points[1].crossing.{where}"
    assert line == 9
    assert text.startswith(reason)


def test_unknown_keys_and_non_mappings_are_refused():
    [(path, line, text)] = problems("{gap: 0.4}")
    assert (path, line) == ("timing_points[1].crossing.gap", 9)
    assert text == "unknown field 'gap'"
    [(path, _, _)] = problems("fast")
    assert path == "timing_points[1].crossing"


def test_the_file_and_the_engine_know_the_same_methods():
    assert tuple(CrossingMethod) == METHODS
    for method in CrossingMethod:
        CrossingSettings(method=method)  # accepted by the engine
