"""PostgreSQL for a central inside a network namespace, through a Unix socket.

The test server listens on 127.0.0.1 of the root namespace, which ``hq`` cannot reach;
its own Unix socket only takes peer authentication. A file path crosses namespaces, so
the rig listens on ``<folder>/.s.PGSQL.5432`` and relays each connection to the TCP
server: central's URL names the folder (``?host=<folder>``, asyncpg's Unix-socket form)
and authenticates with the password as over TCP.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from pathlib import Path

from sqlalchemy.engine import make_url

SOCKET_NAME = ".s.PGSQL.5432"


class PostgresBridge:
    """A Unix-socket relay to ``host:port``, served by a thread; use it as ``with``."""

    def __init__(self, folder: Path, host: str, port: int) -> None:
        self.folder = folder
        self._target = (host, port)
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="chaos-pgbridge", daemon=True)

    def url_for(self, tcp_url: str) -> str:
        """``tcp_url`` (postgresql+asyncpg://user:pw@127.0.0.1/db) as reached through the bridge."""
        url = (
            make_url(tcp_url)
            .set(host=None, port=None)
            .update_query_dict({"host": str(self.folder)})
        )
        return url.render_as_string(hide_password=False)

    def __enter__(self) -> PostgresBridge:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the PostgreSQL bridge did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        path = self.folder / SOCKET_NAME
        path.unlink(missing_ok=True)
        server = await asyncio.start_unix_server(self._relay, path=str(path))
        self._ready.set()
        async with server:
            await self._stop.wait()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        sink.close()
