"""One LLRP connection to a reader through sllurp, handing its tag reads to a sink.

sllurp 3.0.5 runs a blocking socket in a thread of its own and calls back on that
thread; ``ReaderClient`` turns each report into ``ReadIn`` rows there and gives them
to the sink, which must be thread-safe (``ReadQueue.put``). sllurp's own reconnect
waits a hard-coded 60 s and it has no keepalive watchdog, so a client is used for
one connection only: the service watches ``alive`` and ``silent_for_s()`` and makes
a new client to reconnect. sllurp's exceptions never leave this module.

The reader's clock offset (box minus reader time) is settled the NTP way: each clock
sample (the greeting's timestamp, then each report's newest read) is the offset plus how
late the box handled it, so the least of several samples is the best. The connection's
first reads wait in the client until it is settled, then go to the sink corrected by it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from typing import Any

from sllurp.llrp import LLRPReaderClient, LLRPReaderConfig, LLRPReaderState
from sllurp.llrp_errors import LLRPError, ReaderConfigurationError
from sllurp.llrp_proto import Message_struct

from edge.rfid.errors import ReaderRejected, ReaderUnreachable
from edge.roleconfig import ReaderConfig
from edge.store.reads import ReadIn

log = logging.getLogger(__name__)

ReadSink = Callable[[list[ReadIn]], None]
"""Receives each report's reads on sllurp's thread."""

CONTENT = {"EnableAntennaID": True, "EnablePeakRSSI": True, "EnableFirstSeenTimestamp": True}
"""What every TagReportData must carry for a read to be stored."""

_POLL_S = 0.05
# A polite stop waits this long at most for the reports sent before it (see _drain).
STOP_LIMIT_S = 120.0
DRIFT_WINDOW_US = 10_000_000
"""The reports of the last 10 s estimate the drift (the least delayed of them wins)."""
SETTLE_SAMPLES = 8
"""Clock samples (the greeting, then one per tag report) that settle the offset..."""
SETTLE_S = 0.3
"""...or seconds after the connection's first read, whichever comes first.

A box starting every process at once handled a greeting 144 ms late (chaos seed 9); the
reports that follow come one read each, so on a mat with runners 8 samples take tens of
milliseconds, and a lone runner's first read waits 0.3 s at most: the live screen, which
refreshes every second, does not show it. The timer starts at the first read, not at
connect, as a reader may connect minutes before the first runner comes by.
"""


def box_now_us() -> int:
    """Return the box's wall clock in microseconds since the Unix epoch."""
    return time.time_ns() // 1000


def sllurp_config(reader: ReaderConfig) -> LLRPReaderConfig:
    """The sllurp settings of an inventory that reports every read at once."""
    settings: dict[str, Any] = {
        "antennas": list(reader.antennas),
        "report_every_n_tags": 1,  # one read per report: nothing waits in the reader
        "tag_content_selector": dict(CONTENT),
        "keepalive_interval": max(1, round(reader.keepalive_s * 1000)),
        "reconnect": False,  # sllurp's reconnect waits 60 s; the service reconnects
        "start_inventory": True,
        "reset_on_connect": True,
    }
    if reader.tx_power_dbm is not None:
        settings["tx_power_dbm"] = float(reader.tx_power_dbm)
    return LLRPReaderConfig(settings)


class _SllurpClient(LLRPReaderClient):  # type: ignore[misc]
    """sllurp's client, except that a failed TCP connect closes its socket.

    sllurp 3.0.5 drops the socket unclosed when ``connect`` fails (a ResourceWarning and a
    file descriptor left to the garbage collector on every retry); the rest is its code.
    """

    _socket: socket.socket | None

    def _connect_socket(self) -> bool:
        if self._socket:
            raise ReaderConfigurationError("Already connected")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.settimeout(self._socktimeout)
            sock.connect((self._host, self._port))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except BaseException:
            sock.close()
            raise
        self._socket = sock
        return True


