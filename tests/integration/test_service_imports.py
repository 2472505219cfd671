"""The services a box runs for hours import only what they use (issue 20, memory).

Every module a process imports stays resident for its life: on a Pi 4 the web
framework, the spreadsheet and PDF libraries and Alembic cost tens of MB in each
process that loads them. The processes are run for real (``python -X importtime``
lists every module they import) and stopped with SIGTERM, as systemd does.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from edge.rfid.emulator import BackgroundEmulator, BurstScenario, offset_for_year
from tests.integration.test_reader_service import EVENT, SLUG, WAIT_S, chrono
from tests.integration.test_reader_service_process import wait_for, write_role
from tests.servers import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
HEAVY = {
    "litestar": "the web framework",
    "uvicorn": "the web server",
    "jinja2": "the page templates",
    "openpyxl": "spreadsheets",
    "fpdf": "PDF",
    "PIL": "images (fpdf2's)",
    "fontTools": "fonts (fpdf2's)",
    "alembic": "migrations (the database is already current)",
    "sqlalchemy": "the ORM (the reader stores with plain sqlite3)",
    "sqlmodel": "the data model's tables (plain sqlite3 again)",
}
"""Packages a reader never uses, and what they are for."""
EXPORTS = ("openpyxl", "fpdf", "PIL", "fontTools", "alembic", "uvicorn", "jinja2")
"""Packages a worker uses only for an export job (or a migration), never at rest."""
PAGES = ("/", "/results", "/entrants", "/exports", "/jobs", "/setup", "/screen/arrivals")
WEB_UNUSED = ("openpyxl", "fpdf", "PIL", "fontTools", "alembic", "cryptography", "httpx")
"""Packages the web process uses only to export (in the worker), migrate, or enroll."""


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "edge.db"
    chrono(path, "event", "load", str(EVENT))  # migrated to the newest schema, an event in it
    return path


@contextmanager
def service(args: list[str], folder: Path) -> Iterator[tuple[Callable[[], set[str]], int]]:
    """Run ``chrono-edge ARGS`` listing its imports; yield a function that stops it and
    returns the top-level packages it imported, and the process id."""
    command = [sys.executable, "-X", "importtime", "-m", "edge.cli", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = folder / "imports.log"
    with log.open("wb") as err:
        process = subprocess.Popen(command, stderr=err, stdout=subprocess.DEVNULL, env=env)
        stopped: set[str] = set()

        def stop() -> set[str]:
            process.send_signal(signal.SIGTERM)
            # uvicorn ends by raising the signal again once it has shut down cleanly.
            ended = process.wait(timeout=WAIT_S)
            assert ended in (0, -signal.SIGTERM), log.read_text(errors="replace")[-3000:]
            for line in log.read_text(errors="replace").splitlines():
                if line.startswith("import time:") and "|" in line:
                    name = line.rsplit("|", 1)[1].strip()
                    stopped.add(name.split(".")[0])
            return stopped

        try:
            yield stop, process.pid
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def count(db: Path, sql: str) -> int:
    connection = sqlite3.connect(db)
    try:
        return int(connection.execute(sql).fetchone()[0])
    finally:
        connection.close()


def test_the_reader_imports_no_web_framework_spreadsheet_pdf_or_migrations(
    db_file: Path, tmp_path: Path
) -> None:
    burst = BurstScenario(tags=20, start_s=0.1, duration_s=1.0, reads_per_s=200.0)
    with BackgroundEmulator(burst, clock_offset_us=offset_for_year(2000)) as emulator:
        role = write_role(tmp_path, emulator.port)
        args = ["--db", str(db_file), "reader", "--role-file", str(role)]
        with service(args, tmp_path) as (stop, pid):
            # Reads stored, then settled into passings: the reader's whole path has run.
            wait_for(lambda: count(db_file, "select count(*) from tag_read") > 0, "reads")
            passings = "select count(*) from passing where source = 'reads'"
            wait_for(lambda: count(db_file, passings) > 0, "passings from the reads")
            libraries = {Path(line.split()[-1]).name for line in _maps(pid) if "/" in line}
            imported = stop()
    assert "sllurp" in imported  # the listing works: the LLRP client was imported
    loaded = {name: why for name, why in HEAVY.items() if name in imported}
    assert not loaded, f"the reader imports what it never uses: {loaded}"
    # Nor OpenSSL (edge.cli.lean): its libraries are not even mapped into the process.
    assert any(name.startswith("libsqlite3") for name in libraries)  # the listing works
    openssl = sorted(
        n for n in libraries if n.startswith(("libcrypto", "libssl", "_ssl.", "_hashlib."))
    )
    assert not openssl, f"the reader loads OpenSSL: {openssl}"


def test_the_reader_keeps_its_threads_in_one_malloc_arena_beside_the_main_one(
    db_file: Path, tmp_path: Path
) -> None:
    # sllurp's thread, the commit thread and asyncio's pool would each get an arena of
    # their own, whose freed memory stays resident (edge.heap).
    burst = BurstScenario(tags=200, start_s=0.1, duration_s=2.0, reads_per_s=2000.0)
    with BackgroundEmulator(burst, clock_offset_us=offset_for_year(2000)) as emulator:
        role = write_role(tmp_path, emulator.port)
        args = ["--db", str(db_file), "reader", "--role-file", str(role)]
        with service(args, tmp_path) as (stop, pid):
            passings = "select count(*) from passing where source = 'reads'"
            wait_for(lambda: count(db_file, passings) >= 200, "passings from the reads")
            threads = len(list(Path(f"/proc/{pid}/task").iterdir()))
            arenas = _thread_arenas(_maps(pid))
            stop()
    assert threads >= 4  # the check means something: several threads allocated
    assert arenas <= 1, f"{threads} threads use {arenas} malloc arenas besides the main one"


def test_the_worker_imports_the_export_libraries_only_for_an_export(
    db_file: Path, tmp_path: Path
) -> None:
    args = ["--db", str(db_file), "worker"]
    with service(args, tmp_path) as (stop, _pid):
        # The periodic jobs (results cache, sync, pruning...) have run once.
        done = "select count(*) from job where kind = '{}' and state = 'completed'"
        for kind in ("results.cache", "sessions.prune", "sync.central"):
            wait_for(lambda kind=kind: count(db_file, done.format(kind)) > 0, kind)
        imported = stop()
    assert "httpx" in imported  # the listing works: the sync job's client was imported
    loaded = [name for name in EXPORTS if name in imported]
    assert not loaded, f"the worker at rest imports {loaded}"
    # ota.check ran on a box not enrolled with central: no update metadata to refresh.
    assert "tuf" not in imported, "the worker imports python-tuf with no update to check"
    # httpx's own command-line client (rich, pygments) is never run by the worker.
    assert "rich" not in imported, "the worker imports httpx's command line (rich)"


def test_the_worker_makes_exports_in_a_child_process_and_never_loads_their_libraries(
    db_file: Path, tmp_path: Path
) -> None:
    args = ["--db", str(db_file), "worker"]
    done = "select count(*) from job where kind = 'exports.results' and state = 'completed'"
    with service(args, tmp_path) as (stop, _pid):
        for fmt in ("xlsx", "pdf"):
            payload = {"event": SLUG, "race": "10K", "kind": "scratch", "format": fmt}
            chrono(db_file, "jobs", "enqueue", "exports.results", "--payload", json.dumps(payload))
        wait_for(lambda: count(db_file, done) == 2, "two exports made")
        imported = stop()
    made = sorted(p.suffix for p in (tmp_path / "exports").iterdir())
    assert made == [".pdf", ".xlsx"]
    loaded = [name for name in EXPORTS if name in imported]
    assert not loaded, f"the worker imports {loaded} for its exports"


def test_the_web_process_serves_its_pages_without_export_migration_or_enrollment_code(
    db_file: Path, tmp_path: Path
) -> None:
    port = free_port()
    args = ["--db", str(db_file), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with service(args, tmp_path) as (stop, _pid):
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(base + "/healthz"), "the web server")
        for page in PAGES:
            assert httpx.get(base + page).status_code == 200, page
        imported = stop()
    assert "litestar" in imported  # the listing works: the web framework was imported
    loaded = [name for name in WEB_UNUSED if name in imported]
    assert not loaded, f"the web process imports {loaded}"


def _maps(pid: int) -> list[str]:
    """The files mapped into process ``pid`` (/proc/PID/maps), one line each."""
    return Path(f"/proc/{pid}/maps").read_text().splitlines()


def _thread_arenas(maps: list[str]) -> int:
    """How many glibc thread arenas the mapped memory holds: each is a 64 MiB reservation
    (HEAP_MAX_SIZE on 64 bits) at a 64 MiB boundary, its used part first."""
    size = 64 * 1024 * 1024
    arenas = 0
    for used, rest in itertools.pairwise(maps):
        if len(used.split()) > 5 or len(rest.split()) > 5:
            continue  # a file's mapping
        start, _, _end = used.split()[0].partition("-")
        _, _, end = rest.split()[0].partition("-")
        reserved = rest.split()[1] == "---p"
        if reserved and int(start, 16) % size == 0 and int(end, 16) - int(start, 16) == size:
            arenas += 1
    return arenas


def _answers(url: str) -> bool:
    try:
        return httpx.get(url).status_code == 200
    except httpx.HTTPError:
        return False
