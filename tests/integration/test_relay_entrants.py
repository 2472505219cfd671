"""A relay end to end on a real SQLite file: entrants with legs, passings, the team sheet.

Entrants and passings go in through the command line as an organiser's files do; the
refused cases check each bad line is named and nothing is written.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient

from edge.app import create_app
from edge.backup.replay import replay_changes
from edge.cli import cli
from edge.settings import Settings

pytestmark = pytest.mark.integration

SLUG = "relais-2026"
EVENT = """\
slug: relais-2026
name: "Relais de printemps"
date: 2026-05-10
timezone: Europe/Paris
timing_points:
  - {code: START, kind: start, distance_m: 0}
  - {code: FINISH, kind: finish, distance_m: 5000}
races:
  - code: RELAY
    name: "Relais 3 x 5 km"
    timing: gun
    cutoff: "02:00:00"
    points: [START, FINISH]
    waves:
      - {code: W1, start: "2026-05-10T10:00:00+02:00"}
    format: relay
    legs: [L1, L2, L3]
    handover_point: FINISH
    min_leg: "00:05:00"
  - code: 5K
    name: "5 km"
    timing: gun
    cutoff: "01:00:00"
    points: [START, FINISH]
    waves:
      - {code: W1, start: "2026-05-10T09:30:00+02:00"}
