"""The SLAVE's side of the clock exchange (edge.clocks.probe): a round of exchanges."""

from __future__ import annotations

import httpx
from pydantic import ValidationError

from edge.clocks.ntp import ClockSample, OffsetFilter
from edge.clocks.probe import CLOCK_PATH, ClockProbe, ClockReply, report_of, wall_us

BURST = 4
"""Exchanges measured per round, after one that only warms the connection up."""


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
