"""Backups: an online snapshot of a box in use, uploaded in resumable chunks, kept last N."""

from __future__ import annotations

import base64
import gzip
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from central.cli import cli as central_cli
from central.settings import get_settings as central_settings
from edge.backup.snapshot import take_snapshot
from edge.backup.upload import BackupUploadFailed, upload_snapshot
from edge.cli import cli as edge_cli
from edge.roleconfig import CentralLink
from edge.store.reads import ReadIn, connect, record_reads
from tests.servers import central_on

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
KEY = base64.b64encode(bytes(range(32))).decode()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def central(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, Path]]:
    folder = tmp_path_factory.mktemp("central")
    with central_on(request.param, folder) as (base, url):
        yield base, url, folder


def enrolled(base: str, url: str, serial: str) -> CentralLink:
    central_settings.cache_clear()
    issued = CliRunner(env={"CHRONO_CENTRAL_DATABASE_URL": url}).invoke(
        central_cli, ["enroll-token", "create", "--event", "spring-10k-2026", "--json"]
    )
    central_settings.cache_clear()
    body = {"token": json.loads(issued.stdout)["token"], "serial": serial, "hostname": serial,
            "version": "0.1.0", "wg_public_key": KEY}  # fmt: skip
    granted = httpx.post(f"{base}/api/v1/enroll", json=body).json()
    return CentralLink(
        url=base,
        device_id=granted["device_id"],
        device_token=granted["device_token"],
        tunnel_address=granted["tunnel_address"],
    )


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A box database with an event and 20,000 raw reads."""
    db = tmp_path_factory.mktemp("box") / "edge.db"
    result = CliRunner().invoke(
        edge_cli, ["--db", str(db), "event", "load", str(ROOT / "docs/examples/spring-10k.yaml")]
    )
    assert result.exit_code == 0, result.output
    connection = connect(db)
    try:
        event_id, point_id = connection.execute(
            "SELECT event_id, id FROM timing_point WHERE code = 'FINISH'"
        ).fetchone()
        reads = [ReadIn(f"E{i:023d}", 1 + i % 2, -50.0, i * 1000, i * 1000) for i in range(20_000)]
        assert record_reads(connection, event_id, point_id, reads) == 20_000
    finally:
        connection.close()
    return db


def test_snapshot_is_consistent_and_carries_its_outbox_seq(box: Path, tmp_path: Path):
    snapshot = take_snapshot(box, tmp_path)
    restored = tmp_path / "restored.db"
    restored.write_bytes(gzip.decompress(snapshot.path.read_bytes()))
    copy = sqlite3.connect(restored)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM tag_read").fetchone()[0] == 20_000
        assert snapshot.seq == copy.execute("SELECT max(seq) FROM outbox").fetchone()[0]
    finally:
        copy.close()
    assert snapshot.seq >= 20_000


def test_upload_resumes_after_an_interruption(
    central: tuple[str, str, Path], box: Path, tmp_path: Path
):
    base, url, folder = central
    link = enrolled(base, url, "backup-resume")
    snapshot = take_snapshot(box, tmp_path)
    assert snapshot.size > 3 * 64 * 1024
    # A first run dies after two chunks (the 4G link dropped): simulate it by hand.
    headers = {"Authorization": f"Bearer {link.device_token}"}
    start = {"size": snapshot.size, "sha256": snapshot.sha256, "seq": snapshot.seq}
    state = httpx.post(f"{base}/api/v1/backups", json=start, headers=headers).json()
    data = snapshot.path.read_bytes()
    for offset in (0, 64 * 1024):
        piece = data[offset : offset + 64 * 1024]
        put = httpx.put(f"{base}/api/v1/backups/{state['id']}", params={"offset": offset},
                        content=piece, headers=headers)  # fmt: skip
        assert put.status_code == 200, put.text
    wrong = httpx.put(f"{base}/api/v1/backups/{state['id']}", params={"offset": 0},
                      content=data[:10], headers=headers)  # fmt: skip
    assert wrong.status_code == 409
    assert wrong.json()["expected_offset"] == 128 * 1024
    result = upload_snapshot(snapshot, link, chunk_bytes=64 * 1024)
    assert result.resumed_at == 128 * 1024
    latest = httpx.get(f"{base}/api/v1/backups/latest", headers=headers).json()
    assert latest["complete"] is True
    assert latest["seq"] == snapshot.seq
    stored = folder / "var/central/backups" / result.backup_id
    assert stored.read_bytes() == data


def test_a_corrupted_upload_is_refused_and_only_the_last_n_are_kept(
    central: tuple[str, str, Path], box: Path, tmp_path: Path
):
    base, url, folder = central
    link = enrolled(base, url, "backup-keep")
    snapshot = take_snapshot(box, tmp_path)
    liar = snapshot.__class__(snapshot.path, snapshot.size, "0" * 64, snapshot.seq)
    with pytest.raises(BackupUploadFailed, match="does not match its sha256"):
        upload_snapshot(liar, link)
    ids = []
    for n in range(7):
        (tmp_path / f"s{n}").mkdir()
        ids.append(upload_snapshot(take_snapshot(box, tmp_path / f"s{n}"), link).backup_id)
    headers = {"Authorization": f"Bearer {link.device_token}"}
    assert httpx.get(f"{base}/api/v1/backups/latest", headers=headers).json()["id"] == ids[-1]
    files = {p.name for p in (folder / "var/central/backups").iterdir()}
    assert set(ids[-5:]) <= files  # the default keeps 5 per device
    assert not set(ids[:2]) & files
