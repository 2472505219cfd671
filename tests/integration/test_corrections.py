"""Corrections on a real database: results change, undo restores them, bad input writes nothing."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from edge.backup.replay import replay_changes
from edge.domain import ManualStatus, PassingMethod
from edge.domain.clock import parse_instant
from edge.errors import Conflict, InvalidInput, NotFound
from edge.imports.eventfile import load_event_file
from edge.services.corrections import CorrectionRequest, CorrectionService
from edge.services.entrants import EntrantService
from edge.services.events import EventService
from edge.services.passings import NewPassing, PassingService
from edge.services.reads import ReadService
from edge.services.results import ResultService
from edge.services.results_cache import ResultsCache
from edge.store.database import Database
from edge.store.reads import ReadIn, connect, record_reads
from edge.sync.apply import InboxService
from edge.sync.protocol import BatchIn, ChangeIn
from edge.timing.crossing import CrossingSettings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SLUG = "spring-10k-2026"
TAG_1 = "E2801160600002000000A001"


async def _loaded(db: Database) -> None:
    await EventService(db).load(load_event_file(ROOT / "docs/examples/spring-10k.yaml"))
    data = (ROOT / "docs/examples/entrants.csv").read_bytes()
    await EntrantService(db).import_csv(SLUG, data)
    passings = PassingService(db)
    for bib, clock in (("1", "10:10:00"), ("2", "10:05:00")):
        at = parse_instant(f"2026-04-12T{clock}+02:00")
        await passings.record(SLUG, NewPassing("FINISH", bib, at), method=PassingMethod.MANUAL)


async def _standing(db: Database) -> dict[str, tuple[str, int | None]]:
    """bib -> (status, rank) of the 10K."""
    sheet = await ResultService(db).race_sheet(SLUG, "10K")
    return {r.entrant.bib: (r.status.value, r.rank) for r in sheet.results}


async def _finish_of(db: Database, bib: str) -> str:
    found = await PassingService(db).list_passings(SLUG, point="FINISH", bib=bib)
    return found[0][0].id


def _count(path: Path, query: str) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute(query).fetchone()[0])


async def test_ignore_and_move_change_results_and_undo_restores_them(database: Database) -> None:
    await _loaded(database)
    before = await _standing(database)
    assert before["2"] == ("FIN", 1)
    assert before["1"] == ("FIN", 2)
    corrections = CorrectionService(database)

    ignored = await corrections.apply(
        SLUG, CorrectionRequest("ignore", passing_id=await _finish_of(database, "2")), "Ana"
    )
    after = await _standing(database)
    assert after["1"] == ("FIN", 1)
    assert after["2"][0] == "DNS"
    assert ignored.created_by == "Ana"
    assert ignored.active

    undone = await corrections.undo(SLUG, ignored.id, "Bob")
    assert (undone.active, undone.undone_by) == (False, "Bob")
    assert await _standing(database) == before

    moved = await corrections.apply(
        SLUG,
        CorrectionRequest("move", passing_id=await _finish_of(database, "1"), time="10:00:00.5"),
        "",
    )
    assert moved.created_by == "operator"
    assert moved.time == "10:00:00.5"
    assert (await _standing(database))["1"] == ("FIN", 1)
    await corrections.undo(SLUG, moved.id, "")
    assert await _standing(database) == before
    # Nothing was deleted: both corrections are kept, marked undone.
    assert [c.active for c in await corrections.list_corrections(SLUG)] == [False, False]


async def test_added_passing_and_statuses_keep_what_was_typed(database: Database) -> None:
    await _loaded(database)
    corrections = CorrectionService(database)
    added = await corrections.apply(
        SLUG, CorrectionRequest("add", bib="4", point="finish", time="10:20:00"), "Ana"
    )
    assert (await _standing(database))["4"] == ("FIN", 3)
    await corrections.undo(SLUG, added.id, "Ana")
    assert (await _standing(database))["4"][0] == "DNS"

    # A DNF typed on the entrant itself is overridden while a correction says otherwise.
    await EntrantService(database).set_manual_status(SLUG, "2", ManualStatus.DNF)
    assert (await _standing(database))["2"][0] == "DNF"
    cleared = await corrections.apply(
        SLUG, CorrectionRequest("status", bib="2", status=None, reason="timing error"), "Ana"
    )
    assert (await _standing(database))["2"] == ("FIN", 1)
    dsq = await corrections.apply(
        SLUG, CorrectionRequest("status", bib="2", status="dsq", reason="cut the course"), "Ana"
    )
    assert (await _standing(database))["2"][0] == "DSQ"
    await corrections.undo(SLUG, dsq.id, "Ana")
    assert (await _standing(database))["2"] == ("FIN", 1)
    await corrections.undo(SLUG, cleared.id, "Ana")
    assert (await _standing(database))["2"][0] == "DNF"  # the typed status is back


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        (CorrectionRequest("ignore", passing_id="no-such-passing"), NotFound),
        (CorrectionRequest("move", passing_id="no-such-passing", time="10:00:00"), NotFound),
        (CorrectionRequest("add", bib="999", point="FINISH", time="10:00:00"), NotFound),
        (CorrectionRequest("add", bib="1", point="NOWHERE", time="10:00:00"), NotFound),
        (CorrectionRequest("add", bib="1", point="FINISH", time="ten past ten"), InvalidInput),
        (CorrectionRequest("add", bib="1", point="FINISH", time="25:00:00"), InvalidInput),
        (CorrectionRequest("status", bib="1", status="DSQ"), InvalidInput),  # no reason
        (CorrectionRequest("status", bib="1", status="LATE", reason="x"), InvalidInput),
        (CorrectionRequest("teleport", bib="1"), InvalidInput),
    ],
)
async def test_bad_input_is_refused_and_writes_nothing(
    database: Database, db_path: Path, request_: CorrectionRequest, error: type[Exception]
) -> None:
    await _loaded(database)
    outbox = _count(db_path, "SELECT count(*) FROM outbox")
    with pytest.raises(error):
        await CorrectionService(database).apply(SLUG, request_, "Ana")
    assert _count(db_path, "SELECT count(*) FROM correction") == 0
    assert _count(db_path, "SELECT count(*) FROM outbox") == outbox


async def test_twice_is_a_conflict(database: Database, db_path: Path) -> None:
    await _loaded(database)
    corrections = CorrectionService(database)
    target = await _finish_of(database, "1")
    ignored = await corrections.apply(SLUG, CorrectionRequest("ignore", passing_id=target), "A")
    with pytest.raises(Conflict):
        await corrections.apply(SLUG, CorrectionRequest("ignore", passing_id=target), "A")
    await corrections.undo(SLUG, ignored.id, "A")
    with pytest.raises(Conflict):
        await corrections.undo(SLUG, ignored.id, "A")
    with pytest.raises(NotFound):
        await corrections.undo(SLUG, "no-such-correction", "A")
    assert _count(db_path, "SELECT count(*) FROM correction") == 1


async def test_an_ignore_follows_a_passing_recomputed_from_its_reads(
    database: Database, db_path: Path
) -> None:
    await EventService(database).load(load_event_file(ROOT / "docs/examples/spring-10k.yaml"))
    await EntrantService(database).import_csv(
        SLUG, (ROOT / "docs/examples/entrants.csv").read_bytes()
    )
    crossing = parse_instant("2026-04-12T10:10:00+02:00")
    connection = connect(db_path)
    try:
        event_id, point_id = connection.execute(
            "SELECT event_id, id FROM timing_point WHERE code = 'FINISH'"
        ).fetchone()
        rssi = [-70, -62, -55, -50, -53, -60, -68]
        reads = [ReadIn(TAG_1, 1, r, crossing + i * 100_000, crossing + i * 100_000)
                 for i, r in enumerate(rssi)]  # fmt: skip
        record_reads(connection, event_id, point_id, reads)
    finally:
        connection.close()
    reads_service = ReadService(database)
    await reads_service.rebuild(SLUG, "FINISH")
    assert (await _standing(database))["1"][0] == "FIN"
    first = await _finish_of_tag(database)
    await CorrectionService(database).apply(
        SLUG, CorrectionRequest("ignore", passing_id=first), "Ana"
    )
    assert (await _standing(database))["1"][0] == "DNS"
    # Another crossing method gives the same crossing another time, hence another id.
    report = await reads_service.rebuild(SLUG, "FINISH", settings=CrossingSettings(method="first"))
    assert report[0].added == 1
    assert report[0].removed == 1
    assert await _finish_of_tag(database) != first
    assert (await _standing(database))["1"][0] == "DNS"


async def _finish_of_tag(db: Database) -> str:
    rows = await PassingService(db).list_passings(SLUG, point="FINISH")
    return next(p.id for p, _ in rows if p.epc == TAG_1)


async def test_live_results_cache_follows_corrections(database: Database, tmp_path: Path) -> None:
    await _loaded(database)
    cache = ResultsCache(database, tmp_path / "cache")
    await cache.refresh(SLUG)
    document = tmp_path / "cache" / SLUG / "10K.json"
    original = json.loads(document.read_text())["rows"]
    corrections = CorrectionService(database)
    ignored = await corrections.apply(
        SLUG, CorrectionRequest("ignore", passing_id=await _finish_of(database, "2")), "Ana"
    )
    assert [c.race for c in await cache.refresh(SLUG)] == ["10K"]
    corrected = json.loads(document.read_text())["rows"]
    assert corrected != original
    await corrections.undo(SLUG, ignored.id, "Ana")
    assert [c.race for c in await cache.refresh(SLUG)] == ["10K"]
    assert json.loads(document.read_text())["rows"] == original


async def test_corrections_replay_onto_a_snapshot_and_a_slave_batch_is_only_acknowledged(
    database: Database, db_path: Path, tmp_path: Path
) -> None:
    await _loaded(database)
    snapshot = tmp_path / "snapshot.db"
    await database.close()
    shutil.copy(db_path, snapshot)
    seq = _count(db_path, "SELECT coalesce(max(seq), 0) FROM outbox")
    corrections = CorrectionService(database)
    ignored = await corrections.apply(
        SLUG, CorrectionRequest("ignore", passing_id=await _finish_of(database, "2")), "Ana"
    )
    await corrections.apply(
        SLUG, CorrectionRequest("add", bib="4", point="FINISH", time="10:20:00"), "Ana"
    )
    await corrections.undo(SLUG, ignored.id, "Bob")
    with sqlite3.connect(db_path) as connection:
        rows = connection.execute(
            "SELECT seq, table_name, op, row_id, payload FROM outbox WHERE seq > ? ORDER BY seq",
            [seq],
        ).fetchall()
    changes = [{"seq": s, "table": t, "op": o, "row_id": r, "payload": json.loads(p)}
               for s, t, o, r, p in rows]  # fmt: skip
    assert [c["table"] for c in changes] == ["correction"] * 3
    assert changes[0]["payload"]["target_point"] == "FINISH"

    with sqlite3.connect(snapshot) as connection:
        replay_changes(connection, changes)
        connection.commit()
    query = "SELECT * FROM correction ORDER BY id"
    with sqlite3.connect(snapshot) as copy, sqlite3.connect(db_path) as original:
        assert copy.execute(query).fetchall() == original.execute(query).fetchall()
    restored = Database(snapshot)
    try:
        assert await _standing(restored) == await _standing(database)
    finally:
        await restored.close()

    # A SLAVE's corrections name its own derived passings: the MASTER acknowledges them,
    # applies nothing, and a replay of the batch changes nothing either.
    batch = BatchIn(
        device_id="slave-1",
        seq_from=1,
        seq_to=len(changes),
        changes=[ChangeIn(**{**c, "seq": i + 1}) for i, c in enumerate(changes)],
    )
    master = tmp_path / "master.db"
    shutil.copy(snapshot, master)
    with sqlite3.connect(master) as connection:
        connection.execute("DELETE FROM correction")
    inbox = InboxService(Database(master), tmp_path / "reader.json")
    try:
        for _ in range(2):
            ack = await inbox.apply(batch)
            assert ack.acked_seq == len(changes)
        assert _count(master, "SELECT count(*) FROM correction") == 0
    finally:
        await inbox.db.close()
