"""The one place where errors become HTTP responses, for the box and for central.

Each error class declares its own status (``http_status``, inherited along its
class hierarchy) and its extra fields and headers (``edge.errors``), so this
module holds no table: a new error class is rendered right by declaring them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.response import Redirect
from litestar.status_codes import HTTP_401_UNAUTHORIZED

from edge.errors import ChronoEdgeError


def error_body(error: ChronoEdgeError) -> dict[str, Any]:
    """The JSON body of an error: its kind, what went wrong, and its extra fields."""
    return {"error": type(error).__name__, "detail": error.message, **error.extra()}


def error_handler(_request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """Render any ChronoEdge or central error with the status and headers it declares."""
    assert isinstance(error, ChronoEdgeError)
    return Response(error_body(error), status_code=error.http_status, headers=error.headers())


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
