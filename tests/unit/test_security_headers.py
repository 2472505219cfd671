"""The ``before_send`` hook that puts the security headers on every answer."""

from __future__ import annotations

import asyncio
from typing import Any

from edge.web.headers import DOCS_POLICY, NONCE_KEY, add_security_headers, content_security_policy


def sent(
    headers: list[tuple[bytes, bytes]], path: str = "/", **state: str
) -> dict[bytes, list[bytes]]:
    message: dict[str, Any] = {"type": "http.response.start", "status": 200, "headers": headers}
    asyncio.run(add_security_headers(message, {"type": "http", "path": path, "state": state}))  # type: ignore[arg-type]
    found: dict[bytes, list[bytes]] = {}
    for name, value in message["headers"]:
        found.setdefault(name, []).append(value)
    return found


def test_an_answer_gets_every_header_once_and_keeps_its_own() -> None:
    found = sent([(b"etag", b'"1"'), (b"X-Frame-Options", b"SAMEORIGIN")])
    assert found[b"etag"] == [b'"1"']
    assert found[b"X-Frame-Options"] == [b"SAMEORIGIN"]  # set by the answer: kept, not doubled
    assert b"x-frame-options" not in found
    assert found[b"x-content-type-options"] == [b"nosniff"]
    assert found[b"referrer-policy"] == [b"same-origin"]
    assert found[b"cross-origin-opener-policy"] == [b"same-origin"]
    assert found[b"content-security-policy"] == [content_security_policy(None).encode()]


def test_the_policy_follows_the_nonce_and_the_documentation_pages() -> None:
    with_nonce = sent([], "/jobs", **{NONCE_KEY: "abc"})[b"content-security-policy"]
    assert with_nonce == [content_security_policy("abc").encode()]
    assert sent([], "/schema/redoc")[b"content-security-policy"] == [DOCS_POLICY.encode()]
    own = sent([(b"content-security-policy", b"default-src 'none'")])
    assert own[b"content-security-policy"] == [b"default-src 'none'"]


def test_no_server_header_says_what_serves_the_app() -> None:
    assert b"server" not in sent([(b"server", b"uvicorn"), (b"Server", b"x")])
    assert b"Server" not in sent([(b"Server", b"x")])


def test_other_messages_are_left_alone() -> None:
    body: dict[str, Any] = {"type": "http.response.body", "body": b"{}"}
    asyncio.run(add_security_headers(body, {"type": "http", "path": "/"}))  # type: ignore[arg-type]
    assert body == {"type": "http.response.body", "body": b"{}"}
