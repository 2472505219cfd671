"""Security headers on every answer of the box and of central (and no ``server`` header).

Pages may run only the scripts they serve from ``/static`` and the inline scripts
that carry this answer's nonce (``script_nonce`` in a template), may not be framed
by another site, and never have their content type guessed. Styles stay allowed
inline: the templates use ``<style>`` blocks and ``style=`` attributes, and Jinja
escapes every value, so no visitor's text reaches them.
"""

from __future__ import annotations

import secrets
from typing import Any

from litestar.types import Message, Scope

NONCE_KEY = "csp_nonce"

# same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on a
# form POST, and the CSRF check compares Origin with the page's own.
FIXED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


DOCS_PATH = "/schema"
DOCS_SOURCES = "https://cdn.jsdelivr.net https://cdn.redoc.ly https://unpkg.com"
DOCS_POLICY = "; ".join(
    (
        "default-src 'self'",
        f"script-src 'self' 'unsafe-inline' {DOCS_SOURCES}",
        f"style-src 'self' 'unsafe-inline' {DOCS_SOURCES} https://fonts.googleapis.com",
        f"font-src 'self' data: {DOCS_SOURCES} https://fonts.gstatic.com",
        "img-src 'self' data: https:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
"""Litestar's API documentation pages (/schema) load their viewer from these CDNs and
start it inline; they show the OpenAPI document only, never a visitor's data."""


def content_security_policy(nonce: str | None) -> str:
    """The policy of one answer: same-origin everything; inline scripts only with ``nonce``."""
    scripts = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def script_nonce(request: Any) -> str:
    """This answer's nonce, for ``<script nonce="...">`` in a template (made on first use)."""
    state = request.scope.setdefault("state", {})
    nonce = state.get(NONCE_KEY)
    if nonce is None:
        nonce = state[NONCE_KEY] = secrets.token_urlsafe(18)
    return str(nonce)


_FIXED_RAW = [
    (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in FIXED.items()
]
_CSP = b"content-security-policy"
_XFO = b"x-frame-options"
_NO_NONCE_POLICY = content_security_policy(None)


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: the headers above on every HTTP answer, 404s included.

    A header the answer sets itself is kept. The raw header list is worked on directly:
    through ``MutableScopeHeaders`` (a search and a decoding of every header for each of
    six names) this hook cost ~60 µs of an answer, an eighth of a 304 of central's.
    """
    if message["type"] != "http.response.start":
        return
    # Whatever serves the app (uvicorn, a test server), it does not say what it is.
    headers = [
        (name, value) for name, value in message.get("headers", ()) if name.lower() != b"server"
    ]
    present = {name.lower() for name, _ in headers}
    fixed = _FIXED_RAW
    if _CSP in present and _frameable(headers):
        # An answer that lets other sites frame it (central's results widget) says so in
        # its own policy; X-Frame-Options: DENY would still forbid it in older browsers.
        fixed = [(name, value) for name, value in _FIXED_RAW if name != _XFO]
    headers += [(name, value) for name, value in fixed if name not in present]
    if _CSP not in present:
        headers.append((_CSP, _policy(scope).encode("latin-1")))
    message["headers"] = headers


def _frameable(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the answer's own Content-Security-Policy lets other sites frame it."""
    for name, value in headers:
        if name.lower() == _CSP:
            for directive in value.decode("latin-1").split(";"):
                words = directive.split()
                if words and words[0] == "frame-ancestors" and words[1:] != ["'none'"]:
                    return True
    return False


def _policy(scope: Scope) -> str:
    """The Content-Security-Policy of the answer to ``scope``."""
    path = str(scope.get("path", ""))
    if (path == DOCS_PATH or path.startswith(DOCS_PATH + "/")) and not path.endswith(
        (".json", ".yaml", ".yml")
    ):
        return DOCS_POLICY
    nonce = scope.get("state", {}).get(NONCE_KEY)
    return content_security_policy(nonce) if nonce else _NO_NONCE_POLICY


def use_script_nonce(engine: Any) -> None:
    """``TemplateConfig(engine_callback=...)``: templates may call ``script_nonce(request)``."""
    engine.engine.globals["script_nonce"] = script_nonce
