"""A race in the event file: its route of points, its waves and their starts, categories, teams."""

from __future__ import annotations

import datetime as dt

from edge.imports.eventfile import CategoryDefinition, WaveDefinition, parse_event_file
from tests.unit.test_eventfile_rules import HEAD, RACE, W1_START_US, problems, race_with


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
