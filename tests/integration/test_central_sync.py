"""A box pushes its outbox to a live ``chrono-central`` with the Forwarder (SQLite, PostgreSQL).

The same Forwarder and protocol as SLAVE -> MASTER, with the device token
central granted at enrollment. Central is stopped while the box keeps
reading, then started again on the same port.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlmodel import col, select

from central.services.enrollment import EnrollmentRequest, EnrollmentService
from central.settings import CentralSettings
from central.store.database import CentralDatabase
from central.store.models import DeviceChange
from edge.cli import cli
from edge.roleconfig import CentralLink, RoleConfig, save_role
from edge.services.reads import ReadService
from edge.store.database import Database
from edge.sync.errors import SyncRejected
from edge.sync.forwarder import Forwarder
from edge.sync.outbox import Outbox
from edge.sync.protocol import CENTRAL_PATH
from tests.servers import central_process, free_port, postgres_database
from tests.syncbox import SLUG, W1_US, crossing, load_box, query, record

pytestmark = pytest.mark.integration

KEY = base64.b64encode(bytes(range(32))).decode()
SECOND = 1_000_000
DEADLINE_S = 60.0


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One central database per backend for the module (tests use distinct serials)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('central') / 'central.db'}"
        return
    with postgres_database() as url:
        yield url


async def enroll(url: str, serial: str) -> tuple[str, str]:
    """A box joins the fleet through EnrollmentService: (device id, device token)."""
    db = CentralDatabase(url)
    try:
        service = EnrollmentService(db, CentralSettings(database_url=url))
        issued = await service.issue_token(SLUG)
        granted = await service.enroll(
            EnrollmentRequest(issued.token, serial, f"box-{serial}", "0.1.0", KEY)
        )
    finally:
        await db.close()
    return granted.device_id, granted.device_token


async def central_changes(url: str, device_id: str) -> list[tuple[int, str, str, str, int]]:
    """What central holds for the device: (seq, table, op, row id, received_us), in seq order."""
    db = CentralDatabase(url)
    try:
        async with db.read() as session:
            query_ = (
                select(DeviceChange)
                .where(DeviceChange.device_id == device_id)
                .order_by(col(DeviceChange.seq))
            )
            rows = (await session.exec(query_)).all()
    finally:
        await db.close()
    return [(r.seq, r.table_name, r.op, r.row_id, r.received_us) for r in rows]


def outbox_rows(box: Path) -> list[tuple[object, ...]]:
    return query(box, "SELECT seq, table_name, op, row_id FROM outbox ORDER BY seq")


def exactly_once(held: list[tuple[int, str, str, str, int]], box: Path) -> bool:
    """Central holds every change of the box's outbox, each once, nothing else."""
    return [row[:4] for row in held] == outbox_rows(box)


async def derive(box: Path) -> None:
    db = Database(box)
    try:
        await ReadService(db).rebuild(SLUG, "FINISH")
    finally:
        await db.close()


def pusher(box: Path, base: str, token: str, device_id: str) -> Forwarder:
    return Forwarder(
        "central", base, token, box, device_id=device_id, backoff_initial_s=0.05, backoff_max_s=0.5
    )


def role_file(box: Path, base: str, device_id: str, token: str) -> Path:
    """The box's reader.json after enrollment."""
    path = box.with_name("reader.json")
    link = CentralLink(
        url=base, device_id=device_id, device_token=token, tunnel_address="10.77.0.2/32"
    )
    save_role(path, RoleConfig(role="master", event=SLUG, point="FINISH", central=link))
    return path


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll ``check`` until it holds, failing after DEADLINE_S."""
    deadline = time.monotonic() + DEADLINE_S
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {DEADLINE_S} s: {what}")
        await asyncio.sleep(0.05)


@pytest.fixture
def box(tmp_path: Path) -> Path:
    """A MASTER's database: migrated, the demo event loaded."""
    return load_box(tmp_path / "box" / "edge.db")


