"""Reading organisers' CSV files: encodings, delimiters, headers, line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.errors import InvalidInput
from edge.imports.csvfile import (
    bib_problem,
    decode,
    extra_cells,
    normalise_bib,
    read_csv_table,
)
from edge.imports.headers import map_headers, normalise_header

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "csv"


def refused(data: bytes) -> list[tuple[int | None, str]]:
    """The (line, reason) of each problem when the file is refused as a table."""
    with pytest.raises(InvalidInput) as caught:
        read_csv_table(data)
    return [(p.line, p.reason) for p in caught.value.problems]


# Encodings


def test_utf8_without_bom() -> None:
    assert decode("Hélène".encode()) == ("Hélène", "utf-8")


def test_utf8_bom_is_dropped_and_reported_as_utf8() -> None:
    assert decode(b"\xef\xbb\xbfbib") == ("bib", "utf-8")


def test_windows_1252_bytes_are_decoded() -> None:
    # 0xE9 is é and 0x9C is œ in Windows-1252; 0x9C would be a control in Latin-1.
    assert decode(b"H\xe9l\xe8ne C\x9cur") == ("Hélène Cœur", "cp1252")


def test_a_bom_on_a_file_that_is_not_utf8_does_not_spoil_the_header() -> None:
    table = read_csv_table(b"\xef\xbb\xbfDossard;Nom\r\n1;Lef\xe8vre\r\n")
    assert table.encoding == "cp1252"
    assert table.headers == ["Dossard", "Nom"]
    assert table.rows == [(2, ["1", "Lefèvre"])]


def test_bytes_undefined_in_windows_1252_are_refused() -> None:
    assert refused(b"bib;nom\n1;\x81\n") == [
        (None, "neither UTF-8 nor Windows-1252 text (byte 0x81 at offset 10)")
    ]


@pytest.mark.parametrize(
    "data",
    [
        "bib,nom\n1,Zoë\n".encode("utf-16"),
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",  # start of an .xlsx
    ],
)
def test_utf16_text_and_workbooks_are_refused(data: bytes) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_csv_table(data)
    assert "save the sheet as CSV" in str(caught.value)


# Delimiters


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_comes_from_the_header(delimiter: str) -> None:
    table = read_csv_table(f"bib{delimiter}nom\n1{delimiter}Martin\n".encode())
    assert table.delimiter == delimiter
    assert table.rows == [(2, ["1", "Martin"])]


def test_commas_in_the_data_do_not_outvote_the_header() -> None:
    table = read_csv_table(b"bib;nom;club\n1;Martin;Apt, Luberon, Vaucluse, France\n")
    assert table.delimiter == ";"
    assert table.rows[0][1][2] == "Apt, Luberon, Vaucluse, France"


def test_delimiters_inside_quoted_headers_are_not_counted() -> None:
    table = read_csv_table(b'"Nom, Pr\xc3\xa9nom, Club";Dossard\n"Martin, L\xc3\xa9a";1\n')
    assert table.delimiter == ";"
    assert table.headers == ["Nom, Prénom, Club", "Dossard"]


def test_a_single_column_file_reads_with_commas() -> None:
    table = read_csv_table(b"bib\n1\n2\n")
    assert table.delimiter == ","
    assert [cells for _, cells in table.rows] == [["1"], ["2"]]


# Records and their physical lines


def test_quoted_values_over_several_lines_keep_later_line_numbers() -> None:
    data = b'bib;club\r\n1;"Club des\r\nCoureurs du\r\nLuberon"\r\n2;AC Apt\r\n3;"a\nb"\r\n4;x\r\n'
    table = read_csv_table(data)
    assert [(line, cells[0]) for line, cells in table.rows] == [
        (2, "1"),
        (5, "2"),
        (6, "3"),
        (8, "4"),
    ]
    assert table.rows[0][1][1] == "Club des\r\nCoureurs du\r\nLuberon"


def test_blank_lines_and_empty_spreadsheet_rows_are_skipped() -> None:
    table = read_csv_table(b"bib;nom\n\n1;Martin\n;;\n   \n2;Petit\n\n\n")
    assert [(line, cells) for line, cells in table.rows] == [
        (3, ["1", "Martin"]),
        (6, ["2", "Petit"]),
    ]


def test_the_header_may_follow_blank_lines() -> None:
    table = read_csv_table(b"\n;;\nbib;nom\n1;Martin\n")
    assert (table.header_line, table.headers, table.delimiter) == (3, ["bib", "nom"], ";")
    assert table.rows == [(4, ["1", "Martin"])]


def test_old_mac_line_endings_and_no_final_newline() -> None:
    table = read_csv_table(b"bib,nom\r1,Martin\r2,Petit")
    assert table.rows == [(2, ["1", "Martin"]), (3, ["2", "Petit"])]


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", b"   \n\t\n", b";;;\r\n;;;\r\n"])
def test_an_empty_file_is_refused(data: bytes) -> None:
    assert refused(data) == [(1, "the file is empty")]


def test_a_quote_never_closed_is_refused_rather_than_swallowing_rows() -> None:
    data = b'bib;nom;club\n1;Martin;AC Apt\n2;Petit;"Club\n3;Durand;X\n4;Roux;Y\n'
    assert refused(data) == [
        (3, "a quoted value opened on line 3 is never closed (a '\"' is missing)")
    ]


def test_a_stray_quote_inside_a_value_is_kept() -> None:
    table = read_csv_table(b'bib;nom\n1;Martin "Jr"\n')
    assert table.rows == [(2, ["1", 'Martin "Jr"'])]


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter", "records"),
    [
        ("entrants-fr-cp1252.csv", "cp1252", ";", 30),
        ("entrants-en-utf8-bom.csv", "utf-8", ",", 25),
        ("entrants-bad-rows.csv", "utf-8", ";", 25),
        ("passings.csv", "utf-8", ",", 36),
        ("passings-bad-rows.csv", "cp1252", ";", 10),
    ],
)
def test_fixtures_are_read_as_tables(
    name: str, encoding: str, delimiter: str, records: int
) -> None:
    table = read_csv_table((FIXTURES / name).read_bytes())
    assert (table.encoding, table.delimiter, len(table.rows)) == (encoding, delimiter, records)
    assert table.rows[0][0] == 2


# Headers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Date de naissance", "date de naissance"),
        ("  Prénom ", "prenom"),
        ("ÉQUIPE", "equipe"),
        ("last_name", "last name"),
        ("Last-Name", "last name"),
        ("birth__date", "birth date"),
        ("Année  de   naissance", "annee de naissance"),
        ("Catégorie", "categorie"),
    ],
)
def test_normalise_header(raw: str, expected: str) -> None:
    assert normalise_header(raw) == expected


def test_map_headers_reports_unknown_and_duplicate_columns() -> None:
    aliases = {"bib": "bib", "dossard": "bib", "nom": "last_name"}
    columns, ignored, problems = map_headers(["Bib", "Nom", "T-shirt", "", "DOSSARD"], aliases)
    assert columns == {"bib": 0, "last_name": 1}
    assert ignored == ["T-shirt"]
    assert [(p.where, p.reason, p.line) for p in problems] == [
        ("DOSSARD", "column bib appears twice in the header", 1)
    ]


# Bibs and cells


@pytest.mark.parametrize(
    ("written", "expected"),
    [("12", "12"), ("0012", "12"), (" 007 ", "7"), ("000", "0"), ("a012", "A012"), ("1²", "1²")],
)
def test_normalise_bib(written: str, expected: str) -> None:
    assert normalise_bib(written) == expected


@pytest.mark.parametrize(
    ("bib", "problem"),
    [
        ("12", None),
        ("A012", None),
        ("", "the bib is empty"),
        ("1²", "bib '1²' is not made of letters A-Z and digits 0-9"),
        ("12 B", "bib '12 B' is not made of letters A-Z and digits 0-9"),
    ],
)
def test_bib_problem(bib: str, problem: str | None) -> None:
    assert bib_problem(bib) == problem


def test_extra_cells_are_explained() -> None:
    assert extra_cells(["1", "a", "b"], ["bib", "nom"], ";") == (
        "3 cells for 2 columns (a ';' inside a value needs quotes)"
    )
    assert extra_cells(["1"], ["bib", "nom"], ";") is None
