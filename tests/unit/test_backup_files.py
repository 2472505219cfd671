"""Backup timers' files: times of day on the event's date, French or English headers, --point."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from edge.domain.clock import to_us
from edge.errors import InvalidInput
from edge.imports.passings_csv import PassingRow, parse_passings_csv
from edge.imports.timeofday import (
    day_reference,
    parse_time_of_day,
    place_time_of_day,
)

CSV = Path(__file__).resolve().parents[1] / "fixtures" / "csv"
PARIS = ZoneInfo("Europe/Paris")
POINTS = ("START", "KM5", "FINISH")
W1 = to_us(dt.datetime(2026, 4, 12, 9, 30, tzinfo=PARIS))


def paris(hour: int, minute: int, second: int, micro: int = 0, day: int = 12) -> int:
    """Microseconds of a Paris time on April ``day``, 2026."""
    return to_us(dt.datetime(2026, 4, day, hour, minute, second, micro, tzinfo=PARIS))


def on_race_day(_bib: str, clock_us: int) -> int:
    return place_time_of_day(clock_us, W1, PARIS)


@pytest.mark.parametrize(
    ("written", "micros"),
    [
        ("10:10:05", 0),
        ("10:10:05.6", 600_000),
        ("10:10:05,6", 600_000),
        ("10:10:05.55", 550_000),
        ("10:10:05,07", 70_000),
        ("10:10:05.123456", 123_456),
        (" 10:10:05,5 ", 500_000),
    ],
)
def test_times_of_day_take_tenths_or_hundredths_after_a_dot_or_a_comma(
    written: str, micros: int
) -> None:
    assert parse_time_of_day(written) == (10 * 3600 + 10 * 60 + 5) * 1_000_000 + micros


def test_a_single_digit_hour_is_a_time_of_day() -> None:
    assert parse_time_of_day("9:05:00") == (9 * 3600 + 5 * 60) * 1_000_000


@pytest.mark.parametrize("written", ["24:00:00", "9:60:00", "9:05:61"])
def test_a_time_of_day_out_of_range_is_refused(written: str) -> None:
    with pytest.raises(ValueError, match="is not a time of day"):
        parse_time_of_day(written)


@pytest.mark.parametrize("written", ["2026-04-12T10:10:05Z", "10h10", "10:10", "noon", ""])
def test_other_shapes_are_not_times_of_day(written: str) -> None:
    assert parse_time_of_day(written) is None


def test_a_time_of_day_falls_on_the_event_date_in_its_zone() -> None:
    clock = parse_time_of_day("10:10:05.6")
    assert clock is not None
    assert place_time_of_day(clock, W1, PARIS) == paris(10, 10, 5, 600_000)


def test_after_midnight_for_an_evening_race_is_the_next_day() -> None:
    evening = paris(21, 0, 0)
    for written, expected in (
        ("20:58:00", paris(20, 58, 0)),  # a start-mat read before the gun
        ("23:59:59.9", paris(23, 59, 59, 900_000)),
        ("00:00:00", paris(0, 0, 0, day=13)),
        ("02:45:10.5", paris(2, 45, 10, 500_000, day=13)),
        ("14:59:59", paris(14, 59, 59, day=13)),  # 18 h after the start: still that night's race
        ("15:00:00", paris(15, 0, 0)),  # 6 h before the start: the same day
    ):
        clock = parse_time_of_day(written)
        assert clock is not None
        assert place_time_of_day(clock, evening, PARIS) == expected, written


def test_without_a_wave_every_time_of_day_is_on_the_event_date() -> None:
    reference = day_reference(dt.date(2026, 4, 12), PARIS)
    for written, expected in (("00:00:00", paris(0, 0, 0)), ("23:59:59", paris(23, 59, 59))):
        clock = parse_time_of_day(written)
        assert clock is not None
        assert place_time_of_day(clock, reference, PARIS) == expected


def test_the_french_windows_file_without_a_point_column() -> None:
    data = (CSV / "backup-fr-cp1252.csv").read_bytes()
    parsed = parse_passings_csv(data, POINTS, point="FINISH", place=on_race_day)
    assert parsed.problems == []
    assert (parsed.encoding, parsed.delimiter) == ("cp1252", ";")
    assert parsed.rows == [
        PassingRow(2, "FINISH", "1", paris(10, 10, 5, 600_000)),
        PassingRow(3, "FINISH", "2", paris(10, 12, 3, 200_000)),
        PassingRow(4, "FINISH", "3", paris(10, 20, 0, 300_000)),
        PassingRow(5, "FINISH", "6", paris(10, 14, 59, 900_000)),
    ]


def test_the_english_tab_file_with_hundredths() -> None:
    data = (CSV / "backup-en-tab.csv").read_bytes()
    parsed = parse_passings_csv(data, POINTS, point="finish", place=on_race_day)
    assert (parsed.encoding, parsed.delimiter) == ("utf-8", "\t")
    assert parsed.rows == [
        PassingRow(2, "FINISH", "1", paris(10, 10, 5, 550_000)),
        PassingRow(3, "FINISH", "2", paris(10, 12, 3, 210_000)),
        PassingRow(4, "FINISH", "5", paris(10, 31, 44, 70_000)),
    ]


def test_a_point_column_and_iso_instants_mix_with_times_of_day() -> None:
    data = (CSV / "backup-point-column.csv").read_bytes()
    parsed = parse_passings_csv(data, POINTS, place=on_race_day)
    assert parsed.rows == [
        PassingRow(2, "KM5", "1", paris(9, 50, 1, 250_000)),
        PassingRow(3, "KM5", "2", paris(9, 51, 30, 500_000)),
        PassingRow(4, "FINISH", "1", paris(10, 10, 5, 600_000)),
        PassingRow(5, "FINISH", "6", paris(10, 14, 59, 900_000)),
    ]


def test_point_given_twice_is_refused() -> None:
    data = (CSV / "backup-point-column.csv").read_bytes()
    with pytest.raises(InvalidInput) as caught:
        parse_passings_csv(data, POINTS, point="FINISH", place=on_race_day)
    assert [(p.line, p.reason) for p in caught.value.problems] == [
        (1, "the file has a point column: leave out --point, or remove the column")
    ]


def test_an_unknown_point_option_is_refused_once() -> None:
    data = (CSV / "backup-fr-cp1252.csv").read_bytes()
    with pytest.raises(InvalidInput) as caught:
        parse_passings_csv(data, POINTS, point="ARRIVEE", place=on_race_day)
    assert [(p.where, p.reason) for p in caught.value.problems] == [
        ("--point", "unknown point 'ARRIVEE' (points: START, KM5, FINISH)")
    ]


def test_a_file_without_a_point_column_needs_the_point_option() -> None:
    data = (CSV / "backup-fr-cp1252.csv").read_bytes()
    with pytest.raises(InvalidInput) as caught:
        parse_passings_csv(data, POINTS, place=on_race_day)
    assert "needs --point" in caught.value.problems[0].reason


def test_bad_lines_are_each_named_with_their_reason() -> None:
    data = (CSV / "backup-bad-lines.csv").read_bytes()
    parsed = parse_passings_csv(data, POINTS, point="FINISH", place=on_race_day)
    assert [(p.line, p.where, p.reason) for p in parsed.problems] == [
        (
            3,
            "bib 2",
            "'10h12' is neither a time of day like 9:58:57.3 nor an ISO 8601 date-time",
        ),
        (4, "bib 3", "'25:00:00' is not a time of day (00:00:00 to 23:59:59)"),
        (5, "bib", "the bib is empty"),
        (6, "bib 5", "the time is empty"),
        (7, "bib A-1", "bib 'A-1' is not made of letters A-Z and digits 0-9"),
        (8, "bib 6", "3 cells for 2 columns (a ';' inside a value needs quotes)"),
    ]
    assert [(r.line, r.bib) for r in parsed.rows] == [(2, "1"), (9, "4")]


@pytest.mark.parametrize(
    "header", ["N° Dossard;Heure", "No. dossard;heure de passage", "Bib number,Time"]
)
def test_more_header_spellings(header: str) -> None:
    delimiter = ";" if ";" in header else ","
    # A "," file writes its fractions after a "." (or quotes "10:10:05,5").
    fraction = "," if delimiter == ";" else "."
    data = f"{header}\n7{delimiter}10:10:05{fraction}5\n".encode()
    parsed = parse_passings_csv(data, POINTS, point="FINISH", place=on_race_day)
    assert parsed.problems == [], parsed.problems
    assert parsed.rows == [PassingRow(2, "FINISH", "7", paris(10, 10, 5, 500_000))]
