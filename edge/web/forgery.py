"""Refuse forged requests: writes that another origin's page makes a browser send.

A browser attaches the box's cookie to a request that any page makes, and SameSite
does not help against a page on another port of the same address (same site, other
origin), nor on an unclaimed box, which needs no cookie at all. So every request
that can change something (any method but GET, HEAD, OPTIONS) must come from the
server's own origin, its scheme, host and port as the Host header names them, or
from no browser at all:

- ``Sec-Fetch-Site`` (sent by current browsers), when present, must be ``same-origin``
  or ``none``;
- ``Origin``, else the origin of ``Referer``, when present, must be the server's own
  (behind a TLS proxy, uvicorn's proxy headers give the scheme; Host must pass through);
- a request with none of the three was not made by a page (a script, a box, central's
  clients) and goes on: its credentials are its own.

JSON APIs also refuse a body of another content type (415): a form or a fetch
without a preflight can send ``text/plain`` but not ``application/json``. The same
guard runs on the box and on central (``guards=[refuse_forgery]``); the check is on
the request, before any handler reads its body.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection
from litestar.enums import RequestEncodingType
from litestar.handlers.base import BaseRouteHandler
from litestar.params import BodyKwarg

from edge.errors import ChronoEdgeError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
"""Methods that change nothing (a handler for them must not write)."""
OWN_SITES = frozenset({"same-origin", "none"})
"""Sec-Fetch-Site values of a request made by the server's own pages or typed by the user."""
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


class ForeignOrigin(ChronoEdgeError):
    """A page of another site or port sent this request: use this server's own page instead."""

    http_status = 403


class NotJson(ChronoEdgeError):
    """This API takes JSON: send the body with Content-Type: application/json."""

    http_status = 415


async def refuse_forgery(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """The guard: a state-changing request from another origin, or not-JSON to a JSON API, fails."""
    method = str(connection.scope.get("method", "GET")).upper()
    if method in SAFE_METHODS:
        return
    check_origin(connection)
    if takes_json(handler):
        check_json(connection)


def check_origin(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Refuse a request that a page of another origin made (ForeignOrigin)."""
    headers = connection.headers
    site = headers.get("sec-fetch-site")
    if site is not None and site.strip().lower() not in OWN_SITES:
        raise ForeignOrigin(
            f"refused: a {site} request (this server takes writes from its own pages)"
        )
    claimed = headers.get("origin") or headers.get("referer")
    if claimed is None:
        return  # no browser made this request
    own = own_origin(connection)
    if own is None or origin_of(claimed) != own:
        raise ForeignOrigin()


def own_origin(connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[str, str, int] | None:
    """The server's origin as this request addressed it: scheme, Host header's host and port."""
    host = connection.headers.get("host")
    if not host:
        return None
    return origin_of(f"{connection.scope.get('scheme', 'http')}://{host}")


def origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an Origin or a URL; None for ``null`` or anything malformed."""
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:  # a port that is not a number
        return None
    if not parts.hostname or port is None or parts.username or parts.password:
        return None
    return scheme, parts.hostname.lower(), port


def takes_json(handler: BaseRouteHandler) -> bool:
    """Whether the handler's ``data`` is decoded from JSON (Litestar's default body)."""
    field = handler.parsed_data_field
    if field is None:
        return False
    body = field.kwarg_definition
    media = body.media_type if isinstance(body, BodyKwarg) else RequestEncodingType.JSON
    return media == RequestEncodingType.JSON


def check_json(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """Refuse a body that is not declared as JSON (NotJson); an empty body passes."""
    headers = connection.headers
    kind = headers.get("content-type")
    if kind is None:
        empty = headers.get("content-length", "0").strip() == "0"
        if empty and "transfer-encoding" not in headers:
            return
        raise NotJson()
    mime = kind.split(";", 1)[0].strip().lower()
    if mime == "application/json" or (mime.startswith("application/") and mime.endswith("+json")):
        return
    raise NotJson(f"this API takes JSON, not {mime or 'an unnamed type'}: send application/json")