class ReaderClient:
    """One connection to an LLRP reader; make a new one to reconnect."""

    def __init__(self, reader: ReaderConfig, sink: ReadSink, *, timeout_s: float = 5.0) -> None:
        self.reader = reader
        self._sink = sink
        self._timeout_s = timeout_s
        self._client: LLRPReaderClient | None = None
        self._inventorying = threading.Event()
        self._ended = threading.Event()
        # Box time minus reader time: the least sample so far, final once settled.
        self.clock_offset_us: int | None = None
        self.offset_settled = False
        # How far reader minus box time moved since the offset was settled (from connect
        # to at most SETTLE_S after the first read): a report's newest read was seen just
        # before it was sent, so of the recent reports the largest reader-minus-box is the
        # one least delayed on the way (as the best NTP sample is the fastest).
        self.clock_drift_us: int | None = None
        # (received, reader minus box), each lag smaller than the one before it
        self._lags: deque[tuple[int, int]] = deque()
        self._samples = 0
        self._held: list[ReadIn] = []  # the first reads, uncorrected until settled
        self._settle_timer: threading.Timer | None = None
        # Taken by sllurp's thread and the settle timer: reads reach the sink in order.
        self._lock = threading.Lock()
        self.connected_us: int | None = None
        self.last_message_us: int | None = None
        self.last_read_us: int | None = None
        self.undecodable = 0  # tag entries lacking a field of CONTENT
        self._last_message = time.monotonic()

    @property
    def address(self) -> str:
        """Return ``host:port`` of the reader."""
        return f"{self.reader.host}:{self.reader.port}"

    @property
    def alive(self) -> bool:
        """Tell whether sllurp's thread still runs and the link was not closed."""
        client = self._client
        return client is not None and client.is_alive() and not self._ended.is_set()

    def silent_for_s(self) -> float:
        """Return the seconds since the reader's last decoded frame (keepalives included)."""
        return time.monotonic() - self._last_message

    async def connect(self) -> None:
        """Connect and wait until the reader inventories (ReaderUnreachable, ReaderRejected)."""
        await asyncio.to_thread(self._connect)

    async def close(self, *, polite: bool = True) -> None:
        """Stop the inventory (politely: the reports already sent still arrive), then close."""
        await asyncio.to_thread(self._close, polite)

    def _connect(self) -> None:
        try:
            client = _SllurpClient(
                self.reader.host, self.reader.port, sllurp_config(self.reader), self._timeout_s
            )
        except LLRPError as err:
            raise ReaderRejected(f"invalid reader settings: {err}") from err
        client.add_tag_report_callback(self._on_tags)
        client.add_event_callback(self._on_event)
        # Every decoded frame is a sign of life; a frame sllurp cannot decode is not.
        for name in Message_struct:
            client.add_message_callback(name, self._on_message)
        client.add_state_callback(LLRPReaderState.STATE_INVENTORYING, self._on_inventorying)
        client.add_disconnected_callback(self._on_disconnected)
        self._last_message = time.monotonic()
        try:
            client.connect()
        except OSError as err:
            client.hard_disconnect()
            raise ReaderUnreachable(
                f"cannot connect to the reader at {self.address}: {err}"
            ) from err
        self._client = client
        try:
            self._wait_for_inventory()
        except BaseException:
            self._close(polite=False)
            raise
        self.connected_us = box_now_us()

    def _wait_for_inventory(self) -> None:
        deadline = time.monotonic() + self._timeout_s
        while not self._inventorying.wait(_POLL_S):
            if not self.alive:
                raise ReaderRejected(
                    f"the reader at {self.address} closed the connection while being set up"
                )
            if time.monotonic() > deadline:
                raise ReaderUnreachable(
                    f"the reader at {self.address} did not start its inventory"
                    f" within {self._timeout_s:g} s"
                )

    def _close(self, polite: bool) -> None:
        try:
            self._end(polite)
        finally:
            self.settle()  # the reads still held go out with the best offset known

    def _end(self, polite: bool) -> None:
        client = self._client
        if client is None:
            return
        if polite and self.alive:
            # The link may die meanwhile: sllurp then writes to a socket it has closed.
            with suppress(OSError, LLRPError):
                client.disconnect()
            self._drain(client)
        client.hard_disconnect()
        client.join(self._timeout_s)
        if client.is_alive():
            log.warning("sllurp's thread for %s did not end", self.address)

    def settle(self) -> None:
        """Take the least clock sample so far as the offset, and release the held reads.

        Called when enough samples came, by the timer, and when the connection ends
        before either (then the held reads must still reach the sink); once is enough.
        """
        with self._lock:
            self._settle_locked()

    def _settle_locked(self) -> None:
        if self.offset_settled:
            return
        self.offset_settled = True
        if self._settle_timer is not None:
            self._settle_timer.cancel()
        held, self._held = self._held, []
        offset = self.clock_offset_us or 0
        if self._samples:
            log.info("reader %s: clock offset %+.6f s, the least of %d samples", self.address,
                     offset / 1e6, self._samples)  # fmt: skip
        if held:
            self._sink([replace(r, corrected_time_us=r.reader_time_us + offset) for r in held])
        if self._lags:
            self._update_drift()

    def _drain(self, client: LLRPReaderClient) -> None:
        """Wait for sllurp to end the polite stop, as long as frames keep coming.

        The reader answers the stop behind every report it sent before: under load sllurp
        is seconds behind its socket, and a fixed wait then cut the link with those reports
        received but not yet decoded (chaos seed 1 lost 676 reads at a reader's polite stop).
        Silence for ``timeout_s`` (or ``STOP_LIMIT_S`` in all) is when to give up.
        """
        started = time.monotonic()
        while client.is_alive() and self.silent_for_s() < self._timeout_s:
            if time.monotonic() - started > STOP_LIMIT_S:
                log.warning("reader %s: still sending %g s after the stop", self.address,
                            STOP_LIMIT_S)  # fmt: skip
                return
            client.join(_POLL_S)

    # The methods below run on sllurp's thread.

    def _on_message(self, _client: LLRPReaderClient, _message: object) -> None:
        self._last_message = time.monotonic()
        self.last_message_us = box_now_us()

    def _on_inventorying(self, _client: LLRPReaderClient, _state: int) -> None:
        self._inventorying.set()

    def _on_disconnected(self, _client: LLRPReaderClient) -> None:
        self._ended.set()
        self.settle()

    def _on_event(self, _client: LLRPReaderClient, data: dict[str, Any]) -> None:
        stamp = data.get("UTCTimestamp") or data.get("Uptime")
        if isinstance(stamp, dict):
            # The reader's clock may read the year 2000 (no RTC, no NTP): keep its time
            # and correct it by the offset; the greeting's timestamp is its first sample.
            received = box_now_us()
            with self._lock:
                self._sample(received - int(stamp["Microseconds"]))

    def _sample(self, box_minus_reader_us: int) -> None:
        """Count one clock sample (lock held); settle once there are enough."""
        if self.offset_settled:
            return
        best = self.clock_offset_us
        sample = box_minus_reader_us
        self.clock_offset_us = sample if best is None else min(best, sample)
        self._samples += 1
        if self._samples >= SETTLE_SAMPLES:
            self._settle_locked()

    def _on_tags(self, _client: LLRPReaderClient, tags: list[dict[str, Any]]) -> None:
        reads = []
        for tag in tags:
            read = _read_from(tag)
            if read is None:
                self.undecodable += 1
                if self.undecodable == 1:
                    log.warning("reader %s: a tag report lacks EPC, antenna, RSSI or time: %s",
                                self.address, tag)  # fmt: skip
                continue
            reads.append(read)
        if not reads:
            return
        self.last_read_us = received = box_now_us()
        newest = max(read.reader_time_us for read in reads)
        with self._lock:
            self._measure_drift(received, newest - received)
            if not self.offset_settled:
                self._held.extend(reads)
                self._sample(received - newest)
                if not self.offset_settled and self._settle_timer is None:
                    self._settle_timer = threading.Timer(SETTLE_S, self.settle)
                    self._settle_timer.daemon = True
                    self._settle_timer.start()
                return
            offset = self.clock_offset_us or 0
            self._sink([replace(r, corrected_time_us=r.reader_time_us + offset) for r in reads])

    def _measure_drift(self, received_us: int, reader_minus_box_us: int) -> None:
        # The window's largest lag, kept in O(1) a report: the deque holds only the lags no
        # later report beats (each smaller than the one before it), so its first is the
        # largest. Scanning the whole window at every report made the reader quadratic in
        # its report rate: 15,000 reports/s fell to 1,600 (bench_ingest).
        lags = self._lags
        while lags and lags[-1][1] <= reader_minus_box_us:
            lags.pop()
        lags.append((received_us, reader_minus_box_us))
        while received_us - lags[0][0] > DRIFT_WINDOW_US:
            lags.popleft()
        if self.offset_settled:
            self._update_drift()

    def _update_drift(self) -> None:
        if self.clock_offset_us is not None:
            # When settled, reader minus box was -clock_offset_us.
            self.clock_drift_us = self._lags[0][1] + self.clock_offset_us


def _read_from(tag: dict[str, Any]) -> ReadIn | None:
    """The read of one TagReportData, its corrected time still the reader's."""
    try:
        reader_us = tag.get("FirstSeenTimestampUTC") or tag["FirstSeenTimestampUptime"]
        return ReadIn(
            epc=tag["EPC"].decode("ascii").upper(),
            antenna=int(tag["AntennaID"]),
            rssi_dbm=float(tag["PeakRSSI"]),
            reader_time_us=int(reader_us),
            corrected_time_us=int(reader_us),
        )
    except (KeyError, AttributeError, TypeError, ValueError):
        return None
