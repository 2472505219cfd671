"""The event file's structure: unknown, duplicate and missing keys, duplicate codes, YAML syntax."""

from __future__ import annotations

from tests.unit.test_eventfile_rules import HEAD, RACE, problems, race_with


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
