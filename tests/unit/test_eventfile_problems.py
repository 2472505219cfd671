"""Problems in an event file: each broken rule with its path and line, YAML errors, timezones."""

from __future__ import annotations

import pytest

from edge.errors import InvalidInput
from edge.imports.eventfile import parse_event_file
from tests.unit.test_eventfile import BASE, RACE, WAVE, edit, problems

# The line numbers in the expected problems below refer to BASE (in test_eventfile.py).
NOT_A_SLUG = "(lowercase letters, digits, hyphens)"
NOT_A_DURATION = 'is not a duration H:MM:SS (e.g. "00:25:00")'
ONE_FINISH = "a race needs exactly one finish point, found"
POINTS = BASE[BASE.index("timing_points:") : BASE.index("races:")]
WAVES = RACE[RACE.index("    waves:") : RACE.index("    categories:")]
ROUTE = "[START, KM5, FINISH]"


def rule(where: str, line: int, reason: str, *changes: tuple[str, str]) -> object:
    """One broken rule: the edits that break it and the single problem expected."""
    return pytest.param(changes, where, line, reason, id=f"{where}: {reason}")


RULES = [
    rule("slug", 1, f"'Spring-10K' is not valid {NOT_A_SLUG}", ("spring-10k-2026", "Spring-10K")),
    rule("slug", 1, f"'-spring' is not valid {NOT_A_SLUG}", ("spring-10k-2026", "-spring")),
    rule("slug", 1, f"'{'a' * 65}' is not valid {NOT_A_SLUG}", ("spring-10k-2026", "a" * 65)),
    rule("name", 2, "must be a non-empty text", ('name: "Spring 10K"', 'name: ""')),
    # A missing field points at the mapping that should hold it.
    rule("name", 1, "is required", ('name: "Spring 10K"\n', "")),
    rule("date", 3, "'2026-02-30' is not a date YYYY-MM-DD", ("2026-04-12\n", "2026-02-30\n")),
    rule("date", 3, "'12/04/2026' is not a date YYYY-MM-DD", ("2026-04-12\n", "12/04/2026\n")),
    rule(
        "timezone",
        4,
        "'Europe/Pariss' is not an IANA timezone such as Europe/Paris",
        ("Europe/Paris", "Europe/Pariss"),
    ),
    rule(
        "age_reference",
        5,
        "'birthday' is not one of year_end | event_date",
        ("year_end", "birthday"),
    ),
    rule("timing_points", 6, "must not be empty", (POINTS, "timing_points: []\n")),
    rule(
        "timing_points[1].code",
        8,
        "code 'START' is used twice",
        ("{code: KM5,", "{code: START,"),
        (ROUTE, "[START, FINISH]"),
    ),
    rule(
        "timing_points[1].kind",
        8,
        "'checkpoint' is not one of start | split | finish",
        ("kind: split", "kind: checkpoint"),
    ),
    rule("timing_points[1].kind", 8, "is required", ("kind: split, ", "")),
    rule("timing_points[1].distance_m", 8, "-5 must be at least 0", ("5000}", "-5}")),
    rule("timing_points[1].distance_m", 8, "'5.5' is not a whole number", ("5000}", "5.5}")),
    rule("races", 10, "must not be empty", (RACE, "  []\n")),
    rule("races[1].code", 24, "code '10K' is used twice", (RACE, RACE + RACE)),
    rule("races[0].code", 11, "is required", ("  - code: 10K\n    name", "  - name")),
    rule("races[0].timing", 13, "'manual' is not one of chip | gun", ("chip", "manual")),
    rule("races[0].min_time", 14, f"'25min' {NOT_A_DURATION}", ('"00:25:00"', "25min")),
    rule("races[0].cutoff", 15, f"'2h' {NOT_A_DURATION}", ('"02:00:00"', "2h")),
    rule(
        "races[0].cutoff",
        15,
        "the cutoff must be later than min_time",
        ('"02:00:00"', "00:20:00"),
    ),
    rule("races[0].points", 16, "must not be empty", (ROUTE, "[]")),
    rule("races[0].points", 11, "is required", (f"    points: {ROUTE}\n", "")),
    rule(
        "races[0].points[1]",
        16,
        "unknown timing point 'KM10' (known: START, KM5, FINISH)",
        (ROUTE, "[START, KM10, FINISH]"),
    ),
    rule(
        "races[0].points[2]",
        16,
        "point KM5 is listed twice",
        (ROUTE, "[START, KM5, KM5, FINISH]"),
    ),
    rule("races[0].points", 16, f"{ONE_FINISH} 0", (ROUTE, "[START, KM5]")),
    rule(
        "races[0].points",
        17,  # one line lower: END was added to the timing points
        f"{ONE_FINISH} 2",
        ("distance_m: 5000}", "distance_m: 5000}\n  - {code: END, kind: finish}"),
        (ROUTE, "[START, FINISH, END]"),
    ),
    rule("races[0].points", 16, "the finish point must come last", (ROUTE, "[START, FINISH, KM5]")),
    rule(
        "races[0].points",
        16,
        "start points must come before every other point",
        (ROUTE, "[KM5, START, FINISH]"),
    ),
    rule("races[0].waves", 17, "must not be empty", (WAVES, "    waves: []\n")),
    rule("races[0].waves", 11, "is required", (WAVES, "")),
    rule("races[0].waves[1].code", 19, "code 'W1' is used twice", ("{code: W2,", "{code: W1,")),
    rule(
        "races[0].waves[0].start",
        18,
        "'12/04/2026 09:30' is not a date-time like 2026-04-12T09:30:00+02:00",
        (WAVE, '"12/04/2026 09:30"'),
    ),
    rule(
        "races[0].waves[0].start",
        18,
        "'2026-04-12' has no time of day (e.g. 2026-04-12T09:30:00+02:00)",
        (WAVE, "2026-04-12"),
    ),
    # A typo'd day is the commonest mistake: more than two days away is refused.
    rule(
        "races[0].waves[0].start",
        18,
        "starts on 2026-04-21, far from the event date 2026-04-12",
        (WAVE, "2026-04-21T09:30:00+02:00"),
    ),
    rule("races[0].waves[0].start", 18, "is required", (f", start: {WAVE}", "")),
    rule(
        "races[0].categories[1].code",
        22,
        "code 'SE-F' is used twice",
        ("{code: SE-M,", "{code: SE-F,"),
    ),
    rule("races[0].categories[0].code", 21, "is required", ("{code: SE-F, ", "{")),
    rule(
        "races[0].categories[0].sex",
        21,
        "'X' is not M or F (leave it out for any sex)",
        ("sex: F", "sex: X"),
    ),
    rule(
        "races[0].categories[0].min_age",
        21,
        "-1 must be at least 0",
        ("F, min_age: 20", "F, min_age: -1"),
    ),
    rule(
        "races[0].categories[1].max_age",
        22,
        "max_age 39 is below min_age 40",
        ("M, min_age: 20", "M, min_age: 40"),
    ),
    rule(
        "races[0].categories[1].max_age",
        22,
        "'forty' is not a whole number",
        ("M, min_age: 20, max_age: 39", "M, min_age: 20, max_age: forty"),
    ),
    rule("races[0].teams.size", 23, "0 must be at least 1", ("{size: 3}", "{size: 0}")),
    rule("races[0].teams.size", 23, "is required", ("{size: 3}", "{}")),
    rule(
        "races[0].teams",
        23,
        "must be a mapping of fields (key: value)",
        ("{size: 3}", "3"),
    ),
    rule(
        "races[0].cutof",
        15,
        "unknown field 'cutof'; did you mean 'cutoff'?",
        ("cutoff:", "cutof:"),
    ),
]


