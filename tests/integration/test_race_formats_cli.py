"""Lap, timed and multisport races through the command line: load, import, export (issue 19)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.integration.test_cli_flow import chrono

EVENT = """\
slug: formats
name: Formats
date: 2026-06-07
timezone: UTC
timing_points:
  - {code: START, kind: start}
  - {code: T1_IN, kind: split}
  - {code: T1_OUT, kind: split}
  - {code: FINISH, kind: finish}
races:
  - code: CRIT
    name: Criterium
    format: laps
    laps: 3
    min_lap: "00:01:30"
    cutoff: "01:00:00"
    points: [FINISH]
    waves: [{code: C, start: "2026-06-07T08:00:00Z"}]
  - code: 1H
    name: One hour
    format: timed
    duration: "01:00:00"
    lap_distance_m: 1250
    min_lap: "00:03:00"
    points: [FINISH]
    waves: [{code: H, start: "2026-06-07T10:00:00Z"}]
  - code: DUO
    name: Duathlon
    points: [START, T1_IN, T1_OUT, FINISH]
    waves: [{code: D, start: "2026-06-07T12:00:00Z"}]
    segments:
      - {code: RUN1, from: START, to: T1_IN}
      - {code: T1, from: T1_IN, to: T1_OUT}
      - {code: BIKE, from: T1_OUT, to: FINISH}
"""
ENTRANTS = """\
bib,last_name,first_name,sex,race
1,Anquetil,Jacques,M,CRIT
2,Longo,Jeannie,F,CRIT
3,Hinault,Bernard,M,CRIT
11,Merckx,Eddy,M,1H
12,Pooley,Emma,F,1H
13,Ocana,Luis,M,1H
21,Riner,Teddy,M,DUO
22,Ferrand,Lea,F,DUO
"""
PASSINGS = """\
point,bib,time
FINISH,1,2026-06-07T08:00:40Z
FINISH,1,2026-06-07T08:01:45.06Z
FINISH,1,2026-06-07T08:01:52Z
FINISH,1,2026-06-07T08:03:30Z
FINISH,1,2026-06-07T08:05:20.5Z
FINISH,2,2026-06-07T08:01:40Z
FINISH,2,2026-06-07T08:03:30Z
FINISH,2,2026-06-07T08:05:10Z
FINISH,3,2026-06-07T08:01:50Z
FINISH,3,2026-06-07T08:03:40Z
FINISH,11,2026-06-07T10:20:00Z
FINISH,11,2026-06-07T10:40:00Z
FINISH,11,2026-06-07T10:59:00Z
FINISH,11,2026-06-07T11:02:00Z
FINISH,12,2026-06-07T10:19:00Z
FINISH,12,2026-06-07T10:38:00Z
FINISH,12,2026-06-07T10:58:00Z
FINISH,13,2026-06-07T10:01:00Z
START,21,2026-06-07T12:00:05Z
T1_IN,21,2026-06-07T12:20:05.99Z
T1_OUT,21,2026-06-07T12:21:35Z
FINISH,21,2026-06-07T13:21:35Z
START,22,2026-06-07T12:00:02Z
T1_OUT,22,2026-06-07T12:22:02Z
FINISH,22,2026-06-07T13:20:02Z
"""


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    db = tmp_path / "edge.db"
    files = {"event.yaml": EVENT, "entrants.csv": ENTRANTS, "passings.csv": PASSINGS}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    chrono(db, "db", "upgrade")
    chrono(db, "event", "load", str(tmp_path / "event.yaml"))
    chrono(db, "entrants", "import", str(tmp_path / "entrants.csv"), "--event", "formats")
    chrono(db, "passings", "import", str(tmp_path / "passings.csv"), "--event", "formats")
    return db


def export(db: Path, race: str) -> list[dict[str, str]]:
    text = chrono(db, "results", "export", "--event", "formats", "--race", race, "--format", "csv")
    return list(csv.DictReader(io.StringIO(text)))


def test_a_laps_race_exports_its_laps(loaded: Path) -> None:
    rows = export(loaded, "CRIT")
    assert list(rows[0])[-4:] == ["laps", "lap_1", "lap_2", "lap_3"]
    cells = [(r["rank"], r["bib"], r["status"], r["gun_time"], r["laps"]) for r in rows]
    assert cells == [
        ("1", "2", "FIN", "0:05:10.0", "3"),
        ("2", "1", "FIN", "0:05:20.5", "3"),
        ("", "3", "DNF", "", "2"),
    ]
    # Bib 1: 40 s is within min_lap of the start, 1:52 is a bounce of 1:45.06.
    first = rows[1]
    assert (first["lap_1"], first["lap_2"], first["lap_3"]) == (
        "0:01:45.0",
        "0:01:44.9",
        "0:01:50.5",
    )
    assert (rows[2]["lap_1"], rows[2]["lap_2"], rows[2]["lap_3"]) == ("0:01:50.0", "0:01:50.0", "")


def test_a_timed_race_ranks_by_laps_then_last_lap(loaded: Path) -> None:
    rows = export(loaded, "1H")
    cells = [
        (r["rank"], r["bib"], r["status"], r["laps"], r["distance_m"], r["gun_time"]) for r in rows
    ]
    assert cells == [
        ("1", "12", "FIN", "3", "3750", "0:58:00.0"),
        ("2", "11", "FIN", "3", "3750", "0:59:00.0"),  # 11:02 is after the hour
        ("", "13", "DNF", "0", "0", ""),  # seen at 10:01, within the first minimum lap
    ]


def test_a_duathlon_exports_its_segments_and_keeps_the_total_over_a_missed_mat(
    loaded: Path,
) -> None:
    rows = {r["bib"]: r for r in export(loaded, "DUO")}
    assert (rows["21"]["seg_RUN1"], rows["21"]["seg_T1"], rows["21"]["seg_BIKE"]) == (
        "0:20:00.9",
        "0:01:29.0",
        "1:00:00.0",
    )
    # 22's T1_IN mat missed: RUN1 and T1 are empty, the bike and the total stand.
    assert (rows["22"]["seg_RUN1"], rows["22"]["seg_T1"], rows["22"]["seg_BIKE"]) == (
        "",
        "",
        "0:58:00.0",
    )
    assert (rows["22"]["rank"], rows["22"]["chip_time"]) == ("1", "1:20:00.0")


def test_json_export_carries_the_same_columns(loaded: Path) -> None:
    text = chrono(
        loaded, "results", "export", "--event", "formats", "--race", "CRIT", "--format", "json"
    )
    first = json.loads(text)[0]
    assert (first["laps"], first["lap_3"]) == (3, "0:01:40.0")


def test_changing_a_races_format_is_reported_on_reload(loaded: Path, tmp_path: Path) -> None:
    edited = tmp_path / "edited.yaml"
    edited.write_text(EVENT.replace("laps: 3\n", "laps: 4\n"))
    out = json.loads(chrono(loaded, "event", "load", str(edited), "--json"))
    assert len(out["changes"]) == 1
    assert out["changes"][0].startswith("race CRIT: format_rules")
    assert export(loaded, "CRIT")[0]["status"] == "DNF"  # nobody did 4 laps
