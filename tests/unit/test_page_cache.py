"""The public pages' render cache: one render per ETag however many ask at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from central.web.page_cache import PageCache


async def test_a_crowd_asking_for_a_new_page_at_once_gets_one_render() -> None:
    cache = PageCache(size=2)
    renders: list[str] = []

    async def render() -> bytes:
        renders.append("v2")
        await asyncio.sleep(0.01)  # the others arrive while it renders
        return b"<html>v2</html>"

    bodies = await asyncio.gather(*(cache.get("v2", render) for _ in range(50)))
    assert bodies == [b"<html>v2</html>"] * 50
    assert renders == ["v2"]


async def test_the_least_recently_asked_page_is_dropped_first() -> None:
    cache = PageCache(size=2)
    made: list[str] = []

    def maker(etag: str) -> Callable[[], Awaitable[bytes]]:
        async def make() -> bytes:
            made.append(etag)
            return etag.encode()

        return make

    for etag in ("a", "b", "a", "c", "a", "b"):
        assert await cache.get(etag, maker(etag)) == etag.encode()
    assert made == ["a", "b", "c", "b"]  # b was dropped for c; a, asked again, stayed
