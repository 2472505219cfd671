"""SLAVE -> MASTER forwarding between two real SQLite files and a live MASTER process.

The MASTER is ``chrono-edge serve`` on 127.0.0.1; the SLAVE records reads the
way its reader process does and a Forwarder pushes its outbox. The MASTER is
stopped while the SLAVE keeps reading, then started again on the same port.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from edge.cli import cli
from edge.roleconfig import RoleConfig, save_role
from edge.services.reads import ReadService
from edge.store.database import Database
from edge.sync.errors import SyncRejected, SyncUnreachable
from edge.sync.forwarder import Forwarder
from edge.sync.outbox import Outbox
from edge.sync.protocol import INGEST_PATH, PROTOCOL_HEADER, PROTOCOL_VERSION
from tests.servers import free_port, wait_http
from tests.syncbox import SLUG, W1_US, crossing, load_box, passings, query, read_keys, record

pytestmark = pytest.mark.integration

KEY = "spring-10k-event-key"
SLAVE = "slave-km5"
SECOND = 1_000_000
DEADLINE_S = 60.0


@contextmanager
def master_process(db: Path, role_file: Path, port: int) -> Iterator[str]:
    """``chrono-edge serve`` on 127.0.0.1:port with this reader.json; yield its base URL."""
    env = {**os.environ, "CHRONO_EDGE_ROLE_FILE": str(role_file)}
    command = [sys.executable, "-m", "edge.cli", "--db", str(db), "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    log = (db.parent / f"master-{port}.log").open("ab")
    with log, subprocess.Popen(command, env=env, cwd=db.parent, stdout=log, stderr=log) as process:
        base = f"http://127.0.0.1:{port}"
        try:
            wait_http(f"{base}/healthz", process)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll ``check`` until it holds, failing after DEADLINE_S."""
    deadline = time.monotonic() + DEADLINE_S
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {DEADLINE_S} s: {what}")
        await asyncio.sleep(0.05)


