"""The web process writes the live-results documents from its races in memory; the worker
only while the web process does not (issue 20, memory: a big race held once, not twice)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from edge.jobs.catalog import refresh_results
from edge.jobs.context import JobContext
from edge.paths import BoxPaths
from edge.roleconfig import Role, RoleConfig, save_role
from edge.services.live import live_results
from edge.services.results_cache import ResultsCache
from edge.services.results_keeper import MARK, MARK_FRESH_S, ResultsKeeper, kept_by_web
from edge.store.database import Database
from tests.integration.test_on_course import chrono, started_box
from tests.integration.test_reader_service_process import wait_for
from tests.liveevent import SLUG
from tests.servers import free_port
from tests.syncbox import query

pytestmark = pytest.mark.integration


@pytest.fixture
def box(tmp_path: Path) -> tuple[Path, Path]:
    """A race started an hour ago: bib 2 finished, 4 passed KM5, 1 passed KM5 then was set DNF."""
    return started_box(tmp_path)


EVERY_S = 2.0
KEY = "keeper-test-event-key"  # a SLAVE's (it talks to no MASTER here)


def document(folder: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((folder / SLUG / "10K.json").read_text())
    return loaded


def snapshots(db: Path) -> int:
    sql = "SELECT count(*) FROM outbox WHERE table_name = 'results_snapshot'"
    return int(query(db, sql)[0][0])


async def add_finish(db: Path, tmp_path: Path, bib: str) -> None:
    """Bib ``bib`` crosses the finish now (imported by the command line, in its own thread:
    it runs its own event loop)."""
    passings = tmp_path / f"finish-{bib}.csv"
    moment = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    passings.write_text(f"point,bib,time\nFINISH,{bib},{moment}\n")
    await asyncio.to_thread(chrono, db, "passings", "import", str(passings), "--event", SLUG)


async def test_the_web_process_writes_what_the_worker_would_and_follows_new_passings(
    box: tuple[Path, Path], tmp_path: Path
) -> None:
    db, _ = box
    role_file = tmp_path / "reader.json"
    save_role(role_file, RoleConfig(role=Role.MASTER, event=SLUG, point="FINISH"))
    web, worker = tmp_path / "web", tmp_path / "worker"
    database = Database(db)
    try:
        keeper = ResultsKeeper(database, role_file, web, EVERY_S)
        assert [c.race for c in await keeper.refresh()] == ["10K"]
        assert kept_by_web(web, EVERY_S, running_s=3600)
        assert await keeper.refresh() == []  # nothing moved: nothing written again
        assert snapshots(db) == 1

        # A new finisher: the web process's kept race takes it in, one passing.
        await add_finish(db, tmp_path, "4")
        kept = live_results(database)._races[(SLUG, "10k")].race
        assert [c.race for c in await keeper.refresh()] == ["10K"]
        assert live_results(database)._races[(SLUG, "10k")].race is kept  # not reloaded
        assert snapshots(db) == 2

        # The worker's way: the race computed from the database alone.
        assert [c.race for c in await ResultsCache(database, worker).refresh(SLUG)] == ["10K"]
    finally:
        await database.close()
    written, computed = document(web), document(worker)
    assert written["columns"] == computed["columns"]
    assert written["rows"] == computed["rows"]
    assert {r["bib"]: r["status"] for r in written["rows"]}["4"] == "FIN"


async def test_a_box_not_the_master_writes_no_document(
    box: tuple[Path, Path], tmp_path: Path
) -> None:
    db, _ = box
    role_file = tmp_path / "reader.json"
    slave = RoleConfig(role=Role.SLAVE, event=SLUG, point="KM5", event_key=KEY, discovery=True)
    save_role(role_file, slave)
    database = Database(db)
    try:
        assert await ResultsKeeper(database, role_file, tmp_path / "web", EVERY_S).refresh() == []
    finally:
        await database.close()
    assert not (tmp_path / "web").exists()
    assert snapshots(db) == 0


def test_the_mark_says_whether_the_web_process_keeps_the_documents(tmp_path: Path) -> None:
    # No mark: a worker that just started waits for the web process's first round...
    assert kept_by_web(tmp_path, EVERY_S, running_s=1.0)
    # ...not for ever: the web process is not running.
    assert not kept_by_web(tmp_path, EVERY_S, running_s=MARK_FRESH_S + 1)
    (tmp_path / MARK).touch()
    assert kept_by_web(tmp_path, EVERY_S, running_s=3600)
    stale = time.time() - MARK_FRESH_S - 1  # the web process stopped (or fails) since
    os.utime(tmp_path / MARK, (stale, stale))
    assert not kept_by_web(tmp_path, EVERY_S, running_s=3600)


class _Queue:
    """What a job handler's context needs of the queue here: nothing is logged."""


