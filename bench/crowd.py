"""A crowd of HTTP/1.1 clients asking at a fixed rate, light enough to measure a server.

An httpx AsyncClient spends about a millisecond of Python per request: on the one
core a bench gives its crowd, it could not ask 500 requests/s and read the answers
on time, and its own lateness was counted as the server's. This crowd writes each
request by hand on keep-alive connections and reads only the status line, the
headers and ``Content-Length`` bytes of body, nothing else.

The rate is kept open-loop: request ``n`` is started at ``n / rate`` seconds, whether
or not earlier answers came back (a slow server cannot slow the crowd down and hide
its queue), and its latency runs from that start, waiting for a free connection
included. How late the crowd itself started each request (its own process short of
CPU on a busy host) is kept apart (``Asked.lag_s``): it is the crowd's, not the
server's, and a figure says whether the crowd kept up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

HEAD_LIMIT = 64 * 1024


class CrowdError(Exception):
    """The server's answer could not be read as HTTP/1.1 (closed, malformed, chunked)."""


@dataclass(frozen=True)
class Reply:
    """What the crowd keeps of an answer: its status, headers (lower-case) and body size."""

    status: int
    headers: dict[str, str]
    body_bytes: int


@dataclass
class Asked:
    """Every request of a run: its latency, how late the crowd started it, the errors."""

    latencies_s: list[float] = field(default_factory=list)
    lag_s: list[float] = field(default_factory=list)
    errors: int = 0


class Connection:
    """One keep-alive HTTP/1.1 connection, one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        """Connect to ``host:port``."""
        reader, writer = await asyncio.open_connection(host, port, limit=HEAD_LIMIT)
        return cls(reader, writer)

    async def get(self, host: str, target: str, headers: dict[str, str]) -> Reply:
        """Send ``GET target`` and read the whole answer; CrowdError if it cannot be read."""
        lines = [f"GET {target} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            raise CrowdError(f"no answer head: {error}") from error
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        try:
            status = int(status_line.split(" ", 2)[1])
        except (IndexError, ValueError) as error:
            raise CrowdError(f"not an HTTP status line: {status_line!r}") from error
        answer: dict[str, str] = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                answer[name.strip().lower()] = value.strip()
        if "chunked" in answer.get("transfer-encoding", ""):
            raise CrowdError("chunked answers are not read by this crowd")
        length = int(answer.get("content-length", "0"))
        try:
            await self.reader.readexactly(length)
        except asyncio.IncompleteReadError as error:
            raise CrowdError(f"body cut after {len(error.partial)} of {length} bytes") from error
        return Reply(status, answer, length)

    def close(self) -> None:
        """Close the socket (a broken connection is replaced by a new one)."""
        self.writer.close()


Request = tuple[str, dict[str, str]]
"""A request the crowd sends: its target (path and query) and extra headers."""


async def ask_at_rate(
    host: str,
    port: int,
    rate: float,
    count: int,
    connections: int,
    request: Callable[[int], Request],
    answered: Callable[[int, Reply], None],
) -> Asked:
    """Send ``count`` requests at ``rate`` per second over at most ``connections``.

    ``request(n)`` makes the n-th request when it is due; ``answered(n, reply)`` sees
    its answer. A request waiting for a free connection counts that wait as latency.
    """
    asked = Asked()
    idle: asyncio.Queue[Connection | None] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(None)  # opened on first use
    loop = asyncio.get_running_loop()

    async def one(n: int, due: float) -> None:
        started = loop.time()
        asked.lag_s.append(started - due)
        connection = await idle.get()
        try:
            if connection is None:
                connection = await Connection.open(host, port)
            target, headers = request(n)
            reply = await connection.get(f"{host}:{port}", target, headers)
        except (OSError, CrowdError):
            asked.errors += 1
            if connection is not None:
                connection.close()
            idle.put_nowait(None)
            return
        asked.latencies_s.append(loop.time() - started)
        idle.put_nowait(connection)
        answered(n, reply)

    begin = loop.time()
    tasks = []
    for n in range(count):
        due = begin + n / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        tasks.append(asyncio.create_task(one(n, due)))
    await asyncio.gather(*tasks)
    while not idle.empty():
        connection = idle.get_nowait()
        if connection is not None:
            connection.close()
    return asked
