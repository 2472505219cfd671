"""Passing files: point,bib,time with an offset; bad rows by line; exact copies once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from edge.errors import InvalidInput
from edge.imports.passings_csv import PassingRow, PassingsFile, parse_passings_csv

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "csv"
POINTS = ("START", "KM5", "FINISH")


def us(hour: int, minute: int, second: int, micro: int = 0) -> int:
    """Microseconds since the epoch of a UTC time on 2026-06-14."""
    instant = dt.datetime(2026, 6, 14, hour, minute, second, micro, tzinfo=dt.UTC)
    return (instant - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


def parse(rows: str, header: str = "point,bib,time") -> PassingsFile:
    return parse_passings_csv(f"{header}\n{rows}".encode(), POINTS)


def problems(rows: str) -> list[tuple[int, str, str]]:
    return [(p.line or 0, p.where, p.reason) for p in parse(rows).problems]


def test_passings_fixture() -> None:
    parsed = parse_passings_csv((FIXTURES / "passings.csv").read_bytes(), POINTS)
    assert (parsed.encoding, parsed.delimiter, parsed.problems) == ("utf-8", ",", [])
    assert [r.line for r in parsed.rows] == list(range(2, 37))  # line 37 copies line 35
    assert parsed.rows[0] == PassingRow(2, "START", "1", us(7, 0, 2, 1))
    assert parsed.rows[17] == PassingRow(19, "KM5", "8", us(7, 31, 17, 123463))
    assert parsed.rows[28] == PassingRow(30, "FINISH", "9", us(7, 58, 28))
    assert parsed.rows[-1] == PassingRow(36, "FINISH", "105", us(8, 56, 17, 250037))
    assert [sum(r.point == p for r in parsed.rows) for p in POINTS] == [10, 10, 15]


def test_bad_passings_fixture_in_windows_1252_with_french_headers() -> None:
    parsed = parse_passings_csv((FIXTURES / "passings-bad-rows.csv").read_bytes(), POINTS)
    assert (parsed.encoding, parsed.delimiter) == ("cp1252", ";")
    assert parsed.rows == [
        PassingRow(3, "START", "1", us(7, 0, 2, 1)),
        PassingRow(11, "FINISH", "7", us(7, 56, 26, 500000)),
    ]
    assert [(p.line, p.where, p.reason) for p in parsed.problems] == [
        (2, "bib 1", "unknown point 'Départ' (points: START, KM5, FINISH)"),
        (
            4,
            "bib 2",
            "'2026-06-14T09:51:21.250002' has no timezone offset (add e.g. +02:00 or Z)",
        ),
        (5, "bib 3", "'14/06/2026 09:52:22' is not an ISO 8601 date-time"),
        (6, "bib 4", "the point is empty"),
        (7, "bib", "the bib is empty"),
        (8, "bib 5", "the time is empty"),
        (9, "bib ²", "unknown point 'KM10' (points: START, KM5, FINISH)"),
        (9, "bib ²", "bib '²' is not made of letters A-Z and digits 0-9"),
        (9, "bib ²", "'noon' is not an ISO 8601 date-time"),
        (10, "bib 6", "5 cells for 4 columns (a ';' inside a value needs quotes)"),
    ]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2026-06-14T10:05:31.123456+02:00", us(8, 5, 31, 123456)),
        ("2026-06-14T08:05:31.123456Z", us(8, 5, 31, 123456)),
        ("2026-06-14T08:05:31.000001z", us(8, 5, 31, 1)),
        ("2026-06-14T08:05:31.5Z", us(8, 5, 31, 500000)),
        ("2026-06-14T08:05:31Z", us(8, 5, 31)),
        ("2026-06-14T03:05:31.123-05:00", us(8, 5, 31, 123000)),
        ("2026-06-14 10:05:31.123456+02:00", us(8, 5, 31, 123456)),
    ],
)
def test_times_with_offsets_and_up_to_microseconds(written: str, expected: int) -> None:
    parsed = parse(f"FINISH,7,{written}\n")
    assert parsed.problems == []
    assert parsed.rows == [PassingRow(2, "FINISH", "7", expected)]


def test_a_time_without_offset_is_a_bad_row() -> None:
    assert problems("FINISH,7,2026-06-14T10:05:31.123456\nFINISH,8,2026-06-14T08:06:00Z\n") == [
        (
            2,
            "bib 7",
            "'2026-06-14T10:05:31.123456' has no timezone offset (add e.g. +02:00 or Z)",
        )
    ]


@pytest.mark.parametrize("written", ["14/06/2026 10:05:31", "noon", "2026-06-31T10:00Z"])
def test_a_time_that_is_not_iso_8601_is_a_bad_row(written: str) -> None:
    assert problems(f"FINISH,7,{written}\n") == [
        (2, "bib 7", f"{written!r} is not an ISO 8601 date-time")
    ]


def test_a_time_of_day_without_a_date_to_place_it_on_is_a_bad_row() -> None:
    assert problems("FINISH,7,10:05:31\n") == [
        (2, "bib 7", "'10:05:31' is a time of day: the event's date and zone are needed")
    ]


def test_points_match_without_case_and_come_back_canonical() -> None:
    parsed = parse("finish,1,2026-06-14T08:00:00Z\nKm5,2,2026-06-14T08:00:00Z\n")
    assert [r.point for r in parsed.rows] == ["FINISH", "KM5"]


def test_an_unknown_point_names_the_known_ones() -> None:
    assert problems("KM10,7,2026-06-14T08:00:00Z\n") == [
        (2, "bib 7", "unknown point 'KM10' (points: START, KM5, FINISH)")
    ]


def test_bibs_are_normalised_like_entrants_bibs() -> None:
    parsed = parse("FINISH,0012,2026-06-14T08:00:00Z\nFINISH,a7,2026-06-14T08:00:01Z\n")
    assert [r.bib for r in parsed.rows] == ["12", "A7"]


def test_exact_copies_are_kept_once_but_other_times_are_kept() -> None:
    rows = (
        "FINISH,7,2026-06-14T10:05:31.123456+02:00\n"
        "FINISH,007,2026-06-14T08:05:31.123456Z\n"  # the same passing, written otherwise
        "FINISH,7,2026-06-14T08:05:31.123457Z\n"
        "KM5,7,2026-06-14T08:05:31.123456Z\n"
    )
    parsed = parse(rows)
    assert parsed.problems == []
    assert [(r.line, r.point) for r in parsed.rows] == [(2, "FINISH"), (4, "FINISH"), (5, "KM5")]


@pytest.mark.parametrize(
    "header", ["Point,Bib,Time", "POSTE;DOSSARD;HEURE", "Poste\tDossard\tHeure", "bib,time,point"]
)
def test_header_aliases_and_any_column_order(header: str) -> None:
    delimiter = ";" if ";" in header else "\t" if "\t" in header else ","
    values = {"point": "FINISH", "poste": "FINISH", "bib": "7", "dossard": "7"}
    row = delimiter.join(
        values.get(h.lower(), "2026-06-14T08:00:00Z") for h in header.split(delimiter)
    )
    parsed = parse(row + "\n", header)
    assert parsed.delimiter == delimiter
    assert parsed.rows == [PassingRow(2, "FINISH", "7", us(8, 0, 0))]


def test_extra_columns_are_ignored() -> None:
    parsed = parse("FINISH,7,2026-06-14T08:00:00Z,lane 2,\n", "point,bib,time,note,reader")
    assert parsed.rows == [PassingRow(2, "FINISH", "7", us(8, 0, 0))]


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("point,bib", "time"),
        ("bib,heure", "point (a file without a point column needs --point, or ?point= over HTTP)"),
    ],
)
def test_a_missing_column_is_refused(header: str, missing: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse("x,y\n", header)
    assert [(p.line, p.where, p.reason) for p in caught.value.problems] == [
        (1, "header", f"missing column(s): {missing}")
    ]
