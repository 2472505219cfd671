"""After the event: archive (sealed, uploaded, confirmed by a real central), then purge.

The box is a real SQLite file with two events; central runs as its own process on
SQLite and on PostgreSQL, with the fleet's backup recipient set.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
import sqlite3
import tarfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from edge.backup.upload import BackupUploadFailed, upload_file
from edge.domain import PassingMethod
from edge.domain.clock import parse_instant
from edge.errors import Conflict, InvalidInput, NotFound
from edge.imports.eventfile import load_event_file
from edge.paths import BoxPaths
from edge.roleconfig import CentralLink, RoleConfig, load_role, save_role
from edge.sealing import (
    AGE_MAGIC,
    SealError,
    file_sha256,
    load_identity,
    new_identity,
    open_file,
)
from edge.services.archives import ArchiveService
from edge.services.corrections import CorrectionRequest, CorrectionService
from edge.services.entrants import EntrantService
from edge.services.events import EventService
from edge.services.exports import ExportRequest, ExportService
from edge.services.passings import NewPassing, PassingService
from edge.store.database import Database
from edge.store.migrate import upgrade
from tests.servers import central_on, chrono_central, free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SLUG = "spring-10k-2026"
OTHER = "heure-du-parc-2026"
KEY = base64.b64encode(bytes(range(32))).decode()
EVENT_TABLES = ("passing", "tag_read", "entrant", "correction", "race", "timing_point")


@pytest.fixture(scope="module")
def fleet_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The fleet backup key: its identity file (the admin's) and its recipient (everyone's)."""
    path = tmp_path_factory.mktemp("fleet") / "backup-key.txt"
    return path, new_identity(path)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def central(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    fleet_key: tuple[Path, str],
) -> Iterator[tuple[str, str, Path]]:
    folder = tmp_path_factory.mktemp("central")
    settings = {"CHRONO_CENTRAL_BACKUP_RECIPIENT": fleet_key[1]}
    with central_on(request.param, folder, settings) as (base, url):
        yield base, url, folder / "var/central/backups"


def enroll(base: str, url: str, serial: str) -> CentralLink:
    issued = chrono_central(url, "enroll-token", "create", "--event", SLUG, "--json")
    body = {"token": json.loads(issued)["token"], "serial": serial, "hostname": serial,
            "version": "0.1.0", "wg_public_key": KEY}  # fmt: skip
    granted = httpx.post(f"{base}/api/v1/enroll", json=body).json()
    return CentralLink(url=base, device_id=granted["device_id"],
                       device_token=granted["device_token"],
                       tunnel_address=granted["tunnel_address"])  # fmt: skip


async def _noop(_percent: int, _stage: str) -> None:
    return None


class Box:
    """A box's files, its database and its archive service."""

    def __init__(self, folder: Path, db: Database, recipient: str) -> None:
        self.paths = BoxPaths.under(folder)
        self.db = db
        self.archives = ArchiveService(db, self.paths, recipient)

    def count(self, query: str, *args: object) -> int:
        with sqlite3.connect(self.paths.database) as connection:
            return int(connection.execute(query, args).fetchone()[0])

    def rows_of(self, slug: str) -> dict[str, int]:
        """How many rows of each of the event's tables."""
        event = f"(SELECT id FROM event WHERE slug = '{slug}')"
        return {t: self.count(f"SELECT count(*) FROM {t} WHERE event_id = {event}")
                for t in EVENT_TABLES}  # fmt: skip

    def outbox(self) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.paths.database) as connection:
            return connection.execute("SELECT * FROM outbox ORDER BY seq").fetchall()


