"""The race format keys of the event file: laps, timed, relay, segments (issue 19)."""

from __future__ import annotations

from edge.imports.eventdefs import FormatRules
from edge.imports.eventfile import parse_event_file
from edge.services.race_rules import rules_from_json, rules_to_json
from edge.timing.model import RaceFormat, Segment
from tests.unit.test_eventfile_rules import problems, race_with

S = 1_000_000

TRIATHLON = """\
slug: tri
name: Triathlon
date: 2026-06-07
timezone: Europe/Paris
timing_points:
  - {code: START, kind: start}
  - {code: T1_IN, kind: split}
  - {code: T1_OUT, kind: split}
  - {code: T2_IN, kind: split}
  - {code: T2_OUT, kind: split}
  - {code: FINISH, kind: finish}
races:
  - code: TRI
    name: Sprint
    points: [START, T1_IN, T1_OUT, T2_IN, T2_OUT, FINISH]
    waves: [{code: W1, start: "2026-06-07T09:00:00"}]
    segments:
      - {code: SWIM, from: START, to: T1_IN}
      - {code: T1,   from: T1_IN, to: T1_OUT}
      - {code: BIKE, from: T1_OUT, to: T2_IN}
      - {code: T2,   from: T2_IN, to: T2_OUT}
      - {code: RUN,  from: T2_OUT, to: FINISH}
"""


def test_an_old_file_is_a_point_race() -> None:
    (race,) = parse_event_file(race_with()).races
    assert race.format is RaceFormat.POINT
    assert race.rules == FormatRules()


def test_a_laps_race() -> None:
    text = race_with("format: laps", "lap_point: FINISH", "laps: 10", 'min_lap: "00:01:30"')
    (race,) = parse_event_file(text).races
    assert race.format is RaceFormat.LAPS
    assert race.rules == FormatRules(lap_point="FINISH", laps=10, min_lap_us=90 * S)


def test_a_timed_race() -> None:
    text = race_with(
        "format: timed", 'duration: "06:00:00"', "lap_distance_m: 1250", 'min_lap: "00:03:00"'
    )
    (race,) = parse_event_file(text).races
    assert race.rules == FormatRules(
        duration_us=6 * 3600 * S, lap_distance_m=1250, min_lap_us=180 * S
    )


def test_a_relay() -> None:
    text = race_with(
        "format: relay", "legs: [L1, L2, L3]", "handover_point: FINISH", 'min_leg: "00:05:00"'
    )
    (race,) = parse_event_file(text).races
    assert race.rules == FormatRules(
        legs=("L1", "L2", "L3"), handover_point="FINISH", min_leg_us=300 * S
    )


def test_segments_of_a_triathlon_survive_storage() -> None:
    (race,) = parse_event_file(TRIATHLON).races
    assert race.format is RaceFormat.POINT
    assert race.rules.segments[0] == Segment("SWIM", "START", "T1_IN")
    assert [s.code for s in race.rules.segments] == ["SWIM", "T1", "BIKE", "T2", "RUN"]
    assert rules_from_json(rules_to_json(race.rules)) == race.rules
    assert rules_from_json("{}") == FormatRules()


def test_required_settings_of_each_format() -> None:
    # A missing key is reported on its race's line (10).
    assert problems(race_with("format: laps")) == [
        ("races[0].laps", "a laps race needs laps: the number of laps to complete", 10)
    ]
    assert problems(race_with("format: timed")) == [
        ("races[0].duration", 'a timed race needs a duration such as "06:00:00"', 10)
    ]
    assert problems(race_with("format: relay")) == [
        ("races[0].legs", "a relay needs legs: the leg codes in running order", 10)
    ]


def test_a_key_of_another_format_is_refused() -> None:
    assert problems(race_with("laps: 10")) == [
        ("races[0].laps", "laps applies to format laps; this race is point", 15)
    ]
    assert problems(race_with("format: timed", 'duration: "01:00:00"', "legs: [A]")) == [
        ("races[0].legs", "legs applies to format relay; this race is timed", 17)
    ]


def test_bad_values_are_named() -> None:
    found = problems(race_with("format: lapz", "laps: 0") + "".join(f"{line}\n" for line in []))
    assert found == [("races[0].format", "'lapz' is not one of point | laps | timed | relay", 15)]
    assert problems(race_with("format: laps", "laps: 0", "lap_point: KM10")) == [
        ("races[0].lap_point", "'KM10' is not one of this race's points (START, KM5, FINISH)", 17),
        ("races[0].laps", "0 must be at least 1", 16),
    ]
    assert problems(race_with("format: relay", "legs: [L1, L1]")) == [
        ("races[0].legs[1]", "leg L1 is listed twice", 16)
    ]


def test_segment_points_must_be_the_races_and_in_course_order() -> None:
    bad = TRIATHLON.replace(
        "{code: T2,   from: T2_IN, to: T2_OUT}", "{code: T2, from: T2_OUT, to: T2_IN}"
    )
    bad = bad.replace(
        "{code: RUN,  from: T2_OUT, to: FINISH}", "{code: RUN, from: KM9, to: FINISH}"
    )
    assert [(w, r) for w, r, _ in problems(bad)] == [
        ("races[0].segments[3]", "T2_OUT must come before T2_IN in the race's points"),
        (
            "races[0].segments[4].from",
            "'KM9' is not one of this race's points (START, T1_IN, T1_OUT, T2_IN, T2_OUT, FINISH)",
        ),
    ]
    missing = TRIATHLON.replace("{code: SWIM, from: START, to: T1_IN}", "{code: SWIM, to: T1_IN}")
    assert [(w, r) for w, r, _ in problems(missing)] == [
        ("races[0].segments[0].from", "is required")
    ]
