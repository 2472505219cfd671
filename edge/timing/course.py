"""Whether a runner with no finish is still out on the course or has dropped out.

The engine gives every entrant seen on the course but not at the finish the status DNF:
that is what the result sheet says once the race is over. While the race is still open
the pages say "on course" instead, because most of those runners are simply not there
yet. A race is open until its last wave's cutoff; a race with no cutoff is open for
``OPEN_WITHOUT_CUTOFF_US`` after its last wave start. A DNF set by hand is always DNF.
"""

from __future__ import annotations

from edge.domain.clock import US_PER_SECOND
from edge.timing.model import EntrantResult, RaceSpec, Status

OPEN_WITHOUT_CUTOFF_US = 24 * 3600 * US_PER_SECOND
"""How long after its last wave start a race with no cutoff counts as still running."""


def race_open(spec: RaceSpec, now_us: int) -> bool:
    """Whether runners of this race may still be on the course at ``now_us``."""
    if not spec.waves:
        return True
    closes = spec.cutoff_us if spec.cutoff_us is not None else OPEN_WITHOUT_CUTOFF_US
    return now_us <= max(spec.waves.values()) + closes


def on_course(result: EntrantResult, still_open: bool) -> bool:
    """Whether this result is a runner still out there rather than a DNF."""
    return still_open and result.status is Status.DNF and result.entrant.manual_status is None
