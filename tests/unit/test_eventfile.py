"""The event file as an organiser writes it: exact values, YAML traps, problems with lines."""

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
    RaceDefinition,
    WaveDefinition,
    load_event_file,
    parse_event_file,
)

EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "events"
MINUTE_US = 60_000_000
W1_US = 1_775_979_000_000_000  # 2026-04-12T07:30:00Z, i.e. 09:30 in Paris

# The line numbers in the expected problems below refer to this file.
BASE = """\
slug: spring-10k-2026
name: "Spring 10K"
date: 2026-04-12
timezone: Europe/Paris
age_reference: year_end
timing_points:
  - {code: START, kind: start, distance_m: 0}
  - {code: KM5, kind: split, distance_m: 5000}
  - {code: FINISH, kind: finish, distance_m: 10000}
races:
  - code: 10K
    name: "10 km"
    timing: chip
    min_time: "00:25:00"
    cutoff: "02:00:00"
    points: [START, KM5, FINISH]
    waves:
      - {code: W1, start: "2026-04-12T09:30:00+02:00"}
      - {code: W2, start: "2026-04-12T09:40:00+02:00"}
    categories:
      - {code: SE-F, sex: F, min_age: 20, max_age: 39}
      - {code: SE-M, sex: M, min_age: 20, max_age: 39}
    teams: {size: 3}
"""
RACE = BASE[BASE.index("  - code: 10K") :]
NOT_A_SLUG = "(lowercase letters, digits, hyphens)"
NOT_A_DURATION = 'is not a duration H:MM:SS (e.g. "00:25:00")'
ONE_FINISH = "a race needs exactly one finish point, found"
WAVE = '"2026-04-12T09:30:00+02:00"'
POINTS = BASE[BASE.index("timing_points:") : BASE.index("races:")]
WAVES = RACE[RACE.index("    waves:") : RACE.index("    categories:")]
ROUTE = "[START, KM5, FINISH]"


def edit(*changes: tuple[str, str], text: str = BASE) -> str:
    """``text`` with each (old, new) applied; each ``old`` must occur exactly once."""
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def problems(text: str) -> list[tuple[str, int | None, str]]:
    """The (where, line, reason) of every problem, checking that nothing was returned."""
    with pytest.raises(InvalidInput) as caught:
        parse_event_file(text, source="upload.yaml")
    assert caught.value.message == "upload.yaml is not a valid event file"
    return [(p.where, p.line, p.reason) for p in caught.value.problems]


def race(text: str) -> RaceDefinition:
    """The only race of a valid file."""
    (only,) = parse_event_file(text).races
    return only


def test_the_issue_example_gives_exact_values() -> None:
    assert load_event_file(EVENTS / "spring-10k.yaml") == EventDefinition(
        slug="spring-10k-2026",
        name="Spring 10K",
        date=dt.date(2026, 4, 12),
        timezone="Europe/Paris",
        age_reference=AgeReference.YEAR_END,
        timing_points=(
            PointDefinition("START", PointKind.START, 0),
            PointDefinition("FINISH", PointKind.FINISH, 10_000),
        ),
        races=(
            RaceDefinition(
                code="10K",
                name="10 km",
                timing=Timing.CHIP,
                min_time_us=25 * MINUTE_US,
                cutoff_us=120 * MINUTE_US,
                points=("START", "FINISH"),
                waves=(WaveDefinition("W1", W1_US),),
                categories=(CategoryDefinition("SE-M", "M", 20, 39),),
                team_size=3,
            ),
        ),
    )


def test_the_trail_weekend_keeps_accents_shared_points_and_sexless_categories() -> None:
    event = load_event_file(EVENTS / "trail-weekend.yaml")
    assert event.name == "Trail des Gorges de l'Ardèche"
    assert [p.code for p in event.timing_points] == [
        "START",
        "CHAMES",
        "BELVEDERE",
        "AIGUEZE",
        "FINISH",
    ]
    short, grand = event.races
    assert short.name == "Trail découverte — 18 km"
    assert (short.timing, short.min_time_us, short.cutoff_us) == (
        Timing.GUN,
        60 * MINUTE_US,
        270 * MINUTE_US,
    )
    assert short.points == ("START", "BELVEDERE", "FINISH")
    assert grand.points == ("START", "CHAMES", "AIGUEZE", "FINISH")
    assert short.categories[0] == CategoryDefinition("CA", None, 16, 17)
    assert grand.categories[-1] == CategoryDefinition("M5", None, 60, None)
    assert (short.team_size, grand.team_size) == (None, 3)
    # 07:00+02:00 is 05:00Z; POPULAIRE has no offset and is read as 07:15 in Paris.
    elite = 1_789_880_400_000_000
    assert grand.waves == (
        WaveDefinition("ELITE", elite),
        WaveDefinition("POPULAIRE", elite + 15 * MINUTE_US),
    )


def test_unquoted_times_are_not_yaml_1_1_numbers_or_datetimes() -> None:
    text = edit(
        ('"00:25:00"', "00:25:00"),
        ('"02:00:00"', "2:00:00"),
        ('"2026-04-12T09:30:00+02:00"', "2026-04-12T09:30:00+02:00"),
    )
    parsed = race(text)
    assert parsed.min_time_us == 25 * MINUTE_US
    assert parsed.cutoff_us == 120 * MINUTE_US
    assert parsed.waves[0] == WaveDefinition("W1", W1_US)