@pytest.fixture
def boxes(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(slave db, master db, master reader.json): same event file, different row ids."""
    slave = load_box(tmp_path / "slave" / "edge.db")
    master = load_box(tmp_path / "master" / "edge.db")
    role_file = tmp_path / "master" / "reader.json"
    save_role(role_file, RoleConfig(role="master", event=SLUG, point="FINISH", event_key=KEY))
    return slave, master, role_file


def forwarder(slave: Path, base: str, key: str = KEY) -> Forwarder:
    return Forwarder(
        "master", base, key, slave, device_id=SLAVE, backoff_initial_s=0.05, backoff_max_s=0.5
    )


async def post(base: str, body: bytes, key: str | None = KEY) -> httpx.Response:
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    async with httpx.AsyncClient() as client:
        return await client.post(
            f"{base}{INGEST_PATH}", content=gzip.compress(body), headers=headers
        )


async def derive(path: Path) -> None:
    db = Database(path)
    try:
        await ReadService(db).rebuild(SLUG, "KM5")
    finally:
        await db.close()


def km5_passings(path: Path) -> list[tuple[object, ...]]:
    return [p for p in passings(path) if p[0] == "KM5"]


async def test_slave_reads_reach_the_master_once(boxes: tuple[Path, Path, Path]):
    slave, master, role_file = boxes
    tags = [f"E28011606000020000{n:06d}" for n in range(1, 6)]
    for n, tag in enumerate(tags):
        record(slave, "KM5", crossing(tag, W1_US + (20 * 60 + n * 7) * SECOND), SLAVE)
    await derive(slave)  # the SLAVE shows its own passings; they are not forwarded
    with master_process(master, role_file, free_port()) as base:
        async with forwarder(slave, base) as pushing:
            assert await pushing.push_once() == Outbox(slave, "master").last_seq()
            assert await pushing.push_once() == 0  # drained
        assert read_keys(master) == read_keys(slave)
        assert len(read_keys(master)) == 5 * 21
        assert km5_passings(master) == km5_passings(slave)  # one per tag, not two
        assert query(master, "SELECT DISTINCT device_id FROM tag_read") == [(SLAVE,)]
        outbox_after = query(master, "SELECT count(*) FROM outbox")

        # A replay of a batch already applied is acknowledged and changes nothing.
        batch = Outbox(slave, "master").pending(SLAVE, after=0)
        assert batch is not None
        replay = await post(base, batch.model_dump_json().encode())
        assert replay.status_code == 200, replay.text
        assert replay.json() == {"acked_seq": batch.seq_to, "applied": 0}
        assert query(master, "SELECT count(*) FROM outbox") == outbox_after
        assert len(read_keys(master)) == 5 * 21

        # A gap is refused with the seq the MASTER expects.
        last = Outbox(slave, "master").last_seq()
        ahead = batch.model_copy(
            update={
                "seq_from": last + 2,
                "seq_to": last + 2,
                "changes": [batch.changes[0].model_copy(update={"seq": last + 2})],
            }
        )
        gap = await post(base, ahead.model_dump_json().encode())
        assert gap.status_code == 409, gap.text
        assert gap.json()["expected_seq"] == last + 1

        # Without the event key, or with another one, nothing is taken.
        assert (await post(base, batch.model_dump_json().encode(), key=None)).status_code == 401
        record(slave, "KM5", crossing("E28011606000020000999999", W1_US + 1500 * SECOND), SLAVE)
        async with forwarder(slave, base, key="not-the-key") as intruder:
            with pytest.raises(SyncRejected, match="event key") as refused:
                await intruder.push_once()
        assert refused.value.status == 401
        assert len(read_keys(master)) == 5 * 21
        lag = Outbox(slave, "master").lag()
        assert (lag.pending, lag.attempts) == (21, 1)
        assert "401" in lag.last_error

        # The SLAVE's cursor is ahead of the MASTER (say, its acks were restored
        # from elsewhere): the 409 makes it resume from the expected seq.
        Outbox(slave, "master").record_ack(last + 5)
        record(slave, "KM5", crossing("E28011606000020000888888", W1_US + 1600 * SECOND), SLAVE)
        async with forwarder(slave, base) as pushing:
            assert await pushing.push_once() > 0
        assert Outbox(slave, "master").lag().pending == 0
        assert read_keys(master) == read_keys(slave)
        assert len(set(read_keys(master))) == 7 * 21


async def test_backlog_survives_a_master_outage(boxes: tuple[Path, Path, Path]):
    slave, master, role_file = boxes
    port = free_port()
    recorded = 0

    def read_one_more() -> None:
        nonlocal recorded
        at = W1_US + (20 * 60 + recorded) * SECOND
        record(slave, "KM5", crossing(f"E2801160600002{recorded:010d}", at), SLAVE)
        recorded += 1

    stop = asyncio.Event()
    with ExitStack() as running:
        base = await asyncio.to_thread(
            running.enter_context, master_process(master, role_file, port)
        )
        pushing = forwarder(slave, base)
        task = asyncio.create_task(pushing.run_forever(stop, idle_s=0.05))
        try:
            for _ in range(5):
                await asyncio.to_thread(read_one_more)

            async def drained() -> bool:
                return Outbox(slave, "master").lag().pending == 0

            await eventually(drained, "the first reads forwarded")

            await asyncio.to_thread(running.close)  # the MASTER goes down
            for _ in range(10):  # ... while the SLAVE keeps reading
                await asyncio.to_thread(read_one_more)

            async def retrying() -> bool:
                lag = Outbox(slave, "master").lag()
                return lag.attempts >= 3 and "cannot be reached" in lag.last_error

            await eventually(retrying, "the forwarder retrying while the MASTER is down")
            assert Outbox(slave, "master").lag().pending == 10 * 21
            # The command line says so too, with a failure exit code.
            down = await asyncio.to_thread(
                CliRunner().invoke,
                cli,
                [
                    "--db",
                    str(slave),
                    "forward",
                    "--once",
                    "--role-file",
                    str(slave_role(slave, base)),
                ],
            )
            assert down.exit_code == 1
            assert "cannot be reached" in down.output

            base = await asyncio.to_thread(
                running.enter_context, master_process(master, role_file, port)
            )
            for _ in range(3):
                await asyncio.to_thread(read_one_more)
            await eventually(drained, "the backlog drained once the MASTER is back")
        finally:
            stop.set()
            await task
            await pushing.aclose()
        assert recorded == 18
        assert read_keys(master) == read_keys(slave)
        assert len(set(read_keys(master))) == len(read_keys(master)) == 18 * 21
        # One passing per tag crossing, derived by the MASTER, counted once.
        tags = sorted(str(p[1]) for p in km5_passings(master))
        assert tags == sorted(f"E2801160600002{n:010d}" for n in range(18))
        seq = query(master, "SELECT last_seq FROM sync_inbox WHERE device_id = ?", SLAVE)
        assert seq == [(Outbox(slave, "master").last_seq(),)]


def slave_role(slave: Path, base: str) -> Path:
    """The SLAVE's reader.json, pointing at the MASTER."""
    path = slave.with_name("reader.json")
    save_role(
        path,
        RoleConfig(
            role="slave", device_id=SLAVE, event=SLUG, point="KM5", master_url=base, event_key=KEY
        ),
    )
    return path


async def test_a_slave_of_an_older_release_and_one_of_this_release_alike(
    boxes: tuple[Path, Path, Path],
):
    """An older SLAVE sends version 1 (JSON, no version header): the MASTER takes it as
    before; once updated, the same SLAVE goes on in version 2 from where it stood."""
    slave, master, role_file = boxes
    for n in range(4):
        record(slave, "KM5", crossing(f"E2801160600002000000D00{n}", W1_US + n * SECOND), SLAVE)
    asked: list[tuple[str | None, int, str | None]] = []

    async def note(response: httpx.Response) -> None:
        version = response.request.headers.get(PROTOCOL_HEADER)
        asked.append((version, response.status_code, response.headers.get(PROTOCOL_HEADER)))

    with master_process(master, role_file, free_port()) as base:
        older = Forwarder("master", base, KEY, slave, device_id=SLAVE, max_changes=30, protocol=1)
        async with older as pushing:
            pushing._client.event_hooks["response"].append(note)
            assert await pushing.push_once() == 84
        assert asked == [(None, 200, str(PROTOCOL_VERSION))] * 3
        for n in range(4, 6):
            record(slave, "KM5", crossing(f"E2801160600002000000D00{n}", W1_US + n * SECOND), SLAVE)
        asked.clear()
        async with forwarder(slave, base) as pushing:
            pushing._client.event_hooks["response"].append(note)
            assert await pushing.push_once() == 42
        assert asked == [("2", 200, str(PROTOCOL_VERSION))]
    assert read_keys(master) == read_keys(slave)
    assert len(read_keys(master)) == 6 * 21


def test_forward_once_from_the_command_line(boxes: tuple[Path, Path, Path]):
    slave, master, role_file = boxes
    record(slave, "KM5", crossing("E2801160600002000000A001", W1_US + 1200 * SECOND), SLAVE)
    with master_process(master, role_file, free_port()) as base:
        role = slave_role(slave, base)
        args = ["--db", str(slave), "forward", "--once", "--role-file", str(role)]
        done = CliRunner().invoke(cli, args)
        assert done.exit_code == 0, done.output
        assert "master: 21 changes acked, up to seq 21" in done.output
        status = CliRunner().invoke(cli, ["--db", str(slave), "sync", "status"])
        assert "master: acked 21/21, 0 pending" in status.output
    assert read_keys(master) == read_keys(slave)
    # The MASTER itself has nothing to forward.
    refused = CliRunner().invoke(
        cli, ["--db", str(master), "forward", "--once", "--role-file", str(role_file)]
    )
    assert refused.exit_code == 1
    assert "only a SLAVE forwards" in refused.output


def test_unreachable_master_raises(boxes: tuple[Path, Path, Path]):
    slave, _, _ = boxes
    record(slave, "KM5", crossing("E2801160600002000000A001", W1_US), SLAVE)

    async def push() -> None:
        async with forwarder(slave, f"http://127.0.0.1:{free_port()}") as pushing:
            await pushing.push_once()

    with pytest.raises(SyncUnreachable, match="cannot be reached"):
        asyncio.run(push())
    assert Outbox(slave, "master").lag().pending == 21
