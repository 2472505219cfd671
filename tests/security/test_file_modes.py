"""Finding 9: the files holding personal data and password hashes are the owner's alone.

edge.db (entrants' names and birth dates) was created 0644 like its -wal and -shm,
so any account on the box, or a backup tool, could read it; so was central's
embedded database (admins' password hashes) and the box's snapshots. Each is now
created 0600, and one left readable by an older release is made 0600 when opened.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from edge.app import create_app
from edge.auth.passwords import ADMIN_FILE
from edge.auth.pin import PIN_FILE
from edge.backup.snapshot import take_snapshot
from edge.cli.server import announce_setup_pin
from edge.settings import Settings
from edge.store import reads
from tests.browser import EXAMPLE_EVENT

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def everyone_may_read() -> Iterator[None]:
    """The usual umask (022): without care every new file is world-readable."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def database_files(path: Path) -> dict[str, int]:
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return {file.name: mode(file) for file in files if file.exists()}


def cli(db: Path, *args: str) -> None:
    command = [sys.executable, "-m", "edge.cli", "--db", str(db), *args]
    subprocess.run(command, check=True, capture_output=True)


def test_the_box_database_and_admin_file_are_private(tmp_path: Path) -> None:
    db = tmp_path / "edge.db"
    cli(db, "db", "upgrade")
    cli(db, "event", "load", str(EXAMPLE_EVENT))
    assert database_files(db) == {"edge.db": 0o600}
    (tmp_path / "boot").mkdir()
    settings = Settings(db=db, boot_folder=tmp_path / "boot")
    announce_setup_pin(settings)
    pin = (settings.paths.config_dir / PIN_FILE).read_text().strip()
    with TestClient(create_app(settings)) as client:
        claimed = client.post(
            "/api/v1/setup/claim", json={"pin": pin, "password": "correct horse battery"}
        )
        assert claimed.status_code == 200, claimed.text
        client.post("/api/v1/setup/login", json={"password": "wrong password"})  # a write
        files = database_files(db)
        assert set(files) == {"edge.db", "edge.db-wal", "edge.db-shm"}  # in use, in WAL
        assert files == dict.fromkeys(files, 0o600)
    assert mode(settings.paths.data_dir / ADMIN_FILE) == 0o600


def test_the_reader_process_connection_makes_a_private_file(tmp_path: Path) -> None:
    db = tmp_path / "reads.db"
    connection = reads.connect(db)
    try:
        connection.execute("CREATE TABLE t (x)")
        connection.execute("INSERT INTO t VALUES (1)")
        files = database_files(db)
    finally:
        connection.close()
    assert "reads.db-wal" in files
    assert files == dict.fromkeys(files, 0o600)


def test_a_database_left_readable_by_an_older_release_is_made_private(tmp_path: Path) -> None:
    db = tmp_path / "edge.db"
    cli(db, "db", "upgrade")
    plain = sqlite3.connect(db)  # an older release: files as the umask made them
    plain.execute("PRAGMA journal_mode = WAL")
    plain.execute("CREATE TABLE scratch (x)")
    for file in database_files(db):
        (tmp_path / file).chmod(0o644)
    try:
        cli(db, "db", "upgrade")  # what every process runs, or opens, first
        assert database_files(db) == dict.fromkeys(database_files(db), 0o600)
    finally:
        plain.close()


def test_snapshots_are_private(tmp_path: Path) -> None:
    db = tmp_path / "edge.db"
    cli(db, "db", "upgrade")
    snapshot = take_snapshot(db, tmp_path / "snapshots")
    assert mode(snapshot.path) == 0o600
    assert [p.name for p in (tmp_path / "snapshots").iterdir()] == [snapshot.path.name]


def test_central_embedded_database_is_private(tmp_path: Path) -> None:
    path = tmp_path / "central.db"
    url = f"sqlite+aiosqlite:///{path}"
    done = subprocess.run(
        [sys.executable, "-m", "central", "user", "create", "ops", "--password-stdin"],
        input="a long enough password",
        env={**os.environ, "CHRONO_CENTRAL_DATABASE_URL": url},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert database_files(path) == dict.fromkeys(database_files(path), 0o600)

    async def write() -> dict[str, int]:
        from central.services.users import UserService
        from central.store.database import CentralDatabase

        database = CentralDatabase(url)
        try:
            await UserService(database).create("second", "another long password")
            return database_files(path)
        finally:
            await database.close()

    files = asyncio.run(write())
    assert "central.db-wal" in files
    assert files == dict.fromkeys(files, 0o600)


LOCK_PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:  # SQLite's SHARED lock range (PENDING_BYTE + 2, 510 bytes)
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 510, 0x40000002)
    print("free")
except OSError:
    print("held")
"""


def test_making_a_database_private_keeps_the_locks_of_open_connections(tmp_path: Path) -> None:
    """Closing any descriptor of a file drops all of the process's POSIX locks on it: the
    check must never open the database file while other connections hold locks on it."""
    from edge.store.sqlite import private_database

    db = tmp_path / "edge.db"
    reader = reads.connect(db)
    try:
        reader.execute("CREATE TABLE t (x)")
        reader.execute("BEGIN")
        reader.execute("SELECT * FROM t").fetchall()  # a read transaction: a SHARED lock

        def lock() -> str:
            probe = [sys.executable, "-c", LOCK_PROBE, str(db)]
            return subprocess.run(probe, capture_output=True, text=True, check=True).stdout

        assert lock().strip() == "held"
        private_database(db)  # what every new connection of this process does first
        second = reads.connect(db)
        second.close()
        assert lock().strip() == "held"
    finally:
        reader.close()
