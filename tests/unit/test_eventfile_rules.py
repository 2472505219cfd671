"""The event file (YAML) rules: typed values, defaults, and every problem with path and line."""

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


def test_race_points_must_be_known() -> None:
    race = RACE.replace("[START, KM5, FINISH]", "[START, KM10, FINISH]")
    assert problems(HEAD + race) == [
        (
            "races[0].points[1]",
            "unknown timing point 'KM10' (known: START, KM5, FINISH)",
            12,
        ),
    ]


def test_race_points_must_not_repeat() -> None:
    race = RACE.replace("[START, KM5, FINISH]", "[START, KM5, KM5, FINISH]")
    assert problems(HEAD + race) == [("races[0].points[2]", "point KM5 is listed twice", 12)]


def test_a_race_without_a_finish_point_is_refused() -> None:
    race = RACE.replace("[START, KM5, FINISH]", "[START, KM5]")
    assert problems(HEAD + race) == [
        ("races[0].points", "a race needs exactly one finish point, found 0", 12),
    ]


def test_a_race_with_two_finish_points_is_refused() -> None:
    head = HEAD.replace("races:\n", "  - {code: FINISH2, kind: finish}\nraces:\n")
    race = RACE.replace("[START, KM5, FINISH]", "[START, FINISH, FINISH2]")
    assert problems(head + race) == [
        ("races[0].points", "a race needs exactly one finish point, found 2", 13),
    ]


def test_the_finish_point_must_be_last() -> None:
    race = RACE.replace("[START, KM5, FINISH]", "[START, FINISH, KM5]")
    assert problems(HEAD + race) == [
        ("races[0].points", "the finish point must come last", 12),
    ]


def test_start_points_must_come_first() -> None:
    race = RACE.replace("[START, KM5, FINISH]", "[KM5, START, FINISH]")
    assert problems(HEAD + race) == [
        ("races[0].points", "start points must come before every other point", 12),
    ]


def test_a_race_without_start_point_is_accepted() -> None:
    race = RACE.replace("[START, KM5, FINISH]", "[KM5, FINISH]")
    assert parse_event_file(HEAD + race).races[0].points == ("KM5", "FINISH")


def test_a_race_needs_at_least_one_wave() -> None:
    race = RACE.replace(
        '    waves:\n      - {code: W1, start: "2026-04-12T09:30:00+02:00"}\n', "    waves: []\n"
    )
    assert problems(HEAD + race) == [("races[0].waves", "must not be empty", 13)]


def test_a_race_without_waves_is_refused() -> None:
    race = RACE.replace('    waves:\n      - {code: W1, start: "2026-04-12T09:30:00+02:00"}\n', "")
    assert problems(HEAD + race) == [("races[0].waves", "is required", 10)]


def test_a_wave_start_must_be_iso_8601() -> None:
    race = RACE.replace('"2026-04-12T09:30:00+02:00"', '"9h30"')
    assert problems(HEAD + race) == [
        ("races[0].waves[0].start", "'9h30' is not a date-time like 2026-04-12T09:30:00+02:00", 14),
    ]


def test_a_wave_start_without_offset_is_read_in_the_event_timezone() -> None:
    race = RACE.replace('"2026-04-12T09:30:00+02:00"', "2026-04-12T09:30:00")
    (parsed,) = parse_event_file(HEAD + race).races
    # Europe/Paris in April is UTC+02:00: 09:30 local is 07:30 UTC.
    assert parsed.waves == (WaveDefinition("W1", W1_START_US),)


def test_a_wave_start_without_offset_in_winter_is_utc_plus_one() -> None:
    head = HEAD.replace("date: 2026-04-12", "date: 2026-01-18")
    race = RACE.replace('"2026-04-12T09:30:00+02:00"', "2026-01-18T09:30:00")
    (parsed,) = parse_event_file(head + race).races
    expected = int(dt.datetime(2026, 1, 18, 8, 30, tzinfo=dt.UTC).timestamp()) * 1_000_000
    assert parsed.waves[0].start_us == expected


