"""Entrants files' headers as organisers write them, races by name, and look-alike columns."""

from __future__ import annotations

import datetime as dt

import pytest

from edge.errors import InvalidInput
from edge.imports.entrant_columns import ALIASES, EXAMPLES, NAMES
from edge.imports.entrants_csv import EntrantsFile, parse_entrants_csv
from edge.imports.headers import fold_text, header_key, look_alike, map_headers, normalise_header

TODAY = dt.date(2026, 6, 1)
RACES = {"10K": ["W1", "W2"], "5K": ["W1"]}
NAMED = {"10K": "10 km", "5K": "5 km"}


def parse(text: str, names: dict[str, str] | None = NAMED) -> EntrantsFile:
    return parse_entrants_csv(text.encode(), RACES, TODAY, race_names=names)


def field_of(header: str) -> str | None:
    columns, _ignored, problems = map_headers([header], ALIASES)
    assert problems == []
    return next(iter(columns), None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("N° dossard", "n dossard"),
        ("Nº", "no"),
        ("No. Dossard", "no dossard"),
        ("Bib #", "bib"),
        ("Sexe (H/F)", "sexe"),
        ("Date de naissance [JJ/MM/AAAA]", "date de naissance"),
        ("Né(e) le", "ne le"),
        ("  NOM   de  FAMILLE ", "nom de famille"),
        ("(vide)", "vide"),
    ],
)
def test_headers_fold_case_accents_punctuation_and_hints(raw: str, expected: str) -> None:
    assert normalise_header(raw) == expected


@pytest.mark.parametrize(
    ("header", "field"),
    [
        *(("Bib", "bib"), ("N° dossard", "bib"), ("No.", "bib"), ("Numéro", "bib")),
        *(("Num", "bib"), ("Bib number", "bib"), ("DOSSARD", "bib"), ("N°", "bib")),
        *(("Last Name", "last_name"), ("Nom de famille", "last_name"), ("Surname", "last_name")),
        *(("NOM", "last_name"), ("LastName", "last_name"), ("First Name", "first_name")),
        *(("Prénom", "first_name"), ("PRENOM", "first_name"), ("Given name", "first_name")),
        *(("Gender", "sex"), ("Genre", "sex"), ("Sex", "sex"), ("Sexe (H/F)", "sex")),
        *(("DOB", "birth_date"), ("Date of birth", "birth_date"), ("Birth date", "birth_date")),
        *(("Date naissance", "birth_date"), ("Naissance", "birth_date"), ("Né le", "birth_date")),
        *(("Date de naissance", "birth_date"), ("Né(e) le", "birth_date")),
        *(("Année de naissance", "birth_year"), ("Year of birth", "birth_year")),
        *(("Chip", "tag1"), ("Chip ID", "tag1"), ("Chip number", "tag1"), ("RFID", "tag1")),
        *(("EPC", "tag1"), ("Transponder", "tag1"), ("Transpondeur", "tag1"), ("Puce", "tag1")),
        *(("Tag", "tag1"), ("Puce 2", "tag2"), ("Chip 2", "tag2"), ("Tag2", "tag2")),
        *(("Épreuve", "race"), ("Distance", "race"), ("Event", "race"), ("Course", "race")),
        *(("Race", "race"), ("Vague", "wave"), ("Wave", "wave"), ("SAS", "wave")),
        *(("Catégorie", "category"), ("Category", "category"), ("Équipe", "team")),
        *(("Team", "team"), ("Club", "club"), ("Association", "club")),
        *(("Dossard n°", "bib"), ("Sexe H/F", "sex"), ("First", "first_name")),
        *(("Last", "last_name"), ("Date naiss.", "birth_date"), ("Année naiss.", "birth_year")),
        *(("Club / Association", "club"), ("D.O.B.", "birth_date"), ("Bib #", "bib")),
    ],
)
def test_names_organisers_files_use(header: str, field: str) -> None:
    assert field_of(header) == field


def test_every_suggested_header_is_recognised_as_its_field() -> None:
    assert set(EXAMPLES) == set(NAMES)
    for field, examples in EXAMPLES.items():
        assert [field_of(e) for e in examples.split(", ")] == [field] * len(examples.split(", "))


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Genre du coureur", "sex"),
        ("Dossart", "bib"),
        ("N° de dossard", "bib"),
        ("Prenon", "first_name"),
        ("Date naissance coureur", "birth_date"),
        ("Date of birth of the runner", "birth_date"),
        ("Chip Nr", "tag1"),
        ("Transpondeur ID", "tag1"),
        ("Puce RFID n°", "tag1"),
        ("Epreuve choisie", "race"),
        ("Catégori", "category"),
        ("Club FFA", "club"),
    ],
)
def test_an_unknown_header_resembling_a_field_is_caught(header: str, field: str) -> None:
    assert field_of(header) is None
    alike = look_alike(header, ALIASES)
    assert alike is not None
    assert (alike.header, alike.field) == (header, field)


