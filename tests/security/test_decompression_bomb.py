"""Issue 18, finding 7: bodies are bounded before they are parsed, and credentials come first.

A 58 KB gzip batch inflating to 60 MB of JSON took a MASTER from 157 MB to
1.36 GB: it was inflated up to 64 MB, then parsed whole before the change count
was checked. Now every route reading a body has a bound (413 beyond it), a sync
batch is inflated incrementally within MAX_BATCH_BYTES and its items counted
before parsing, and the sync routes check the credential before reading a byte
of the body. Real processes on loopback: a box (``chrono-edge serve``) and
central (``chrono-central serve``).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import socket
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from central.services.enrollment import EnrollmentRequest, EnrollmentService
from central.settings import CentralSettings
from central.store.database import CentralDatabase
from edge.cli import cli
from edge.roleconfig import RoleConfig, save_role
from edge.sync.forwarder import Forwarder
from edge.sync.outbox import Outbox
from edge.sync.protocol import (
    CENTRAL_PATH,
    INGEST_PATH,
    MAX_BATCH_BYTES,
    MAX_CHANGES,
    PROTOCOL_HEADER,
    BatchIn,
    ChangeIn,
    encode_batch,
    parse_batch,
)
from tests.browser import EXAMPLE_SLUG, LiveBox, live_box
from tests.servers import central_process, free_port
from tests.syncbox import load_box, query

pytestmark = pytest.mark.integration

KEY = "spring-10k-event-key"
INFLATED = 60 * 1024 * 1024
"""What the bomb of the report inflated to."""


def change(seq: int) -> bytes:
    """One well-formed tag read change (what a SLAVE really sends)."""
    payload = {
        "id": f"0190a0b0-0000-7000-8000-{seq:012d}",
        "event": EXAMPLE_SLUG,
        "point": "KM5",
        "device_id": "slave-km5",
        "epc": f"E2801160600002000000{seq % 10000:04d}",
        "antenna": 1,
        "rssi_dbm": -51.5,
        "reader_time_us": 1_775_979_000_000_000 + seq,
        "corrected_time_us": 1_775_979_000_000_000 + seq,
        "created_us": 1_775_979_000_000_000 + seq,
    }
    row = {"seq": seq, "table": "tag_read", "op": "upsert", "row_id": payload["id"]}
    return json.dumps({**row, "payload": payload}).encode()


def batch_bytes(count: int, device: str = "slave-km5") -> Iterator[bytes]:
    """A batch of ``count`` changes, as chunks (60 MB never sits in the test's memory)."""
    yield f'{{"device_id":"{device}","seq_from":1,"seq_to":{count},"changes":['.encode()
    for seq in range(1, count + 1):
        yield (b"," if seq > 1 else b"") + change(seq)
    yield b"]}"


def gzip_bomb(size: int = INFLATED, device: str = "slave-km5") -> bytes:
    """A gzipped batch inflating to ``size`` bytes of JSON: one change padded with a long
    string, the way the report's 58 KB body reached 60 MB."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    head = f'{{"device_id":"{device}","seq_from":1,"seq_to":1,"changes":['.encode()
    head += change(1)[:-2] + b', "pad": "'
    tail = b'"}}]}'
    out = [packer.compress(head)]
    left = size - len(head) - len(tail)
    block = b"a" * (1024 * 1024)
    while left > 0:
        out.append(packer.compress(block[:left]))
        left -= len(block)
    out += [packer.compress(tail), packer.flush()]
    return b"".join(out)


def tiny_items(count: int) -> bytes:
    """A small body (well under every byte limit) holding ``count`` minimal changes."""
    item = '{{"seq":{0},"table":"t","op":"upsert","row_id":"","payload":{{}}}}'
    changes = ",".join(item.format(seq) for seq in range(1, count + 1))
    head = f'{{"device_id":"slave-km5","seq_from":1,"seq_to":{count},"changes":['
    return f"{head}{changes}]}}".encode()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_bomb()


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBox]:
    """A MASTER box (event loaded) whose reader.json holds the event key."""
    with live_box(tmp_path_factory.mktemp("master"), entrants=None) as box:
        save_role(
            box.role_file,
            RoleConfig(role="master", event=EXAMPLE_SLUG, point="FINISH", event_key=KEY),
        )
        yield box


def stored(box: LiveBox) -> tuple[int, int, int]:
    """(reads, passings, sync_inbox rows) in the MASTER's database."""
    counts = [query(box.db, f"SELECT count(*) FROM {t}")[0][0] for t in ("tag_read", "passing")]
    return counts[0], counts[1], query(box.db, "SELECT count(*) FROM sync_inbox")[0][0]


def post_batch(
    base: str,
    path: str,
    body: bytes,
    token: str | None,
    encoding: str | None,
    version: str | None = None,
) -> int:
    headers = {"Content-Type": "application/json"}
    if version is not None:
        headers[PROTOCOL_HEADER] = version
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(f"{base}{path}", content=body, headers=headers, timeout=60).status_code


def status_without_body(base: str, path: str, token: str, announced: int) -> int | None:
    """Send only the headers of a POST announcing ``announced`` bytes; the status, if any.

    A server that checks the credential first answers at once; one that reads
    the body first waits for bytes that never come (None after the timeout).
    """
    host, port = base.removeprefix("http://").split(":")
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Encoding: gzip\r\n"
        f"Content-Length: {announced}\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(head.encode())
        try:
            answer = connection.recv(4096)
        except TimeoutError:
            return None
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


def test_a_gzip_bomb_is_refused_413_and_nothing_is_stored(master: LiveBox, bomb: bytes) -> None:
    assert len(bomb) < 100 * 1024  # the report's was 58 KB
    before = stored(master)
    assert post_batch(master.url, INGEST_PATH, bomb, KEY, "gzip") == 413
    assert stored(master) == before
    # The bomb just past the bound is refused too; the master still answers.
    assert post_batch(master.url, INGEST_PATH, gzip_bomb(MAX_BATCH_BYTES + 1), KEY, "gzip") == 413
    assert httpx.get(f"{master.url}/healthz").status_code == 200


def test_a_bomb_behind_a_small_first_gzip_member_stores_nothing(
    master: LiveBox, bomb: bytes
) -> None:
    first = gzip.compress(b"".join(batch_bytes(1)))
    before = stored(master)
    assert post_batch(master.url, INGEST_PATH, first + bomb, KEY, "gzip") in (413, 422)
    assert stored(master) == before


def test_a_chunked_body_without_length_is_bounded_too(master: LiveBox, bomb: bytes) -> None:
    def chunks(total: int) -> Iterator[bytes]:
        for _ in range(total // 65536):
            yield b"x" * 65536

    with httpx.Client(base_url=master.url, timeout=60) as client:
        headers = {"Authorization": f"Bearer {KEY}"}
        big = MAX_BATCH_BYTES + 1024 * 1024
        answer = client.post(INGEST_PATH, content=chunks(big), headers=headers)
        assert answer.status_code == 413
        assert client.post("/api/v1/events", content=chunks(2 * 1024 * 1024)).status_code == 413


@pytest.mark.parametrize("encoding", ["GZIP", "x-gzip", "gzip, gzip", "deflate", "br"])
def test_other_spellings_of_the_encoding_store_nothing(
    master: LiveBox, bomb: bytes, encoding: str
) -> None:
    before = stored(master)
    status = post_batch(master.url, INGEST_PATH, bomb, KEY, encoding)
    assert status in (413, 422), status
    assert stored(master) == before


def test_an_uncompressed_batch_beyond_the_bound_is_refused_413(master: LiveBox) -> None:
    body = b"".join(batch_bytes(MAX_BATCH_BYTES // len(change(1)) + 100))
    assert len(body) > MAX_BATCH_BYTES
    before = stored(master)
    assert post_batch(master.url, INGEST_PATH, body, KEY, None) == 413
    assert stored(master) == before


def test_items_are_counted_before_parsing(master: LiveBox) -> None:
    """Tiny changes by the hundred thousand in a small body: 413 before any parsing."""
    body = tiny_items(20 * MAX_CHANGES)
    assert len(body) < MAX_BATCH_BYTES
    before = stored(master)
    assert post_batch(master.url, INGEST_PATH, body, KEY, None) == 413
    assert post_batch(master.url, INGEST_PATH, gzip.compress(body), KEY, "gzip") == 413
    assert stored(master) == before


def compact_reads(count: int) -> BatchIn:
    """``count`` well-formed reads of the SLAVE, as a batch to send in version 2."""
    changes = [ChangeIn.model_validate_json(change(seq)) for seq in range(1, count + 1)]
    return BatchIn(device_id="slave-km5", seq_from=1, seq_to=count, changes=changes)


def test_a_compact_batch_is_bounded_like_a_json_one(master: LiveBox, bomb: bytes) -> None:
    """Version 2: the same inflation bound, and no expansion past it (a long key is written
    once in the document but once per change in the batch it stands for)."""
    before = stored(master)
    assert post_batch(master.url, INGEST_PATH, bomb, KEY, "gzip", "2") == 413
    name = "k" * (MAX_BATCH_BYTES // MAX_CHANGES)
    document = {
        "device_id": "slave-km5", "seq_from": 1, "seq_to": MAX_CHANGES,
        "order": [[0, MAX_CHANGES]],
        "groups": [{"table": "tag_read", "op": "upsert", "keys": [name],
                    "row_ids": {"values": [str(n) for n in range(MAX_CHANGES)]},
                    "columns": [{"deltas": [0] * MAX_CHANGES}]}],
    }  # fmt: skip
    expanding = gzip.compress(json.dumps(document).encode())
    assert len(expanding) < 64 * 1024
    assert post_batch(master.url, INGEST_PATH, expanding, KEY, "gzip", "2") == 413
    cut = encode_batch(compact_reads(3), 2)[:-9]
    answer = httpx.post(
        f"{master.url}{INGEST_PATH}",
        content=cut,
        headers={
            "Authorization": f"Bearer {KEY}",
            "Content-Encoding": "gzip",
            PROTOCOL_HEADER: "2",
        },
    )
    assert answer.status_code == 422
    assert "truncated gzip" in answer.json()["detail"]
    assert answer.headers[PROTOCOL_HEADER] == "2"
    assert stored(master) == before


def test_the_event_key_is_checked_before_the_body_is_read(master: LiveBox, bomb: bytes) -> None:
    # Wrong key, body announced but never sent: refused at once, not after the upload.
    assert status_without_body(master.url, INGEST_PATH, "wrong-key", 5_000_000) == 401
    assert post_batch(master.url, INGEST_PATH, bomb, None, "gzip") == 401
    assert post_batch(master.url, INGEST_PATH, bomb, "wrong-key", "gzip") == 401


def test_every_body_of_the_box_is_bounded(master: LiveBox) -> None:
    """Routes reading a body, public or not, refuse one past its bound with 413."""
    two_mb = b"x" * (2 * 1024 * 1024)
    pin_claim = json.dumps({"pin": "0" * 2_000_000, "password": "p", "password_again": "p"})
    as_json = {"Content-Type": "application/json"}  # else 415 comes first
    with httpx.Client(base_url=master.url, timeout=60) as client:
        for path in ("/api/v1/setup/claim", "/api/v1/setup/login"):
            answer = client.post(path, content=pin_claim.encode(), headers=as_json)
            assert answer.status_code == 413, path
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        assert client.post("/login", content=b"password=" + two_mb, headers=form).status_code == 413
        assert client.post("/api/v1/events", content=two_mb).status_code == 413
        assert client.post("/api/v1/setup/event", content=two_mb).status_code == 413
        files = {"file": ("event.yaml", two_mb, "application/yaml")}
        assert client.post("/setup/event", files=files).status_code == 413
        big_csv = b"bib;name\n" + b"1;x\n" * (5 * 1024 * 1024)  # 20 MB
        imports = f"/api/v1/events/{EXAMPLE_SLUG}/entrants/import"
        assert client.post(imports, content=big_csv).status_code == 413
        passings = f"/api/v1/events/{EXAMPLE_SLUG}/passings/import"
        assert client.post(passings, content=big_csv).status_code == 413
        files = {"file": ("entrants.csv", big_csv, "text/csv")}
        page = client.post("/entrants/import", files=files, data={"event": EXAMPLE_SLUG})
        assert page.status_code == 413
        confirm = {"event": EXAMPLE_SLUG, "payload": base64.b64encode(big_csv).decode()}
        assert client.post("/entrants/import/confirm", data=confirm).status_code == 413
    assert query(master.db, "SELECT count(*) FROM entrant")[0][0] == 0


async def enroll(url: str) -> tuple[str, str]:
    db = CentralDatabase(url)
    try:
        service = EnrollmentService(db, CentralSettings(database_url=url))
        issued = await service.issue_token(EXAMPLE_SLUG)
        key = base64.b64encode(bytes(range(32))).decode()
        granted = await service.enroll(EnrollmentRequest(issued.token, "bomb-1", "box", "0.1", key))
    finally:
        await db.close()
    return granted.device_id, granted.device_token


def central_rows(url_path: Path) -> int:
    return query(url_path, "SELECT count(*) FROM device_change")[0][0]


def test_central_refuses_bombs_and_checks_the_token_first(tmp_path: Path) -> None:
    database = tmp_path / "central.db"
    url = f"sqlite+aiosqlite:///{database}"
    settings = {"CHRONO_CENTRAL_DATA_DIR": str(tmp_path)}
    with central_process(url, free_port(), tmp_path, settings) as base:
        device_id, token = asyncio.run(enroll(url))
        assert status_without_body(base, CENTRAL_PATH, "wrong-token", 5_000_000) == 401
        assert post_batch(base, CENTRAL_PATH, gzip_bomb(device=device_id), token, "gzip") == 413
        assert post_batch(base, CENTRAL_PATH, tiny_items(20 * MAX_CHANGES), token, None) == 413
        raw = b"".join(batch_bytes(MAX_BATCH_BYTES // len(change(1)) + 100, device_id))
        assert post_batch(base, CENTRAL_PATH, raw, token, None) == 413
        assert central_rows(database) == 0
        # Other bodies: enrollment (public), a backup chunk beyond its bound.
        enroll_body = {"token": "x" * 2_000_000, "serial": "s", "hostname": "h"}
        enroll_body |= {"version": "0.1", "wg_public_key": "k"}
        assert httpx.post(f"{base}/api/v1/enroll/", json=enroll_body).status_code == 413
        start = httpx.post(
            f"{base}/api/v1/backups/",
            json={"size": 8 * 1024 * 1024, "sha256": "0" * 64},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert start.status_code == 200, start.text
        chunk = httpx.put(
            f"{base}/api/v1/backups/{start.json()['id']}",
            params={"offset": 0},
            content=b"\0" * (5 * 1024 * 1024),
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert chunk.status_code == 413
        assert httpx.get(f"{base}/healthz").status_code == 200


def test_a_real_batch_with_braces_and_commas_in_its_text_is_not_refused() -> None:
    """Counting skips strings: names full of '{', ',' and ':' never make a batch too large
    (a refused batch would stop a SLAVE's forwarding for good)."""
    text = '{"club": "Stade Français, section: running {Paris}"}' * 4
    changes = []
    for seq in range(1, MAX_CHANGES + 1):
        payload = {"id": f"e{seq}", "event": EXAMPLE_SLUG, "last_name": text, "bib": str(seq)}
        changes.append({"seq": seq, "table": "entrant", "op": "upsert", "row_id": f"e{seq}"})
        changes[-1]["payload"] = payload
    raw = json.dumps({"device_id": "box", "seq_from": 1, "seq_to": MAX_CHANGES, "changes": changes})
    assert raw.count("{") > 2 * MAX_CHANGES + 1  # the raw count alone would refuse it
    assert len(parse_batch(raw.encode()).changes) == MAX_CHANGES


def test_a_sender_splits_a_batch_the_receiver_finds_too_large(
    master: LiveBox, tmp_path: Path
) -> None:
    """The bound must never stop forwarding: a batch refused with 413 goes again in halves."""
    slave = load_box(tmp_path / "slave.db")
    club = "C" * 2000  # 5,000 such entrants: about 11 MB of changes in one batch
    lines = ["bib;last_name;first_name;sex;club;race;wave"]
    lines += [f"{n};Name{n};Kim;F;{club};10K;W1" for n in range(1, MAX_CHANGES + 1)]
    csv = tmp_path / "entrants.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["--db", str(slave), "entrants", "import", str(csv), "--event", EXAMPLE_SLUG]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    last = Outbox(slave, "master").last_seq()
    assert last >= MAX_CHANGES

    async def push() -> int:
        sender = Forwarder("master", master.url, KEY, slave, device_id="slave-split")
        sender.max_bytes = 64 * 1024 * 1024  # a sender configured past the receiver's bound
        async with sender as pushing:
            return await pushing.push_once()

    assert asyncio.run(push()) == last
    assert Outbox(slave, "master").acked_seq() == last
