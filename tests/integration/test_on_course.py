"""On course, then DNF: the published results document and the exports on a real SQLite file.

The race is closed by loading the event again with a shorter cutoff, as an organiser
would, rather than by waiting for the real one.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from edge.cli import cli
from edge.services import live
from edge.services.exports import ExportRequest, ExportService
from edge.services.results_cache import ResultsCache
from edge.store.database import Database
from edge.sync.snapshots import unpacked_payload
from tests.liveevent import SLUG, write_started_event
from tests.syncbox import query

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MIN = dt.timedelta(minutes=1)


def chrono(db: Path, *args: str) -> None:
    done = CliRunner().invoke(cli, ["--db", str(db), *args])
    assert done.exit_code == 0, done.output


@pytest.fixture
def box(tmp_path: Path) -> tuple[Path, Path]:
    """A race started an hour ago: bib 2 finished, 4 passed KM5, 1 passed KM5 then was set DNF."""
    return started_box(tmp_path)


def started_box(tmp_path: Path) -> tuple[Path, Path]:
    """The ``box`` fixture's database and event file, made in ``tmp_path``."""
    db = tmp_path / "edge.db"
    event_file, w1 = write_started_event(tmp_path, 60)  # cutoff 2 h: open for another hour
    chrono(db, "db", "upgrade")
    chrono(db, "event", "load", str(event_file))
    chrono(db, "entrants", "import", str(ROOT / "docs/examples/entrants.csv"), "--event", SLUG)
    passings = tmp_path / "passings.csv"
    rows = [("FINISH", "2", 38), ("KM5", "4", 15), ("KM5", "1", 20)]
    lines = [f"{point},{bib},{(w1 + minutes * MIN).isoformat()}" for point, bib, minutes in rows]
    passings.write_text("\n".join(["point,bib,time", *lines]) + "\n")
    chrono(db, "passings", "import", str(passings), "--event", SLUG)
    chrono(db, "entrants", "set-status", "--event", SLUG, "--bib", "1", "DNF")
    return db, event_file


def close_the_race(db: Path, event_file: Path) -> None:
    """Load the event again with a 45 min cutoff: W2 started 50 min ago, so it is over."""
    text = event_file.read_text(encoding="utf-8").replace(
        'cutoff: "02:00:00"', 'cutoff: "00:45:00"'
    )
    event_file.write_text(text, encoding="utf-8")
    chrono(db, "event", "load", str(event_file))


def by_bib(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(row["bib"]): row for row in rows}


def published(db: Path) -> list[dict[str, Any]]:
    """Every results document the box queued for central, oldest first."""
    found = query(
        db, "SELECT payload FROM outbox WHERE table_name = 'results_snapshot' ORDER BY seq"
    )
    # Packed for the wire (edge.sync.snapshots): written out here to read the rows.
    return [unpacked_payload(json.loads(payload)) for (payload,) in found]


async def test_the_published_document_says_on_course_then_dnf(
    box: tuple[Path, Path], tmp_path: Path
) -> None:
    path, event_file = box
    database = Database(path)
    try:
        cache = ResultsCache(database, tmp_path / "cache")
        assert [c.race for c in await cache.refresh(SLUG)] == ["10K"]
        document = json.loads((tmp_path / "cache" / SLUG / "10K.json").read_text())
        rows = by_bib(document["rows"])
        assert [row["bib"] for row in document["rows"]][:3] == ["2", "4", "1"]
        assert rows["4"]["status"] == "ONC"
        assert rows["4"]["split_KM5"] == "0:15:00.0"  # its last split, no rank, no time
        assert (rows["4"]["rank"], rows["4"]["chip_time"]) == (None, None)
        assert (rows["1"]["status"], rows["1"]["split_KM5"]) == ("DNF", None)  # set by hand
        assert rows["3"]["status"] == "DNS"
        assert document["columns"].index("status") == 9  # the column contract is kept
        assert await cache.refresh(SLUG) == []  # nothing moved: nothing republished

        await asyncio.to_thread(close_the_race, path, event_file)
        assert [c.race for c in await cache.refresh(SLUG)] == ["10K"]
    finally:
        await database.close()
    first, last = published(path)
    assert by_bib(first["rows"])["4"]["status"] == "ONC"
    closed = by_bib(last["rows"])
    assert (closed["4"]["status"], closed["4"]["split_KM5"]) == ("DNF", None)
    assert closed["2"]["status"] == "FIN"
    assert last["columns"] == first["columns"]


