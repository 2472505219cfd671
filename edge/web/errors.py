"""The one place where errors become HTTP responses, for the box and for central.

Each error class declares its own status (``http_status``, inherited along its
class hierarchy) and its extra fields and headers (``edge.errors``), so this
module holds no table: a new error class is rendered right by declaring them.

Anything else a handler lets escape is a bug or a bad input nothing caught:
:func:`internal_error_handler` answers a JSON body nested past the decoder's
recursion limit with 400, a full disk (SQLite's or PostgreSQL's) with 503 ``DiskFull``
and ``Retry-After`` (the operator can fix it), and logs every other one with its
traceback before answering a 500 that tells nothing of the internals.
:data:`EXCEPTION_HANDLERS` is the map both apps (the box's and central's) install.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.response import Redirect
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_500_INTERNAL_SERVER_ERROR,
)
from litestar.types import ExceptionHandlersMap

from edge.errors import ChronoEdgeError, DiskFull
from edge.store.sqlite import out_of_space

log = logging.getLogger(__name__)

# msgspec (Litestar's request bodies) and the json module (bodies parsed by hand) raise
# RecursionError on deep nesting, with these words; a RecursionError elsewhere is a bug.
_DECODER_RECURSION = ("while deserializing", "while decoding a json")


def error_body(error: ChronoEdgeError) -> dict[str, Any]:
    """The JSON body of an error: its status and kind, what went wrong, its extra fields.

    ``status_code`` and ``detail`` are what /schema documents for an error (Litestar's
    own shape, which its validation errors have): one shape whoever raised it.
    """
    body = {"status_code": error.http_status, "error": type(error).__name__}
    return {**body, "detail": error.message, **error.extra()}


def error_handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """Render any ChronoEdge or central error with the status and headers it declares."""
    assert isinstance(error, ChronoEdgeError)
    if error.http_status >= HTTP_500_INTERNAL_SERVER_ERROR:
        _log_failure(request, error)
    return Response(error_body(error), status_code=error.http_status, headers=error.headers())


def internal_error_handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """An error no other handler took: 400 for a too-deep JSON body, else logged and 500."""
    if isinstance(error, RecursionError) and _is_decoder_recursion(error):
        detail = "the JSON body is nested too deeply; send a flat document as documented in /schema"
        body = {"status_code": HTTP_400_BAD_REQUEST, "error": "InvalidInput", "detail": detail}
        return Response(body, status_code=HTTP_400_BAD_REQUEST)
    if out_of_space(error):
        # Not a bug: the operator must free space (docs/race-day.md, "Full disk").
        full = DiskFull()
        log.warning("%s %s refused: %s (%s)", request.method, request.url.path, full, error)
        return Response(error_body(full), status_code=full.http_status, headers=full.headers())
    _log_failure(request, error)
    detail = "internal error; it is logged with its trace on the server, nothing more is shown here"
    body = {
        "status_code": HTTP_500_INTERNAL_SERVER_ERROR,
        "error": "InternalError",
        "detail": detail,
    }
    return Response(body, status_code=HTTP_500_INTERNAL_SERVER_ERROR)


def _is_decoder_recursion(error: RecursionError) -> bool:
    message = str(error).lower()
    return any(words in message for words in _DECODER_RECURSION)


def _log_failure(request: Request[Any, Any, Any], error: Exception) -> None:
    log.error(
        "%s %s failed: %s: %s",
        request.method,
        request.url.path,
        type(error).__name__,
        error,
        exc_info=(type(error), error, error.__traceback__),
    )


def login_required_handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """Pages go to /login and come back; APIs answer 401 JSON."""
    path = request.url.path
    if path.startswith("/api/"):
        body = {
            "status_code": HTTP_401_UNAUTHORIZED,
            "error": "LoginRequired",
            "detail": getattr(error, "detail", str(error)),
        }
        return Response(body, status_code=HTTP_401_UNAUTHORIZED)
    target = path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/login?next={quote(target, safe='')}")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ChronoEdgeError: error_handler,  # central's errors derive from it too
    HTTP_500_INTERNAL_SERVER_ERROR: internal_error_handler,  # Litestar's: any non-HTTP error
}
"""The handlers both apps install (the box adds its login redirect)."""
