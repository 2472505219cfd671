"""The one error contract: each error declares its HTTP kind; one handler renders them all."""

from __future__ import annotations

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient

from central.backups.service import OffsetMismatch
from central.errors import CentralError, Forbidden, Invalid, TunnelRangeExhausted
from edge.auth.errors import AlreadyClaimed, TooManyAttempts, WrongPin
from edge.errors import ChronoEdgeError, InvalidInput, NotFound, Problem
from edge.fleet.enrollment import CentralUnreachable, EnrollmentRefused
from edge.jobs.errors import JobNotFound, UnknownKind
from edge.sync.protocol import Gap, SequenceGap
from edge.web.errors import error_handler


class BibMissing(JobNotFound):
    """A subclass that declares nothing of its own."""


class Teapot(ChronoEdgeError):
    """A new kind of error only has to declare its status to be rendered right."""

    http_status = 418


def answer(error: Exception) -> tuple[int, dict[str, object], dict[str, str]]:
    """What a client gets when a handler raises ``error`` (a real Litestar app)."""

    @get("/boom", sync_to_thread=False)
    def boom() -> None:
        raise error

    app = Litestar([boom], exception_handlers={ChronoEdgeError: error_handler})
    with TestClient(app) as client:
        response = client.get("/boom")
    return response.status_code, response.json(), dict(response.headers)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ChronoEdgeError(), 500),
        (NotFound(), 404),
        (BibMissing(), 404),
        (UnknownKind([Problem("kind", "no such kind")]), 422),
        (WrongPin(), 401),
        (AlreadyClaimed(), 409),
        (EnrollmentRefused(), 400),
        (CentralUnreachable(), 502),
        (Teapot(), 418),
        (CentralError(), 500),
        (Invalid(), 422),
        (Forbidden(), 403),
        (TunnelRangeExhausted(), 503),
        (SequenceGap(7, receiver="central"), 409),
    ],
)
def test_a_subclass_answers_with_the_status_of_its_nearest_declaring_class(error, status):
    got, body, _ = answer(error)
    assert got == status
    assert body["error"] == type(error).__name__
    assert body["detail"] == error.message


def test_invalid_input_lists_every_problem():
    error = InvalidInput([Problem("bib", "not a number", line=3), Problem("", "empty file")])
    _, body, _ = answer(error)
    assert body["problems"] == [
        {"line": 3, "where": "bib", "reason": "not a number"},
        {"line": None, "where": "", "reason": "empty file"},
    ]


def test_a_gap_body_is_the_protocol_gap_whoever_receives():
    for receiver in ("this box", "central"):
        status, body, _ = answer(SequenceGap(12, receiver=receiver))
        assert status == 409
        gap = Gap.model_validate(body)
        assert gap.expected_seq == 12
        assert gap.detail == body["detail"] == f"gap: {receiver} expects seq 12 next"


def test_an_upload_out_of_place_says_where_to_resume():
    status, body, _ = answer(OffsetMismatch(4096))
    assert (status, body["expected_offset"]) == (409, 4096)


def test_too_many_attempts_says_when_to_try_again():
    status, body, headers = answer(TooManyAttempts(42))
    assert status == 429
    assert headers["retry-after"] == "42"
    message = TooManyAttempts(42).message
    assert body == {"status_code": 429, "error": "TooManyAttempts", "detail": message}


def test_an_error_without_extra_fields_has_only_its_kind_and_detail():
    _, body, headers = answer(JobNotFound("no job 3"))
    assert body == {"status_code": 404, "error": "JobNotFound", "detail": "no job 3"}
    assert "retry-after" not in headers