def test_codes_and_names_stay_the_text_that_was_typed() -> None:
    text = edit(
        ("code: 10K", "code: 10"),
        ('name: "10 km"', "name: yes"),
        ("{code: W1,", "{code: on,"),
        ("{code: W2,", "{code: 010,"),
        ("{code: SE-F,", "{code: NO,"),
        ("{code: SE-M,", "{code: 1e3,"),
    )
    parsed = race(text)
    assert (parsed.code, parsed.name) == ("10", "yes")
    assert [w.code for w in parsed.waves] == ["on", "010"]
    assert [c.code for c in parsed.categories] == ["NO", "1e3"]


def test_a_wave_start_without_offset_is_read_in_the_event_timezone() -> None:
    text = edit(('"2026-04-12T09:30:00+02:00"', "2026-04-12T09:30:00"))
    # Europe/Paris is on summer time (+02:00) in April: 09:30 there is 07:30Z.
    assert race(text).waves[0].start_us == W1_US


def test_a_wave_start_in_utc_is_accepted() -> None:
    assert race(edit((WAVE, "2026-04-12T07:30:00Z"))).waves[0].start_us == W1_US


def test_defaults_when_optional_fields_are_left_out() -> None:
    text = edit(
        ("age_reference: year_end\n", ""),
        ("{code: START, kind: start, distance_m: 0}", "{code: START, kind: start}"),
        ("    timing: chip\n", ""),
        ('    min_time: "00:25:00"\n', ""),
        ('    cutoff: "02:00:00"\n', ""),
        (RACE[RACE.index("    categories:") :], ""),
    )
    event = parse_event_file(text)
    assert event.age_reference is AgeReference.YEAR_END
    assert event.timing_points[0].distance_m == 0
    (parsed,) = event.races
    assert (parsed.timing, parsed.min_time_us, parsed.cutoff_us) == (Timing.CHIP, 0, None)
    assert (parsed.categories, parsed.team_size) == ((), None)


def test_age_reference_event_date_and_timing_gun_are_read() -> None:
    event = parse_event_file(edit(("year_end", "event_date"), ("timing: chip", "timing: gun")))
    assert event.age_reference is AgeReference.EVENT_DATE
    assert event.races[0].timing is Timing.GUN


def test_a_slug_of_64_characters_is_accepted() -> None:
    slug = "a" * 64
    assert parse_event_file(edit(("spring-10k-2026", slug))).slug == slug


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


def test_anchors_and_merge_keys_share_settings_between_races() -> None:
    text = edit(
        ("  - code: 10K\n", "  - &ten\n    code: 10K\n"),
        ("    categories:\n", "    categories: &rules\n"),
    )
    text += "  - <<: *ten\n    code: 5K\n    name: 5 km\n    categories: *rules\n"
    ten, five = parse_event_file(text).races
    assert (five.code, five.name) == ("5K", "5 km")
    assert five.min_time_us == ten.min_time_us == 25 * MINUTE_US
    assert five.waves == ten.waves
    assert five.categories == ten.categories


def test_an_alias_inside_its_own_anchor_is_a_problem_not_a_crash() -> None:
    text = edit(("teams: {size: 3}", "teams: &loop {size: 3, again: *loop}"))
    assert problems(text) == [
        ("races[0].teams.again", 23, "an alias refers to the block that contains it"),
        ("races[0].teams.again", 23, "unknown field 'again'"),
    ]


def test_an_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    ((where, line, reason),) = problems("\n".join(lines) + "\n")
    assert (where, line) == ("", None)
    assert reason.startswith("the file expands to more than")


def test_absurd_nesting_is_refused_not_a_crash() -> None:
    ((_, _, reason),) = problems("slug: " + "[" * 5000 + "]" * 5000 + "\n")
    assert reason == "the YAML is nested too deeply"


def test_an_empty_file_says_what_it_should_contain() -> None:
    ((where, _, reason),) = problems("# nothing yet\n")
    assert where == ""
    assert reason.startswith("the file is empty")


def test_a_list_at_the_top_is_not_an_event() -> None:
    assert problems("- slug: a\n") == [("", 1, "must be a mapping of fields (key: value)")]


def test_a_file_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "event.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    assert load_event_file(path).slug == "spring-10k-2026"


def test_a_missing_file_is_invalid_input_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(InvalidInput) as caught:
        load_event_file(path)
    ((problem),) = caught.value.problems
    assert problem.where == str(path)
    assert problem.reason == "No such file or directory"
    assert caught.value.message == f"cannot read the event file {path}"


def test_a_file_saved_in_windows_1252_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "event.yaml"
    path.write_bytes(BASE.replace("Spring 10K", "Foulées d'été").encode("cp1252"))
    with pytest.raises(InvalidInput) as caught:
        load_event_file(path)
    ((problem),) = caught.value.problems
    assert problem.reason.startswith("not UTF-8 text (byte ")
    assert problem.reason.endswith("save it as UTF-8")