@pytest.mark.parametrize(
    "header",
    [
        *("T-shirt size", "Taille T-shirt", "Email", "E-mail", "Téléphone", "Phone", "Adresse"),
        *("Ville", "Code postal", "Pays", "Nationalité", "Licence", "N° licence", "Statut"),
        *("Certificat médical", "Paiement", "Payment", "Date d'inscription", "Age", "Taille"),
        *("Commentaire", "Contact urgence", "Tarif", "Newsletter", "Fédération", "ID"),
    ],
)
def test_unrelated_headers_resemble_nothing(header: str) -> None:
    assert field_of(header) is None
    assert look_alike(header, ALIASES) is None


def test_a_look_alike_of_a_field_the_file_already_gives_is_only_ignored() -> None:
    assert look_alike("Club FFA", ALIASES, taken={"club"}) is None
    parsed = parse("Dossard;Nom;Club;Club FFA;Course\n1;Martin;AC;ACM;10K\n")
    assert parsed.ignored_headers == ["Club FFA"]
    assert parsed.problems == []


def test_a_look_alike_column_refuses_the_whole_file_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse("Bib,Nom,Genre du coureur,Chip Nr,T-shirt size,Race\n1,Martin,F,E2801170,M,10K\n")
    found = [(p.line, p.where, p.reason) for p in caught.value.problems]
    assert found == [
        (1, "Genre du coureur", "this column is not read but looks like sex ('genre'): "
         "rename it (e.g. Sex, Gender, Sexe) to import it, or remove the column"),
        (1, "Chip Nr", "this column is not read but looks like tag1 ('chip'): "
         "rename it (e.g. Chip, Tag, Puce) to import it, or remove the column"),
    ]  # fmt: skip


def test_the_issue_headers_give_sex_birth_date_and_chip() -> None:
    header = "Bib, Last Name, First Name, Gender, DOB, Club, Team, Race, Wave, Chip"
    parsed = parse_entrants_csv(
        f"{header}\n7,Walker,Grace,Female,02/04/1990,RC,,10K,W2,E2801170000000000007\n".encode(),
        RACES,
        TODAY,
    )
    assert parsed.ignored_headers == []
    row = parsed.rows[0]
    assert (row.sex, row.birth_date, row.tag1, row.wave) == (
        "F", dt.date(1990, 4, 2), "E2801170000000000007", "W2"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("written", "race"),
    [("10K", "10K"), ("10 km", "10K"), ("10 KM", "10K"), ("10km", "10K"), (" 5 Km ", "5K")],
)
def test_a_race_is_found_by_code_or_by_name(written: str, race: str) -> None:
    parsed = parse(f"N° dossard;Nom;Épreuve\n1;Martin;{written}\n")
    assert parsed.problems == []
    assert parsed.rows[0].race == race


def test_a_race_name_matching_no_race_or_several_is_a_row_error() -> None:
    parsed = parse(
        "Dossard;Nom;Épreuve\n1;Martin;20 km\n2;Petit;Trail\n", {"10K": "Trail", "5K": "Trail"}
    )
    assert [(p.line, p.reason) for p in parsed.problems] == [
        (2, "race '20 km' is not a race of this event (races: 10K (Trail), 5K (Trail))"),
        (3, "race 'Trail' names more than one race of this event (races: 10K (Trail), 5K (Trail))"),
    ]


def test_a_code_wins_over_another_race_s_name() -> None:
    parsed = parse("Dossard;Nom;Course\n1;Martin;5K\n", {"10K": "5K", "5K": "Découverte"})
    assert parsed.rows[0].race == "5K"


def test_a_year_alone_in_a_birth_date_column_says_where_years_go() -> None:
    parsed = parse("Dossard;Nom;Naissance;Course\n1;Martin;1988;10K\n")
    assert [p.reason for p in parsed.problems] == [
        "birth date '1988' is a year alone: give the whole date, or head the column "
        "Birth year (Année de naissance) if it holds years"
    ]


def test_values_fold_like_people_read_them() -> None:
    assert fold_text(" 10 Km ") == fold_text("10km") == "10km"
    assert fold_text("Découverte") == "decouverte"


def test_no_name_means_two_fields_once_folded() -> None:
    fields: dict[str, set[str]] = {}
    for field, names in NAMES.items():
        for name in names:
            fields.setdefault(header_key(name), set()).add(field)
    assert {key: found for key, found in fields.items() if len(found) > 1} == {}
