"""An app served by uvicorn on 127.0.0.1 for the security tests.

Litestar's TestClient waits for a whole response, and the box's streams never end;
uvicorn in a thread answers them as a box does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from litestar import Litestar

from tests.servers import free_port


@contextmanager
def served(app: Litestar) -> Iterator[httpx.Client]:
    """``app`` served by uvicorn on 127.0.0.1 in a thread; a client of it."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=20)
