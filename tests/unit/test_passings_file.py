"""Passing CSV rules: point,bib,time with offsets, bad rows by line, exact duplicates once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from edge.errors import InvalidInput
from edge.imports.passings_csv import PassingRow, PassingsFile, parse_passings_csv

ORGANISERS = Path(__file__).resolve().parents[1] / "fixtures" / "organisers"
POINTS = ("START", "KM5", "FINISH")
HEADER = "point,bib,time\n"


def us(year: int, month: int, day: int, hour: int, minute: int, second: int, micro: int = 0) -> int:
    """Microseconds since the epoch of a UTC date-time."""
    instant = dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)
    return int(instant.timestamp()) * 1_000_000 + micro


def parse(text: str) -> PassingsFile:
    return parse_passings_csv(text.encode(), POINTS)


def test_backup_fixture_is_read_with_the_duplicate_kept_once() -> None:
    parsed = parse_passings_csv((ORGANISERS / "passings-backup.csv").read_bytes(), POINTS)
    assert parsed.problems == []
    assert (parsed.encoding, parsed.delimiter) == ("utf-8", ",")
    assert len(parsed.rows) == 40
    assert parsed.rows[0] == PassingRow(2, "START", "1", us(2026, 6, 14, 7, 0, 3, 100001))
    assert parsed.rows[10] == PassingRow(12, "KM5", "1", us(2026, 6, 14, 7, 24, 0, 123456))
    assert parsed.rows[-1] == PassingRow(41, "FINISH", "105", us(2026, 6, 14, 8, 54, 14, 250044))
    assert [r.line for r in parsed.rows] == list(range(2, 42))
    assert {r.point for r in parsed.rows} == set(POINTS)
    assert sum(1 for r in parsed.rows if r.point == "KM5") == 10
    bib_104_finish = [r for r in parsed.rows if (r.point, r.bib) == ("FINISH", "104")]
    assert bib_104_finish == [PassingRow(40, "FINISH", "104", us(2026, 6, 14, 8, 53, 13, 250033))]


def test_times_keep_microseconds() -> None:
    parsed = parse(HEADER + "FINISH,7,2026-06-14T09:58:57.000001+02:00\n")
    assert parsed.rows == [PassingRow(2, "FINISH", "7", us(2026, 6, 14, 7, 58, 57, 1))]


def test_times_without_fraction_are_accepted() -> None:
    parsed = parse(HEADER + "FINISH,7,2026-06-14T09:58:57+02:00\n")
    assert parsed.rows[0].time_us == us(2026, 6, 14, 7, 58, 57)


@pytest.mark.parametrize(
    "written",
    [
        "2026-06-14T07:58:57.250000Z",
        "2026-06-14T07:58:57.25z",
        "2026-06-14T09:58:57.250000+02:00",
        "2026-06-14T07:58:57.250+00:00",
        "2026-06-14T02:58:57.25-05:00",
    ],
)
def test_z_and_offsets_give_the_same_instant(written: str) -> None:
    parsed = parse(HEADER + f"FINISH,7,{written}\n")
    assert parsed.problems == []
    assert parsed.rows[0].time_us == us(2026, 6, 14, 7, 58, 57, 250000)


def test_a_time_without_offset_is_a_bad_row() -> None:
    parsed = parse(HEADER + "FINISH,7,2026-06-14T09:58:57.25\nFINISH,8,2026-06-14T10:00:00Z\n")
    assert [(p.line, p.where, p.reason) for p in parsed.problems] == [
        (2, "bib 7", "'2026-06-14T09:58:57.25' has no timezone offset (add e.g. +02:00 or Z)")
    ]
    assert [r.bib for r in parsed.rows] == ["8"]


def test_a_time_that_is_not_iso_8601_is_a_bad_row() -> None:
    parsed = parse(HEADER + "FINISH,7,14/06/2026 09:58:57\n")
    assert [(p.line, p.where, p.reason) for p in parsed.problems] == [
        (2, "bib 7", "'14/06/2026 09:58:57' is not an ISO 8601 date-time")
    ]
    assert parsed.rows == []


def test_an_unknown_point_is_a_bad_row() -> None:
    parsed = parse(HEADER + "KM10,7,2026-06-14T09:58:57Z\nKM5,7,2026-06-14T09:28:57Z\n")
    assert [(p.line, p.where, p.reason) for p in parsed.problems] == [
        (2, "bib 7", "unknown point 'KM10' (points: START, KM5, FINISH)")
    ]
    assert [(r.line, r.point) for r in parsed.rows] == [(3, "KM5")]


def test_a_row_with_several_faults_lists_each() -> None:
    parsed = parse(HEADER + "KM10,,noon\n")
    assert [(p.line, p.where, p.reason) for p in parsed.problems] == [
        (2, "bib", "unknown point 'KM10' (points: START, KM5, FINISH)"),
        (2, "bib", "the bib is empty"),
        (2, "bib", "'noon' is not an ISO 8601 date-time"),
    ]


def test_exact_duplicate_rows_are_kept_once() -> None:
    row = "FINISH,7,2026-06-14T09:58:57.123456+02:00\n"
    parsed = parse(HEADER + row + "FINISH,8,2026-06-14T09:59:00Z\n" + row)
    assert parsed.problems == []
    assert [(r.line, r.bib) for r in parsed.rows] == [(2, "7"), (3, "8")]


def test_same_bib_and_point_at_another_time_is_not_a_duplicate() -> None:
    parsed = parse(
        HEADER + "FINISH,7,2026-06-14T09:58:57.123456Z\nFINISH,7,2026-06-14T09:58:57.123457Z\n"
    )
    assert [r.time_us for r in parsed.rows] == [
        us(2026, 6, 14, 9, 58, 57, 123456),
        us(2026, 6, 14, 9, 58, 57, 123457),
    ]


def test_bibs_lose_leading_zeros() -> None:
    assert parse(HEADER + "FINISH,007,2026-06-14T09:58:57Z\n").rows[0].bib == "7"


def test_a_missing_time_column_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse("point,bib\nFINISH,7\n")
    assert [(p.where, p.reason, p.line) for p in caught.value.problems] == [
        ("header", "missing column(s): time", 1)
    ]
