"""The backup line on a real SQLite file: backup timers' files through the command line,
merged with the chip passings, the review list settled by corrections, one transaction."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.cli import cli
from edge.services.backup_review import BackupReviewService
from edge.services.corrections import CorrectionService
from edge.services.passings import PassingService
from edge.store.database import Database
from tests.syncbox import SLUG, crossing, load_box, query, record

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CSV = ROOT / "tests/fixtures/csv"
ENTRANTS = ROOT / "docs/examples/entrants.csv"
SECOND = 1_000_000
# 2026-04-12 in Paris (+02:00): W1 (bibs 1, 2, 6) started 09:30, W2 (3, 4, 5) 09:40.
TEN_AM = 1_775_980_800_000_000  # 10:00:00+02:00
CHIP = {  # the chip line's finish of each bib (bib 3 was not read)
    "1": TEN_AM + (10 * 60 + 5) * SECOND + 500_000,  # backup 10:10:05,6: agrees
    "2": TEN_AM + 12 * 60 * SECOND,  # backup 10:12:03,2: 3.2 s apart, to review
    "6": TEN_AM + 15 * 60 * SECOND + 500_000,  # backup 10:14:59,9: agrees (0.6 s)
}


def chrono(db: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def tables(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the tables an import may write (the outbox too)."""
    with closing(sqlite3.connect(db)) as connection:
        return {
            name: sorted(connection.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
            for name in ("passing", "correction", "outbox")
        }


def results(db: Path) -> dict[str, dict[str, str]]:
    rows = json.loads(chrono(db, "results", "export", "--event", SLUG, "--race", "10K",
                             "--format", "json"))  # fmt: skip
    return {row["bib"]: row for row in rows}


@pytest.fixture
def raced(tmp_path: Path) -> Path:
    """The example event, its entrants, and the chip line's finishes of bibs 1, 2 and 6."""
    db = load_box(tmp_path / "edge.db")
    chrono(db, "entrants", "import", str(ENTRANTS), "--event", SLUG)
    for bib, peak in CHIP.items():
        record(db, "FINISH", crossing(f"E2801160600002000000A00{bib}", peak), "box")
    chrono(db, "passings", "rebuild", "--event", SLUG, "--point", "FINISH")
    stored = query(db, "SELECT time_us FROM passing WHERE method = 'quadreg' ORDER BY time_us")
    assert [t for (t,) in stored] == sorted(CHIP.values())
    return db


def test_a_backup_file_fills_confirms_and_sends_the_rest_to_review(raced: Path) -> None:
    out = chrono(raced, "passings", "import", str(CSV / "backup-fr-cp1252.csv"),
                 "--event", SLUG, "--point", "FINISH")  # fmt: skip
    assert "4 added, 0 already present" in out
    assert "1 fill missing passings, 2 confirm stored ones, 1 differ by more than 1 s" in out
    by_bib = {row["bib"]: row for row in results(raced).values()}
    assert by_bib["1"]["chip_time"] == "0:40:05.5"  # the chip stands, 10:10:05,6 only confirms
    assert by_bib["2"]["chip_time"] == "0:42:00.0"  # the chip stands until someone chooses
    assert by_bib["3"]["chip_time"] == "0:40:00.3"  # filled: 10:20:00,3 after W2's 09:40
    assert by_bib["6"]["chip_time"] == "0:45:00.5"
    exported = json.loads(chrono(raced, "passings", "export", "--event", SLUG, "--format", "json"))
    backup = {(r["bib"], r["status"]) for r in exported if r["method"] == "import"}
    assert backup == {("1", "confirms"), ("2", "review"), ("3", "valid"), ("6", "confirms")}

    review = json.loads(chrono(raced, "passings", "review", "--event", SLUG, "--format", "json"))
    assert [(r["bib"], r["point"], r["chip_time"], r["backup_time"], r["difference_s"])
            for r in review] == [("2", "FINISH", "10:12:00.0", "10:12:03.2", 3.2)]  # fmt: skip
    out = chrono(raced, "passings", "choose", review[0]["backup_id"], "backup", "--event", SLUG,
                 "--reason", "photo finish", "--by", "Anne")  # fmt: skip
    assert "bib 2, the backup time stands" in out
    assert results(raced)["2"]["chip_time"] == "0:42:03.2"
    assert chrono(raced, "passings", "review", "--event", SLUG, "--format", "json") == "[]\n"
    settled = query(raced, "SELECT kind, bib, status, reason, created_by FROM correction")
    assert settled == [("choose", "2", "backup", "photo finish", "Anne")]
    # Nothing of the chip line was touched: both passings are kept as they came.
    assert query(raced, "SELECT count(*) FROM passing WHERE bib = '2' OR epc LIKE '%A002'") == [
        (2,)
    ]


def test_importing_the_same_file_twice_changes_nothing(raced: Path) -> None:
    path = str(CSV / "backup-fr-cp1252.csv")
    chrono(raced, "passings", "import", path, "--event", SLUG, "--point", "FINISH")
    before = tables(raced)
    out = chrono(raced, "passings", "import", path, "--event", SLUG, "--point", "FINISH")
    assert "0 added, 4 already present" in out
    assert tables(raced) == before
    # The same passings written in another file's shape are the same passings.
    out = chrono(raced, "passings", "import", str(CSV / "backup-point-column.csv"), "--event",
                 SLUG)  # fmt: skip
    assert "2 added, 2 already present" in out  # KM5 is new, the FINISH rows are not


def test_a_bad_line_imports_nothing_and_is_named(raced: Path) -> None:
    before = tables(raced)
    out = chrono(raced, "passings", "import", str(CSV / "backup-bad-lines.csv"), "--event", SLUG,
                 "--point", "FINISH", code=65)  # fmt: skip
    assert "6 problems in the passings file; nothing was imported" in out
    assert "line 3: bib 2: '10h12' is neither a time of day" in out
    assert "line 8: bib 6: 3 cells for 2 columns" in out
    assert tables(raced) == before


def test_the_tolerance_is_an_option(raced: Path) -> None:
    out = chrono(raced, "passings", "import", str(CSV / "backup-fr-cp1252.csv"), "--event", SLUG,
                 "--point", "FINISH", "--tolerance", "5")  # fmt: skip
    assert "1 fill missing passings, 3 confirm stored ones, 0 differ by more than 5 s" in out


def test_the_tolerance_setting_is_the_default(raced: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from edge.settings import get_settings

    monkeypatch.setenv("CHRONO_EDGE_BACKUP_TOLERANCE_S", "0.5")
    get_settings.cache_clear()
    try:
        out = chrono(raced, "passings", "import", str(CSV / "backup-fr-cp1252.csv"), "--event",
                     SLUG, "--point", "FINISH")  # fmt: skip
    finally:
        get_settings.cache_clear()
    assert "1 fill missing passings, 1 confirm stored ones, 2 differ by more than 0.5 s" in out


async def test_undoing_a_choice_puts_the_pair_back_in_review(raced: Path) -> None:
    data = (CSV / "backup-en-tab.csv").read_bytes()
    db = Database(raced)
    try:
        report = await PassingService(db).import_csv(SLUG, data, point="FINISH")
        assert (report.fills, report.confirms, report.review) == (1, 1, 1)
        reviews = BackupReviewService(db)
        [pair] = await reviews.review_list(SLUG)
        assert (pair.bib, pair.difference_us) == ("2", 3_210_000)
        from edge.services.corrections import CorrectionRequest

        request = CorrectionRequest(kind="choose", passing_id=pair.backup_id, status="chip")
        choice = await CorrectionService(db).apply(SLUG, request, "Anne")
        assert await reviews.review_list(SLUG) == []
        await CorrectionService(db).undo(SLUG, choice.id, "Bob")
        assert [p.backup_id for p in await reviews.review_list(SLUG)] == [pair.backup_id]
        kept = await CorrectionService(db).list_corrections(SLUG)
        assert [(c.kind, c.active, c.created_by, c.undone_by) for c in kept] == [
            ("choose", False, "Anne", "Bob")
        ]
    finally:
        await db.close()


def test_the_outbox_carries_the_backup_passing_and_its_pair(raced: Path) -> None:
    chrono(raced, "passings", "import", str(CSV / "backup-fr-cp1252.csv"), "--event", SLUG,
           "--point", "FINISH")  # fmt: skip
    payloads = [
        json.loads(p)
        for (p,) in query(raced, "SELECT payload FROM outbox WHERE table_name = 'passing'")
    ]
    backup = {p["bib"]: p for p in payloads if p["method"] == "import"}
    chip_ids = {p["id"] for p in payloads if p["method"] == "quadreg"}
    assert backup["2"]["status"] == "review"
    assert backup["2"]["pair_id"] in chip_ids
    assert backup["3"]["status"] == "valid"
    assert backup["3"]["pair_id"] is None


def test_after_midnight_an_evening_race_keeps_its_night(tmp_path: Path) -> None:
    event = tmp_path / "night.yaml"
    event.write_text(
        """slug: night-trail
name: "Night trail"
date: 2026-06-20
timezone: Europe/Paris
timing_points:
  - {code: START, kind: start, distance_m: 0}
  - {code: FINISH, kind: finish, distance_m: 30000}
races:
  - code: T30
    name: "30 km by night"
    timing: gun
    points: [START, FINISH]
    waves:
      - {code: W, start: "2026-06-20T21:00:00+02:00"}
""",
        encoding="utf-8",
    )
    entrants = tmp_path / "entrants.csv"
    entrants.write_text("bib,last name,first name,sex,birth year,race\n"
                        "1,Nuit,Anne,F,1990,T30\n2,Nuit,Paul,M,1985,T30\n")  # fmt: skip
    backup = tmp_path / "backup.csv"
    backup.write_text("dossard;heure\n1;23:58:10,4\n2;02:45:10,5\n", encoding="utf-8")
    db = tmp_path / "edge.db"
    chrono(db, "db", "upgrade")
    chrono(db, "event", "load", str(event))
    chrono(db, "entrants", "import", str(entrants), "--event", "night-trail")
    chrono(db, "passings", "import", str(backup), "--event", "night-trail", "--point", "FINISH")
    rows = json.loads(chrono(db, "results", "export", "--event", "night-trail", "--race", "T30",
                             "--format", "json"))  # fmt: skip
    assert {r["bib"]: r["gun_time"] for r in rows} == {"1": "2:58:10.4", "2": "5:45:10.5"}


_BIBS = st.sampled_from(["1", "2", "3", "5", "6", "006", "77"])
_CLOCK = st.tuples(st.integers(10, 10), st.integers(0, 40), st.integers(0, 59),
                   st.integers(0, 99))  # fmt: skip


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(_BIBS, _CLOCK), min_size=1, max_size=12),
    delimiter=st.sampled_from([";", ",", "\t"]),
    french=st.booleans(),
)
def test_property_importing_a_backup_file_twice_changes_nothing(
    raced: Path, rows: list[tuple[str, tuple[int, int, int, int]]], delimiter: str, french: bool
) -> None:
    comma = "," if delimiter != "," else "."
    header = delimiter.join(("Dossard", "Heure") if french else ("bib", "time"))
    lines = [f"{bib}{delimiter}{h}:{m:02d}:{s:02d}{comma}{f:02d}" for bib, (h, m, s, f) in rows]
    data = "\n".join([header, *lines]).encode()

    async def twice() -> tuple[int, int]:
        db = Database(raced)
        try:
            service = PassingService(db)
            await service.import_csv(SLUG, data, point="FINISH")
            before = tables(raced)
            again = await service.import_csv(SLUG, data, point="FINISH")
            assert tables(raced) == before
            return again.added, again.already_present
        finally:
            await db.close()

    added, present = asyncio.run(twice())
    assert added == 0
    assert present == len({(bib.lstrip("0"), clock) for bib, clock in rows})
