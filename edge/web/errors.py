"""The one place where ChronoEdge errors become HTTP statuses."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.status_codes import (
    HTTP_401_UNAUTHORIZED,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
)

from edge.errors import (
    ChronoEdgeError,
    Conflict,
    InvalidInput,
    NotFound,
    SequenceGap,
    Unauthorized,
)

_STATUS: dict[type[ChronoEdgeError], int] = {
    NotFound: HTTP_404_NOT_FOUND,
    Conflict: HTTP_409_CONFLICT,
    InvalidInput: HTTP_422_UNPROCESSABLE_ENTITY,
    Unauthorized: HTTP_401_UNAUTHORIZED,
}


def status_of(error: ChronoEdgeError) -> int:
    """Return the HTTP status for a ChronoEdge error."""
    for kind, status in _STATUS.items():
        if isinstance(error, kind):
            return status
    return HTTP_500_INTERNAL_SERVER_ERROR


def chrono_error_handler(_request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """Render a ChronoEdge error as JSON: what went wrong and, for bad input, every problem."""
    assert isinstance(error, ChronoEdgeError)
    body: dict[str, Any] = {"error": type(error).__name__, "detail": error.message}
    if isinstance(error, InvalidInput):
        body["problems"] = [
            {"line": p.line, "where": p.where, "reason": p.reason} for p in error.problems
        ]
    if isinstance(error, SequenceGap):
        body["expected_seq"] = error.expected_seq
    return Response(content=body, status_code=status_of(error))
