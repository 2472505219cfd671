"""The public answers' caching: 304 to whoever holds the ETag, one render per ETag."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request

from central.web.page_cache import CACHE_CONTROL, PageCache, conditional, held, page_etag


def asking(if_none_match: str | None) -> Request[Any, Any, Any]:
    headers = [(b"if-none-match", if_none_match.encode())] if if_none_match is not None else []
    scope = {"type": "http", "method": "GET", "path": "/public", "headers": headers}
    return Request(scope)  # type: ignore[arg-type]


def test_a_client_holds_an_etag_it_names_strong_weak_in_a_list_or_by_star() -> None:
    etag = page_etag("event", "fr", "10K")
    assert held(asking(f'"{etag}"'), etag)
    assert held(asking(f'W/"{etag}"'), etag)
    assert held(asking(f'"older", "{etag}"'), etag)
    assert held(asking("*"), etag)
    assert not held(asking('"older"'), etag)
    assert not held(asking(None), etag)
    assert not held(asking(""), etag)


def test_the_etag_changes_with_anything_the_page_shows() -> None:
    assert page_etag("event", "fr", "10K") == page_etag("event", "fr", "10K")
    assert page_etag("event", "fr", "10K") != page_etag("event", "en", "10K")
    assert page_etag("a", "bc") != page_etag("ab", "c")  # parts stay apart


def test_a_held_version_gets_a_304_with_the_same_headers_and_a_new_one_gets_none() -> None:
    etag = page_etag("runner", "7")
    vary = {"Vary": "Accept-Language"}
    headers, unchanged = conditional(asking(f'"{etag}"'), etag, vary)
    assert headers == {"ETag": f'"{etag}"', "Cache-Control": CACHE_CONTROL, **vary}
    assert CACHE_CONTROL == "public, max-age=0, s-maxage=5"
    assert unchanged is not None
    assert unchanged.status_code == 304
    assert unchanged.headers["Vary"] == "Accept-Language"
    headers, unchanged = conditional(asking('"older"'), etag, {}, "public, max-age=5")
    assert unchanged is None
    assert headers == {"ETag": f'"{etag}"', "Cache-Control": "public, max-age=5"}


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
