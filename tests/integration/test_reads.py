"""Raw reads on a real SQLite file: reader-log import, passings derived and rebuilt."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from edge.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SLUG = "spring-10k-2026"
W1_US = 1_775_979_000_000_000  # 2026-04-12T09:30:00+02:00
TAG_BIB1 = "E2801160600002000000A001"  # docs/examples/entrants.csv: bib 1
TAG_BIB2 = "E2801160600002000000A002"


def chrono(db: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def parabola_pass(epc: str, peak_us: int, antenna: int = 1) -> list[str]:
    """Reads every 50 ms for ±0.5 s around ``peak_us``, RSSI falling 8 dB at the edges."""
    rows = []
    for step in range(-10, 11):
        t = peak_us + step * 50_000
        rssi = -50 - 8 * (step / 10) ** 2
        rows.append(f"{epc},{antenna},{rssi:.1f},{t}")
    return rows


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    db = tmp_path / "edge.db"
    chrono(db, "event", "load", str(ROOT / "docs/examples/spring-10k.yaml"))
    chrono(db, "entrants", "import", str(ROOT / "docs/examples/entrants.csv"), "--event", SLUG)
    return db


def write_log(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "reader.csv"
    path.write_text("epc,antenna,rssi,timestamp_us\n" + "\n".join(rows) + "\n")
    return path


def test_reader_log_import_is_idempotent_and_derives_passings(loaded: Path, tmp_path: Path) -> None:
    finish1 = W1_US + 40 * 60_000_000 + 123_456
    finish2 = W1_US + 41 * 60_000_000
    log = write_log(tmp_path, parabola_pass(TAG_BIB1, finish1) + parabola_pass(TAG_BIB2, finish2))
    args = ("reads", "import", str(log), "--event", SLUG, "--point", "FINISH")
    out = chrono(loaded, *args)
    assert "42 reads added, 0 already present" in out
    assert "FINISH: 2 passings (2 added, 0 removed)" in out
    out = chrono(loaded, *args)
    assert "0 reads added, 42 already present" in out
    assert "FINISH: 2 passings (0 added, 0 removed)" in out
    with sqlite3.connect(loaded) as conn:
        assert conn.execute("select count(*) from tag_read").fetchone()[0] == 42
        assert conn.execute("select count(*) from passing").fetchone()[0] == 2

    exported = chrono(loaded, "passings", "export", "--event", SLUG, "--point", "finish")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [(r["bib"], r["epc"], r["method"], r["reads"]) for r in rows] == [
        ("1", TAG_BIB1, "quadreg", "21"),
        ("2", TAG_BIB2, "quadreg", "21"),
    ]
    assert abs(int(rows[0]["timestamp_us"]) - finish1) < 1_000

    results = chrono(loaded, "results", "export", "--event", SLUG, "--race", "10K")
    first = next(iter(csv.DictReader(io.StringIO(results))))
    assert (first["bib"], first["status"], first["gun_time"]) == ("1", "FIN", "0:40:00.1")


def test_rebuild_with_another_method_replaces_only_derived_passings(
    loaded: Path, tmp_path: Path
) -> None:
    peak = W1_US + 40 * 60_000_000
    chrono(
        loaded,
        *("reads", "import", str(write_log(tmp_path, parabola_pass(TAG_BIB1, peak)))),
        *("--event", SLUG, "--point", "FINISH"),
    )
    chrono(loaded, "passings", "add", "--event", SLUG, "--point", "FINISH", "--bib", "2",
           "--time", "2026-04-12T10:15:00+02:00")  # fmt: skip
    out = chrono(loaded, "passings", "rebuild", "--event", SLUG, "--point", "FINISH",
                 "--method", "first")  # fmt: skip
    assert "FINISH: 21 reads -> 1 passings (1 added, 1 removed)" in out
    rows = list(csv.DictReader(io.StringIO(chrono(loaded, "passings", "export", "--event", SLUG))))
    assert sorted((r["bib"], r["method"]) for r in rows) == [("1", "first"), ("2", "manual")]
    assert int(next(r for r in rows if r["bib"] == "1")["timestamp_us"]) == peak - 500_000


def test_bad_reader_log_imports_nothing(loaded: Path, tmp_path: Path) -> None:
    log = write_log(tmp_path, [f"{TAG_BIB1},1,-50,{W1_US}", "ZZZ,1,-50,12", f"{TAG_BIB1},x,-50,1"])
    out = chrono(loaded, "reads", "import", str(log), "--event", SLUG, "--point", "FINISH", code=65)
    assert "line 3" in out
    assert "line 4" in out
    with sqlite3.connect(loaded) as conn:
        assert conn.execute("select count(*) from tag_read").fetchone()[0] == 0


def test_passings_follow_the_crossing_settings_of_the_event_file(tmp_path: Path) -> None:
    db = tmp_path / "edge.db"
    event = (ROOT / "docs/examples/spring-10k.yaml").read_text(encoding="utf-8")
    finish = "  - {code: FINISH, kind: finish, distance_m: 10000}\n"
    assert finish in event
    custom = finish.replace("}", ", crossing: {method: first, repeat_window_s: 120}}")
    (tmp_path / "event.yaml").write_text(event.replace(finish, custom), encoding="utf-8")
    chrono(db, "event", "load", str(tmp_path / "event.yaml"))
    peak = W1_US + 40 * 60_000_000
    # Two passes of the same tag 60 s apart: inside FINISH's 120 s repeat window.
    log = parabola_pass(TAG_BIB1, peak) + parabola_pass(TAG_BIB1, peak + 60_000_000)
    chrono(db, "reads", "import", str(write_log(tmp_path, log)), "--event", SLUG,
           "--point", "FINISH")  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(chrono(db, "passings", "export", "--event", SLUG))))
    assert [(r["method"], int(r["timestamp_us"])) for r in rows] == [("first", peak - 500_000)]
    # The same reads at KM5 (no crossing: key) use the defaults: quadreg, 3 s window.
    chrono(db, "reads", "import", str(write_log(tmp_path, log)), "--event", SLUG,
           "--point", "KM5")  # fmt: skip
    out = chrono(db, "passings", "export", "--event", SLUG, "--point", "KM5")
    km5 = list(csv.DictReader(io.StringIO(out)))
    assert [r["method"] for r in km5] == ["quadreg", "quadreg"]
    assert abs(int(km5[0]["timestamp_us"]) - peak) < 20_000
