"""Entrant CSV values: dates, sex, bibs, tags, races and waves, and each bad row by its line."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.unit.test_entrants_file import ORGANISERS, epc, parse


def bad_rows(data: bytes) -> list[tuple[int | None, str, str]]:
    return [(p.line, p.where, p.reason) for p in parse(data).problems]


def test_error_fixture_lists_each_bad_row_with_its_physical_line() -> None:
    parsed = parse((ORGANISERS / "inscriptions-erreurs.csv").read_bytes())
    assert (parsed.encoding, parsed.delimiter) == ("utf-8", ";")
    assert [(p.line, p.where, p.reason) for p in parsed.problems] == [
        (6, "bib 3", "sex 'X' is not one of M, H, Homme, Male, F, Femme, Female"),
        (7, "bib 1", "bib 1 already on line 2"),
        (8, "bib 5", "birth date '31/02/1990' is not a real date DD/MM/YYYY or YYYY-MM-DD"),
        (9, "bib 6", "race '20K' is not a race of this event (races: 10K, 5K)"),
        (
            10,
            "bib 7",
            "tag 'E2801160ZZ' is not an EPC (8 to 64 hexadecimal digits, even count)",
        ),
        (11, "bib 8", f"tag {epc(1)} already given to bib 1 on line 2"),
        (12, "bib 9", "10 cells for 9 columns (a ';' inside a value needs quotes)"),
    ]
    assert [(r.line, r.bib) for r in parsed.rows] == [(2, "1"), (3, "2"), (13, "10"), (14, "101")]
    assert parsed.rows[1].club.splitlines() == ["Club des", "Coureurs du", "Luberon"]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("1990-03-12", dt.date(1990, 3, 12)),
        ("12/03/1990", dt.date(1990, 3, 12)),
        ("2/3/1990", dt.date(1990, 3, 2)),
        ("29/02/2000", dt.date(2000, 2, 29)),
    ],
)
def test_birth_dates_in_both_formats(written: str, expected: dt.date) -> None:
    parsed = parse(f"bib;nom;date de naissance;course\n1;Martin;{written};10K\n".encode())
    assert parsed.rows[0].birth_date == expected


@pytest.mark.parametrize("written", ["31/02/1990", "1990-02-31", "29/02/2001", "12/13/1990"])
def test_impossible_dates_are_bad_rows(written: str) -> None:
    data = f"bib;nom;date de naissance;course\n1;Martin;{written};10K\n2;Petit;;10K\n".encode()
    parsed = parse(data)
    assert [r.bib for r in parsed.rows] == ["2"]
    assert bad_rows(data) == [
        (2, "bib 1", f"birth date {written!r} is not a real date DD/MM/YYYY or YYYY-MM-DD")
    ]


def test_birth_year_column_is_read() -> None:
    parsed = parse(b"bib,last_name,birth_year,race\n1,Martin,1987,10K\n")
    assert parsed.rows[0].birth_year == 1987
    assert parsed.rows[0].birth_date is None


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("M", "M"),
        ("H", "M"),
        ("Homme", "M"),
        ("Male", "M"),
        ("F", "F"),
        ("Femme", "F"),
        ("Female", "F"),
        ("", None),
    ],
)
def test_sex_values(written: str, expected: str | None) -> None:
    parsed = parse(f"bib;nom;sexe;course\n1;Martin;{written};10K\n".encode())
    assert parsed.problems == []
    assert parsed.rows[0].sex == expected


def test_an_unknown_sex_value_is_a_bad_row() -> None:
    assert bad_rows(b"bib;nom;sexe;course\n1;Martin;X;10K\n") == [
        (2, "bib 1", "sex 'X' is not one of M, H, Homme, Male, F, Femme, Female")
    ]


@pytest.mark.parametrize(("written", "expected"), [("0012", "12"), ("7", "7"), ("000", "0")])
def test_numeric_bibs_lose_leading_zeros(written: str, expected: str) -> None:
    assert parse(f"bib;nom;course\n{written};Martin;10K\n".encode()).rows[0].bib == expected


def test_alphanumeric_bibs_keep_their_zeros() -> None:
    assert parse(b"bib;nom;course\nA012;Martin;10K\n").rows[0].bib == "A012"


def test_a_superscript_digit_bib_is_a_bad_row_not_a_crash() -> None:
    parsed = parse("bib;nom;course\n1²;Martin;10K\n2;Petit;10K\n".encode())
    assert [r.bib for r in parsed.rows] == ["2"]
    assert [p.line for p in parsed.problems] == [2]


def test_bad_rows_after_a_quoted_multiline_field_have_their_physical_line() -> None:
    data = (
        b"bib;nom;club;sexe;course\r\n"
        b'1;Martin;"Club\r\nsur\r\ntrois lignes";M;10K\r\n'
        b"2;Petit;;Z;10K\r\n"
        b"\r\n"
        b'3;Durand;"a\nb";Y;10K\r\n'
    )
    assert bad_rows(data) == [
        (5, "bib 2", "sex 'Z' is not one of M, H, Homme, Male, F, Femme, Female"),
        (7, "bib 3", "sex 'Y' is not one of M, H, Homme, Male, F, Femme, Female"),
    ]
    assert [r.line for r in parse(data).rows] == [2]


def test_duplicate_bibs_are_bad_rows() -> None:
    data = b"bib;nom;course\n12;Martin;10K\n7;Petit;5K\n0012;Durand;5K\n"
    assert bad_rows(data) == [(4, "bib 12", "bib 12 already on line 2")]
    assert [r.bib for r in parse(data).rows] == ["12", "7"]


def test_a_duplicate_bib_is_bad_even_when_its_first_row_is_bad() -> None:
    data = b"bib;nom;sexe;course\n5;Martin;X;10K\n5;Petit;M;10K\n"
    assert [p.line for p in parse(data).problems] == [2, 3]


def test_duplicate_tags_are_bad_rows() -> None:
    data = (
        f"bib;nom;course;puce;puce2\n"
        f"1;Martin;10K;{epc(1)};{epc(1, True)}\n"
        f"2;Petit;10K;{epc(1).lower()};\n"
        f"3;Durand;10K;{epc(3)};{epc(1, True)}\n"
    ).encode()
    assert bad_rows(data) == [
        (3, "bib 2", f"tag {epc(1)} already given to bib 1 on line 2"),
        (4, "bib 3", f"tag {epc(1, True)} already given to bib 1 on line 2"),
    ]


def test_tag2_equal_to_tag_is_a_bad_row() -> None:
    data = f"bib;nom;course;puce;puce2\n1;Martin;10K;{epc(1)};{epc(1)}\n".encode()
    assert bad_rows(data) == [(2, "bib 1", "tag2 is the same as tag")]


@pytest.mark.parametrize("written", ["E2801160ZZ", "ABC", "E28011606"])
def test_a_tag_that_is_not_an_epc_is_a_bad_row(written: str) -> None:
    data = f"bib;nom;course;puce\n1;Martin;10K;{written}\n".encode()
    assert bad_rows(data) == [
        (2, "bib 1", f"tag {written!r} is not an EPC (8 to 64 hexadecimal digits, even count)")
    ]


def test_more_cells_than_headers_is_a_bad_row() -> None:
    data = b"bib;nom;club;course\n1;Martin;Club A;Club B;10K\n2;Petit;;10K\n"
    assert bad_rows(data) == [
        (2, "bib 1", "5 cells for 4 columns (a ';' inside a value needs quotes)")
    ]
    assert [r.bib for r in parse(data).rows] == ["2"]


def test_fewer_cells_than_headers_are_empty_values() -> None:
    parsed = parse(b"bib;nom;course;club\n1;Martin;10K\n")
    assert parsed.problems == []
    assert parsed.rows[0].club == ""


def test_an_unknown_race_is_a_bad_row() -> None:
    assert bad_rows(b"bib;nom;course\n1;Martin;20K\n") == [
        (2, "bib 1", "race '20K' is not a race of this event (races: 10K, 5K)")
    ]


def test_an_unknown_wave_is_a_bad_row() -> None:
    assert bad_rows(b"bib;nom;course;vague\n1;Martin;5K;SAS1\n") == [
        (2, "bib 1", "wave 'SAS1' is not a wave of race 5K (UNIQUE)")
    ]


def test_an_empty_wave_is_the_first_wave_returned_as_none() -> None:
    parsed = parse(b"bib;nom;course;vague\n1;Martin;10K;\n2;Petit;10K;SAS2\n")
    assert [(r.race, r.wave) for r in parsed.rows] == [("10K", None), ("10K", "SAS2")]


def test_every_bad_row_is_listed_not_only_the_first() -> None:
    data = b"bib;nom;sexe;course\n1;Martin;X;10K\n2;;M;10K\n3;Durand;F;30K\n4;Petit;F;5K\n"
    assert bad_rows(data) == [
        (2, "bib 1", "sex 'X' is not one of M, H, Homme, Male, F, Femme, Female"),
        (3, "bib 2", "the last name is empty"),
        (4, "bib 3", "race '30K' is not a race of this event (races: 10K, 5K)"),
    ]
    assert [r.bib for r in parse(data).rows] == ["4"]
