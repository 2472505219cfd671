"""The event file (YAML) field rules: typed values, defaults, refusals with line, example files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from edge.domain.event import AgeReference, PointKind, Timing
from edge.errors import InvalidInput
from edge.imports.eventfile import (
    CategoryDefinition,
    EventDefinition,
    PointDefinition,
    WaveDefinition,
    load_event_file,
    parse_event_file,
)

REPO = Path(__file__).resolve().parents[2]
ORGANISERS = REPO / "tests" / "fixtures" / "organisers"
MINUTE_US = 60_000_000

# HEAD is lines 1-9; RACE starts on line 10 (code) and its only wave is on line 14.
HEAD = """\
slug: test-event
name: Test event
date: 2026-04-12
timezone: Europe/Paris
timing_points:
  - {code: START, kind: start}
  - {code: KM5, kind: split, distance_m: 5000}
  - {code: FINISH, kind: finish, distance_m: 10000}
races:
"""
RACE = """\
  - code: 10K
    name: Ten
    points: [START, KM5, FINISH]
    waves:
      - {code: W1, start: "2026-04-12T09:30:00+02:00"}
"""
W1_START_US = int(dt.datetime(2026, 4, 12, 7, 30, tzinfo=dt.UTC).timestamp()) * 1_000_000


def problems(text: str) -> list[tuple[str, str, int | None]]:
    """The (where, reason, line) of every problem, asserting nothing was returned."""
    with pytest.raises(InvalidInput) as caught:
        parse_event_file(text)
    return [(p.where, p.reason, p.line) for p in caught.value.problems]


def race_with(*lines: str, race: str = RACE) -> str:
    """A whole file whose race gets ``lines`` (race fields, 4-space indent) from line 15."""
    return HEAD + race + "".join(f"    {line}\n" for line in lines)


def test_a_minimal_valid_file_gives_the_whole_definition() -> None:
    event = parse_event_file(HEAD + RACE)
    assert event.slug == "test-event"
    assert event.name == "Test event"
    assert event.date == dt.date(2026, 4, 12)
    assert event.timezone == "Europe/Paris"
    assert event.timing_points == (
        PointDefinition("START", PointKind.START, 0),
        PointDefinition("KM5", PointKind.SPLIT, 5000),
        PointDefinition("FINISH", PointKind.FINISH, 10000),
    )
    (race,) = event.races
    assert race.points == ("START", "KM5", "FINISH")
    assert race.waves == (WaveDefinition("W1", W1_START_US),)
    assert race.categories == ()
    assert race.team_size is None


def test_every_problem_is_reported_at_once_with_path_and_line() -> None:
    text = """\
slug: Bad Slug
name: Test event
date: 2026-04-12
timezone: Europe/Paris
timing_points:
  - {code: START, kind: start}
  - {code: FINISH, kind: finish}
races:
  - code: 10K
    name: Ten
    points: [START, FINISH]
    waves:
      - code: W1
        start: "2026-04-12T09:30:00+02:00"
      - code: W2
        start: "12/04/2026 09:40"