async def test_outbox_reaches_central_once(database_url: str, box: Path, tmp_path: Path):
    for n in range(3):
        record(box, "FINISH", crossing(f"E2801160600002000000A00{n}", W1_US + n * SECOND), "box")
    await derive(box)  # the MASTER's passings are replicated too
    with ExitStack() as running:
        base = await asyncio.to_thread(
            running.enter_context, central_process(database_url, free_port(), tmp_path)
        )
        device, token = await enroll(database_url, f"sync-{tmp_path.name}")
        last = Outbox(box, "central").last_seq()
        async with pusher(box, base, token, device) as pushing:
            assert await pushing.push_once() == last
        held = await central_changes(database_url, device)
        assert exactly_once(held, box)
        assert {row[1] for row in held} == {"tag_read", "passing"}

        # A replay (the box lost its acks) is acknowledged and changes nothing.
        Outbox(box, "central").record_ack(0)
        async with pusher(box, base, token, device) as pushing:
            assert await pushing.push_once() == last
        assert await central_changes(database_url, device) == held

        # A gap is refused with the seq central expects.
        batch = Outbox(box, "central").pending(device, after=0, max_changes=1)
        assert batch is not None
        ahead = batch.model_copy(
            update={
                "seq_from": last + 2,
                "seq_to": last + 2,
                "changes": [batch.changes[0].model_copy(update={"seq": last + 2})],
            }
        )
        headers = {"Authorization": f"Bearer {token}", "Content-Encoding": "gzip"}
        async with httpx.AsyncClient() as client:
            gap = await client.post(
                f"{base}{CENTRAL_PATH}",
                content=gzip.compress(ahead.model_dump_json().encode()),
                headers=headers,
            )
        assert gap.status_code == 409, gap.text
        assert gap.json()["expected_seq"] == last + 1

        # The box's cursor got ahead of central: the 409 makes it resume there.
        Outbox(box, "central").record_ack(last + 3)
        record(box, "FINISH", crossing("E2801160600002000000B001", W1_US + 9 * SECOND), "box")
        async with pusher(box, base, token, device) as pushing:
            await pushing.push_once()
        assert exactly_once(await central_changes(database_url, device), box)

        # Device A's token cannot write device B's changes.
        record(box, "FINISH", crossing("E2801160600002000000B002", W1_US + 12 * SECOND), "box")
        other, _ = await enroll(database_url, f"other-{tmp_path.name}")
        async with pusher(box, base, token, other) as stealing:
            with pytest.raises(SyncRejected) as refused:
                await stealing.push_once()
        assert refused.value.status == 403
        assert await central_changes(database_url, other) == []

        # The command line: `sync push --once` drains to central and says so.
        roles = role_file(box, base, device, token)
        args = ["--db", str(box), "sync", "push", "--once", "--role-file", str(roles)]
        done = await asyncio.to_thread(CliRunner().invoke, cli, args)
        assert done.exit_code == 0, done.output
        assert "central: 21 changes acked" in done.output
        assert exactly_once(await central_changes(database_url, device), box)


async def test_backlog_survives_a_central_outage(database_url: str, box: Path, tmp_path: Path):
    port = free_port()
    recorded = 0

    def read_one_more() -> None:
        nonlocal recorded
        at = W1_US + (40 * 60 + recorded) * SECOND
        record(box, "FINISH", crossing(f"E2801160600002{recorded:010d}", at), "box")
        recorded += 1

    stop = asyncio.Event()
    with ExitStack() as running:
        base = await asyncio.to_thread(
            running.enter_context, central_process(database_url, port, tmp_path)
        )
        device, token = await enroll(database_url, f"outage-{tmp_path.name}")
        pushing = pusher(box, base, token, device)
        task = asyncio.create_task(pushing.run_forever(stop, idle_s=0.05))
        try:
            for _ in range(5):
                await asyncio.to_thread(read_one_more)

            async def drained() -> bool:
                return Outbox(box, "central").lag().pending == 0

            await eventually(drained, "the first changes pushed")

            await asyncio.to_thread(running.close)  # central goes down (terminated)
            for _ in range(10):  # ... while the box keeps reading
                await asyncio.to_thread(read_one_more)

            async def retrying() -> bool:
                lag = Outbox(box, "central").lag()
                return lag.attempts >= 3 and "cannot be reached" in lag.last_error

            await eventually(retrying, "the forwarder retrying while central is down")
            assert Outbox(box, "central").lag().pending == 10 * 21
            roles = role_file(box, base, device, token)
            args = ["--db", str(box), "sync", "push", "--once", "--role-file", str(roles)]
            down = await asyncio.to_thread(CliRunner().invoke, cli, args)
            assert down.exit_code == 1  # an operator's script sees central is unreachable
            assert "cannot be reached" in down.output

            await asyncio.to_thread(
                running.enter_context, central_process(database_url, port, tmp_path)
            )
            for _ in range(3):
                await asyncio.to_thread(read_one_more)
            await eventually(drained, "the backlog drained once central is back")
        finally:
            stop.set()
            await task
            await pushing.aclose()
        held = await central_changes(database_url, device)
    assert recorded == 18
    assert len(held) == 18 * 21
    assert exactly_once(held, box)
