"""Entrant CSV rules: encodings, delimiters, headers, values, and line-numbered bad rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from edge.errors import InvalidInput
from edge.imports.entrants_csv import EntrantRow, EntrantsFile, parse_entrants_csv

ORGANISERS = Path(__file__).resolve().parents[1] / "fixtures" / "organisers"
RACES = {"10K": ["SAS1", "SAS2"], "5K": ["UNIQUE"]}
TODAY = dt.date(2026, 6, 1)


def epc(bib: int, second: bool = False) -> str:
    """The EPC the fixture files give to ``bib`` (24 hexadecimal digits)."""
    return f"3000E280116{1 if second else 0}{bib:012d}"


def parse(data: bytes) -> EntrantsFile:
    return parse_entrants_csv(data, RACES, TODAY)


def bad_rows(data: bytes) -> list[tuple[int | None, str, str]]:
    return [(p.line, p.where, p.reason) for p in parse(data).problems]


def test_windows_1252_french_fixture_is_read_whole() -> None:
    parsed = parse((ORGANISERS / "inscriptions-cp1252.csv").read_bytes())
    assert parsed.problems == []
    assert (parsed.encoding, parsed.delimiter) == ("cp1252", ";")
    assert parsed.ignored_headers == []
    assert parsed.columns == {
        "bib",
        "last_name",
        "first_name",
        "sex",
        "birth_date",
        "club",
        "team",
        "race",
        "wave",
        "tag1",
        "tag2",
    }
    assert len(parsed.rows) == 30
    assert [r.bib for r in parsed.rows] == [str(b) for b in [*range(1, 21), *range(101, 111)]]
    assert parsed.rows[0] == EntrantRow(
        line=2,
        bib="1",
        last_name="Lefèvre",
        first_name="Hélène",
        sex="F",
        birth_date=dt.date(1988, 2, 14),
        birth_year=None,
        club="Athlé Vaucluse",
        team="Les Lavandières",
        race="10K",
        wave="SAS1",
        tag1=epc(1),
        tag2=epc(1, second=True),
        category=None,
    )
    by_bib = {r.bib: r for r in parsed.rows}
    assert (by_bib["2"].last_name, by_bib["2"].sex) == ("Nuñez", "M")
    zoe = by_bib["3"]
    assert (zoe.first_name, zoe.sex, zoe.birth_date) == ("Zoë", "F", dt.date(1996, 7, 30))
    assert zoe.club == "Athlé Provence; section trail"
    assert zoe.wave is None
    assert (by_bib["4"].first_name, by_bib["4"].last_name) == ("Françoise", "Garçon")
    assert by_bib["7"].tag1 == epc(7)  # written in lowercase in the file
    assert by_bib["14"].club == "Club Alpin; Apt"
    assert by_bib["103"].birth_date == dt.date(2000, 2, 29)
    assert [r.line for r in parsed.rows] == list(range(2, 32))
    assert {r.race for r in parsed.rows[:20]} == {"10K"}
    assert {r.race for r in parsed.rows[20:]} == {"5K"}
    assert [r.bib for r in parsed.rows if r.wave is None] == ["3", "6", "10", "14", "17"] + [
        str(b) for b in range(101, 111)
    ]


def test_utf8_bom_english_fixture_is_read_whole() -> None:
    parsed = parse((ORGANISERS / "entries-utf8-bom.csv").read_bytes())
    assert parsed.problems == []
    assert (parsed.encoding, parsed.delimiter) == ("utf-8", ",")
    assert parsed.columns == {
        "bib",
        "last_name",
        "first_name",
        "sex",
        "birth_year",
        "club",
        "team",
        "race",
        "tag1",
    }
    assert len(parsed.rows) == 25
    assert [r.bib for r in parsed.rows] == [str(b) for b in [*range(21, 31), *range(111, 126)]]
    assert parsed.rows[0] == EntrantRow(
        line=2,
        bib="21",
        last_name="O'Brien",
        first_name="Siobhán",
        sex="F",
        birth_date=None,
        birth_year=1990,
        club="Dublin Harriers",
        team="Celtic Three",
        race="10K",
        wave=None,
        tag1=epc(21),
        tag2=None,
        category=None,
    )
    by_bib = {r.bib: r for r in parsed.rows}
    assert (by_bib["22"].last_name, by_bib["22"].sex) == ("Müller", "M")
    assert by_bib["24"].club == "Club Atletismo, Valencia"
    assert by_bib["125"].first_name == "Élodie"
    assert [r.sex for r in parsed.rows].count("F") == 12
    assert [r.sex for r in parsed.rows].count("M") == 13
    assert {r.wave for r in parsed.rows} == {None}


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


def test_utf8_without_bom_is_read_as_utf8() -> None:
    parsed = parse("bib,last_name,race\n1,Lefèvre,10K\n".encode())
    assert parsed.encoding == "utf-8"
    assert parsed.rows[0].last_name == "Lefèvre"


def test_utf8_with_bom_does_not_spoil_the_first_header() -> None:
    parsed = parse(b"\xef\xbb\xbf" + "bib,last_name,race\n1,Zoë,10K\n".encode())
    assert parsed.encoding == "utf-8"
    assert parsed.ignored_headers == []
    assert (parsed.rows[0].bib, parsed.rows[0].last_name) == ("1", "Zoë")


def test_windows_1252_is_detected() -> None:
    parsed = parse("Dossard;Nom;Prénom;Course\r\n1;Nuñez;Françoise;10K\r\n".encode("cp1252"))
    assert parsed.encoding == "cp1252"
    assert (parsed.rows[0].last_name, parsed.rows[0].first_name) == ("Nuñez", "Françoise")


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_comma_and_semicolon_delimiters(delimiter: str) -> None:
    text = "bib,last_name,club,race\n1,Martin,AC Apt,10K\n".replace(",", delimiter)
    parsed = parse(text.encode())
    assert parsed.delimiter == delimiter
    assert (parsed.rows[0].club, parsed.rows[0].race) == ("AC Apt", "10K")


def test_a_comma_in_a_semicolon_file_is_part_of_the_value() -> None:
    parsed = parse(b"Dossard;Nom;Club;Course\n1;Martin;Apt, Luberon;10K\n")
    assert parsed.delimiter == ";"
    assert parsed.rows[0].club == "Apt, Luberon"


def test_english_headers_map_every_field() -> None:
    header = (
        "bib,last_name,first_name,sex,birth_date,birth_year,club,team,race,wave,tag,tag2,category"
    )
    row = f"7,Martin,Léa,F,12/03/1990,1990,AC Apt,Les Trois,10K,SAS2,{epc(7)},{epc(7, True)},SEF"
    parsed = parse(f"{header}\n{row}\n".encode())
    assert parsed.ignored_headers == []
    assert parsed.rows == [
        EntrantRow(
            line=2,
            bib="7",
            last_name="Martin",
            first_name="Léa",
            sex="F",
            birth_date=dt.date(1990, 3, 12),
            birth_year=1990,
            club="AC Apt",
            team="Les Trois",
            race="10K",
            wave="SAS2",
            tag1=epc(7),
            tag2=epc(7, True),
            category="SEF",
        )
    ]


def test_french_headers_with_accents_map_every_field() -> None:
    header = (
        "dossard;nom;prénom;sexe;date de naissance;année;club;équipe;course;vague;puce;puce2;"
        "catégorie"
    )
    row = f"7;Martin;Léa;F;12/03/1990;1990;AC Apt;Les Trois;10K;SAS2;{epc(7)};{epc(7, True)};SEF"
    parsed = parse(f"{header}\n{row}\n".encode())
    assert parsed.ignored_headers == []
    assert len(parsed.columns) == 13
    assert parsed.rows[0].first_name == "Léa"
    assert parsed.rows[0].birth_year == 1990
    assert parsed.rows[0].team == "Les Trois"
    assert parsed.rows[0].category == "SEF"


def test_headers_ignore_case_and_accents() -> None:
    header = (
        "DOSSARD;NOM;PRENOM;Sexe;DATE DE NAISSANCE;Annee;CLUB;EQUIPE;COURSE;VAGUE;PUCE;PUCE2;"
        "Categorie"
    )
    row = f"7;Martin;Léa;F;12/03/1990;1990;AC Apt;Les Trois;10K;SAS2;{epc(7)};{epc(7, True)};SEF"
    parsed = parse(f"{header}\n{row}\n".encode())
    assert parsed.ignored_headers == []
    assert len(parsed.columns) == 13
    assert parsed.rows[0].wave == "SAS2"


def test_unknown_headers_are_ignored_and_listed() -> None:
    parsed = parse(b"bib,last_name,race,T-shirt\n1,Martin,10K,XL\n")
    assert parsed.ignored_headers == ["T-shirt"]
    assert len(parsed.rows) == 1


def test_a_header_without_bib_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(b"last_name,race\nMartin,10K\n")
    assert [(p.where, p.reason, p.line) for p in caught.value.problems] == [
        ("header", "missing column(s): bib", 1)
    ]


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
