"""A reader restarted after a crash takes up its recent tags a few hundred at a time.

At start the reader recomputes the passings of every tag stored in the last 15
minutes (``LivePassings.resume``); at a big finish that is 20,000 tags and a
million reads. Each lot of ``SETTLE_TAGS`` tags is its own short transaction, so
the reads of all of them are never in memory at once and the web and worker
processes are never locked out of the database for seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.domain.clock import now_us
from edge.rfid import live
from edge.rfid.live import LivePassings
from edge.rfid.service import resolve_target
from edge.services.reads import ReadService
from edge.store import reads as raw
from edge.store.database import Database
from edge.store.reads import ReadIn
from edge.timing.crossing import CrossingSettings
from tests.integration.test_reader_service import EVENT, SLUG, chrono, rows

pytestmark = pytest.mark.integration

TAGS = 7


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "edge.db"
    chrono(path, "event", "load", str(EVENT))
    return path


def passes(now: int) -> list[ReadIn]:
    """Each tag seen over a mat a minute ago, five reads a pass, strongest in the middle."""
    reads = []
    for tag in range(1, TAGS + 1):
        middle = now - 60_000_000 + tag * 1_000_000
        for k in range(5):
            time_us = middle + (k - 2) * 50_000
            reads.append(ReadIn(f"{tag:024X}", 1, -60.0 - abs(k - 2) * 3, time_us, time_us))
    return reads


async def test_a_resume_settles_its_tags_lot_by_lot_as_one_rebuild_would(
    db_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "SETTLE_TAGS", 3)
    db = Database(db_file)
    try:
        target = await resolve_target(db, SLUG, "FINISH", "test-box")
        connection = raw.connect(db_file)
        try:
            raw.record_reads(connection, target.event_id, target.point_id, passes(now_us()))
        finally:
            connection.close()
        reads = ReadService(db)
        taking = LivePassings(
            reads, event_slug=SLUG, point_code="FINISH", settings=CrossingSettings()
        )
        assert await taking.resume() == TAGS
        assert await taking.settle() == TAGS
        assert taking.rebuilds == 3  # lots of 3, 3 and 1 tags: one transaction each
        assert taking.open_tags == 0
        derived = "select epc, time_us from passing where source = 'reads' order by epc"
        settled = rows(db_file, derived)
        assert len(settled) == TAGS
        # The same passings as recomputing the whole point at once: nothing to change.
        (report,) = await reads.rebuild(SLUG, "FINISH", settings=CrossingSettings())
        assert (report.added, report.removed) == (0, 0)
        assert rows(db_file, derived) == settled
    finally:
        await db.close()
