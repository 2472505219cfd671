"""Times of day as backup timers write them, placed on the right date.

A hand-held timer or a stopwatch printer writes ``9:58:57.25`` (or ``09:58:57,3``):
a local time of day without a date. Such a time is placed in the 24 hours that
begin :data:`BEFORE_START_US` before the runner's wave start, in the event's time
zone. A race started at 20:00 puts ``01:12:00`` on the next day, one started at
09:00 keeps ``08:57:00`` (a start-mat read) on the same day. This allows races of
up to 18 hours after their wave start; a longer one writes ISO 8601 instants.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from edge.domain.clock import US_PER_SECOND, from_us, to_us

BEFORE_START_US = 6 * 3600 * US_PER_SECOND
"""How long before the wave start a time of day may fall (and still be that day's)."""
_TIME_OF_DAY = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d{1,6}))?$")


def parse_time_of_day(text: str) -> int | None:
    """Microseconds since local midnight of ``H:MM:SS[.f]`` or ``[,f]``; None if not that shape.

    A value of that shape that is no time of day (``24:00:00``, ``9:61:00``) is a ValueError.
    """
    match = _TIME_OF_DAY.match(text.strip())
    if match is None:
        return None
    hours, minutes, seconds, fraction = match.groups()
    if int(hours) > 23 or int(minutes) > 59 or int(seconds) > 59:
        raise ValueError(f"{text.strip()!r} is not a time of day (00:00:00 to 23:59:59)")
    micros = int((fraction or "").ljust(6, "0"))
    return ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * US_PER_SECOND + micros


def place_time_of_day(clock_us: int, reference_us: int, zone: ZoneInfo) -> int:
    """The instant ``clock_us`` past local midnight in the 24 h from 6 h before ``reference_us``."""
    earliest = reference_us - BEFORE_START_US
    day = from_us(earliest).astimezone(zone).date()
    for candidate_day in (day, day + dt.timedelta(days=1)):
        instant = _on(candidate_day, clock_us, zone)
        if instant >= earliest:
            return instant
    raise AssertionError("unreachable: the next day's time is always later")  # pragma: no cover


def day_reference(day: dt.date, zone: ZoneInfo) -> int:
    """The reference that places every time of day on ``day`` itself (no wave start known)."""
    return _on(day, BEFORE_START_US, zone)


def _on(day: dt.date, clock_us: int, zone: ZoneInfo) -> int:
    seconds, micros = divmod(clock_us, US_PER_SECOND)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    local = dt.datetime.combine(day, dt.time(hour, minute, second, micros), tzinfo=zone)
    return to_us(local)
