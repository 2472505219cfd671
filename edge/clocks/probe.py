"""The clock exchange on the forwarding link: the SLAVE asks, the MASTER stamps its answer.

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

import httpx
from pydantic import BaseModel, Field, ValidationError

from edge.clocks.ntp import ClockSample, OffsetFilter
from edge.errors import InvalidInput, Problem

CLOCK_PATH = "/api/v1/ingest/clock"
BURST = 4
"""Exchanges measured per round, after one that only warms the connection up."""
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


class ProbeFailed(Exception):
    """An exchange got no usable answer (the batch push says why to the operator)."""


async def measure_round(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    *,
    device_id: str,
    point: str,
    window: OffsetFilter,
    burst: int = BURST,
) -> ClockSample:
    """Run ``burst`` exchanges after a warm-up one, each reporting the best so far; return
    the window's best."""
    for exchange in range(burst + 1):
        probe = ClockProbe(device_id=device_id, point=point, t1_us=0, report=report_of(window))
        probe.t1_us = wall_us()
        try:
            response = await client.post(
                CLOCK_PATH, content=probe.model_dump_json(), headers=headers
            )
            t4 = wall_us()
        except httpx.HTTPError as error:
            raise ProbeFailed(str(error) or type(error).__name__) from error
        if response.status_code != 200:
            raise ProbeFailed(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            reply = ClockReply.model_validate_json(response.content)
        except ValidationError as error:
            raise ProbeFailed(f"an unreadable answer: {response.text[:200]}") from error
        if reply.t1_us != probe.t1_us:
            raise ProbeFailed("the MASTER answered another exchange")
        if exchange:  # the warm-up carried the report only
            window.add(ClockSample.from_timestamps(reply.t1_us, reply.t2_us, reply.t3_us, t4))
    return window.best()
