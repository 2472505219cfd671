"""A race's results state reaches central (SQLite and PostgreSQL) through sync, and its
public API and page show it: provisional, official once signed off, provisional v2 after a
change with a reason."""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from edge.cli import cli
from edge.domain import PassingMethod
from edge.services.corrections import CorrectionRequest, CorrectionService
from edge.services.passings import NewPassing, PassingService
from edge.services.results_cache import ResultsCache
from edge.services.signoff import SignoffService
from edge.store.database import Database
from edge.sync.outbox import Outbox
from tests.integration.test_backup_line_central import held_payloads
from tests.integration.test_central_sync import database_url, enroll, pusher
from tests.servers import central_process, free_port
from tests.syncbox import SLUG, load_box

pytestmark = pytest.mark.integration

__all__ = ["database_url"]  # the fixture, one central database per backend

ROOT = Path(__file__).resolve().parents[2]
TEN_AM = 1_775_980_800_000_000  # 2026-04-12T10:00:00+02:00


async def _publish(box: Path, cache: Path, base: str, token: str, device: str) -> int:
    """The worker's step (results cache) then the push to central; how many changes went."""
    db = Database(box)
    try:
        await ResultsCache(db, cache).refresh(SLUG)
    finally:
        await db.close()
    async with pusher(box, base, token, device) as pushing:
        sent = await pushing.push_once()
    outbox = Outbox(box, "central")
    assert outbox.acked_seq() == outbox.last_seq()
    return sent


def _shown(base: str) -> tuple[object, object, str, int]:
    """(state, version) of the public API, the page's state line, and the API's row count."""
    api = httpx.get(f"{base}/api/v1/public/events/{SLUG}/results", params={"race": "10K"})
    assert api.status_code == 200, api.text
    page = httpx.get(f"{base}/public/events/{SLUG}", params={"race": "10K"})
    assert page.status_code == 200, page.text
    line = next((x for x in page.text.splitlines() if 'id="results-state"' in x), "")
    body = api.json()
    return body.get("state"), body.get("version"), line, len(body["rows"])


async def test_the_results_state_reaches_central_and_its_public_page(
    database_url: str, tmp_path: Path
) -> None:
    box = await asyncio.to_thread(load_box, tmp_path / "box" / "edge.db")
    entrants = ["--db", str(box), "entrants", "import", str(ROOT / "docs/examples/entrants.csv"),
                "--event", SLUG]  # fmt: skip
    assert (await asyncio.to_thread(CliRunner().invoke, cli, entrants)).exit_code == 0
    db = Database(box)
    try:
        finish = NewPassing("FINISH", "1", TEN_AM + 40 * 60 * 1_000_000)
        await PassingService(db).record(SLUG, finish, method=PassingMethod.MANUAL)
    finally:
        await db.close()
    cache = tmp_path / "cache"

    with ExitStack() as running:
        base = await asyncio.to_thread(
            running.enter_context, central_process(database_url, free_port(), tmp_path)
        )
        device, token = await enroll(database_url, f"signoff-{tmp_path.name}")
        assert await _publish(box, cache, base, token, device) > 0
        state, version, line, rows = await asyncio.to_thread(_shown, base)
        assert (state, version) == ("provisional", 1)
        assert "Provisional results" in line
        assert rows == 6  # every entrant of the 10K

        db = Database(box)
        try:
            await SignoffService(db).sign(SLUG, "10K", "Claire Arbitre")
        finally:
            await db.close()
        # Nothing in the rows changed: the sign-off alone makes a new snapshot, published
        # after the sign-off's own row.
        assert await _publish(box, cache, base, token, device) == 2
        state, version, line, _ = await asyncio.to_thread(_shown, base)
        assert (state, version) == ("official", 1)
        assert "Official results (v1)" in line

        db = Database(box)
        try:
            dsq = CorrectionRequest(kind="status", bib="2", status="DSQ", reason="no bib worn")
            await CorrectionService(db).apply(SLUG, dsq, "Paul")
        finally:
            await db.close()
        await _publish(box, cache, base, token, device)
        state, version, line, _ = await asyncio.to_thread(_shown, base)
        assert (state, version) == ("provisional", 2)
        assert "Provisional results (v2)" in line
        held = await held_payloads(database_url, device, "results_version")
    # Central also holds the versions themselves: who signed, what re-opened them and why.
    assert [(v["race"], v["version"], v["state"], v["signed_by"], v["reason"]) for v in held] == [
        ("10K", 1, "official", "Claire Arbitre", ""),
        ("10K", 2, "provisional", None, "no bib worn"),
    ]
