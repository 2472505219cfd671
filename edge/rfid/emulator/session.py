"""One client connection to the emulated reader: commands answered, keepalives, reports, faults.

What sllurp 3.0.5 does on connect, and what this answers (see the package docstring for
the whole sequence): every request gets its response with the request's message ID and
an LLRPStatus; ROSpecs and AccessSpecs are kept per connection as on a real reader; a
message the emulator does not implement gets an ERROR_MESSAGE (M_UnsupportedMessage).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

from edge.rfid.emulator import frames
from edge.rfid.emulator.capabilities import (
    ReaderProfile,
    capabilities_response,
    reader_config_response,
)
from edge.rfid.emulator.commands import Frame, FrameSplitter, InventorySpec, parse_set_reader_config
from edge.rfid.emulator.errors import CommandRejected, MalformedFrame
from edge.rfid.emulator.faults import FaultAction, FaultPlan
from edge.rfid.emulator.frames import ContentSelector, MessageType, StatusCode, TagReportEntry
from edge.rfid.emulator.reporting import ReportStream
from edge.rfid.emulator.rospecs import SpecBook
from edge.rfid.emulator.scenarios import Scenario
from edge.rfid.emulator.sentlog import SentLog
from edge.rfid.emulator.timeline import ReaderClock, Timeline

log = logging.getLogger(__name__)
_READ_CHUNK = 65_536


@dataclass
class EmulatorStats:
    """Counters of what the emulator did, for logs and tests."""

    connections: int = 0
    reports_sent: int = 0
    keepalives_sent: int = 0
    keepalive_acks: int = 0
    errors_sent: int = 0
    malformed_frames: int = 0
    faults_injected: int = 0


@dataclass
class ReaderContext:
    """What every connection to one emulated reader shares."""

    scenario: Scenario
    profile: ReaderProfile
    clock: ReaderClock
    timeline: Timeline = field(default_factory=Timeline)
    stats: EmulatorStats = field(default_factory=EmulatorStats)
    sent_log: SentLog | None = None  # the ground truth: every read sent, when asked for


class ReaderSession:
    """One client connection: answers commands, sends keepalives and reports, injects faults."""

    def __init__(
        self,
        context: ReaderContext,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        number: int,
    ) -> None:
        self._context = context
        self._reader = reader
        self._writer = writer
        self._number = number
        faults = context.scenario.faults
        self._fault_plan = FaultPlan(faults if faults.applies_to(number) else None)
        self._garbage_kind = faults.garbage_kind
        self._specs = SpecBook(context.profile.antennas)
        self._last_id = 0
        self._keepalive_ms = 0
        self._keepalive_task: asyncio.Task[None] | None = None
        self._stream_task: asyncio.Task[None] | None = None
        self._closed = False
        self._silent = False
        self._handlers: dict[int, Callable[[Frame], Awaitable[None]]] = {
            MessageType.GET_READER_CAPABILITIES: self._on_get_capabilities,
            MessageType.GET_READER_CONFIG: self._on_get_config,
            MessageType.SET_READER_CONFIG: self._on_set_config,
            MessageType.ENABLE_EVENTS_AND_REPORTS: self._on_nothing,
            MessageType.KEEPALIVE_ACK: self._on_keepalive_ack,
            MessageType.CLOSE_CONNECTION: self._on_close_connection,
            MessageType.CUSTOM_MESSAGE: self._on_custom,
        }
        for msg_type in self._specs.handled_types():
            self._handlers[msg_type] = self._on_spec_command

    async def run(self) -> None:
        """Greet the client, then answer its frames until it leaves or a fault ends the link."""
        log.info("reader connection %d opened", self._number)
        if self._context.sent_log is not None:
            self._context.sent_log.opened(self._number)
        try:
            greeting = frames.connection_event(self._new_id(), self._context.clock.now_us())
            await asyncio.sleep(self._context.profile.greeting_delay_s)
            await self._send(greeting)
            await self._read_frames()
        except (ConnectionError, TimeoutError) as err:
            log.info("reader connection %d lost: %s", self._number, err)
        finally:
            await self.close()
            if self._context.sent_log is not None:
                self._context.sent_log.closed(self._number)
            log.info("reader connection %d closed", self._number)

    def abort(self) -> None:
        """Drop the connection at once, as a reader losing power would."""
        self._closed = True
        self._writer.transport.abort()

    async def close(self) -> None:
        """Stop the keepalive and report tasks and close the socket."""
        self._closed = True
        tasks = [t for t in (self._keepalive_task, self._stream_task) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if not self._writer.is_closing():
            self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()

    async def _read_frames(self) -> None:
        splitter = FrameSplitter()
        while not self._closed:
            data = await self._reader.read(_READ_CHUNK)
            if not data:
                return
            if self._silent:
                continue  # a hung reader: the socket stays open, nothing answers
            try:
                for frame in splitter.feed(data):
                    await self._handle(frame)
            except MalformedFrame as err:
                self._context.stats.malformed_frames += 1
                log.warning("reader connection %d: %s", self._number, err)
                await self._send_error(0, StatusCode.FIELD_ERROR, err.message)
                return

    async def _handle(self, frame: Frame) -> None:
        if self._closed or self._silent:
            return
        if frame.version != frames.LLRP_VERSION:
            text = f"LLRP version {frame.version} is not supported, use 1"
            await self._send_error(frame.msg_id, StatusCode.UNSUPPORTED_VERSION, text)
            return
        handler = self._handlers.get(frame.msg_type)
        if handler is None:
            text = f"message type {frame.msg_type} is not emulated"
            await self._send_error(frame.msg_id, StatusCode.UNSUPPORTED_MESSAGE, text)
            return
        await handler(frame)

    async def _on_nothing(self, frame: Frame) -> None:
        """ENABLE_EVENTS_AND_REPORTS has no response; events are never held here."""

    async def _on_get_capabilities(self, frame: Frame) -> None:
        requested = frame.body[0] if frame.body else 0
        profile = self._context.profile
        await self._respond(capabilities_response(frame.msg_id, profile, requested))

    async def _on_get_config(self, frame: Frame) -> None:
        profile = self._context.profile
        await self._respond(reader_config_response(frame.msg_id, profile, self._keepalive_ms))

    async def _on_set_config(self, frame: Frame) -> None:
        try:
            settings = parse_set_reader_config(frame.body)
        except CommandRejected as err:
            await self._respond_status(MessageType.SET_READER_CONFIG_RESPONSE, frame, err)
            return
        if settings.reset_to_factory:
            self._stop_stream()
            self._specs.reset()
            self._set_keepalive(0)
        if settings.keepalive_ms is not None:
            self._set_keepalive(settings.keepalive_ms)
        await self._respond_status(MessageType.SET_READER_CONFIG_RESPONSE, frame)

    async def _on_spec_command(self, frame: Frame) -> None:
        response_type = self._specs.response_type(frame.msg_type)
        try:
            outcome = self._specs.apply(frame)
        except CommandRejected as err:
            await self._respond_status(response_type, frame, err)
            return
        if outcome.stopped:
            self._stop_stream()
        await self._respond_status(response_type, frame)
        if outcome.started is not None:
            self._start_stream(outcome.started)

    async def _on_keepalive_ack(self, frame: Frame) -> None:
        self._context.stats.keepalive_acks += 1

    async def _on_close_connection(self, frame: Frame) -> None:
        await self._respond_status(MessageType.CLOSE_CONNECTION_RESPONSE, frame)
        self._closed = True

    async def _on_custom(self, frame: Frame) -> None:
        impinj = frame.vendor_id == frames.IMPINJ_VENDOR_ID
        if impinj and frame.subtype == frames.IMPINJ_ENABLE_EXTENSIONS:
            await self._respond(frames.impinj_extensions_response(frame.msg_id))
            return
        text = f"custom message {frame.vendor_id}/{frame.subtype} is not emulated"
        await self._send_error(frame.msg_id, StatusCode.UNSUPPORTED_MESSAGE, text)

    def _start_stream(self, spec: InventorySpec) -> None:
        self._stop_stream()
        context = self._context
        send = partial(self._send_report, spec.content)
        sent = context.sent_log
        stream = ReportStream(
            spec, context.scenario, context.timeline, context.clock, send,
            on_missed=None if sent is None else partial(sent.missed, self._number),
            on_start=None if sent is None else sent.started,
        )  # fmt: skip
        task = asyncio.create_task(stream.run(), name=f"llrp-reports-{self._number}")
        task.add_done_callback(partial(self._stream_ended, spec.rospec_id))
        self._stream_task = task
        log.info("reader connection %d: ROSpec %d active", self._number, spec.rospec_id)

    def _stream_ended(self, rospec_id: int, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        if task.exception() is not None:
            log.error(
                "reader connection %d: reports failed", self._number, exc_info=task.exception()
            )
        self._specs.ended(rospec_id)

    def _stop_stream(self) -> None:
        if self._stream_task is not None:
            self._stream_task.cancel()
            self._stream_task = None

    def _set_keepalive(self, interval_ms: int) -> None:
        if self._keepalive_task is not None:
            self._keepalive_task.cancel()
            self._keepalive_task = None
        self._keepalive_ms = interval_ms
        if interval_ms > 0:
            loop = self._keepalives(interval_ms / 1000)
            self._keepalive_task = asyncio.create_task(loop, name=f"llrp-keepalive-{self._number}")

    async def _keepalives(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            if not await self._send(frames.keepalive(self._new_id())):
                return
            self._context.stats.keepalives_sent += 1

    async def _send_report(self, content: ContentSelector, entries: list[TagReportEntry]) -> bool:
        if not await self._send(frames.ro_access_report(self._new_id(), entries, content)):
            return False
        if self._context.sent_log is not None:
            self._context.sent_log.sent(self._number, entries)
        self._context.stats.reports_sent += 1
        for action in self._fault_plan.after_report():
            self._context.stats.faults_injected += 1
            count = self._fault_plan.reports_sent
            log.warning("reader connection %d: %s (%d reports)", self._number, action.value, count)
            if action is FaultAction.GARBAGE:
                await self._send(frames.garbage_frame(self._garbage_kind, self._new_id()))
            elif action is FaultAction.DROP:
                # Every report sent so far reaches the client, then the link dies.
                self._writer.transport.set_write_buffer_limits(high=0)
                await self._writer.drain()
                self.abort()
            else:
                self._silent = True
        return not (self._closed or self._silent)

    async def _respond_status(
        self, msg_type: MessageType, frame: Frame, rejected: CommandRejected | None = None
    ) -> None:
        if rejected is None:
            await self._respond(frames.status_response(msg_type, frame.msg_id))
            return
        code = StatusCode(rejected.status)
        await self._respond(frames.status_response(msg_type, frame.msg_id, code, rejected.message))

    async def _send_error(self, msg_id: int, code: StatusCode, text: str) -> None:
        self._context.stats.errors_sent += 1
        await self._respond(frames.error_message(msg_id, code, text))

    async def _respond(self, data: bytes) -> None:
        await asyncio.sleep(self._context.profile.response_latency_s)
        await self._send(data)

    async def _send(self, data: bytes) -> bool:
        if self._closed or self._silent:
            return False
        self._writer.write(data)
        try:
            await self._writer.drain()
        except ConnectionError:
            self._closed = True
            return False
        return True

    def _new_id(self) -> int:
        self._last_id = self._last_id % 0xFFFF_FFFF + 1
        return self._last_id
