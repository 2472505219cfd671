"""Entrant files: every rule an organiser's file is checked against, bad rows by line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from edge.errors import InvalidInput
from edge.imports.entrants_csv import EntrantRow, EntrantsFile, parse_entrants_csv

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "csv"
RACES = {"10K": ["SAS1", "SAS2"], "5K": ["UNIQUE"]}
TODAY = dt.date(2026, 6, 1)
EPC1 = "E28011700000990000000001"
EPC2 = "E28011700000990000000002"


def parse(text: str, races: dict[str, list[str]] | None = None) -> EntrantsFile:
    return parse_entrants_csv(text.encode(), RACES if races is None else races, TODAY)


def problems(text: str, races: dict[str, list[str]] | None = None) -> list[tuple[int, str, str]]:
    """(line, where, reason) of every problem."""
    return [(p.line or 0, p.where, p.reason) for p in parse(text, races).problems]


def header_problems(text: str, races: dict[str, list[str]] | None = None) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        parse(text, races)
    return [f"{p.line}: {p.where}: {p.reason}" for p in caught.value.problems]


# The fixture files


def test_french_windows_1252_file() -> None:
    parsed = parse_entrants_csv((FIXTURES / "entrants-fr-cp1252.csv").read_bytes(), RACES, TODAY)
    assert (parsed.encoding, parsed.delimiter, parsed.problems) == ("cp1252", ";", [])
    assert parsed.ignored_headers == []
    assert parsed.columns == {
        *("bib", "last_name", "first_name", "sex", "birth_date"),
        *("club", "team", "race", "wave", "tag1"),
    }
    assert [r.line for r in parsed.rows] == list(range(2, 32))
    assert parsed.rows[0] == EntrantRow(
        line=2,
        bib="1",
        last_name="Lefèvre",
        first_name="Hélène",
        sex="F",
        birth_date=dt.date(1988, 2, 14),
        birth_year=None,
        club="Athlé Vaucluse; section trail",
        team="Les Lavandières",
        race="10K",
        wave="SAS1",
        tag1="E28011700000010000000001",
        tag2=None,
        category=None,
    )
    by_bib = {r.bib: r for r in parsed.rows}
    assert (by_bib["2"].last_name, by_bib["2"].sex) == ("Ñúñez", "M")
    assert (by_bib["3"].first_name, by_bib["3"].club) == ("Zoë", "Cœur de Provence AC")
    assert (by_bib["4"].race, by_bib["4"].wave) == ("10K", "SAS2")
    assert by_bib["7"].last_name == "O'Neil"  # written 007
    assert by_bib["8"].tag1 == "E28011700000010000000008"  # written in lowercase
    assert by_bib["9"].tag1 == "E28011700000010000000009"  # written with spaces
    assert by_bib["12"].birth_date == dt.date(1980, 2, 29)  # written 0012
    assert by_bib["13"].club == 'Trail Club "Les Chamois"'
    assert by_bib["14"].club == "Club Alpin; Apt"
    assert by_bib["19"].sex is None
    assert by_bib["20"].first_name == "Søren"
    assert by_bib["110"].tag1 is None
    assert [r.bib for r in parsed.rows if r.wave is None] == [
        *("3", "6", "10", "14", "17"),
        *(str(bib) for bib in range(101, 111) if bib != 102),
    ]


def test_english_utf8_file_with_bom() -> None:
    parsed = parse_entrants_csv((FIXTURES / "entrants-en-utf8-bom.csv").read_bytes(), RACES, TODAY)
    assert (parsed.encoding, parsed.delimiter, parsed.problems) == ("utf-8", ",", [])
    assert parsed.ignored_headers == ["T-Shirt Size"]
    assert len(parsed.columns) == 13
    assert [r.bib for r in parsed.rows] == [str(b) for b in [*range(21, 36), *range(111, 121)]]
    by_bib = {r.bib: r for r in parsed.rows}
    first = by_bib["21"]
    assert (first.first_name, first.sex, first.birth_date, first.birth_year) == (
        "Siobhán",
        "F",
        dt.date(1990, 4, 2),
        1990,
    )
    assert first.tag2 == "E28011700000030000000021"
    assert by_bib["22"].first_name == "Łukasz"
    assert by_bib["23"].club == "Club Atletismo, Valencia"
    assert by_bib["25"].last_name == "Nguyễn"
    assert by_bib["27"].club == "Run, Istanbul, Run"
    assert by_bib["33"].first_name == 'Mary "Mae"'
    assert [(r.bib, r.category) for r in parsed.rows if r.category] == [
        ("29", "MA-M"),
        ("111", "U18"),
        ("112", "U18"),
    ]
    assert (by_bib["113"].race, by_bib["116"].sex, by_bib["120"].tag1) == ("5K", None, None)


def test_bad_rows_file_lists_every_problem_with_its_line() -> None:
    parsed = parse_entrants_csv((FIXTURES / "entrants-bad-rows.csv").read_bytes(), RACES, TODAY)
    assert (parsed.encoding, parsed.delimiter) == ("utf-8", ";")
    assert [r.line for r in parsed.rows] == [2, 3, 25, 26, 27, 28, 29]
    assert parsed.rows[1].club == "Club des\nCoureurs du\nLuberon"
    assert [(p.line, p.where) for p in parsed.problems] == [
        *((6, "bib 3"), (7, "bib 1"), (8, "bib 5"), (10, "bib 6"), (11, "bib 7")),
        *((12, "bib 8"), (13, "bib 9"), (14, "bib 10"), (15, "bib 11"), (16, "bib 12")),
        *((17, "bib"), (18, "bib 14"), (19, "bib 15")),
        *((20, "bib 16"), (20, "bib 16"), (20, "bib 16"), (21, "bib 17"), (21, "bib 17")),
        *((22, "bib 1²"), (23, "bib 19"), (24, "bib 16")),
    ]
    assert parsed.problems[1].reason == "bib 1 already on line 2"
    assert parsed.problems[-1].reason == "bib 16 already on line 20"


# Headers


def test_french_headers_with_any_case_accents_and_separators() -> None:
    header = (
        " DOSSARD ;Nom;PRENOM;Sexe;Date_de-naissance;Annee de naissance;CLUB;équipe;Course;"
        "VAGUE;Puce;PUCE2;Categorie"
    )
    parsed = parse(f"{header}\n7;Martin;Léa;F;12/03/1990;1990;AC;Les 3;10K;SAS2;{EPC1};{EPC2};X\n")
    assert parsed.problems == []
    assert parsed.ignored_headers == []
    assert parsed.rows[0] == EntrantRow(
        *(2, "7", "Martin", "Léa", "F", dt.date(1990, 3, 12), 1990, "AC", "Les 3"),
        *("10K", "SAS2", EPC1, EPC2, "X"),
    )


@pytest.mark.parametrize("alias", ["birth_year", "Année", "Year of birth", "annee de naissance"])
def test_birth_year_aliases(alias: str) -> None:
    assert parse(f"bib;nom;{alias};course\n1;Martin;1990;10K\n").rows[0].birth_year == 1990


def test_english_headers_give_canonical_columns() -> None:
    parsed = parse(f"Bib,Last Name,First Name,Tag,Tag2\n1,Martin,Léa,{EPC1},{EPC2}\n", {"5K": []})
    assert parsed.columns == {"bib", "last_name", "first_name", "tag1", "tag2"}


def test_unknown_headers_are_ignored_and_listed() -> None:
    parsed = parse("bib;nom;course;Taille T-shirt;Licence\n1;Martin;10K;M;123456\n")
    assert parsed.ignored_headers == ["Taille T-shirt", "Licence"]
    assert parsed.problems == []


def test_a_column_named_twice_is_refused() -> None:
    assert header_problems("Dossard;Nom;Bib;Course\n1;Martin;1;10K\n") == [
        "1: Bib: column bib appears twice in the header"
    ]


@pytest.mark.parametrize(
    ("header", "missing"),
    [("nom;course", "bib"), ("dossard;course", "last_name"), ("dossard;nom", "race")],
)
def test_required_columns(header: str, missing: str) -> None:
    assert header_problems(f"{header}\nx;y\n") == [f"1: header: missing column(s): {missing}"]


def test_the_error_message_quotes_the_header_read() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse("N° de dossard;Nom;Course\n1;Martin;10K\n")
    assert "line 1 reads 'N° de dossard', 'Nom', 'Course'" in caught.value.message


def test_with_one_race_the_race_column_may_be_left_out_or_empty() -> None:
    races = {"10K": ["W1", "W2"]}
    assert parse("bib;nom\n1;Martin\n", races).rows[0].race == "10K"
    parsed = parse("bib;nom;course;vague\n1;Martin;;\n2;Petit;10k;w2\n3;Roux;5K;\n", races)
    assert [(r.race, r.wave) for r in parsed.rows] == [("10K", None), ("10K", "W2")]
    assert problems("bib;nom;course\n3;Roux;5K\n", races) == [
        (2, "bib 3", "race '5K' is not a race of this event (races: 10K)")
    ]


# Values


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        *((male, "M") for male in ("M", "m", "H", "Homme", "HOMME", "Male", "mâle")),
        *((female, "F") for female in ("F", "f", "Femme", "FEMME", "female", " Femme ")),
        ("", None),
    ],
)
def test_sex_values(written: str, expected: str | None) -> None:
    parsed = parse(f"bib;nom;sexe;course\n1;Martin;{written};10K\n")
    assert parsed.problems == []
    assert parsed.rows[0].sex == expected


@pytest.mark.parametrize("written", ["X", "W", "Mme", "Hommes", "0"])
def test_other_sex_values_are_bad_rows(written: str) -> None:
    assert problems(f"bib;nom;sexe;course\n1;Martin;{written};10K\n") == [
        (2, "bib 1", f"sex {written!r} is not one of M, H, Homme, Male, F, Femme, Female")
    ]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("12/03/1990", dt.date(1990, 3, 12)),
        ("2/3/1990", dt.date(1990, 3, 2)),
        ("1990-03-12", dt.date(1990, 3, 12)),
        ("29/02/2000", dt.date(2000, 2, 29)),
        ("01/01/1900", dt.date(1900, 1, 1)),
        ("01/06/2026", TODAY),
    ],
)
def test_birth_dates(written: str, expected: dt.date) -> None:
    row = parse(f"bib;nom;date de naissance;course\n1;M;{written};10K\n").rows[0]
    assert row.birth_date == expected


NOT_A_DATE = "is not a real date DD/MM/YYYY or YYYY-MM-DD"


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        *((bad, NOT_A_DATE) for bad in ("31/02/1990", "29/02/2001", "1990-02-30", "12/13/1990")),
        *((bad, NOT_A_DATE) for bad in ("12/03/90", "1990-3-12", "12.03.1990")),
        ("31/12/1899", "is before 1900"),
        ("02/06/2026", "is in the future"),
    ],
)
def test_bad_birth_dates(written: str, reason: str) -> None:
    text = f"bib;nom;date de naissance;course\n1;Martin;{written};10K\n2;Petit;;10K\n"
    assert problems(text) == [(2, "bib 1", f"birth date {written!r} {reason}")]
    assert [r.bib for r in parse(text).rows] == ["2"]


@pytest.mark.parametrize("written", ["1899", "2027", "90", "19900", "1990.0", "an"])
def test_bad_birth_years(written: str) -> None:
    assert problems(f"bib;nom;année;course\n1;Martin;{written};10K\n") == [
        (2, "bib 1", f"birth year {written!r} is not a year between 1900 and 2026")
    ]


def test_birth_date_and_year_must_agree() -> None:
    text = (
        "bib;nom;date de naissance;année;course\n1;M;12/03/1990;1990;10K\n2;P;12/03/1990;1991;10K\n"
    )
    assert problems(text) == [(3, "bib 2", "birth year 1991 disagrees with birth date 1990-03-12")]


@pytest.mark.parametrize(
    ("written", "expected"), [("12", "12"), ("0012", "12"), ("a12", "A12"), ("B007", "B007")]
)
def test_bibs(written: str, expected: str) -> None:
    assert parse(f"bib;nom;course\n{written};Martin;10K\n").rows[0].bib == expected


def test_bad_bibs() -> None:
    assert problems("bib;nom;course\n;Martin;10K\n1²;Petit;10K\n12 B;Roux;10K\n") == [
        (2, "bib", "the bib is empty"),
        (3, "bib 1²", "bib '1²' is not made of letters A-Z and digits 0-9"),
        (4, "bib 12 B", "bib '12 B' is not made of letters A-Z and digits 0-9"),
    ]


def test_values_are_trimmed_and_empty_category_is_none() -> None:
    row = parse("bib;nom;prénom;club;catégorie;course\n 1 ; Martin ; Léa ;  ; ;10K\n").rows[0]
    assert (row.bib, row.last_name, row.first_name, row.club, row.category) == (
        "1",
        "Martin",
        "Léa",
        "",
        None,
    )


def test_race_and_wave_are_matched_without_case_and_returned_canonical() -> None:
    parsed = parse("bib;nom;course;vague\n1;M;10k;sas2\n2;P;5K;unique\n3;R;10K;\n")
    assert [(r.race, r.wave) for r in parsed.rows] == [
        ("10K", "SAS2"),
        ("5K", "UNIQUE"),
        ("10K", None),
    ]


def test_unknown_race_empty_race_and_unknown_wave_are_bad_rows() -> None:
    text = "bib;nom;course;vague\n1;M;20K;\n2;P;;\n3;R;5K;SAS1\n"
    assert problems(text) == [
        (2, "bib 1", "race '20K' is not a race of this event (races: 10K, 5K)"),
        (3, "bib 2", "the race is empty (races: 10K, 5K)"),
        (4, "bib 3", "wave 'SAS1' is not a wave of race 5K (UNIQUE)"),
    ]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("E2801170", "E2801170"),
        ("e280 1170 0000 0000", "E280117000000000"),
        ("A" * 64, "A" * 64),
    ],
)
def test_tags(written: str, expected: str) -> None:
    assert parse(f"bib;nom;course;puce\n1;Martin;10K;{written}\n").rows[0].tag1 == expected


@pytest.mark.parametrize("written", ["E28011", "E2801170F", "E28011ZZ", "A" * 66, "E280-1170"])
def test_bad_tags(written: str) -> None:
    assert problems(f"bib;nom;course;puce\n1;Martin;10K;{written}\n") == [
        (2, "bib 1", f"tag {written!r} is not an EPC (8 to 64 hexadecimal digits, even count)")
    ]


def test_tag2_equal_to_tag_is_a_bad_row() -> None:
    assert problems(f"bib;nom;course;puce;puce2\n1;M;10K;{EPC1};{EPC1.lower()}\n") == [
        (2, "bib 1", "tag2 is the same as tag")
    ]


# Within the file


def test_a_bib_twice_makes_the_later_rows_bad() -> None:
    text = "bib;nom;course\n12;M;10K\n7;P;5K\n0012;R;5K\n12;D;10K\n"
    assert problems(text) == [
        (4, "bib 12", "bib 12 already on line 2"),
        (5, "bib 12", "bib 12 already on line 2"),
    ]
    assert [r.line for r in parse(text).rows] == [2, 3]


def test_a_bib_reused_after_a_bad_row_is_still_a_duplicate() -> None:
    assert problems("bib;nom;sexe;course\n5;M;X;10K\n5;P;M;10K\n") == [
        (2, "bib 5", "sex 'X' is not one of M, H, Homme, Male, F, Femme, Female"),
        (3, "bib 5", "bib 5 already on line 2"),
    ]


def test_a_tag_used_by_two_rows_makes_the_later_bad() -> None:
    text = f"bib;nom;course;puce;puce2\n1;M;10K;{EPC1};{EPC2}\n2;P;10K;{EPC2};\n3;R;10K;;{EPC1}\n"
    assert problems(text) == [
        (3, "bib 2", f"tag {EPC2} already given to bib 1 on line 2"),
        (4, "bib 3", f"tag {EPC1} already given to bib 1 on line 2"),
    ]


def test_a_row_lists_all_its_problems() -> None:
    text = (
        f"bib;nom;sexe;date de naissance;course;puce\n1;;Z;30/02/1990;30K;xyz\n2;P;F;;10K;{EPC1}\n"
    )
    assert problems(text) == [
        (2, "bib 1", "the last name is empty"),
        (2, "bib 1", "sex 'Z' is not one of M, H, Homme, Male, F, Femme, Female"),
        (2, "bib 1", "birth date '30/02/1990' is not a real date DD/MM/YYYY or YYYY-MM-DD"),
        (2, "bib 1", "race '30K' is not a race of this event (races: 10K, 5K)"),
        (2, "bib 1", "tag 'xyz' is not an EPC (8 to 64 hexadecimal digits, even count)"),
    ]
    assert [r.bib for r in parse(text).rows] == ["2"]


def test_more_cells_than_headers_is_a_bad_row() -> None:
    text = "bib;nom;club;course\n1;Martin;Club A;Club B;10K\n2;Petit;;10K\n3;Roux\n"
    assert problems(text) == [
        (2, "bib 1", "5 cells for 4 columns (a ';' inside a value needs quotes)"),
        (4, "bib 3", "the race is empty (races: 10K, 5K)"),
    ]
    assert [r.bib for r in parse(text).rows] == ["2"]


def test_line_numbers_count_physical_lines_and_skip_blank_ones() -> None:
    text = 'bib;nom;club;course\r\n1;M;"Club\r\nsur\r\ntrois lignes";10K\r\n\r\n;;;\r\n2;P;;20K\r\n'
    assert problems(text) == [
        (7, "bib 2", "race '20K' is not a race of this event (races: 10K, 5K)")
    ]
    assert parse(text).rows[0].club == "Club\r\nsur\r\ntrois lignes"
