"""The sync contract on the MASTER's side: a SLAVE's changes are applied exactly once.

Real SQLite files: a SLAVE records reads, derives its passings and takes
manual bibs; its outbox is delivered to a MASTER through ``InboxService.apply``
in any order, with replays, overlaps and gaps (hypothesis).
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.errors import InvalidInput, NotFound, Unauthorized
from edge.roleconfig import RoleConfig
from edge.services.manual import ManualEntryService
from edge.services.reads import ReadService
from edge.store.database import Database
from edge.sync.apply import InboxService, check_event_key
from edge.sync.outbox import Outbox
from edge.sync.protocol import Ack, BatchIn, ChangeIn, SequenceGap, parse_batch
from tests.syncbox import SLUG, W1_US, crossing, load_box, passings, query, read_keys, record

SLAVE = "slave-km5"
TAGS = ("E2801160600002000000A001", "E2801160600002000000A002", "E2801160600002000000A003")
MINUTE = 60_000_000


async def _slave_activity(path: Path) -> None:
    """What a SLAVE at KM5 does: derive passings, take bibs, fix one, delete one."""
    db = Database(path)
    try:
        await ReadService(db).rebuild(SLUG, "KM5")
        kept = await ManualEntryService(db).enter(SLUG, "KM5", "7", at_us=W1_US + 21 * MINUTE)
        typo = await ManualEntryService(db).enter(SLUG, "KM5", "77", at_us=W1_US + 22 * MINUTE)
        fixed = await ManualEntryService(db).enter(SLUG, "KM5", "9", at_us=W1_US + 23 * MINUTE)
    finally:
        await db.close()
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("DELETE FROM passing WHERE id = ?", (typo.passing.id,))
        connection.execute(
            "UPDATE passing SET status = 'ignored' WHERE id = ?", (fixed.passing.id,)
        )
    assert kept.added


@pytest.fixture(scope="module")
def slave(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = load_box(tmp_path_factory.mktemp("slave") / "slave.db")
    record(path, "KM5", crossing(TAGS[0], W1_US + 20 * MINUTE), SLAVE)
    record(path, "KM5", crossing(TAGS[1], W1_US + 21 * MINUTE, antenna=2), SLAVE)
    asyncio.run(_slave_activity(path))
    # More reads later, a re-sent one among them, and the SLAVE derives again.
    record(path, "KM5", crossing(TAGS[2], W1_US + 24 * MINUTE), SLAVE)
    record(path, "KM5", crossing(TAGS[0], W1_US + 20 * MINUTE)[:3], SLAVE)
    asyncio.run(_rebuild(path, "KM5"))
    return path


@pytest.fixture(scope="module")
def changes(slave: Path) -> list[ChangeIn]:
    batch = Outbox(slave, "master").pending(SLAVE, after=0, max_changes=5000, max_bytes=1 << 30)
    assert batch is not None
    assert batch.seq_from == 1
    tables = {(c.table, c.op, c.payload.get("method")) for c in batch.changes}
    assert ("passing", "upsert", "quadreg") in tables  # derived passings are in the stream
    assert ("passing", "delete", None) in tables
    return batch.changes


@pytest.fixture(scope="module")
def master_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = load_box(tmp_path_factory.mktemp("master") / "master.db")
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(scope="module")
def reference(
    master_template: Path, changes: list[ChangeIn], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A MASTER that received the whole outbox once, in one batch."""
    path = tmp_path_factory.mktemp("reference") / "master.db"
    shutil.copy(master_template, path)
    assert asyncio.run(_deliver(path, [batch_of(changes, 1, len(changes))])) == [
        Ack(acked_seq=len(changes), applied=len(changes))
    ]
    return path


def batch_of(changes: list[ChangeIn], first: int, last: int) -> BatchIn:
    return BatchIn(device_id=SLAVE, seq_from=first, seq_to=last, changes=changes[first - 1 : last])


async def _rebuild(path: Path, point: str) -> None:
    db = Database(path)
    try:
        await ReadService(db).rebuild(SLUG, point)
    finally:
        await db.close()


async def _deliver(path: Path, batches: list[BatchIn]) -> list[Ack | int]:
    """Apply each batch; a gap is returned as the seq the MASTER expects."""
    db = Database(path)
    answers: list[Ack | int] = []
    try:
        inbox = InboxService(db, path.with_name("reader.json"))
        for batch in batches:
            try:
                answers.append(await inbox.apply(batch))
            except SequenceGap as gap:
                answers.append(gap.expected_seq)
    finally:
        await db.close()
    return answers


def inbox_seq(path: Path) -> int:
    rows = query(path, "SELECT last_seq FROM sync_inbox WHERE device_id = ?", SLAVE)
    return int(rows[0][0]) if rows else 0


