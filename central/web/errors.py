"""The one place where central errors become HTTP statuses."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.status_codes import (
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from central.backups.service import OffsetMismatch
from central.errors import (
    CentralError,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    TunnelRangeExhausted,
    Unauthorized,
)
from central.services.replication import SequenceGap
from central.web.auth import TooManyAttempts

_STATUS: dict[type[CentralError], int] = {
    SequenceGap: HTTP_409_CONFLICT,  # before Invalid, its base class
    NotFound: HTTP_404_NOT_FOUND,
    Invalid: HTTP_422_UNPROCESSABLE_ENTITY,
    Unauthorized: HTTP_401_UNAUTHORIZED,
    Forbidden: HTTP_403_FORBIDDEN,
    Conflict: HTTP_409_CONFLICT,
    TunnelRangeExhausted: HTTP_503_SERVICE_UNAVAILABLE,
    TooManyAttempts: HTTP_429_TOO_MANY_REQUESTS,
}


def status_of(error: CentralError) -> int:
    """The HTTP status of a central error."""
    for kind, status in _STATUS.items():
        if isinstance(error, kind):
            return status
    return HTTP_500_INTERNAL_SERVER_ERROR


def central_error_handler(_request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """Render a central error as JSON: its kind and what to do."""
    assert isinstance(error, CentralError)
    body: dict[str, Any] = {"error": type(error).__name__, "detail": error.message}
    if isinstance(error, SequenceGap):
        body["expected_seq"] = error.expected_seq
    if isinstance(error, OffsetMismatch):
        body["expected_offset"] = error.expected_offset
    return Response(content=body, status_code=status_of(error))
