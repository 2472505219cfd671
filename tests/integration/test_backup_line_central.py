"""The backup line reaches central (SQLite and PostgreSQL): each backup passing with what
became of it and its pair, and the operator's choice, through the real Forwarder."""

from __future__ import annotations

import asyncio
import json
from contextlib import ExitStack
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import col, select

from central.store.database import CentralDatabase
from central.store.models import DeviceChange
from edge.cli import cli
from edge.services.backup_review import BackupReviewService
from edge.services.corrections import CorrectionRequest, CorrectionService
from edge.services.passings import PassingService
from edge.store.database import Database
from edge.sync.outbox import Outbox
from tests.integration.test_central_sync import database_url, enroll, pusher
from tests.servers import central_process, free_port
from tests.syncbox import SLUG, crossing, load_box, record

pytestmark = pytest.mark.integration

__all__ = ["database_url"]  # the fixture, one central database per backend

ROOT = Path(__file__).resolve().parents[2]
TEN_AM = 1_775_980_800_000_000  # 2026-04-12T10:00:00+02:00
SECOND = 1_000_000


async def held_payloads(url: str, device_id: str, table: str) -> list[dict[str, object]]:
    """The payloads central holds for the device's rows of ``table``, in seq order."""
    db = CentralDatabase(url)
    try:
        async with db.read() as session:
            query = (
                select(DeviceChange)
                .where(DeviceChange.device_id == device_id, DeviceChange.table_name == table)
                .order_by(col(DeviceChange.seq))
            )
            return [json.loads(c.payload) for c in (await session.exec(query)).all()]
    finally:
        await db.close()


async def test_backup_passings_and_the_choice_reach_central(
    database_url: str, tmp_path: Path
) -> None:
    # The command line runs its own event loop: in a thread, away from the test's.
    box = await asyncio.to_thread(load_box, tmp_path / "box" / "edge.db")
    entrants = ["--db", str(box), "entrants", "import", str(ROOT / "docs/examples/entrants.csv"),
                "--event", SLUG]  # fmt: skip
    assert (await asyncio.to_thread(CliRunner().invoke, cli, entrants)).exit_code == 0
    record(box, "FINISH", crossing("E2801160600002000000A002", TEN_AM + 12 * 60 * SECOND), "box")
    db = Database(box)
    try:
        from edge.services.reads import ReadService

        await ReadService(db).rebuild(SLUG, "FINISH")
        backup = b"Dossard;Heure\n2;10:12:03,2\n3;10:20:00,3\n"
        report = await PassingService(db).import_csv(SLUG, backup, point="FINISH", source="b.csv")
        assert (report.fills, report.review) == (1, 1)
        [pair] = await BackupReviewService(db).review_list(SLUG)
        request = CorrectionRequest(kind="choose", passing_id=pair.backup_id, status="backup")
        await CorrectionService(db).apply(SLUG, request, "Anne")
    finally:
        await db.close()

    with ExitStack() as running:
        base = await asyncio.to_thread(
            running.enter_context, central_process(database_url, free_port(), tmp_path)
        )
        device, token = await enroll(database_url, f"backup-{tmp_path.name}")
        async with pusher(box, base, token, device) as pushing:
            assert await pushing.push_once() == Outbox(box, "central").last_seq()
        passings = await held_payloads(database_url, device, "passing")
        corrections = await held_payloads(database_url, device, "correction")

    by_id = {p["id"]: p for p in passings}
    review = by_id[pair.backup_id]
    assert (review["bib"], review["method"], review["status"]) == ("2", "import", "review")
    assert review["source"] == "b.csv"
    chip = by_id[str(review["pair_id"])]
    assert (chip["epc"], chip["method"], chip["time_us"]) == (
        "E2801160600002000000A002",
        "quadreg",
        pair.chip_time_us,
    )
    filled = [p for p in passings if p["bib"] == "3"]
    assert [(p["status"], p["pair_id"]) for p in filled] == [("valid", None)]
    assert [(c["kind"], c["passing_id"], c["status"], c["created_by"]) for c in corrections] == [
        ("choose", pair.backup_id, "backup", "Anne")
    ]