@pytest.fixture
async def box(tmp_path: Path, fleet_key: tuple[Path, str]) -> AsyncIterator[Box]:
    """Two events: the spring 10K (passings, a correction, an export) and the park hour."""
    folder = tmp_path / "box"
    folder.mkdir()
    paths = BoxPaths.under(folder)
    upgrade(paths.database)
    db = Database(paths.database)
    events = EventService(db)
    await events.load(load_event_file(ROOT / "docs/examples/spring-10k.yaml"))
    await events.load(load_event_file(ROOT / "docs/examples/timed.yaml"))
    entrants = EntrantService(db)
    await entrants.import_csv(SLUG, (ROOT / "docs/examples/entrants.csv").read_bytes())
    await entrants.import_csv(OTHER, (ROOT / "docs/examples/timed-entrants.csv").read_bytes())
    passings = PassingService(db)
    for bib, clock in (("1", "10:10:00"), ("2", "10:05:00"), ("3", "10:20:00")):
        at = parse_instant(f"2026-04-12T{clock}+02:00")
        await passings.record(SLUG, NewPassing("FINISH", bib, at), method=PassingMethod.MANUAL)
    for bib in ("1", "2"):
        at = parse_instant("2026-09-13T10:05:00+02:00")
        await passings.record(OTHER, NewPassing("FINISH", bib, at), method=PassingMethod.MANUAL)
    await CorrectionService(db).apply(
        SLUG, CorrectionRequest("status", bib="3", status="DSQ", reason="cut the course"), "Ana"
    )
    exports = ExportService(db, paths.exports_folder)
    await exports.produce(ExportRequest(SLUG, "10K", "scratch", "csv"), _noop)
    await exports.produce(ExportRequest(OTHER, "1H", "scratch", "csv"), _noop)
    yield Box(folder, db, fleet_key[1])
    await db.close()


async def enrolled(box: Box, central: tuple[str, str, Path], serial: str) -> CentralLink:
    # The CLI runs its own event loop: in a thread, out of the test's.
    link = await asyncio.to_thread(enroll, central[0], central[1], serial)
    save_role(box.paths.role_file, RoleConfig(event=OTHER, point="FINISH", central=link))
    return link


async def archived(box: Box, created_by: str = "Ana") -> str:
    """An archive of the spring 10K recorded as the console does, then run as its job does."""
    row = await box.archives.start(SLUG, created_by, _NoJobs())
    view = await box.archives.run(row.id, _noop)
    assert view.state == "confirmed", view
    return view.id


class _NoJobs:
    """What ``start`` needs of the job service: the test runs the job itself."""

    async def enqueue(self, kind: str, payload: dict[str, object], queue: str | None) -> int:
        assert kind == "archive.event"
        return 1


def opened(sealed: Path, identity: Path, into: Path) -> tarfile.TarFile:
    plain = into / "archive.tar.gz"
    open_file(sealed, plain, load_identity(identity))
    return tarfile.open(plain)


async def test_archive_confirmed_by_central_then_purge_removes_only_that_event(
    box: Box, central: tuple[str, str, Path], fleet_key: tuple[Path, str], tmp_path: Path
) -> None:
    await enrolled(box, central, "archive-purge")
    other_before = box.rows_of(OTHER)
    spring_before = box.rows_of(SLUG)
    assert spring_before["passing"] == 3
    assert spring_before["correction"] == 1
    archive_id = await archived(box)
    view = await box.archives.get(archive_id)
    assert view.counts["passing"] == 3
    assert view.counts["correction"] == 1
    assert view.counts["exports"] == 1

    # Central holds the very file: sealed (age), so unreadable there, and it opens with the key.
    stored = central[2] / view.central_id
    data = stored.read_bytes()
    assert data.startswith(AGE_MAGIC)
    assert b"SQLite format 3" not in data
    assert b"Dupont" not in data
    assert b"\x1f\x8b" not in data[:64]  # not a bare gzip either
    local = box.paths.archives_folder / next(p.name for p in box.paths.archives_folder.iterdir())
    assert local.read_bytes() == data
    with opened(stored, fleet_key[0], tmp_path) as tar:
        names = set(tar.getnames())
        assert {"manifest.json", "event.db", "corrections.csv", "logs/jobs.jsonl"} <= names
        assert "exports/spring-10k-2026_10K_scratch.csv" in names
        assert not any(OTHER in name for name in names)
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        corrections = tar.extractfile("corrections.csv").read().decode()  # type: ignore[union-attr]
        tar.extract("event.db", tmp_path, filter="data")
    assert manifest["event"] == SLUG
    assert manifest["counts"]["passing"] == 3
    rows = list(csv.DictReader(io.StringIO(corrections)))
    assert [(r["bib"], r["status"], r["reason"], r["created_by"]) for r in rows] == [
        ("3", "DSQ", "cut the course", "Ana")
    ]
    with sqlite3.connect(tmp_path / "event.db") as copy:
        assert copy.execute("SELECT slug FROM event").fetchall() == [(SLUG,)]
        assert copy.execute("SELECT count(*) FROM passing").fetchone()[0] == 3
        assert copy.execute("SELECT last_name FROM entrant WHERE bib = '2'").fetchone() == (
            "Dupont",
        )

    outbox_before = box.outbox()
    report = await box.archives.purge(SLUG)
    assert report.rows["passing"] == 3
    assert report.rows["event"] == 1
    assert report.files == 1
    assert box.count("SELECT count(*) FROM event WHERE slug = ?", SLUG) == 0
    assert box.rows_of(SLUG) == dict.fromkeys(EVENT_TABLES, 0)
    assert box.rows_of(OTHER) == other_before  # the other event is untouched
    assert box.outbox() == outbox_before  # the purge is not replicated: central keeps the event
    assert [p.name for p in box.paths.exports_folder.iterdir()] == [
        "heure-du-parc-2026_1H_scratch.csv"
    ]
    assert not list(box.paths.archives_folder.iterdir())
    assert (await box.archives.get(archive_id)).state == "purged"
    # Central still confirms its copy after the purge.
    link = load_role(box.paths.role_file).central
    assert link is not None
    headers = {"Authorization": f"Bearer {link.device_token}"}
    async with httpx.AsyncClient() as client:
        answer = await client.get(
            f"{central[0]}/api/v1/archives/{view.central_id}", headers=headers
        )
    assert answer.json()["confirmed"] is True


