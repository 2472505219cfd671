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