"""
HEADER = "Dossard;Nom;Prénom;Équipe;Course;Relais"
ENTRANTS = [
    "101;Durand;Léa;Les Fusées;RELAY;L1",
    "102;Petit;Marc;Les Fusées;Relay;l2",  # case does not matter, as for races and waves
    "103;Roux;Inès;Les Fusées;RELAY;L3",
    "201;Blanc;Paul;Les Comètes;RELAY;L1",
    "202;Noir;Zoé;Les Comètes;RELAY;L2",
    "203;Gris;Hugo;Les Comètes;RELAY;L3",
    "301;Vert;Anna;Les Étoiles;RELAY;L1",
    "302;Bleu;Tom;Les Étoiles;RELAY;L2",
    "303;Rose;Eva;Les Étoiles;RELAY;L3",
    "7;Martin;Jean;;5K;",  # a runner of the other race: no team, no leg
]
PASSINGS = [
    ("FINISH", "101", "10:18:20.456"),
    ("FINISH", "102", "10:18:25.000"),  # at the handover, within min_leg: not its leg's end
    ("FINISH", "201", "10:17:59.990"),
    ("FINISH", "301", "10:20:00.000"),
    ("FINISH", "102", "10:37:00.999"),
    ("FINISH", "202", "10:38:00.000"),
    ("FINISH", "103", "10:55:10.050"),
    ("FINISH", "203", "10:56:00.000"),
    ("FINISH", "303", "10:50:00.000"),  # leg 2 of Les Étoiles never ended: DNF from L2 on
    ("FINISH", "7", "09:52:30.000"),
]
# By hand from the passings above (wave start 10:00:00, tenths truncated):
# Les Fusées  L1 18:20.456  L2 18:40.543  L3 18:09.051  total 55:10.050
# Les Comètes L1 17:59.990  L2 20:00.010  L3 18:00.000  total 56:00.000
# Les Étoiles L1 20:00.000  then no L2 crossing
COLUMNS = ["rank", "team", "status", "total_time"] + [
    f"leg_{leg}{suffix}" for leg in ("L1", "L2", "L3") for suffix in ("_bib", "", "_rank")
]
EXPECTED = [
    ["1", "Les Fusées", "FIN", "0:55:10.0",
     "101", "0:18:20.4", "2", "102", "0:18:40.5", "1", "103", "0:18:09.0", "2"],
    ["2", "Les Comètes", "FIN", "0:56:00.0",
     "201", "0:17:59.9", "1", "202", "0:20:00.0", "2", "203", "0:18:00.0", "1"],
    ["", "Les Étoiles", "DNF", "",
     "301", "0:20:00.0", "3", "302", "", "", "303", "", ""],
]  # fmt: skip


def chrono(db: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def entrants_file(path: Path, *rows: str, header: str = HEADER) -> Path:
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode("cp1252"))  # Excel's CSV
    return path


def rows_of(db: Path, query: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(db)) as connection:
        return connection.execute(query).fetchall()


@pytest.fixture
def relay_db(tmp_path: Path) -> Path:
    db, event = tmp_path / "edge.db", tmp_path / "relais.yaml"
    event.write_text(EVENT, encoding="utf-8")
    chrono(db, "db", "upgrade")
    chrono(db, "event", "load", str(event))
    return db


@pytest.fixture
def entered(relay_db: Path, tmp_path: Path) -> Path:
    chrono(relay_db, "entrants", "import", str(entrants_file(tmp_path / "e.csv", *ENTRANTS)),
           "--event", SLUG)  # fmt: skip
    return relay_db


def test_a_relay_sheet_from_imported_legs_and_passings(entered: Path, tmp_path: Path) -> None:
    assert rows_of(entered, "SELECT bib, team, leg FROM entrant WHERE bib IN ('102', '7')") == [
        ("102", "Les Fusées", "L2"),
        ("7", "", None),
    ]
    passings = tmp_path / "passings.csv"
    lines = ["point,bib,time", *(f"{p},{b},2026-05-10T{t}+02:00" for p, b, t in PASSINGS)]
    passings.write_text("\n".join(lines) + "\n", encoding="utf-8")
    chrono(entered, "passings", "import", str(passings), "--event", SLUG)
    out = chrono(entered, "results", "export", "--event", SLUG, "--race", "RELAY",
                 "--format", "csv")  # fmt: skip
    sheet = list(csv.reader(io.StringIO(out)))
    assert sheet[0] == COLUMNS
    assert sheet[1:] == EXPECTED
    listed = chrono(entered, "entrants", "list", "--event", SLUG, "--race", "RELAY",
                    "--format", "csv")  # fmt: skip
    assert {row["bib"]: row["leg"] for row in csv.DictReader(io.StringIO(listed))}["303"] == "L3"


def test_bad_relay_rows_are_each_named_and_nothing_is_written(
    relay_db: Path, tmp_path: Path
) -> None:
    bad = entrants_file(
        tmp_path / "bad.csv",
        "101;Durand;Léa;Les Fusées;RELAY;L1",
        "102;Petit;Marc;Les Fusées;RELAY;L4",  # not a leg of the race
        "103;Roux;Inès;;RELAY;L3",  # no team
        "104;Faure;Jules;Les Fusées;RELAY;",  # no leg
        "105;Lambert;Nina;Les Fusées;RELAY;l1",  # L1 is bib 101's
        "7;Martin;Jean;;5K;L1",  # a leg in a race that is no relay
    )
    before = rows_of(relay_db, "SELECT count(*) FROM outbox")
    out = chrono(relay_db, "entrants", "import", str(bad), "--event", SLUG, code=65)
    for expected in (
        "line 3: bib 102: leg 'L4' is not a leg of race RELAY (L1, L2, L3)",
        "line 4: bib 103: race RELAY is a relay: the team is required",
        "line 5: bib 104: race RELAY is a relay: the leg is required (L1, L2, L3)",
        "line 6: bib 105: team 'Les Fusées' already has bib 101 on leg L1 (line 2)",
        "line 7: bib 7: leg 'L1' given, but race 5K is not a relay: check the race, "
        "or leave the leg empty",
    ):
        assert expected in out
    assert "line 2:" not in out  # bib 101's row is right: the later row is the one named
    assert rows_of(relay_db, "SELECT count(*) FROM entrant") == [(0,)]
    assert rows_of(relay_db, "SELECT count(*) FROM outbox") == before


def test_a_second_file_is_checked_against_the_stored_teams(entered: Path, tmp_path: Path) -> None:
    taken = entrants_file(tmp_path / "taken.csv", "104;Faure;Jules;Les Fusées;RELAY;L1")
    out = chrono(entered, "entrants", "import", str(taken), "--event", SLUG, code=65)
    assert "line 2: bib 104: team 'Les Fusées' already has bib 101 on leg L1" in out
    # Swapping two runners' legs in one file is fine: neither keeps its stored leg.
    swap = entrants_file(tmp_path / "swap.csv", "101;Durand;Léa;Les Fusées;RELAY;L2",
                         "102;Petit;Marc;Les Fusées;RELAY;L1")  # fmt: skip
    assert "2 updated" in chrono(entered, "entrants", "import", str(swap), "--event", SLUG)
    # A file without team and leg columns keeps the stored ones, which are consistent.
    tags = entrants_file(tmp_path / "tags.csv", "103;Roux;RELAY;E2801160600002000000B103",
                         header="Dossard;Nom;Course;Puce")  # fmt: skip
    assert "1 updated" in chrono(entered, "entrants", "import", str(tags), "--event", SLUG)
    # Moving a runner to the other race drops the leg that race does not have.
    moved = entrants_file(tmp_path / "moved.csv", "303;Rose;5K", header="Dossard;Nom;Course")
    chrono(entered, "entrants", "import", str(moved), "--event", SLUG)
    assert rows_of(entered, "SELECT bib, leg FROM entrant WHERE bib IN ('101', '102', '303')"
                   " ORDER BY bib") == [("101", "L2"), ("102", "L1"), ("303", None)]  # fmt: skip
    replicated = rows_of(entered, "SELECT json_extract(payload, '$.leg') FROM outbox"
                         " WHERE table_name = 'entrant' ORDER BY seq DESC LIMIT 1")  # fmt: skip
    assert replicated == [(None,)]  # bib 303's change, leg cleared, went to the outbox


@pytest.fixture
def box(entered: Path, tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    settings = Settings(db=entered, role_file=tmp_path / "reader.json")
    with TestClient(app=create_app(settings)) as client:
        yield client


def edit_form(bib: str, **changes: str) -> dict[str, str]:
    row = next(r.split(";") for r in ENTRANTS if r.startswith(f"{bib};"))
    values = {"event": SLUG, "last_name": row[1], "first_name": row[2], "team": row[3],
              "race": "RELAY", "leg": row[5]}  # fmt: skip
    return {**values, **changes}


def test_the_edit_page_offers_the_legs_and_checks_them(
    box: TestClient[Litestar], entered: Path
) -> None:
    page = box.get(f"/entrants/202/edit?event={SLUG}")
    assert page.status_code == 200
    assert '<option value="L2" selected>RELAY · L2</option>' in page.text
    for change, reason in (
        ({"leg": "L1"}, "team &#39;Les Comètes&#39; already has bib 201 on leg L1"),
        ({"team": "Les Étoiles"}, "team &#39;Les Étoiles&#39; already has bib 302 on leg L2"),
        ({"team": ""}, "race RELAY is a relay: the team is required"),
        ({"leg": ""}, "race RELAY is a relay: the leg is required (L1, L2, L3)"),
        ({"race": "5K", "leg": "L2"}, "leg &#39;L2&#39; given, but race 5K is not a relay"),
    ):
        refused = box.post("/entrants/202/edit", data=edit_form("202", **change))
        assert refused.status_code == 422, change
        assert reason in refused.text, change
    assert rows_of(entered, "SELECT team, leg FROM entrant WHERE bib = '202'") == [
        ("Les Comètes", "L2")
    ]
    # Into a new team: saved, replicated, and shown by the API.
    saved = box.post("/entrants/202/edit", data=edit_form("202", team="Les Nouveaux"),
                     follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303, saved.text
    assert rows_of(entered, "SELECT team, leg FROM entrant WHERE bib = '202'") == [
        ("Les Nouveaux", "L2")
    ]
    replicated = rows_of(entered, "SELECT json_extract(payload, '$.team'),"
                         " json_extract(payload, '$.leg') FROM outbox"
                         " WHERE table_name = 'entrant' ORDER BY seq DESC LIMIT 1")  # fmt: skip
    assert replicated == [("Les Nouveaux", "L2")]
    listed = box.get(f"/api/v1/events/{SLUG}/entrants?race=RELAY").json()
    assert {e["bib"]: e["leg"] for e in listed}["202"] == "L2"


def changes_after(db: Path, seq: int) -> list[dict[str, object]]:
    """The outbox after ``seq`` as central hands it back to a box being restored."""
    rows = rows_of(db, f"SELECT seq, table_name, op, row_id, payload FROM outbox WHERE seq > {seq}"
                   " ORDER BY seq")  # fmt: skip
    return [{"seq": s, "table": t, "op": o, "row_id": r, "payload": json.loads(str(p))}
            for s, t, o, r, p in rows]  # fmt: skip


def replayed(snapshot: Path, changes: list[dict[str, object]]) -> None:
    with closing(sqlite3.connect(snapshot)) as connection:
        replay_changes(connection, changes)
        connection.commit()


def test_a_restored_box_gets_its_runners_legs_back(entered: Path, tmp_path: Path) -> None:
    snapshot, older = tmp_path / "snapshot.db", tmp_path / "older.db"
    shutil.copy(entered, snapshot)
    shutil.copy(entered, older)
    with closing(sqlite3.connect(older)) as connection:  # a snapshot from before legs existed
        for trigger in ("outbox_entrant_insert", "outbox_entrant_update"):  # they name leg
            connection.execute(f"DROP TRIGGER {trigger}")
        connection.execute("ALTER TABLE entrant DROP COLUMN leg")
    seq = rows_of(entered, "SELECT max(seq) FROM outbox")[0][0]
    assert isinstance(seq, int)
    swap = entrants_file(tmp_path / "swap.csv", "201;Blanc;Paul;Les Comètes;RELAY;L3",
                         "203;Gris;Hugo;Les Comètes;RELAY;L1")  # fmt: skip
    chrono(entered, "entrants", "import", str(swap), "--event", SLUG)
    changes = changes_after(entered, seq)
    assert [c["payload"]["leg"] for c in changes] == ["L3", "L1"]  # type: ignore[index]

    replayed(snapshot, changes)
    query = "SELECT * FROM entrant ORDER BY bib"
    assert rows_of(snapshot, query) == rows_of(entered, query)
    assert rows_of(snapshot, "SELECT leg FROM entrant WHERE bib = '201'") == [("L3",)]
    replayed(older, changes)  # the older schema takes the changes, without their legs
    assert rows_of(older, "SELECT team FROM entrant WHERE bib = '203'") == [("Les Comètes",)]