async def test_purge_is_refused_until_central_confirms(
    box: Box, central: tuple[str, str, Path]
) -> None:
    await enrolled(box, central, "archive-unconfirmed")
    before = box.rows_of(SLUG)
    with pytest.raises(Conflict, match="never archived"):
        await box.archives.purge(SLUG)
    started = await box.archives.start(SLUG, "Ana", _NoJobs())  # queued, not yet run
    with pytest.raises(Conflict, match=r"building.*not confirmed by central"):
        await box.archives.purge(SLUG)
    await box.archives.build(started.id)  # built, not uploaded
    with pytest.raises(Conflict, match=r"uploading.*not confirmed by central"):
        await box.archives.purge(SLUG)
    assert box.rows_of(SLUG) == before


async def test_a_tampered_upload_is_refused_and_nothing_is_purged(
    box: Box, central: tuple[str, str, Path]
) -> None:
    link = await enrolled(box, central, "archive-tampered")
    before = box.rows_of(SLUG)
    started = await box.archives.start(SLUG, "Ana", _NoJobs())
    built = await box.archives.build(started.id)
    sealed = box.paths.archives_folder / next(p.name for p in box.paths.archives_folder.iterdir())
    data = bytearray(sealed.read_bytes())
    data[-10] ^= 0xFF  # altered after its hash was taken (a bad SD card, a meddler)
    sealed.write_bytes(bytes(data))
    with pytest.raises(BackupUploadFailed, match="does not match its sha256"):
        await box.archives.upload(built.id, link, link.url)
    with pytest.raises(Conflict, match="not confirmed by central"):
        await box.archives.purge(SLUG)
    assert box.rows_of(SLUG) == before


async def test_an_archive_altered_on_central_is_no_longer_confirmed(
    box: Box, central: tuple[str, str, Path]
) -> None:
    await enrolled(box, central, "archive-altered")
    before = box.rows_of(SLUG)
    archive_id = await archived(box)
    stored = central[2] / (await box.archives.get(archive_id)).central_id
    data = bytearray(stored.read_bytes())
    data[-1] ^= 0x01
    stored.write_bytes(bytes(data))
    with pytest.raises(Conflict, match=r"does not match the archive's sha256.*nothing was deleted"):
        await box.archives.purge(SLUG)
    assert box.rows_of(SLUG) == before
    assert (await box.archives.get(archive_id)).state == "failed"


