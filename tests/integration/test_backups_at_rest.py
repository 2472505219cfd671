"""Central keeps backups sealed with the fleet backup key: unreadable on its disk, restored
only with the key; backups stored before the key was set are sealed at start-up, intact."""

from __future__ import annotations

import asyncio
import gzip
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from central.store.database import CentralDatabase
from central.store.models import Backup
from edge.backup.restore import RestoreFailed, restore_from_central
from edge.backup.snapshot import take_snapshot
from edge.backup.upload import upload_snapshot
from edge.roleconfig import CentralLink
from edge.sealing import AGE_MAGIC, new_identity
from tests.integration.test_restore import (
    ADMIN,
    KEY,
    ROOT,
    SLUG,
    add_reads,
    chrono,
    push_outbox,
    table,
)
from tests.servers import central_process, chrono_central, free_port, postgres_database

pytestmark = pytest.mark.integration


@contextmanager
def database_url(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'central.db'}"
        return
    with postgres_database() as url:
        yield url


def enroll(base: str, url: str, serial: str) -> CentralLink:
    issued = chrono_central(url, "enroll-token", "create", "--event", SLUG, "--json")
    body = {"token": json.loads(issued)["token"], "serial": serial, "hostname": serial,
            "version": "0.1.0", "wg_public_key": KEY}  # fmt: skip
    granted = httpx.post(f"{base}/api/v1/enroll", json=body).json()
    return CentralLink(url=base, device_id=granted["device_id"],
                       device_token=granted["device_token"],
                       tunnel_address=granted["tunnel_address"])  # fmt: skip


def stored_rows(url: str, device_id: str) -> list[Backup]:
    """Central's rows of the device's backups."""

    async def read() -> list[Backup]:
        db = CentralDatabase(url)
        try:
            async with db.read() as session:
                found = await session.exec(select(Backup).where(Backup.device_id == device_id))
                return list(found.all())
        finally:
            await db.close()

    return asyncio.run(read())


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_backups_are_sealed_at_rest_and_restore_needs_the_fleet_key(
    kind: str, tmp_path: Path
) -> None:
    identity = tmp_path / "fleet-key.txt"
    recipient = new_identity(identity)
    original = tmp_path / "original.db"
    chrono(original, "event", "load", str(ROOT / "docs/examples/spring-10k.yaml"))
    chrono(original, "entrants", "import", str(ROOT / "docs/examples/entrants.csv"),
           "--event", SLUG)  # fmt: skip
    add_reads(original, 0, 2000)
    blobs = tmp_path / "var/central/backups"
    with database_url(kind, tmp_path) as url:
        # Before the fleet key was set: central stores the backup as the box sent it.
        with central_process(url, free_port(), tmp_path) as base:
            chrono_central(url, "user", "create", ADMIN[0], "--password-stdin", stdin=ADMIN[1])
            link = enroll(base, url, f"at-rest-{kind}")
            pushed = push_outbox(original, link, 0)
            snapshot = take_snapshot(original, tmp_path / "snap")
            sent = upload_snapshot(snapshot, link)
            assert (blobs / sent.backup_id).read_bytes() == snapshot.path.read_bytes()
        # The key is set: at start-up the stored backup is sealed, nothing lost.
        sealed_env = {"CHRONO_CENTRAL_BACKUP_RECIPIENT": recipient}
        with central_process(url, free_port(), tmp_path, sealed_env) as base:
            stored = (blobs / sent.backup_id).read_bytes()
            assert stored.startswith(AGE_MAGIC)
            assert b"SQLite format 3" not in stored
            assert b"Dupont" not in stored
            [row] = stored_rows(url, link.device_id)
            assert row.sealed
            assert row.uploaded_sha256 == snapshot.sha256
            assert row.sha256 != snapshot.sha256
            assert row.size == len(stored)
            # A new backup is sealed as soon as it is complete.
            add_reads(original, 2000, 500)
            (tmp_path / "snap2").mkdir()
            newer = take_snapshot(original, tmp_path / "snap2")
            push_outbox(original, link.model_copy(update={"url": base}), pushed)
            second = upload_snapshot(newer, link, url=base)  # central moved to a new port
            assert (blobs / second.backup_id).read_bytes().startswith(AGE_MAGIC)
            assert not list(blobs.glob(".*"))  # no staged plaintext left behind
            # Restore: refused without the key (nothing written), exact with it.
            replacement = tmp_path / "replacement" / "edge.db"
            with pytest.raises(RestoreFailed, match="sealed with the fleet backup key"):
                restore_from_central(base, link.device_id, ADMIN, replacement)
            assert not replacement.exists()
            stranger = tmp_path / "stranger.txt"
            new_identity(stranger)
            with pytest.raises(RestoreFailed, match="sealed for another fleet key"):
                restore_from_central(base, link.device_id, ADMIN, replacement, stranger)
            assert not replacement.exists()
            report = restore_from_central(base, link.device_id, ADMIN, replacement, identity)
    assert report.backup_id == second.backup_id
    assert report.tag_reads == 2500
    assert table(replacement, "SELECT * FROM tag_read") == table(original, "SELECT * FROM tag_read")
    with sqlite3.connect(replacement) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # What was sealed at rest is the box's very snapshot once opened (gzip of the database).
    assert gzip.decompress(snapshot.path.read_bytes())[:15] == b"SQLite format 3"
