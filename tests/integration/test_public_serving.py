"""What central's public results endpoint does per request, made cheap for a crowd (issue 20).

A race's body is gzipped once, when it is published, and sent as stored bytes; the
answer skips the login session; one look at the database at a time checks every race;
the access log can be left to nginx. Each is checked here on real SQLite files and real
central processes, with what a visitor would notice: the right body, never an old one
as current, no cookie, the security headers, a log line or none.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event

from central.services.public import PublicResultsService, ResultsPayload, publish
from central.store import migrate
from central.store.database import CentralDatabase
from central.store.models import PublicResults
from tests.security.sessionlab import ADMIN, central, publish_results
from tests.security.test_headers import assert_protected
from tests.servers import central_process, free_port

pytestmark = pytest.mark.integration

COLUMNS = ["rank", "bib", "name"]


def sheet(count: int, name: str = "Zoé") -> list[dict[str, object]]:
    return [{"rank": n, "bib": str(n), "name": f"{name} {n}"} for n in range(1, count + 1)]


async def opened(folder: Path) -> CentralDatabase:
    url = f"sqlite+aiosqlite:///{folder / 'central.db'}"
    await asyncio.to_thread(migrate.upgrade, url)
    return CentralDatabase(url)


async def store(db: CentralDatabase, event_slug: str, rows: list[dict[str, object]]) -> None:
    results = ResultsPayload(
        event=event_slug, race="10K", updated_us=1_000, columns=COLUMNS, rows=rows
    )
    async with db.write() as session:
        await publish(session, "box-1", results, 2_000)


def test_publishing_stores_the_body_gzipped_and_the_server_sends_those_bytes(tmp_path: Path):
    async def run() -> None:
        db = await opened(tmp_path)
        await store(db, "spring", sheet(500))
        async with db.read() as session:
            row = await session.get(PublicResults, ("spring", "10K"))
        assert row is not None
        assert row.gzipped is not None
        assert row.gzipped_etag == row.etag
        body = json.loads(gzip.decompress(row.gzipped))
        assert body["event"] == "spring"
        assert body["race"] == "10K"
        assert body["columns"] == COLUMNS
        assert body["rows"] == sheet(500)
        served = await PublicResultsService(db).encoded("spring", "10K")
        assert served.gzipped == row.gzipped  # sent as stored, not gzipped again
        assert json.loads(served.body) == body
        await db.close()

    asyncio.run(run())


def test_a_version_an_older_release_stored_is_never_answered_with_the_old_body(tmp_path: Path):
    """A release older than c0009 replaces document and ETag and leaves the gzipped body."""

    async def run() -> None:
        db = await opened(tmp_path)
        await store(db, "spring", sheet(3))
        newer = json.dumps({"columns": COLUMNS, "rows": sheet(4, "Hélène")}, separators=(",", ":"))
        async with db.write() as session:  # what the older release's publish writes
            row = await session.get(PublicResults, ("spring", "10K"))
            assert row is not None
            row.document, row.etag = newer, "etag-of-the-older-release"
            session.add(row)
        served = await PublicResultsService(db).encoded("spring", "10K")
        assert served.etag == "etag-of-the-older-release"
        assert json.loads(gzip.decompress(served.gzipped))["rows"] == sheet(4, "Hélène")
        await db.close()

    asyncio.run(run())


def test_ten_races_going_stale_together_are_checked_on_one_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Ten checks at once took ten pooled connections: five opened and closed every second."""

    async def run() -> None:
        db = await opened(tmp_path)
        races = [f"city-{n}" for n in range(10)]
        for slug in races:
            await store(db, slug, sheet(20))
        await db.engine.dispose()
        connections: list[object] = []
        event.listen(db.engine.sync_engine, "connect", lambda *_: connections.append(1))
        service = PublicResultsService(db)
        for _ in range(3):  # the first load, then two checks of every race as it goes stale
            found = await asyncio.gather(*(service.encoded(slug, "10K") for slug in races))
            assert [json.loads(f.body)["event"] for f in found] == races
            monkeypatch.setattr("central.services.public.REVALIDATE_S", 0.0)
        assert len(connections) == 1
        await db.close()

    asyncio.run(run())


def test_a_new_version_in_the_database_replaces_the_kept_body_after_revalidation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Another central process published it: this one sees it at its next check."""

    async def run() -> None:
        db = await opened(tmp_path)
        await store(db, "spring", sheet(3))
        service = PublicResultsService(db)
        first = await service.encoded("spring", "10K")
        other = await opened(tmp_path)  # a second process's connection
        await store(other, "spring", sheet(5))
        await other.close()
        monkeypatch.setattr("central.services.public.REVALIDATE_S", 0.0)
        second = await service.encoded("spring", "10K")
        assert second.etag != first.etag
        assert json.loads(await service.plain(second))["rows"] == sheet(5)
        await db.close()

    asyncio.run(run())


def test_public_results_leave_a_logged_in_session_alone_and_carry_the_headers(tmp_path: Path):
    with central(tmp_path) as base:
        public = publish_results(base, tmp_path, "spring-10k-2026", "10K")
        with httpx.Client(base_url=base) as browser:
            login = browser.post("/login", data={"username": ADMIN[0], "password": ADMIN[1]})
            assert "set-cookie" in login.headers
            full = browser.get(public)
            assert full.status_code == 200
            assert "set-cookie" not in full.headers
            assert_protected(full)
            again = browser.get(public, headers={"If-None-Match": full.headers["etag"]})
            assert again.status_code == 304
            assert "set-cookie" not in again.headers
            assert_protected(again)
            assert browser.get("/", follow_redirects=False).status_code == 200  # still in
            missing = browser.get("/api/v1/public/events/none/results?race=10K")
            assert missing.status_code == 404
            assert_protected(missing)


@pytest.mark.parametrize("access_log", ["true", "false"])
def test_the_access_log_is_a_setting(tmp_path: Path, access_log: str):
    """Behind nginx (the Ansible role) the access log is off: nginx logs each request."""
    port = free_port()
    url = f"sqlite+aiosqlite:///{tmp_path / 'central.db'}"
    settings = {"CHRONO_CENTRAL_ACCESS_LOG": access_log}
    with central_process(url, port, tmp_path, settings) as base:
        assert httpx.get(f"{base}/healthz?from=the-test").status_code == 200
    logged = "GET /healthz?from=the-test" in (tmp_path / f"central-{port}.log").read_text()
    assert logged == (access_log == "true")
