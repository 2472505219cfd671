"""The command line against a real SQLite file: load, import, record, export."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from edge.cli import cli

ROOT = Path(__file__).resolve().parents[2]
EVENT = ROOT / "docs/examples/spring-10k.yaml"
ENTRANTS = ROOT / "docs/examples/entrants.csv"
SLUG = "spring-10k-2026"


def chrono(db: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def table_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        names = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
        return {n: conn.execute(f"select count(*) from {n}").fetchone()[0] for n in names}


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    db = tmp_path / "edge.db"
    chrono(db, "db", "upgrade")
    chrono(db, "event", "load", str(EVENT))
    chrono(db, "entrants", "import", str(ENTRANTS), "--event", SLUG)
    return db


def test_db_upgrade_creates_then_reports_up_to_date(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "edge.db"
    assert "migrated from empty" in chrono(db, "db", "upgrade")
    assert "already at revision" in chrono(db, "db", "upgrade")


def test_database_path_from_environment(tmp_path: Path) -> None:
    db = tmp_path / "from-env.db"
    env = {"CHRONO_EDGE_DB": str(db), "PATH": str(Path(sys.executable).parent)}
    subprocess.run(
        [str(Path(sys.executable).parent / "chrono-edge"), "db", "upgrade"], env=env, check=True
    )
    assert "alembic_version" in table_counts(db)


def test_reloading_the_same_event_file_changes_nothing(loaded: Path) -> None:
    before = table_counts(loaded)
    with sqlite3.connect(loaded) as conn:
        ids_before = conn.execute("select id, code from race").fetchall()
    out = json.loads(chrono(loaded, "event", "load", str(EVENT), "--json"))
    assert out["created"] is False
    assert out["changes"] == []
    assert table_counts(loaded) == before
    with sqlite3.connect(loaded) as conn:
        assert conn.execute("select id, code from race").fetchall() == ids_before


def test_changed_event_file_updates_in_place(loaded: Path, tmp_path: Path) -> None:
    edited = tmp_path / "event.yaml"
    edited.write_text(EVENT.read_text().replace('cutoff: "02:00:00"', 'cutoff: "02:30:00"'))
    out = json.loads(chrono(loaded, "event", "load", str(edited), "--json"))
    assert out["changes"] == ["race 10K: cutoff_us 7200000000 -> 9000000000"]


def test_removing_a_wave_with_entrants_is_refused_and_writes_nothing(
    loaded: Path, tmp_path: Path
) -> None:
    before = table_counts(loaded)
    edited = tmp_path / "event.yaml"
    text = EVENT.read_text().replace('      - {code: W2, start: "2026-04-12T09:40:00+02:00"}\n', "")
    edited.write_text(text.replace('name: "Spring 10K"', 'name: "Renamed"'))
    out = chrono(loaded, "event", "load", str(edited), code=1)
    assert "wave 10K/W2 has 2 entrants" in out
    assert table_counts(loaded) == before
    with sqlite3.connect(loaded) as conn:
        assert conn.execute("select name from event").fetchone()[0] == "Spring 10K"


def test_invalid_event_file_reports_path_and_line(tmp_path: Path) -> None:
    db = tmp_path / "edge.db"
    bad = tmp_path / "bad.yaml"
    bad.write_text(EVENT.read_text().replace("timing: chip", "timing: laser"))
    out = chrono(db, "event", "load", str(bad), code=65)
    assert "races[0].timing" in out
    assert "line 14" in out
    assert table_counts(db).get("event", 0) == 0


def _passings_file(tmp_path: Path) -> Path:
    rows = [
        "point,bib,time",
        # W1 starts 09:30:00+02:00 = 07:30:00Z ; W2 at 07:40:00Z
        "START,1,2026-04-12T07:30:04.250000Z",
        "KM5,1,2026-04-12T07:52:10.000000Z",
        "FINISH,1,2026-04-12T08:15:04.999999Z",  # chip 45:00.749999, gun 45:04.999999
        "START,2,2026-04-12T07:30:01.000000Z",
        "FINISH,2,2026-04-12T08:10:01.000000+00:00",  # chip 40:00.0
        "START,3,2026-04-12T07:40:10.000000Z",
        "FINISH,3,2026-04-12T10:10:00+02:00",  # 08:10:00Z: chip 29:50.0, gun 30:00 (W2)
        "FINISH,4,2026-04-12T07:50:00Z",  # before min_time: ignored -> DNF (has a passing)
        "START,6,2026-04-12T07:30:00Z",  # started, never finished -> DNF
    ]
    path = tmp_path / "passings.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_results_export_csv_in_rank_order(loaded: Path, tmp_path: Path) -> None:
    path = _passings_file(tmp_path)
    assert "9 added, 0 already present" in chrono(
        loaded, "passings", "import", str(path), "--event", SLUG
    )
    assert "0 added, 9 already present" in chrono(
        loaded, "passings", "import", str(path), "--event", SLUG
    )
    assert table_counts(loaded)["passing"] == 9

    out = chrono(loaded, "results", "export", "--event", SLUG, "--race", "10K", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0])[:12] == [
        "rank", "bib", "first_name", "last_name", "sex", "category",
        "sex_rank", "category_rank", "team", "status", "gun_time", "chip_time",
    ]  # fmt: skip
    assert "split_KM5" in rows[0]
    assert [(r["rank"], r["bib"], r["status"]) for r in rows] == [
        ("1", "3", "FIN"),
        ("2", "2", "FIN"),
        ("3", "1", "FIN"),
        ("", "4", "DNF"),
        ("", "6", "DNF"),
        ("", "5", "DNS"),
    ]
    first = rows[2]
    assert (first["gun_time"], first["chip_time"], first["split_KM5"]) == (
        "0:45:04.9",
        "0:45:00.7",
        "0:22:05.7",
    )
    assert (rows[0]["sex_rank"], rows[1]["sex_rank"], rows[2]["sex_rank"]) == ("1", "1", "2")
    assert rows[0]["category"] == "SE-F"  # Zoë, born 2003: 2026 - 2003 = 23
    assert rows[3]["gun_time"] == ""
    assert rows[3]["chip_time"] == ""


def test_results_export_json_and_teams(loaded: Path, tmp_path: Path) -> None:
    chrono(loaded, "passings", "import", str(_passings_file(tmp_path)), "--event", SLUG)
    out = chrono(loaded, "results", "export", "--event", SLUG, "--race", "10K", "--format", "json")
    data = json.loads(out)
    assert data[0]["bib"] == "3"
    assert data[0]["rank"] == 1
    teams = chrono(loaded, "results", "export", "--event", SLUG, "--race", "10K", "--teams")
    assert teams.splitlines()[0] == "rank,team,total_time,members"


def test_unknown_event_is_a_clear_error(tmp_path: Path) -> None:
    out = chrono(tmp_path / "e.db", "results", "export", "--event", "nope", "--race", "X", code=1)
    assert "no event with slug 'nope'" in out
