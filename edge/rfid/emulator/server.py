"""The emulator's TCP server, on asyncio, and a runner that puts it in a thread of its own.

``EmulatorServer`` suits asyncio code; ``BackgroundEmulator`` suits blocking code, above
all sllurp's client, whose thread would otherwise block the loop the emulator runs on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from pathlib import Path
from types import TracebackType

from edge.rfid.emulator.capabilities import ReaderProfile
from edge.rfid.emulator.errors import EmulatorError
from edge.rfid.emulator.scenarios import Scenario
from edge.rfid.emulator.sentlog import SentLog
from edge.rfid.emulator.session import EmulatorStats, ReaderContext, ReaderSession
from edge.rfid.emulator.timeline import ReaderClock

log = logging.getLogger(__name__)
LLRP_PORT = 5084


class EmulatorServer:
    """An emulated LLRP reader listening on TCP; use it as ``async with``."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        host: str = "127.0.0.1",
        port: int = LLRP_PORT,
        clock_offset_us: int = 0,
        profile: ReaderProfile | None = None,
        clock_drift_ppm: float = 0.0,
        sent_log: Path | None = None,
    ) -> None:
        self.context = ReaderContext(
            scenario, profile or ReaderProfile(), ReaderClock(clock_offset_us, clock_drift_ppm)
        )
        if sent_log is not None:
            self.context.sent_log = SentLog(sent_log)
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._sessions: dict[asyncio.Task[None], ReaderSession] = {}

    @property
    def port(self) -> int:
        """Return the TCP port listened on (the real one when asked for port 0)."""
        if self._server is None:
            raise EmulatorError("the emulator is not listening")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def stats(self) -> EmulatorStats:
        """Return the counters of what the emulator did."""
        return self.context.stats

    async def start(self) -> None:
        """Start listening."""
        self._server = await asyncio.start_server(self._on_client, self._host, self._port)
        log.info(
            "LLRP reader emulator on %s:%d, scenario %s",
            self._host,
            self.port,
            self.context.scenario.name,
        )

    async def serve_forever(self) -> None:
        """Serve until cancelled."""
        if self._server is None:
            await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    async def close(self) -> None:
        """Stop listening and drop every connection."""
        if self._server is not None:
            self._server.close()
        for session in self._sessions.values():
            session.abort()
        if self._sessions:
            await asyncio.wait(list(self._sessions), timeout=2.0)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        if self.context.sent_log is not None:
            self.context.sent_log.close()
            self.context.sent_log = None

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.context.stats.connections += 1
        session = ReaderSession(self.context, reader, writer, self.context.stats.connections)
        task = asyncio.current_task()
        assert task is not None
        self._sessions[task] = session
        try:
            await session.run()
        finally:
            del self._sessions[task]


async def serve_emulator(
    host: str,
    port: int,
    scenario: Scenario,
    *,
    clock_offset_us: int = 0,
    profile: ReaderProfile | None = None,
    clock_drift_ppm: float = 0.0,
    sent_log: Path | None = None,
) -> None:
    """Run an emulated LLRP reader on host:port until cancelled (``sent_log``: sentlog.py)."""
    async with EmulatorServer(
        scenario,
        host=host,
        port=port,
        clock_offset_us=clock_offset_us,
        profile=profile,
        clock_drift_ppm=clock_drift_ppm,
        sent_log=sent_log,
    ) as server:
        await server.serve_forever()


class BackgroundEmulator:
    """An emulator on its own event loop in a daemon thread; use it as ``with``."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock_offset_us: int = 0,
        profile: ReaderProfile | None = None,
        timeout_s: float = 5.0,
        clock_drift_ppm: float = 0.0,
        sent_log: Path | None = None,
    ) -> None:
        self._server = EmulatorServer(
            scenario,
            host=host,
            port=port,
            clock_offset_us=clock_offset_us,
            profile=profile,
            clock_drift_ppm=clock_drift_ppm,
            sent_log=sent_log,
        )
        self._timeout_s = timeout_s
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="llrp-emulator", daemon=True)

    @property
    def port(self) -> int:
        """Return the TCP port the emulator listens on."""
        return self._server.port

    @property
    def stats(self) -> EmulatorStats:
        """Return the counters of what the emulator did."""
        return self._server.stats

    def __enter__(self) -> BackgroundEmulator:
        self._thread.start()
        if not self._ready.wait(self._timeout_s):
            raise EmulatorError("the emulator did not start in time")
        if self._failure is not None:
            raise EmulatorError(f"the emulator did not start: {self._failure}") from self._failure
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(self._timeout_s)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as err:  # handed to the thread that waits in __enter__
            self._failure = err
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with self._server:
            self._ready.set()
            await self._stop.wait()
