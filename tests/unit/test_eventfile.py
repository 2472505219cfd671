"""The event file as an organiser writes it: exact values, YAML traps, unreadable files."""

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
WAVE = '"2026-04-12T09:30:00+02:00"'


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
