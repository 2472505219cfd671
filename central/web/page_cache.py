"""How central's public answers are cached: ETag, 304 before rendering, Cache-Control.

Every public answer (the spectators' pages, the runner pages, the JSON results) carries
an ETag made from what it shows, and answers 304 to a browser or a cache that holds it
before anything is rendered (:func:`conditional`): a crowd that revalidates costs almost
nothing. The pages say :data:`CACHE_CONTROL`; the JSON API passes its own.

A new version of a race lands while a crowd is asking for it: every request already
in flight holds the old ETag, so each would render the same page (25 ms for 100 rows,
more for a tab that sorts 20,000), and the queue behind them grew to seconds
(bench_public --page). :class:`PageCache` keeps rendered pages by ETag: the first
request for an ETag renders it, in a thread so that the 304s around it are still
answered; the others wait for that body.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from litestar import Request, Response
from litestar.status_codes import HTTP_304_NOT_MODIFIED

CACHE_CONTROL = "public, max-age=0, s-maxage=5"
"""A CDN or nginx cache may serve a page 5 s; a browser asks again at every load (a 304
when nothing changed), so a spectator who reloads sees the newest results at once
(with max-age=5 Chromium showed a stale "On course" from its own cache)."""
PAGES_VERSION = "1"
"""Part of every page's ETag: bump it when the templates change what a version shows."""
PAGES_KEPT = 64
"""Rendered pages kept (about 75 kB each at 100 rows): every race's views of a weekend."""


def page_etag(*parts: str) -> str:
    """A page's ETag: a digest of what it shows (version, language, tab...) and PAGES_VERSION."""
    return hashlib.sha256("\x1f".join((PAGES_VERSION, *parts)).encode()).hexdigest()[:32]


def caching_headers(
    etag: str, also: Mapping[str, str], cache_control: str = CACHE_CONTROL
) -> dict[str, str]:
    """The headers of an answer that is ``etag``; ``also``: its others (``Vary``...)."""
    return {"ETag": f'"{etag}"', "Cache-Control": cache_control, **also}


def held(request: Request[Any, Any, Any], etag: str) -> bool:
    """Whether the client already holds ``etag``: named in If-None-Match (weak or not), or ``*``."""
    header = request.headers.get("if-none-match", "")
    tags = {tag.strip().removeprefix("W/").strip('"') for tag in header.split(",") if tag.strip()}
    return etag in tags or "*" in tags


def conditional(
    request: Request[Any, Any, Any],
    etag: str,
    also: Mapping[str, str],
    cache_control: str = CACHE_CONTROL,
) -> tuple[dict[str, str], Response[bytes] | None]:
    """The caching headers of an answer, and the 304 to send instead when the client holds it.

    Call it before rendering anything: a client that holds this version gets the 304
    (with the same headers, ``also`` included) and the page is never made.
    """
    headers = caching_headers(etag, also, cache_control)
    if held(request, etag):
        return headers, Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    return headers, None


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