@pytest.mark.parametrize(("changes", "where", "line", "reason"), RULES)
def test_each_broken_rule_is_reported_with_its_path_and_line(
    changes: tuple[tuple[str, str], ...], where: str, line: int, reason: str
) -> None:
    assert problems(edit(*changes)) == [(where, line, reason)]


def test_every_problem_in_the_file_is_reported_at_once() -> None:
    text = edit(
        ("slug: spring-10k-2026", "slug: Spring 10K"),
        ("timezone:", "timezon:"),
        ("kind: split", "kind: splt"),
        ('"00:25:00"', "25min"),
        ("2026-04-12T09:40", "2026-05-12T09:40"),
        ("sex: M", "sex: H"),
    )
    # Unknown fields of a block are listed before that block's values.
    assert problems(text) == [
        ("timezon", 4, "unknown field 'timezon'; did you mean 'timezone'?"),
        ("slug", 1, f"'Spring 10K' is not valid {NOT_A_SLUG}"),
        ("timezone", 1, "is required"),
        ("timing_points[1].kind", 8, "'splt' is not one of start | split | finish"),
        ("races[0].min_time", 14, f"'25min' {NOT_A_DURATION}"),
        ("races[0].waves[1].start", 19, "starts on 2026-05-12, far from the event date 2026-04-12"),
        ("races[0].categories[1].sex", 22, "'H' is not M or F (leave it out for any sex)"),
    ]


def test_the_error_lists_each_problem_with_its_line_for_the_organiser() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_event_file(edit(('"00:25:00"', "25min")), source="spring.yaml")
    assert str(caught.value) == (
        "spring.yaml is not a valid event file\n"
        f"  - line 14: races[0].min_time: '25min' {NOT_A_DURATION}"
    )


