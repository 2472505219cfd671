"""Conversions between datetimes, durations and integer microseconds."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

US_PER_SECOND = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DURATION = re.compile(r"^(\d+):([0-5]\d):([0-5]\d)(?:[.,](\d{1,6}))?$")


def to_us(instant: datetime) -> int:
    """Return microseconds since the Unix epoch for a timezone-aware datetime."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("a timezone offset is required (e.g. +02:00 or Z)")
    delta = instant - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * US_PER_SECOND + delta.microseconds


def from_us(us: int) -> datetime:
    """Return the UTC datetime for microseconds since the Unix epoch."""
    return _EPOCH + timedelta(microseconds=us)


def now_us() -> int:
    """Return the current wall-clock time in microseconds since the epoch."""
    return to_us(datetime.now(UTC))


def parse_instant(text: str) -> int:
    """Parse an ISO 8601 instant with an offset (up to microseconds) into microseconds."""
    value = text.strip()
    if value.endswith(("z", "Z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no timezone offset (add e.g. +02:00 or Z)")
    return to_us(parsed)


def parse_duration(text: str) -> int:
    """Parse ``H:MM:SS`` with optional fraction (``.5``, ``,25``) into microseconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration H:MM:SS[.ffffff]")
    hours, minutes, seconds, fraction = match.groups()
    micros = int((fraction or "").ljust(6, "0"))
    return ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * US_PER_SECOND + micros


def format_duration(us: int) -> str:
    """Format microseconds as ``H:MM:SS.t``, tenths truncated (never rounded up)."""
    sign = "-" if us < 0 else ""
    tenths = abs(us) // 100_000
    seconds, tenth = divmod(tenths, 10)
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return f"{sign}{hours}:{minute:02d}:{second:02d}.{tenth}"


def format_clock_duration(us: int) -> str:
    """Format microseconds as ``HH:MM:SS`` plus a fraction only when it is non-zero."""
    seconds, micros = divmod(us, US_PER_SECOND)
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    text = f"{hours:02d}:{minute:02d}:{second:02d}"
    return f"{text}.{micros:06d}".rstrip("0") if micros else text