"""
    assert problems(text) == [
        ("slug", "'Bad Slug' is not valid (lowercase letters, digits, hyphens)", 1),
        (
            "races[0].waves[1].start",
            "'12/04/2026 09:40' is not a date-time like 2026-04-12T09:30:00+02:00",
            16,
        ),
    ]


def test_unquoted_min_time_is_minutes_not_yaml_1_1_sexagesimal() -> None:
    (race,) = parse_event_file(race_with("min_time: 00:25:00", "cutoff: 1:30:00")).races
    assert race.min_time_us == 25 * MINUTE_US
    assert race.cutoff_us == 90 * MINUTE_US


def test_quoted_and_unquoted_durations_mean_the_same() -> None:
    quoted = parse_event_file(race_with('min_time: "00:25:00"')).races[0]
    unquoted = parse_event_file(race_with("min_time: 00:25:00")).races[0]
    assert quoted == unquoted


def test_unquoted_iso_datetime_is_read_as_typed() -> None:
    race = RACE.replace('"2026-04-12T09:30:00+02:00"', "2026-04-12T09:30:00+02:00")
    (parsed,) = parse_event_file(HEAD + race).races
    assert parsed.waves == (WaveDefinition("W1", W1_START_US),)


def test_unquoted_numeric_codes_are_read_as_typed() -> None:
    head = HEAD.replace("code: KM5", "code: 05")
    race = RACE.replace("code: 10K", "code: 10").replace("KM5", "05").replace("W1", "010")
    event = parse_event_file(head + race)
    assert [p.code for p in event.timing_points] == ["START", "05", "FINISH"]
    (parsed,) = event.races
    assert parsed.code == "10"
    assert parsed.points == ("START", "05", "FINISH")
    assert parsed.waves[0].code == "010"


def test_timezone_must_be_an_iana_name() -> None:
    text = HEAD.replace("Europe/Paris", "CEST") + RACE
    assert problems(text) == [
        ("timezone", "'CEST' is not an IANA timezone such as Europe/Paris", 4),
    ]


def test_a_utc_offset_is_not_a_timezone() -> None:
    text = HEAD.replace("Europe/Paris", '"+02:00"') + RACE
    assert problems(text) == [
        ("timezone", "'+02:00' is not an IANA timezone such as Europe/Paris", 4),
    ]


@pytest.mark.skipif(
    not Path("/usr/share/zoneinfo/localtime").exists(),
    reason="only reproducible where the system zoneinfo folder has a 'localtime' link",
)
def test_localtime_is_not_an_iana_timezone() -> None:
    text = HEAD.replace("Europe/Paris", "localtime") + RACE
    assert problems(text) == [
        ("timezone", "'localtime' is not an IANA timezone such as Europe/Paris", 4),
    ]


def test_age_reference_defaults_to_year_end() -> None:
    assert parse_event_file(HEAD + RACE).age_reference is AgeReference.YEAR_END


def test_age_reference_event_date_is_accepted() -> None:
    text = HEAD.replace("races:\n", "age_reference: event_date\nraces:\n") + RACE
    assert parse_event_file(text).age_reference is AgeReference.EVENT_DATE


def test_age_reference_other_values_are_refused() -> None:
    text = HEAD.replace("races:\n", "age_reference: birthday\nraces:\n") + RACE
    assert problems(text) == [
        ("age_reference", "'birthday' is not one of year_end | event_date", 9),
    ]


def test_point_kinds_are_start_split_or_finish() -> None:
    text = HEAD.replace("kind: split", "kind: checkpoint") + RACE
    found = problems(text)
    assert found[0] == (
        "timing_points[1].kind",
        "'checkpoint' is not one of start | split | finish",
        7,
    )


def test_point_kind_is_required() -> None:
    text = HEAD.replace("{code: START, kind: start}", "{code: START}") + RACE
    assert problems(text)[0] == ("timing_points[0].kind", "is required", 6)


def test_timing_defaults_to_chip() -> None:
    assert parse_event_file(HEAD + RACE).races[0].timing is Timing.CHIP


def test_timing_gun_is_accepted() -> None:
    assert parse_event_file(race_with("timing: gun")).races[0].timing is Timing.GUN


def test_timing_other_values_are_refused() -> None:
    assert problems(race_with("timing: manual")) == [
        ("races[0].timing", "'manual' is not one of chip | gun", 15),
    ]


def test_min_time_defaults_to_zero_and_cutoff_is_optional() -> None:
    (race,) = parse_event_file(HEAD + RACE).races
    assert race.min_time_us == 0
    assert race.cutoff_us is None


def test_cutoff_alone_is_accepted() -> None:
    assert parse_event_file(race_with("cutoff: 02:00:00")).races[0].cutoff_us == 120 * MINUTE_US


def test_cutoff_before_min_time_is_refused() -> None:
    assert problems(race_with("min_time: 00:25:00", "cutoff: 00:20:00")) == [
        ("races[0].cutoff", "the cutoff must be later than min_time", 16),
    ]


def test_cutoff_equal_to_min_time_is_refused() -> None:
    assert problems(race_with("min_time: 00:25:00", "cutoff: 00:25:00")) == [
        ("races[0].cutoff", "the cutoff must be later than min_time", 16),
    ]


def test_a_malformed_duration_is_refused() -> None:
    assert problems(race_with("min_time: 25 min")) == [
        ("races[0].min_time", """'25 min' is not a duration H:MM:SS (e.g. "00:25:00")""", 15),
    ]


def test_the_example_event_file_loads() -> None:
    event = load_event_file(REPO / "docs" / "examples" / "spring-10k.yaml")
    assert event.slug == "spring-10k-2026"
    assert event.date == dt.date(2026, 4, 12)
    (race,) = event.races
    assert race.min_time_us == 25 * MINUTE_US
    assert race.cutoff_us == 120 * MINUTE_US
    assert [w.start_us for w in race.waves] == [W1_START_US, W1_START_US + 10 * MINUTE_US]
    assert race.team_size == 3
    assert len(race.categories) == 6


def test_an_event_file_with_a_bom_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + (HEAD + RACE).encode())
    assert load_event_file(path).slug == "test-event"


def test_the_two_race_fixture_loads_with_typed_values() -> None:
    event = load_event_file(ORGANISERS / "event-two-races.yaml")
    sas1 = int(dt.datetime(2026, 6, 14, 7, 0, tzinfo=dt.UTC).timestamp()) * 1_000_000
    assert event == EventDefinition(
        slug="trail-des-lavandes-2026",
        name="Trail des Lavandes",
        date=dt.date(2026, 6, 14),
        timezone="Europe/Paris",
        age_reference=AgeReference.YEAR_END,
        timing_points=(
            PointDefinition("START", PointKind.START, 0),
            PointDefinition("KM5", PointKind.SPLIT, 5000),
            PointDefinition("FINISH", PointKind.FINISH, 10000),
        ),
        races=event.races,
    )
    ten, five = event.races
    assert (ten.code, ten.name, ten.timing) == ("10K", "Trail 10 km", Timing.CHIP)
    assert (ten.min_time_us, ten.cutoff_us) == (30 * MINUTE_US, 150 * MINUTE_US)
    assert ten.points == ("START", "KM5", "FINISH")
    # SAS2 is written without an offset: 09:10 in Paris in June is 07:10 UTC.
    assert ten.waves == (
        WaveDefinition("SAS1", sas1),
        WaveDefinition("SAS2", sas1 + 10 * MINUTE_US),
    )
    assert ten.categories[0] == CategoryDefinition("U18", None, None, 17)
    assert ten.categories[-1] == CategoryDefinition("MA-M", "M", 35, None)
    assert len(ten.categories) == 9
    assert ten.team_size == 3
    assert (five.code, five.timing, five.min_time_us, five.cutoff_us) == ("5K", Timing.GUN, 0, None)
    assert five.points == ("START", "FINISH")
    assert five.waves == (WaveDefinition("UNIQUE", sas1 + 90 * MINUTE_US),)
    assert five.categories == ()
    assert five.team_size is None
