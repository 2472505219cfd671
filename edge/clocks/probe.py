"""The clock exchange on the forwarding link: the SLAVE asks, the MASTER stamps its answer.

The wire models, which the MASTER's web process reads without an HTTP client; the SLAVE's
side is ``edge.clocks.exchange``.

``POST /api/v1/ingest/clock`` (event key, like the batches) carries t1 and the SLAVE's
best measurement so far (its report); the MASTER stores the report and answers t2 (when
it received the request) and t3 (when it answers). A round is a few exchanges back to
back, so the best of the window (smallest round trip) is known at once and reported within
the round. The first exchange of a round is not measured: it may open the connection,
whose handshake would lengthen the way out only and skew the sample. See
``edge.clocks.ntp`` for the arithmetic.
"""

from __future__ import annotations

import time

from pydantic import BaseModel, Field, ValidationError

from edge.clocks.ntp import OffsetFilter
from edge.errors import InvalidInput, Problem

CLOCK_PATH = "/api/v1/ingest/clock"
_US_MAX = 2**62


def wall_us() -> int:
    """This box's wall clock, µs since the epoch (the clock being measured)."""
    return time.time_ns() // 1000


class ClockReport(BaseModel):
    """A SLAVE's best recent measurement of its clock against the MASTER's."""

    offset_us: int = Field(ge=-_US_MAX, le=_US_MAX)  # SLAVE minus MASTER
    delay_us: int = Field(ge=0, le=_US_MAX)
    samples: int = Field(ge=1, le=1000)
    measured_us: int = Field(ge=0, le=_US_MAX)  # on the SLAVE's clock


class ClockProbe(BaseModel):
    """One exchange's request: who asks, when it sent (t1, its clock), what it measured."""

    device_id: str = Field(min_length=1, max_length=64)
    point: str = Field(default="", max_length=64)
    t1_us: int = Field(ge=0, le=_US_MAX)
    report: ClockReport | None = None


class ClockReply(BaseModel):
    """The MASTER's answer: t1 echoed, t2 received and t3 answered (the MASTER's clock)."""

    t1_us: int
    t2_us: int
    t3_us: int


def read_probe(body: bytes) -> ClockProbe:
    """A clock exchange's request, validated (InvalidInput names every problem)."""
    try:
        return ClockProbe.model_validate_json(body)
    except ValidationError as error:
        problems = [
            Problem(".".join(str(part) for part in e["loc"]) or "body", e["msg"])
            for e in error.errors()
        ]
        first = problems[0]
        raise InvalidInput(
            problems, f"invalid clock exchange, {first.where}: {first.reason}"
        ) from None


def report_of(window: OffsetFilter) -> ClockReport | None:
    """The report a window's best sample makes (None before the first sample)."""
    if not len(window):
        return None
    best = window.best()
    return ClockReport(
        offset_us=best.offset_us,
        delay_us=best.delay_us,
        samples=len(window),
        measured_us=best.measured_us,
    )