def test_an_unknown_field_without_a_close_match_gets_no_suggestion() -> None:
    assert problems(edit(("slug:", "colour: blue\nslug:"))) == [
        ("colour", 1, "unknown field 'colour'"),
    ]


def test_a_yaml_syntax_error_gives_its_line_and_column() -> None:
    # PyYAML notices the missing ] on the next line; the reason points back at the list.
    assert problems(edit((ROUTE, "[START, KM5, FINISH"))) == [
        (
            "",
            17,
            "YAML syntax error: expected ',' or ']', but got ':' (column 10);"
            " see line 16 (while parsing a flow sequence)",
        )
    ]


def test_two_documents_in_one_file_are_a_syntax_error() -> None:
    assert problems(BASE + "---\nslug: other\n") == [
        (
            "",
            24,
            "YAML syntax error: expected a single document in the stream"
            " but found another document (column 1)",
        )
    ]


def test_a_duplicate_field_is_reported_along_with_the_other_problems() -> None:
    text = edit(("timezone: Europe/Paris", "timezone: Mars/Olympus\nslug: again"))
    assert problems(text) == [
        ("slug", 5, "appears twice in the same block"),
        ("timezone", 4, "'Mars/Olympus' is not an IANA timezone such as Europe/Paris"),
    ]


def test_duplicate_codes_are_caught_even_when_the_first_entry_is_invalid() -> None:
    broken = edit(
        ("{code: KM5, kind: split", "{code: START, kind: splt"),
        (ROUTE, "[START, FINISH]"),
        ("timing: chip", "timing: manual"),
        ("{code: W1, start: " + WAVE, "{code: W1, start: 9h30"),
        ("{code: W2,", "{code: W1,"),
        ("{code: SE-F, sex: F", "{code: SE-M, sex: X"),
    )
    text = broken + RACE  # the same race code again, after an invalid first race
    found = problems(text)
    assert ("timing_points[1].code", 8, "code 'START' is used twice") in found
    assert ("races[0].waves[1].code", 19, "code 'W1' is used twice") in found
    assert ("races[0].categories[1].code", 22, "code 'SE-M' is used twice") in found
    assert ("races[1].code", 24, "code '10K' is used twice") in found


def test_a_route_through_an_invalid_point_does_not_also_call_it_unknown() -> None:
    assert problems(edit(("kind: split", "kind: splt"))) == [
        ("timing_points[1].kind", 8, "'splt' is not one of start | split | finish"),
    ]


@pytest.mark.parametrize("name", ["localtime", "Factory", "CEST", "+02:00", "posixrules"])
def test_names_that_are_not_iana_places_are_refused(name: str) -> None:
    assert problems(edit(("Europe/Paris", f'"{name}"'))) == [
        ("timezone", 4, f"{name!r} is not an IANA timezone such as Europe/Paris"),
    ]


@pytest.mark.parametrize("name", ["europe/paris", "Paris"])
def test_a_timezone_close_to_an_iana_name_gets_a_suggestion(name: str) -> None:
    reason = f"{name!r} is not an IANA timezone such as Europe/Paris; did you mean 'Europe/Paris'?"
    assert problems(edit(("Europe/Paris", name))) == [("timezone", 4, reason)]


def test_a_wave_start_in_the_spring_forward_gap_is_refused() -> None:
    # On 2026-03-29 Paris clocks jump from 02:00 to 03:00: 02:30 never happens.
    text = edit(("date: 2026-04-12", "date: 2026-03-29"), (WAVE, "2026-03-29T02:30:00"))
    text = edit(("2026-04-12T09:40:00+02:00", "2026-03-29T09:40:00+02:00"), text=text)
    assert problems(text) == [
        (
            "races[0].waves[0].start",
            18,
            "'2026-03-29T02:30:00' does not exist in Europe/Paris (the clocks skip it);"
            " add an offset",
        )
    ]


def test_a_wave_start_in_the_fall_back_hour_is_refused() -> None:
    # On 2026-10-25 Paris clocks go back from 03:00 to 02:00: 02:30 happens twice.
    text = edit(("date: 2026-04-12", "date: 2026-10-25"), (WAVE, "2026-10-25T02:30:00"))
    text = edit(("2026-04-12T09:40:00+02:00", "2026-10-25T09:40:00+01:00"), text=text)
    assert problems(text) == [
        (
            "races[0].waves[0].start",
            18,
            "'2026-10-25T02:30:00' happens twice in Europe/Paris (the clocks go back);"
            " add +02:00 or +01:00",
        )
    ]