def test_master_counts_each_crossing_once_and_keeps_manual_edits(slave: Path, reference: Path):
    assert read_keys(reference) == read_keys(slave)
    assert len(set(read_keys(reference))) == len(read_keys(reference)) == 3 * 21
    derived = [p for p in passings(reference) if p[4] != "manual"]
    # The MASTER derived its own passings from the same reads: one per tag, as
    # on the SLAVE, never the SLAVE's on top of its own.
    assert derived == [p for p in passings(slave) if p[4] != "manual"]
    assert sorted(str(p[1]) for p in derived) == sorted(TAGS)
    manual = [(p[2], p[5]) for p in passings(reference) if p[4] == "manual"]
    assert manual == [("7", "valid"), ("9", "ignored")]  # the typo was deleted
    ids = "SELECT id FROM passing WHERE method = 'manual' ORDER BY id"
    assert query(reference, ids) == query(slave, ids)  # same rows, same ids
    devices = query(reference, "SELECT DISTINCT device_id FROM tag_read")
    assert devices == [(SLAVE,)]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    deliveries=st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 40)), max_size=10),
    tail=st.integers(1, 30),
)
def test_any_order_of_deliveries_applies_every_change_exactly_once(
    master_template: Path,
    changes: list[ChangeIn],
    reference: Path,
    deliveries: list[tuple[int, int]],
    tail: int,
) -> None:
    count = len(changes)
    batches = []
    for start, length in deliveries:
        first = 1 + start % count
        batches.append(batch_of(changes, first, min(count, first + length - 1)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "master.db"
        shutil.copy(master_template, path)
        answers = asyncio.run(_deliver(path, batches))
        last = 0
        for batch, answer in zip(batches, answers, strict=True):
            if batch.seq_from > last + 1:
                assert answer == last + 1  # a gap is refused with the seq expected
            else:
                new = max(0, batch.seq_to - last)
                assert answer == Ack(acked_seq=max(last, batch.seq_to), applied=new)
                last = max(last, batch.seq_to)
        assert inbox_seq(path) == last
        # The SLAVE then sends the rest in order, as its forwarder does.
        rest = [
            batch_of(changes, first, min(count, first + tail - 1))
            for first in range(last + 1, count + 1, tail)
        ]
        assert all(isinstance(a, Ack) for a in asyncio.run(_deliver(path, rest)))
        assert inbox_seq(path) == count
        assert read_keys(path) == read_keys(reference)
        assert passings(path) == passings(reference)
        # A replay of everything changes nothing, not even the MASTER's own outbox.
        outbox = query(path, "SELECT count(*) FROM outbox")
        replay = asyncio.run(_deliver(path, [batch_of(changes, 1, count)]))
        assert replay == [Ack(acked_seq=count, applied=0)]
        assert query(path, "SELECT count(*) FROM outbox") == outbox
        assert read_keys(path) == read_keys(reference)


def _renamed(changes: list[ChangeIn], **payload: object) -> list[ChangeIn]:
    first = changes[0].model_copy(update={"payload": changes[0].payload | payload})
    return [first, *changes[1:]]


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"point": "KM7"}, "no timing point 'KM7'"),
        ({"event": "autumn-trail-2026"}, "no event 'autumn-trail-2026'"),
    ],
)
def test_unknown_event_or_point_refuses_the_whole_batch(
    master_template: Path, changes: list[ChangeIn], tmp_path: Path, payload, named
):
    path = tmp_path / "master.db"
    shutil.copy(master_template, path)
    wrong = _renamed(changes, **payload)
    with pytest.raises(InvalidInput, match=named) as refused:
        asyncio.run(_deliver(path, [batch_of(wrong, 1, 10)]))
    assert any(named in p.reason for p in refused.value.problems)
    assert read_keys(path) == []
    assert inbox_seq(path) == 0
    assert query(path, "SELECT count(*) FROM outbox") == [(0,)]


def test_a_change_of_an_unknown_table_is_refused(
    master_template: Path, changes: list[ChangeIn], tmp_path: Path
):
    path = tmp_path / "master.db"
    shutil.copy(master_template, path)
    strange = [changes[0].model_copy(update={"table": "gpx_track"}), *changes[1:]]
    with pytest.raises(InvalidInput, match="does not take such changes"):
        asyncio.run(_deliver(path, [batch_of(strange, 1, 5)]))
    assert inbox_seq(path) == 0


def test_entrants_and_results_of_a_slave_are_acked_not_applied(
    master_template: Path, changes: list[ChangeIn], tmp_path: Path
):
    """The MASTER owns entrants and results: a SLAVE's copies must not block its reads."""
    path = tmp_path / "master.db"
    shutil.copy(master_template, path)
    entrants_before = query(path, "SELECT count(*), max(last_name) FROM entrant")
    owned = [
        changes[0].model_copy(update={"table": "entrant", "payload": {"id": "x", "bib": "9"}}),
        changes[1].model_copy(update={"table": "results_snapshot", "payload": {"race": "10K"}}),
        *changes[2:],
    ]
    asyncio.run(_deliver(path, [batch_of(owned, 1, 5)]))
    assert inbox_seq(path) == 5
    assert query(path, "SELECT count(*), max(last_name) FROM entrant") == entrants_before


def test_batches_with_holes_are_invalid():
    body = b'{"device_id": "x", "seq_from": 1, "seq_to": 3, "changes": []}'
    with pytest.raises(InvalidInput, match=r"seq_from\.\.seq_to"):
        parse_batch(body)


def test_only_a_master_with_the_same_event_key_takes_batches():
    master = RoleConfig(role="master", event_key="s3cret")
    check_event_key(master, "Bearer s3cret")
    check_event_key(master, "bearer  s3cret ")
    for wrong in (None, "", "Bearer", "Bearer other", "Basic s3cret", "Bearer s3cret2"):
        with pytest.raises(Unauthorized):
            check_event_key(master, wrong)
    with pytest.raises(Unauthorized, match="no event key"):
        check_event_key(RoleConfig(role="master"), "Bearer ")
    slave = RoleConfig(
        role="slave", event_key="s3cret", master_url="http://m", event=SLUG, point="KM5"
    )
    with pytest.raises(NotFound, match="SLAVE"):
        check_event_key(slave, "Bearer s3cret")