async def test_the_worker_writes_the_documents_while_the_web_process_does_not(
    box: tuple[Path, Path], tmp_path: Path
) -> None:
    db, _ = box
    paths = BoxPaths.under(tmp_path / "data")
    paths.database.parent.mkdir(parents=True)
    shutil.copy(db, paths.database)
    save_role(paths.role_file, RoleConfig(role=Role.MASTER, event=SLUG, point="FINISH"))
    folder = paths.cache_folder / "results"
    folder.mkdir(parents=True)
    (folder / MARK).touch()
    context = JobContext(_Queue(), 1, 1, os.getpid(), {"paths": paths})  # type: ignore[arg-type]
    assert await refresh_results(context, {}) == {"skipped": "kept by the web process"}
    assert not (folder / SLUG).exists()
    stale = time.time() - MARK_FRESH_S - 1
    os.utime(folder / MARK, (stale, stale))
    assert await refresh_results(context, {}) == {"changed": [f"{SLUG}/10K"]}
    assert document(folder)["rows"]


def test_chrono_edge_serve_writes_the_documents_on_the_master(
    box: tuple[Path, Path], tmp_path: Path
) -> None:
    """The real web process, as systemd starts it: its documents and mark appear."""
    db, _ = box
    save_role(db.parent / "reader.json", RoleConfig(role=Role.MASTER, event=SLUG, point="FINISH"))
    port = free_port()
    command = [sys.executable, "-m", "edge.cli", "--data-dir", str(db.parent), "serve",
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    env = {**os.environ, "CHRONO_EDGE_RESULTS_CACHE_EVERY_S": "0.5"}
    folder = db.parent / "cache" / "results"
    log = tmp_path / "serve.log"
    with log.open("wb") as out, subprocess.Popen(command, env=env, stdout=out, stderr=out) as web:
        try:
            wait_for(lambda: (folder / SLUG / "10K.json").exists(), "the live-results document")
            assert kept_by_web(folder, 0.5, running_s=3600)
            wait_for(lambda: snapshots(db) == 1, "the document queued for central")
        finally:
            web.send_signal(signal.SIGTERM)
            web.wait(timeout=30)
    assert document(folder)["rows"], log.read_text(errors="replace")[-2000:]


WORKER_ROUND = """
import asyncio, os, sys
from pathlib import Path
from edge.jobs.catalog import refresh_results
from edge.jobs.context import JobContext
from edge.paths import BoxPaths
context = JobContext(None, 1, 1, os.getpid(), {"paths": BoxPaths.under(Path(sys.argv[1]))})
print(asyncio.run(refresh_results(context, {})))
print(" ".join(sorted(sys.modules)))
"""


def test_a_worker_whose_documents_the_web_process_keeps_loads_no_results_cache(
    box: tuple[Path, Path], tmp_path: Path
) -> None:
    """The worker's results.cache job, in a fresh interpreter: while the mark is fresh it
    imports neither the results cache nor the live path and engine (2.6 MB of RSS)."""
    db, _ = box
    paths = BoxPaths.under(tmp_path / "data")
    paths.database.parent.mkdir(parents=True)
    shutil.copy(db, paths.database)
    save_role(paths.role_file, RoleConfig(role=Role.MASTER, event=SLUG, point="FINISH"))
    folder = paths.cache_folder / "results"
    folder.mkdir(parents=True)
    (folder / MARK).touch()
    engine = ("edge.services.results_cache", "edge.services.live", "edge.timing.results")

    def round_in_a_worker() -> tuple[str, set[str]]:
        command = [sys.executable, "-c", WORKER_ROUND, str(tmp_path / "data")]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
        said, modules = done.stdout.strip().splitlines()[-2:]
        return said, set(modules.split())

    said, modules = round_in_a_worker()
    assert said == str({"skipped": "kept by the web process"})
    assert "edge.jobs.catalog" in modules  # the listing works
    assert not [name for name in engine if name in modules]
    stale = time.time() - MARK_FRESH_S - 1  # the web process stopped: the worker writes them
    os.utime(folder / MARK, (stale, stale))
    said, modules = round_in_a_worker()
    assert said == str({"changed": [f"{SLUG}/10K"]})
    assert all(name in modules for name in engine)
