"""Push this box's outbox to a receiver: SLAVE -> MASTER, or MASTER -> central.

One class for both links; the target decides the path and the secret:
``"master"`` posts to the MASTER's ``/api/v1/ingest/batches`` with the event
key, ``"central"`` to central's ``/api/v1/sync/batches`` with the device
token. Batches are gzipped, in the newest protocol version the receiver reads
(edge.sync.protocol): this code's own at first, then what the receiver's answers
name; a receiver too old to read a batch refuses it whole and it is sent again
in the receiver's version. The cursor (``sync_ack``)
moves only when the receiver acknowledges, so a crash, a timeout or a lost ack
costs a resend, never a change: the receiver applies each seq once.

``run_forever`` retries for ever with exponential backoff and jitter (0.5 s
doubling up to 30 s) and never drops a change because of its age or size.

Towards the MASTER, each push first measures this box's clock against the MASTER's (a
round of NTP-style exchanges, every ``clock_every_s``; edge.clocks.probe) and reports it,
so the MASTER knows the offset before it applies the reads: it marks the passings of a
SLAVE further off than the tolerance. A failed measurement never stops the push.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from types import TracebackType

import httpx
from pydantic import ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    wait_exponential,
    wait_random_exponential,
)

from edge.clocks.exchange import ProbeFailed, measure_round
from edge.clocks.ntp import OffsetFilter
from edge.clocks.probe import wall_us
from edge.roleconfig import Role, RoleConfig
from edge.store.slave_clocks import record_clock
from edge.sync.errors import (
    OutboxDiverged,
    SyncError,
    SyncNotConfigured,
    SyncRejected,
    SyncUnreachable,
)
from edge.sync.outbox import BATCH_BYTES, BATCH_CHANGES, Outbox
from edge.sync.protocol import (
    CENTRAL_PATH,
    INGEST_PATH,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    Ack,
    BatchIn,
    Gap,
    answer_version,
    encode_batch,
)
from edge.vpn.route import sync_url

log = logging.getLogger(__name__)

PATHS = {"master": INGEST_PATH, "central": CENTRAL_PATH}
"""The receiver's path for each target."""
BACKOFF_INITIAL_S = 0.5
BACKOFF_MAX_S = 30.0
IDLE_S = 1.0
"""How often a drained outbox is looked at again."""
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
HTTP_TOO_LARGE = 413
# What a receiver answers about a batch it read (or could not read): its version header
# says what it reads. A proxy's 502 or a login page says nothing about the receiver.
_ABOUT_THE_BATCH = frozenset({200, 400, 409, 413, 415, 422})
# How a receiver too old for a version refuses it, nothing applied (a batch it cannot
# parse: 422 from ChronoEdge, 400 or 415 from others).
_UNREADABLE = frozenset({400, 415, 422})
_UNAVAILABLE = frozenset({502, 503, 504})  # a proxy or a receiver still starting
_READS: dict[str, int] = {}
"""The newest version each receiver (by URL) named, for this process: the worker runs a
Forwarder per job, and each would otherwise first try its newest version on an older
receiver. Any answer updates it (a receiver updated meanwhile is read at once)."""
CLOCK_EVERY_S = 5.0
"""How often a SLAVE measures its clock against the MASTER's (settings.clock_probe_every_s)."""
_CLOCKS: dict[str, tuple[OffsetFilter, list[float]]] = {}
"""Per MASTER URL and device: the recent clock samples and when the last round ran (the
worker runs a Forwarder per job; the window must outlive each)."""


