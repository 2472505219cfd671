"""Rendered public pages kept by their ETag, each made once however many ask at once.

A new version of a race lands while a crowd is asking for it: every request already
in flight holds the old ETag, so each would render the same page (25 ms for 100 rows,
more for a tab that sorts 20,000), and the queue behind them grew to seconds
(bench_public --page). The first request for an ETag renders it, in a thread so that
the 304s around it are still answered; the others wait for that body.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable

PAGES_KEPT = 64
"""Rendered pages kept (about 75 kB each at 100 rows): every race's views of a weekend."""


class PageCache:
    """ETag -> rendered body, the least recently used dropped first."""

    def __init__(self, size: int = PAGES_KEPT) -> None:
        self.size = size
        self._pages: OrderedDict[str, bytes] = OrderedDict()
        self._making: dict[str, asyncio.Lock] = {}

    async def get(self, etag: str, make: Callable[[], Awaitable[bytes]]) -> bytes:
        """The body of ``etag``: kept, or made by ``make`` once for all who ask meanwhile."""
        kept = self._kept(etag)
        if kept is not None:
            return kept
        lock = self._making.setdefault(etag, asyncio.Lock())
        try:
            async with lock:
                kept = self._kept(etag)
                if kept is not None:
                    return kept
                body = await make()
                self._pages[etag] = body
                while len(self._pages) > self.size:
                    self._pages.popitem(last=False)
                return body
        finally:
            if not lock.locked() and self._making.get(etag) is lock:
                del self._making[etag]

    def _kept(self, etag: str) -> bytes | None:
        body = self._pages.get(etag)
        if body is not None:
            self._pages.move_to_end(etag)
        return body