async def nothing(percent: int, message: str) -> None:
    """Progress of an export made outside a job: nobody watches it."""


async def test_exports_carry_the_runners_on_course_with_their_split(
    box: tuple[Path, Path], tmp_path: Path
) -> None:
    path, event_file = box
    database = Database(path)
    exports = ExportService(database, tmp_path / "exports")
    try:
        made = await exports.produce(ExportRequest(SLUG, "10K", "scratch", "csv"), nothing)
        text = (tmp_path / "exports" / made.name).read_text(encoding="utf-8-sig")
        rows = by_bib(list(csv.DictReader(io.StringIO(text))))
        assert (rows["4"]["status"], rows["4"]["split_KM5"], rows["4"]["rank"]) == (
            "ONC",
            "0:15:00.0",
            "",
        )
        assert (rows["1"]["status"], rows["1"]["split_KM5"]) == ("DNF", "")

        made = await exports.produce(ExportRequest(SLUG, "10K", "scratch", "xlsx"), nothing)
        book = load_workbook(tmp_path / "exports" / made.name)
        sheet = list(book["Not classified"].iter_rows(values_only=True))
        heading, first = sheet[0], sheet[1]
        assert first[heading.index("Bib")] == "4"  # on course, before the DNF and the DNS
        assert first[heading.index("Status")] == "ONC"
        assert first[heading.index("KM5")] == "0:15:00.0"

        await asyncio.to_thread(close_the_race, path, event_file)
        made = await exports.produce(ExportRequest(SLUG, "10K", "scratch", "csv"), nothing)
        text = (tmp_path / "exports" / made.name).read_text(encoding="utf-8-sig")
        rows = by_bib(list(csv.DictReader(io.StringIO(text))))
        assert (rows["4"]["status"], rows["4"]["split_KM5"]) == ("DNF", "")
    finally:
        await database.close()


async def test_a_document_changed_on_disk_is_written_again(
    box: tuple[Path, Path], tmp_path: Path
) -> None:
    # The worker remembers the digest of what it wrote rather than parsing the document
    # at every refresh: a file replaced or damaged since is still noticed and rewritten.
    path, _ = box
    document = tmp_path / "cache" / SLUG / "10K.json"
    database = Database(path)
    try:
        cache = ResultsCache(database, tmp_path / "cache")
        assert [c.race for c in await cache.refresh(SLUG)] == ["10K"]
        assert await cache.refresh(SLUG) == []
        good = document.read_text()
        document.write_text(good[: len(good) // 2])  # cut short
        assert [c.race for c in await cache.refresh(SLUG)] == ["10K"]
        assert json.loads(document.read_text())["rows"] == json.loads(good)["rows"]
        document.unlink()
        assert [c.race for c in await cache.refresh(SLUG)] == ["10K"]
        assert await cache.refresh(SLUG) == []
    finally:
        await database.close()


async def test_a_race_closed_by_a_new_event_file_shows_on_the_live_pages(
    box: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Loading the event file again writes no outbox row: the version of the results does
    # not move, yet serve's race kept in memory must take the new cutoff.
    monkeypatch.setattr(live, "DEFINITION_CHECK_S", 0.0)
    path, event_file = box
    database = Database(path)
    try:
        results = live.LiveResults(database)
        before = await results.sheet(SLUG, "10K")
        assert {r.entrant.bib: r.status.value for r in before.results}["4"] == "ONC"
        version = await results.watch.version()
        await asyncio.to_thread(close_the_race, path, event_file)
        assert await results.watch.version() == version
        after = await results.sheet(SLUG, "10K")
        assert {r.entrant.bib: r.status.value for r in after.results}["4"] == "DNF"
    finally:
        await database.close()