async def test_purge_is_refused_while_central_is_unreachable(
    box: Box, central: tuple[str, str, Path]
) -> None:
    link = await enrolled(box, central, "archive-offline")
    before = box.rows_of(SLUG)
    await archived(box)
    gone = link.model_copy(update={"url": f"http://127.0.0.1:{free_port()}"})
    save_role(box.paths.role_file, RoleConfig(event=OTHER, central=gone))
    with pytest.raises(Conflict, match=r"cannot be reached.*nothing was deleted"):
        await box.archives.purge(SLUG)
    assert box.rows_of(SLUG) == before


async def test_purge_is_refused_when_the_event_changed_after_its_archive(
    box: Box, central: tuple[str, str, Path]
) -> None:
    await enrolled(box, central, "archive-changed")
    await archived(box)
    at = parse_instant("2026-04-12T10:30:00+02:00")
    await PassingService(box.db).record(
        SLUG, NewPassing("FINISH", "4", at), method=PassingMethod.MANUAL
    )
    before = box.rows_of(SLUG)
    with pytest.raises(Conflict, match="changed after its archive"):
        await box.archives.purge(SLUG)
    assert box.rows_of(SLUG) == before


async def test_the_archive_opens_with_the_fleet_key_only(
    box: Box, central: tuple[str, str, Path], fleet_key: tuple[Path, str], tmp_path: Path
) -> None:
    await enrolled(box, central, "archive-keys")
    archive_id = await archived(box)
    stored = central[2] / (await box.archives.get(archive_id)).central_id
    stranger = tmp_path / "another-key.txt"
    new_identity(stranger)
    with pytest.raises(SealError, match="sealed for another fleet key"):
        open_file(stored, tmp_path / "nope", load_identity(stranger))
    assert not (tmp_path / "nope").exists()
    with opened(stored, fleet_key[0], tmp_path) as tar:
        assert "event.db" in tar.getnames()


async def test_archiving_needs_the_fleet_key_and_an_enrolled_box(
    box: Box, central: tuple[str, str, Path]
) -> None:
    without = ArchiveService(box.db, box.paths, "")
    with pytest.raises(InvalidInput, match="CHRONO_EDGE_BACKUP_RECIPIENT"):
        await without.start(SLUG, "Ana", _NoJobs())
    with pytest.raises(InvalidInput, match="not an age recipient"):
        await ArchiveService(box.db, box.paths, "age1nope").start(SLUG, "Ana", _NoJobs())
    save_role(box.paths.role_file, RoleConfig(event=SLUG))
    with pytest.raises(Conflict, match="not enrolled with central"):
        await box.archives.start(SLUG, "Ana", _NoJobs())
    await enrolled(box, central, "archive-unknown-event")
    with pytest.raises(NotFound, match="nope"):
        await box.archives.start("nope", "Ana", _NoJobs())
    started = await box.archives.start(SLUG, "Ana", _NoJobs())
    again = await box.archives.start(SLUG, "Bob", _NoJobs())
    assert again.id == started.id  # one under way at a time


async def test_central_refuses_an_archive_that_is_not_sealed(
    box: Box, central: tuple[str, str, Path], tmp_path: Path
) -> None:
    link = await enrolled(box, central, "archive-plaintext")
    plain = tmp_path / "event.tar.gz"
    plain.write_bytes(b"\x1f\x8b" + b"entrants: Dupont " * 100)
    start = {"size": plain.stat().st_size, "sha256": file_sha256(plain), "event": SLUG}
    with pytest.raises(BackupUploadFailed, match="is not sealed with the fleet backup key"):
        await asyncio.to_thread(upload_file, plain, start, link, "archives")
    assert not [p for p in central[2].iterdir() if b"Dupont" in p.read_bytes()]


async def test_purge_is_refused_while_the_box_is_set_to_the_event(
    box: Box, central: tuple[str, str, Path]
) -> None:
    link = await enrolled(box, central, "archive-still-timing")
    await archived(box)
    save_role(box.paths.role_file, RoleConfig(event=SLUG, point="FINISH", central=link))
    before = box.rows_of(SLUG)
    with pytest.raises(Conflict, match=r"still set to spring-10k-2026.*nothing was deleted"):
        await box.archives.purge(SLUG)
    assert box.rows_of(SLUG) == before
