"""Restore a box from central (latest snapshot + the changes after it) and compare it."""

from __future__ import annotations

import base64
import gzip
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from central.cli import cli as central_cli
from central.settings import get_settings as central_settings
from edge.backup.snapshot import take_snapshot
from edge.backup.upload import upload_snapshot
from edge.cli import cli as edge_cli
from edge.roleconfig import CentralLink, load_role
from edge.settings import get_settings
from edge.store.checkins import record_checkins
from edge.store.reads import ReadIn, connect, record_reads
from tests.servers import central_process, free_port, postgres_database

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SLUG = "spring-10k-2026"
ADMIN = ("ops", "a long enough password")
KEY = base64.b64encode(bytes(range(32))).decode()


@pytest.fixture(params=["sqlite", "postgresql"])
def central(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    def started(url: str) -> Iterator[tuple[str, str]]:
        with central_process(url, free_port(), tmp_path) as base:
            central_settings.cache_clear()
            created = CliRunner(env={"CHRONO_CENTRAL_DATABASE_URL": url}).invoke(
                central_cli, ["user", "create", ADMIN[0], "--password-stdin"], input=ADMIN[1]
            )
            central_settings.cache_clear()
            assert created.exit_code == 0, created.output
            yield base, url

    if request.param == "sqlite":
        yield from started(f"sqlite+aiosqlite:///{tmp_path / 'central.db'}")
        return
    with postgres_database() as url:
        yield from started(url)


def chrono(db: Path, *args: str, env: dict[str, str] | None = None, stdin: str = "") -> str:
    get_settings.cache_clear()
    try:
        result = CliRunner(env=env).invoke(edge_cli, ["--db", str(db), *args], input=stdin)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output


def enroll(base: str, url: str) -> CentralLink:
    central_settings.cache_clear()
    issued = CliRunner(env={"CHRONO_CENTRAL_DATABASE_URL": url}).invoke(
        central_cli, ["enroll-token", "create", "--event", SLUG, "--json"]
    )
    central_settings.cache_clear()
    body = {"token": json.loads(issued.stdout)["token"], "serial": "original-box",
            "hostname": "pi-finish", "version": "0.1.0", "wg_public_key": KEY}  # fmt: skip
    granted = httpx.post(f"{base}/api/v1/enroll", json=body).json()
    return CentralLink(url=base, device_id=granted["device_id"],
                       device_token=granted["device_token"],
                       tunnel_address=granted["tunnel_address"])  # fmt: skip


def push_outbox(db: Path, link: CentralLink, after: int) -> int:
    """Send the box's outbox after ``after`` as the sync job does; return the last seq sent."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT seq, table_name, op, row_id, payload FROM outbox WHERE seq > ? ORDER BY seq",
            [after],
        ).fetchall()
    headers = {"Authorization": f"Bearer {link.device_token}", "Content-Encoding": "gzip"}
    for start in range(0, len(rows), 2000):
        page = rows[start : start + 2000]
        changes = [{"seq": s, "table": t, "op": o, "row_id": r, "payload": json.loads(p)}
                   for s, t, o, r, p in page]  # fmt: skip
        body = {"device_id": link.device_id, "seq_from": page[0][0], "seq_to": page[-1][0],
                "changes": changes}  # fmt: skip
        data = gzip.compress(json.dumps(body).encode())
        response = httpx.post(f"{link.url}/api/v1/sync/batches", content=data, headers=headers)
        assert response.status_code == 200, response.text
    return rows[-1][0] if rows else after


def add_reads(db: Path, first: int, count: int) -> None:
    connection = connect(db)
    try:
        event_id, point_id = connection.execute(
            "SELECT event_id, id FROM timing_point WHERE code = 'FINISH'"
        ).fetchone()
        reads = [ReadIn(f"E2801160600002000000A{(i % 6) + 1:03d}", 1, -50.0 - i % 7,
                        1_775_981_000_000_000 + i * 50_000, 1_775_981_000_000_000 + i * 50_000)
                 for i in range(first, first + count)]  # fmt: skip
        record_reads(connection, event_id, point_id, reads)
    finally:
        connection.close()


def table(db: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as connection:
        return sorted(connection.execute(query).fetchall(), key=repr)


def outbox(db: Path) -> list[tuple[object, ...]]:
    """The outbox with payloads parsed (central may store their keys in another order)."""
    rows = table(db, "SELECT seq, table_name, op, row_id, payload FROM outbox")
    return sorted((s, t, o, r, json.loads(str(p))) for s, t, o, r, p in rows)


def test_restored_box_equals_the_original(central: tuple[str, str], tmp_path: Path):
    base, url = central
    original = tmp_path / "original.db"
    chrono(original, "event", "load", str(ROOT / "docs/examples/spring-10k.yaml"))
    chrono(original, "entrants", "import", str(ROOT / "docs/examples/entrants.csv"),
           "--event", SLUG)  # fmt: skip
    link = enroll(base, url)
    add_reads(original, 0, 3000)
    chrono(original, "passings", "rebuild", "--event", SLUG)
    sent = push_outbox(original, link, 0)
    snapshot = take_snapshot(original, tmp_path / "snap")
    upload_snapshot(snapshot, link)
    # After the backup: more reads, a manual passing, a rebuild that deletes and adds.
    add_reads(original, 3000, 2000)
    chrono(original, "passings", "add", "--event", SLUG, "--point", "FINISH", "--bib", "4",
           "--time", "2026-04-12T10:20:00+02:00")  # fmt: skip
    chrono(original, "passings", "rebuild", "--event", SLUG, "--method", "first")
    with sqlite3.connect(original) as connection:  # corrections after the backup
        connection.execute("UPDATE entrant SET manual_status = 'DSQ' WHERE bib = '3'")
        connection.execute("DELETE FROM entrant WHERE bib = '6'")
    with closing(connect(original)) as connection:  # check-ins: a pass opened, then extended
        (event_id,) = connection.execute("SELECT id FROM event").fetchone()
        for at in (1_775_979_000_000_000, 1_775_979_000_500_000):
            checkin = ReadIn("E2801160600002000000A002", 4, -50.0, at, at)
            record_checkins(connection, event_id, [checkin], device_id="original")
    last = push_outbox(original, link, sent)
    assert last > snapshot.seq > 0

    replacement = tmp_path / "replacement" / "edge.db"
    role_file = tmp_path / "replacement" / "reader.json"
    env = {"CHRONO_CENTRAL_PASSWORD": ADMIN[1],
           "CHRONO_EDGE_KEY_FOLDER": str(tmp_path / "replacement" / "keys")}  # fmt: skip
    out = chrono(replacement, "restore", "--central", base, "--device", link.device_id,
                 "--user", ADMIN[0], "--role-file", str(role_file), env=env)  # fmt: skip
    assert f"snapshot up to change {snapshot.seq}" in out
    assert f"{last - snapshot.seq} changes replayed up to {last}" in out
    for query in (
        "SELECT * FROM tag_read",
        "SELECT * FROM passing",
        "SELECT * FROM entrant",
        "SELECT * FROM checkin",
    ):
        assert table(replacement, query) == table(original, query), query
    assert outbox(replacement) == outbox(original)  # seq for seq, same changes
    assert table(replacement, "SELECT manual_status FROM entrant WHERE bib = '3'") == [("DSQ",)]
    assert table(replacement, "SELECT acked_seq FROM sync_ack WHERE target = 'central'") == [
        (last,)
    ]
    adopted = load_role(role_file).central
    assert adopted is not None
    assert adopted.device_id == link.device_id
    assert adopted.tunnel_address == link.tunnel_address
    # The replacement carries on: its next change is the next seq central expects.
    add_reads(replacement, 9000, 10)
    assert push_outbox(replacement, adopted, last) == last + 10
    old_token = httpx.get(f"{base}/api/v1/sync/cursor",
                          headers={"Authorization": f"Bearer {link.device_token}"})  # fmt: skip
    assert old_token.status_code == 401  # the dead box's token no longer works


def test_restore_refuses_to_overwrite_and_needs_an_admin(central: tuple[str, str], tmp_path: Path):
    base, _ = central
    existing = tmp_path / "edge.db"
    existing.write_bytes(b"precious")
    get_settings.cache_clear()
    result = CliRunner(env={"CHRONO_CENTRAL_PASSWORD": ADMIN[1]}).invoke(
        edge_cli,
        [
            "--db",
            str(existing),
            "restore",
            "--central",
            base,
            "--device",
            "x",
            "--user",
            ADMIN[0],
        ],
    )
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert existing.read_bytes() == b"precious"
    fresh = tmp_path / "fresh.db"
    result = CliRunner(env={"CHRONO_CENTRAL_PASSWORD": "wrong"}).invoke(
        edge_cli,
        [
            "--db",
            str(fresh),
            "restore",
            "--central",
            base,
            "--device",
            "x",
            "--user",
            ADMIN[0],
        ],
    )
    assert result.exit_code == 1
    assert "401" in result.output
    assert not fresh.exists()
