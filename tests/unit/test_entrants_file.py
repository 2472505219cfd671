"""Entrant CSV files: the organisers' fixtures read whole, encodings, delimiters and headers."""

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