class Forwarder:
    """Sends the outbox to one target until it is drained."""

    def __init__(
        self,
        target_name: str,
        url: str,
        token: str,
        db_path: Path,
        *,
        device_id: str,
        max_changes: int = BATCH_CHANGES,
        max_bytes: int = BATCH_BYTES,
        backoff_initial_s: float = BACKOFF_INITIAL_S,
        backoff_max_s: float = BACKOFF_MAX_S,
        protocol: int = PROTOCOL_VERSION,
        point: str = "",
        clock_every_s: float | None = None,
    ) -> None:
        if target_name not in PATHS:
            raise ValueError(f"unknown target {target_name!r} (targets: {', '.join(PATHS)})")
        self.target = target_name
        self.url = url.rstrip("/")
        self.path = PATHS[target_name]
        self.device_id = device_id
        self.outbox = Outbox(db_path, target_name)
        self.max_changes = max_changes
        self.max_bytes = max_bytes
        # "Equal jitter": half of the doubling delay is fixed, half random, so a
        # fleet that lost central at once does not come back in lockstep.
        half_initial, half_max = backoff_initial_s / 2, backoff_max_s / 2
        self.wait = wait_exponential(
            multiplier=half_initial, max=half_max
        ) + wait_random_exponential(multiplier=half_initial, max=half_max)
        self.newest = protocol  # the newest version this sender writes (older: tests, bench)
        # The version it writes now: the newest the receiver reads, as far as it knows.
        self.protocol = min(protocol, _READS.get(self.url + self.path, protocol))
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        }
        self._client = httpx.AsyncClient(base_url=self.url, timeout=TIMEOUT)
        self.point = point
        # Only towards a MASTER: central's clock is not the event's reference.
        self.clock_every_s = clock_every_s if target_name == "master" else None
        self.db_path = db_path

    @classmethod
    def from_role(
        cls,
        role: RoleConfig,
        target_name: str,
        db_path: Path,
        *,
        clock_every_s: float = CLOCK_EVERY_S,
    ) -> Forwarder:
        """The forwarder reader.json describes: a SLAVE's to its MASTER, or the box's to central."""
        if target_name == "master":
            if role.role is not Role.SLAVE or not role.master_url:
                raise SyncNotConfigured(
                    "this box is the MASTER: only a SLAVE forwards (set role and master_url)"
                )
            return cls(
                "master",
                role.master_url,
                role.event_key,
                db_path,
                device_id=role.device_id,
                point=role.point or "",
                clock_every_s=clock_every_s,
            )
        if target_name == "central":
            if role.central is None:
                raise SyncNotConfigured("this box is not enrolled: run `chrono-edge enroll` first")
            link = role.central
            url = sync_url(role)  # the tunnel's address while the tunnel is up
            return cls("central", url, link.device_token, db_path, device_id=link.device_id)
        raise ValueError(f"unknown target {target_name!r} (targets: {', '.join(PATHS)})")

    async def __aenter__(self) -> Forwarder:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.aclose()

    async def push_once(self) -> int:
        """Send batches until the outbox is drained; return how many changes were newly acked.

        Raises SyncUnreachable when the receiver cannot be reached and
        SyncRejected when it refuses a batch; the failure is recorded in
        ``sync_ack`` and the changes stay pending.
        """
        await self.measure_clock()
        try:
            return await self._drain()
        except SyncError as error:
            await asyncio.to_thread(self.outbox.record_failure, error.message)
            raise

    async def measure_clock(self, *, force: bool = False) -> None:
        """Towards a MASTER: a round of clock exchanges if ``clock_every_s`` passed (or
        ``force``), the best recent sample reported to it and kept in this box's database."""
        if self.clock_every_s is None:
            return
        window, last = _CLOCKS.setdefault(f"{self.url}|{self.device_id}", (OffsetFilter(), [0.0]))
        now = time.monotonic()
        if not force and last[0] and now - last[0] < self.clock_every_s:
            return
        last[0] = now
        headers = {"Authorization": self._headers["Authorization"]}
        headers["Content-Type"] = "application/json"
        try:
            best = await measure_round(
                self._client, headers, device_id=self.device_id, point=self.point, window=window
            )
        except ProbeFailed as error:
            log.warning("cannot measure the clock against the MASTER at %s: %s", self.url, error)
            return
        values = {
            "device_id": self.device_id,
            "point": self.point,
            "offset_us": best.offset_us,
            "delay_us": best.delay_us,
            "samples": len(window),
            "measured_us": best.measured_us,
            "received_us": wall_us(),
        }
        await asyncio.to_thread(record_clock, self.db_path, values)

    async def run_forever(self, stop: asyncio.Event, *, idle_s: float = IDLE_S) -> None:
        """Push until ``stop`` is set: drain, look again every ``idle_s``, retry failures."""
        while not stop.is_set():
            retrying = AsyncRetrying(
                retry=retry_if_exception_type(SyncError),
                wait=self.wait,
                stop=lambda _state: stop.is_set(),
                sleep=lambda seconds: _wait(stop, seconds),
                before_sleep=self._log_retry,
                reraise=True,
            )
            try:
                async for attempt in retrying:
                    with attempt:
                        if not stop.is_set():
                            await self.push_once()
            except SyncError:
                if stop.is_set():
                    return
                raise  # tenacity only gives up once stop is set
            await _wait(stop, idle_s)

    async def _drain(self) -> int:
        cursor = await asyncio.to_thread(self.outbox.acked_seq)
        acked = 0
        refused_at: int | None = None
        max_changes = self.max_changes
        while True:
            batch = await asyncio.to_thread(
                self.outbox.pending,
                self.device_id,
                after=cursor,
                max_changes=max_changes,
                max_bytes=self.max_bytes,
            )
            if batch is None:
                return acked
            try:
                answer = await self._send(batch)
            except SyncRejected as refused:
                # Too large for the receiver (413, edge.sync.protocol.MAX_BATCH_BYTES):
                # smaller batches carry the same changes; never drop any.
                if refused.status != HTTP_TOO_LARGE or len(batch.changes) == 1:
                    raise
                max_changes = len(batch.changes) // 2
                continue
            if isinstance(answer, Gap):
                expected = answer.expected_seq
                if expected == refused_at or expected == batch.seq_from:
                    raise SyncRejected(
                        f"the {self.target} refuses seq {batch.seq_from} though it asks for"
                        f" seq {expected}: the outbox has a hole"
                    )
                refused_at = expected
                await self._check_not_ahead(expected - 1)
                # Resume where the receiver stands, backwards too (a receiver
                # restored from a backup asks again for what it lost).
                cursor = expected - 1
                await asyncio.to_thread(self.outbox.record_ack, cursor)
                continue
            refused_at = None
            if answer.acked_seq < batch.seq_to:
                raise SyncRejected(
                    f"the {self.target} acknowledged seq {answer.acked_seq} for a batch"
                    f" ending at {batch.seq_to}"
                )
            if answer.acked_seq > batch.seq_to:
                await self._check_not_ahead(answer.acked_seq)
            acked += answer.acked_seq - cursor
            cursor = answer.acked_seq
            await asyncio.to_thread(self.outbox.record_ack, cursor)

    async def _check_not_ahead(self, receiver_seq: int) -> None:
        """Refuse to go on when the receiver holds seqs this box never wrote."""
        last = await asyncio.to_thread(self.outbox.last_seq)
        if receiver_seq > last:
            raise OutboxDiverged(
                f"the {self.target} already holds seq {receiver_seq} from device"
                f" {self.device_id} but this box's outbox ends at seq {last}: the database was"
                " replaced; give the box a new device id (re-enroll) so nothing is lost"
            )

    async def _send(self, batch: BatchIn) -> Ack | Gap:
        where = f"the {self.target} at {self.url}"
        written = self.protocol
        response = await self._post(batch, written, where)
        if self.protocol < written and response.status_code in _UNREADABLE:
            # An older receiver could not read the batch and applied nothing: the same
            # changes again, in its version (the cursor has not moved).
            log.info(
                "the %s reads sync protocol %d at most: sent in it", self.target, self.protocol
            )
            response = await self._post(batch, self.protocol, where)
        status = response.status_code
        if status == 200:
            try:
                return Ack.model_validate_json(response.content)
            except ValidationError as error:
                raise SyncRejected(
                    f"{where} answered an unknown ack: {response.text[:200]}"
                ) from error
        body_json = _json_object(response)
        if status == 409 and "expected_seq" in body_json:
            try:
                return Gap.model_validate(body_json)
            except ValidationError as error:
                raise SyncRejected(
                    f"{where} answered an unknown gap: {response.text[:200]}", status=status
                ) from error
        detail = body_json.get("detail") or response.text[:200] or response.reason_phrase
        if status in _UNAVAILABLE:
            raise SyncUnreachable(f"{where} is unavailable ({status}): {detail}")
        raise SyncRejected(f"{where} refused the batch ({status}): {detail}", status=status)

    async def _post(self, batch: BatchIn, version: int, where: str) -> httpx.Response:
        """POST ``batch`` in protocol ``version``; learn the receiver's from its answer."""
        body = await asyncio.to_thread(encode_batch, batch, version)
        headers = self._headers
        if version > 1:  # version 1 goes as every sender older than the header sent it
            headers = {**headers, PROTOCOL_HEADER: str(version)}
        try:
            response = await self._client.post(self.path, content=body, headers=headers)
        except httpx.HTTPError as error:
            reason = str(error) or type(error).__name__
            raise SyncUnreachable(f"{where} cannot be reached: {reason}") from error
        if response.status_code in _ABOUT_THE_BATCH:
            reads = answer_version(response.headers.get(PROTOCOL_HEADER))
            _READS[self.url + self.path] = reads
            self.protocol = min(self.newest, reads)
        return response

    def _log_retry(self, state: RetryCallState) -> None:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        log.warning(
            "push to %s failed (attempt %d), retrying in %.1f s: %s",
            self.target,
            state.attempt_number,
            delay,
            error,
        )


def _json_object(response: httpx.Response) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
