"""Organisers' real files through the command line into a real SQLite file.

The files are described byte for byte in ``tests/fixtures/organisers/README.md``.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pytest

from tests.integration.test_cli_flow import chrono, table_counts

FILES = Path(__file__).resolve().parents[1] / "fixtures" / "organisers"
SLUG = "trail-des-lavandes-2026"

pytestmark = pytest.mark.integration


@pytest.fixture
def trail(tmp_path: Path) -> Path:
    db = tmp_path / "edge.db"
    chrono(db, "db", "upgrade")
    chrono(db, "event", "load", str(FILES / "event-two-races.yaml"))
    return db


def import_entrants(db: Path, name: str, code: int = 0) -> str:
    return chrono(db, "entrants", "import", str(FILES / name), "--event", SLUG, code=code)


def entrant(db: Path, bib: str) -> tuple[str, ...]:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "select e.last_name, e.first_name, e.club, r.code from entrant e"
            " join race r on r.id = e.race_id where e.bib = ?",
            (bib,),
        ).fetchone()
    assert row is not None, f"bib {bib} not stored"
    return tuple(row)


def test_french_cp1252_and_english_bom_files_import_and_reimport_unchanged(trail: Path) -> None:
    assert "30 created, 0 updated, 0 unchanged" in import_entrants(trail, "inscriptions-cp1252.csv")
    assert "encoding cp1252, delimiter ';'" in import_entrants(trail, "inscriptions-cp1252.csv")
    assert "25 created, 0 updated" in import_entrants(trail, "entries-utf8-bom.csv")
    assert "0 created, 0 updated, 25 unchanged" in import_entrants(trail, "entries-utf8-bom.csv")
    assert table_counts(trail)["entrant"] == 55
    # Zero-padded bib, accents from Windows-1252, quoted delimiters inside a club.
    assert entrant(trail, "1") == ("Lefèvre", "Hélène", "Athlé Vaucluse", "10K")
    assert entrant(trail, "3") == ("Dupré", "Zoë", "Athlé Provence; section trail", "10K")
    assert entrant(trail, "24")[2] == "Club Atletismo, Valencia"
    assert entrant(trail, "125")[3] == "5K"


def test_a_file_with_bad_rows_lists_them_all_and_writes_nothing(trail: Path) -> None:
    import_entrants(trail, "inscriptions-cp1252.csv")
    before = table_counts(trail)
    output = import_entrants(trail, "inscriptions-erreurs.csv", code=65)
    assert "7 problems in the entrants file; nothing was imported" in output
    lines = [line.split(":")[0].strip() for line in output.splitlines() if "- line" in line]
    assert lines == [f"- line {n}" for n in range(6, 13)]
    assert table_counts(trail) == before


def test_passings_backup_imports_once_and_ranks_both_races(trail: Path) -> None:
    import_entrants(trail, "inscriptions-cp1252.csv")
    backup = str(FILES / "passings-backup.csv")
    assert "40 added, 0 already present" in chrono(
        trail, "passings", "import", backup, "--event", SLUG
    )
    assert "0 added, 40 already present" in chrono(
        trail, "passings", "import", backup, "--event", SLUG
    )
    assert table_counts(trail)["passing"] == 40
    ten = list(
        csv.DictReader(
            io.StringIO(chrono(trail, "results", "export", "--event", SLUG, "--race", "10K"))
        )
    )
    finishers = [row for row in ten if row["status"] == "FIN"]
    assert len(finishers) == 10
    assert [int(row["rank"]) for row in finishers] == list(range(1, 11))
    assert all(row["split_KM5"] for row in finishers)
    five = list(
        csv.DictReader(
            io.StringIO(chrono(trail, "results", "export", "--event", SLUG, "--race", "5K"))
        )
    )
    assert sum(row["status"] == "FIN" for row in five) == 5


CLUB_RACE = "foulees-saint-jean-2026"


@pytest.fixture
def club_race(tmp_path: Path) -> Path:
    db = tmp_path / "edge.db"
    chrono(db, "db", "upgrade")
    chrono(db, "event", "load", str(FILES / "event-club-race.yaml"))
    return db


def import_club_race(db: Path, name: str, code: int = 0) -> str:
    return chrono(db, "entrants", "import", str(FILES / name), "--event", CLUB_RACE, code=code)


def stored(db: Path) -> dict[str, tuple[object, ...]]:
    """Every entrant by bib: sex, birth date, tag, club, race code, wave code."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "select e.bib, e.sex, e.birth_date, e.tag1, e.club, r.code, w.code from entrant e"
            " join race r on r.id = e.race_id left join wave w on w.id = e.wave_id"
        ).fetchall()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_gender_dob_and_chip_columns_give_every_entrant_a_sex_a_birth_date_and_a_chip(
    club_race: Path,
) -> None:
    output = import_club_race(club_race, "entries-gender-dob-chip.csv")
    assert "260 created, 0 updated, 0 unchanged were imported" in output
    assert "ignored columns" not in output
    entrants = stored(club_race)
    assert len(entrants) == 260
    assert all(sex in ("F", "M") for sex, *_ in entrants.values())
    assert all(born and tag for _, born, tag, *_ in entrants.values())
    assert len({tag for _, _, tag, *_ in entrants.values()}) == 260
    assert entrants["2"] == (
        "F", "1977-09-13", "E28011700000230000000002", "Club Atletismo, Valencia", "10K", "W1"
    )  # fmt: skip
    assert entrants["91"][4:] == ("10K", "W2")
    assert entrants["260"][4:] == ("5K", "W1")


def test_french_registration_export_with_races_by_label_imports(club_race: Path) -> None:
    output = import_club_race(club_race, "inscriptions-epreuve-cp1252.csv")
    assert "40 created, 0 updated, 0 unchanged were imported" in output
    assert "encoding cp1252, delimiter ';'" in output
    entrants = stored(club_race)
    assert sorted(entrants, key=int) == [str(bib) for bib in range(501, 541)]  # "0501" is 501
    races = [race for *_, race, _wave in entrants.values()]
    assert (races.count("10K"), races.count("5K")) == (28, 12)
    assert entrants["506"][4] == "10K"  # written "10KM"
    assert entrants["502"][:4] == (
        "F", "1969-01-06", "E28011700000240000000502", "Athlé Saint-Jean; section route"
    )  # fmt: skip
    assert all(sex and born and tag for sex, born, tag, *_ in entrants.values())
    assert "0 created, 0 updated, 40 unchanged" in import_club_race(
        club_race, "inscriptions-epreuve-cp1252.csv"
    )


def test_a_column_that_looks_like_a_known_one_stops_the_import(club_race: Path) -> None:
    before = table_counts(club_race)
    output = import_club_race(club_race, "entries-chip-nr.csv", code=65)
    assert "line 1: Chip Nr: this column is not read but looks like tag1 ('chip')" in output
    assert "rename it (e.g. Chip, Tag, Puce) to import it, or remove the column" in output
    assert output.count("  - line") == 1  # "T-shirt size" is ignored, not suspected
    assert table_counts(club_race) == before
    assert table_counts(club_race)["entrant"] == 0