def test_a_wave_start_in_z_is_utc() -> None:
    race = RACE.replace('"2026-04-12T09:30:00+02:00"', "2026-04-12T07:30:00Z")
    assert parse_event_file(HEAD + race).races[0].waves[0].start_us == W1_START_US


def test_a_wave_three_days_from_the_event_date_is_refused() -> None:
    race = RACE.replace('"2026-04-12T09:30:00+02:00"', "2026-04-15T09:30:00+02:00")
    assert problems(HEAD + race) == [
        ("races[0].waves[0].start", "starts on 2026-04-15, far from the event date 2026-04-12", 14),
    ]


def test_a_wave_three_days_before_the_event_date_is_refused() -> None:
    race = RACE.replace('"2026-04-12T09:30:00+02:00"', "2026-04-09T09:30:00+02:00")
    assert problems(HEAD + race) == [
        ("races[0].waves[0].start", "starts on 2026-04-09, far from the event date 2026-04-12", 14),
    ]


def test_a_wave_two_days_from_the_event_date_is_accepted() -> None:
    race = RACE.replace('"2026-04-12T09:30:00+02:00"', "2026-04-14T23:30:00+02:00")
    expected = int(dt.datetime(2026, 4, 14, 21, 30, tzinfo=dt.UTC).timestamp()) * 1_000_000
    assert parse_event_file(HEAD + race).races[0].waves[0].start_us == expected


def test_wave_lines_point_at_the_second_wave_in_block_style() -> None:
    race = RACE.replace(
        '      - {code: W1, start: "2026-04-12T09:30:00+02:00"}\n',
        "      - code: W1\n"
        "        start: 2026-04-12T09:30:00+02:00\n"
        "      - code: W2\n"
        "        start: 2026-04-22T09:40:00+02:00\n",
    )
    assert problems(HEAD + race) == [
        ("races[0].waves[1].start", "starts on 2026-04-22, far from the event date 2026-04-12", 17),
    ]


def test_categories_accept_m_f_or_no_sex_and_open_age_bounds() -> None:
    text = race_with(
        "categories:",
        "  - {code: U18, max_age: 17}",
        "  - {code: SE-F, sex: F, min_age: 18, max_age: 39}",
        "  - {code: SE-M, sex: M, min_age: 18, max_age: 39}",
        "  - {code: V40, min_age: 40, max_age: 40}",
        "  - {code: OPEN}",
    )
    assert parse_event_file(text).races[0].categories == (
        CategoryDefinition("U18", None, None, 17),
        CategoryDefinition("SE-F", "F", 18, 39),
        CategoryDefinition("SE-M", "M", 18, 39),
        CategoryDefinition("V40", None, 40, 40),
        CategoryDefinition("OPEN", None, None, None),
    )


def test_a_category_sex_other_than_m_or_f_is_refused() -> None:
    text = race_with("categories:", "  - {code: SE-X, sex: X}")
    assert problems(text) == [
        ("races[0].categories[0].sex", "'X' is not M or F (leave it out for any sex)", 16),
    ]


def test_a_category_min_age_above_max_age_is_refused() -> None:
    text = race_with("categories:", "  - {code: SE, min_age: 40, max_age: 23}")
    assert problems(text) == [
        ("races[0].categories[0].max_age", "max_age 23 is below min_age 40", 16),
    ]


def test_a_negative_age_is_refused() -> None:
    text = race_with("categories:", "  - {code: SE, min_age: -1}")
    assert problems(text) == [
        ("races[0].categories[0].min_age", "-1 must be at least 0", 16),
    ]


def test_teams_size_is_read() -> None:
    assert parse_event_file(race_with("teams: {size: 3}")).races[0].team_size == 3


def test_teams_size_zero_is_refused() -> None:
    assert problems(race_with("teams: {size: 0}")) == [
        ("races[0].teams.size", "0 must be at least 1", 15),
    ]


def test_teams_without_size_is_refused() -> None:
    assert problems(race_with("teams: {}")) == [("races[0].teams.size", "is required", 15)]


def test_teams_must_be_a_mapping() -> None:
    assert problems(race_with("teams: 3")) == [
        ("races[0].teams", "must be a mapping of fields (key: value)", 15),
    ]


def test_unknown_keys_get_a_did_you_mean_suggestion() -> None:
    text = (
        HEAD.replace("timezone:", "timezon:").replace("kind: split", "kind: split, distnace_m: 5")
        + race_with("cutof: 02:00:00")[len(HEAD) :]
    )
    assert problems(text) == [
        ("timezon", "unknown field 'timezon'; did you mean 'timezone'?", 4),
        ("timezone", "is required", 1),
        (
            "timing_points[1].distnace_m",
            "unknown field 'distnace_m'; did you mean 'distance_m'?",
            7,
        ),
        ("races[0].cutof", "unknown field 'cutof'; did you mean 'cutoff'?", 15),
    ]


def test_an_unknown_key_without_a_close_match_has_no_suggestion() -> None:
    assert problems(race_with("colour: blue")) == [
        ("races[0].colour", "unknown field 'colour'", 15),
    ]


def test_duplicate_point_codes_are_refused() -> None:
    text = HEAD.replace("code: KM5", "code: START") + RACE.replace("KM5, ", "")
    assert problems(text) == [("timing_points[1].code", "code 'START' is used twice", 7)]


def test_duplicate_race_codes_are_refused() -> None:
    assert problems(HEAD + RACE + RACE) == [("races[1].code", "code '10K' is used twice", 15)]


def test_duplicate_race_code_is_reported_even_when_the_first_race_is_invalid() -> None:
    first = RACE.replace("name: Ten", "name: Ten\n    timing: manual")
    assert problems(HEAD + first + RACE) == [
        ("races[0].timing", "'manual' is not one of chip | gun", 12),
        ("races[1].code", "code '10K' is used twice", 16),
    ]


def test_duplicate_point_code_is_reported_even_when_the_first_point_is_invalid() -> None:
    head = HEAD.replace("{code: START, kind: start}", "{code: KM5, kind: begin}")
    race = RACE.replace("[START, KM5, FINISH]", "[KM5, FINISH]")
    assert problems(head + race) == [
        ("timing_points[0].kind", "'begin' is not one of start | split | finish", 6),
        ("timing_points[1].code", "code 'KM5' is used twice", 7),
    ]


def test_duplicate_wave_codes_are_refused() -> None:
    race = RACE + '      - {code: W1, start: "2026-04-12T09:40:00+02:00"}\n'
    assert problems(HEAD + race) == [("races[0].waves[1].code", "code 'W1' is used twice", 15)]


def test_duplicate_category_codes_are_refused() -> None:
    text = race_with("categories:", "  - {code: SE, sex: F}", "  - {code: SE, sex: M}")
    assert problems(text) == [("races[0].categories[1].code", "code 'SE' is used twice", 17)]


def test_a_duplicate_key_is_reported_with_its_line() -> None:
    text = HEAD.replace("name: Test event\n", "name: Test event\nslug: again\n") + RACE
    assert problems(text) == [("slug", "appears twice in the same block", 3)]


def test_a_duplicate_key_is_reported_with_the_other_problems() -> None:
    head = HEAD.replace("name: Test event\n", "name: Test event\nslug: again\n")
    text = head.replace("Europe/Paris", "Mars/Olympus") + RACE
    assert problems(text) == [
        ("slug", "appears twice in the same block", 3),
        ("timezone", "'Mars/Olympus' is not an IANA timezone such as Europe/Paris", 5),
    ]


def test_a_yaml_syntax_error_gives_its_line() -> None:
    text = HEAD + RACE.replace("[START, KM5, FINISH]", "[START, KM5, FINISH")
    ((where, reason, line),) = problems(text)
    assert where == ""
    assert reason.startswith("YAML syntax error: ")
    assert line == 13


def test_a_tab_indentation_error_gives_its_line() -> None:
    ((where, reason, line),) = problems("slug: a\n\tname: b\n")
    assert (where, line) == ("", 2)
    assert reason == (
        "YAML syntax error: found character '\\t' that cannot start any token (column 1)"
    )


def test_a_missing_required_field_points_at_its_parent_line() -> None:
    race = RACE.replace("    name: Ten\n", "")
    assert problems(HEAD + race) == [("races[0].name", "is required", 10)]


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
