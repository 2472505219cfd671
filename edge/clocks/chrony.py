"""What chrony says about this box's clock: ``chronyc -c tracking`` and ``-c sources``.

chronyc is run through subprocess (argv only, a timeout) and its CSV parsed here; every
failure is translated at this boundary into a :class:`ChronyState` that says plainly why
the clock's state is unknown (chronyc missing, chronyd not running), which the pages show
as "not synchronised": a clock nobody vouches for is not trusted.

A MASTER without internet serves its own clock to the event LAN (``local stratum 10``):
chrony then reports reference 127.127.1.1 and status Normal, which is *not* synchronised
to any time source, and is shown as such.
"""

from __future__ import annotations

import asyncio
import csv
import shutil
from dataclasses import dataclass, field

from edge.clocks.errors import ChronyUnreadable
from edge.phrase import Phrase

CHRONYC = "chronyc"
TIMEOUT_S = 3.0
LOCAL_REFERENCE = "7F7F0101"
"""chrony's reference id when it serves its own clock (``local`` directive: 127.127.1.1)."""
_TRACKING_FIELDS = 14
_SOURCES_FIELDS = 10
_SOURCE_STATES = {
    "*": "selected",
    "+": "combined",
    "-": "not combined",
    "?": "unreachable",
    "x": "falseticker",
    "~": "too variable",
}


@dataclass(frozen=True)
class Tracking:
    """``chronyc -c tracking``: the reference this box follows and how far off it is."""

    reference_id: str
    reference: str  # its address or name ("" for the local clock or none)
    stratum: int
    offset_us: int  # system time minus true time, as chrony estimates it now
    last_offset_us: int
    rms_offset_us: int
    root_delay_us: int
    root_dispersion_us: int
    leap_status: str  # "Normal", "Not synchronised", ...

    @property
    def local(self) -> bool:
        """Whether chrony serves its own clock (``local stratum``): no time source."""
        return self.reference_id.upper() == LOCAL_REFERENCE

    @property
    def synchronised(self) -> bool:
        """Whether the clock follows a real time source (a server, a peer, a GPS)."""
        return self.leap_status != "Not synchronised" and self.stratum > 0 and not self.local


@dataclass(frozen=True)
class Source:
    """One line of ``chronyc -c sources``."""

    mode: str  # "^" server, "=" peer, "#" reference clock (GPS through gpsd)
    state: str  # "selected", "unreachable", ...
    name: str
    stratum: int
    reach: int  # the last eight polls, one bit each
    offset_us: int  # the source's last measured offset (adjusted)
    error_us: int


@dataclass(frozen=True)
class ChronyState:
    """What the box knows of its clock: chrony's tracking and sources, or why it does not."""

    tracking: Tracking | None = None
    sources: tuple[Source, ...] = field(default_factory=tuple)
    problem: str = ""  # why the state is unknown ("" when chrony answered)

    @property
    def synchronised(self) -> bool:
        """Whether chrony vouches for this box's clock."""
        return self.tracking is not None and self.tracking.synchronised

    @property
    def source(self) -> Source | None:
        """The source chrony follows now, if any."""
        return next((s for s in self.sources if s.state == "selected"), None)


def _us(seconds: str) -> int:
    return round(float(seconds) * 1_000_000)


def _rows(text: str, width: int, what: str) -> list[list[str]]:
    rows = [row for row in csv.reader(text.splitlines()) if row]
    for row in rows:
        if len(row) != width:
            raise ChronyUnreadable(
                f"chronyc -c {what} printed {len(row)} fields where {width} were expected:"
                f" {','.join(row)[:120]!r} (chrony 4.x is supported)"
            )
    return rows


def parse_tracking(text: str) -> Tracking:
    """Parse ``chronyc -c tracking`` (ChronyUnreadable when it is not chrony 4's CSV)."""
    rows = _rows(text, _TRACKING_FIELDS, "tracking")
    if len(rows) != 1:
        raise ChronyUnreadable(f"chronyc -c tracking printed {len(rows)} lines instead of one")
    row = rows[0]
    try:
        return Tracking(
            reference_id=row[0],
            reference=row[1],
            stratum=int(row[2]),
            offset_us=_us(row[4]),
            last_offset_us=_us(row[5]),
            rms_offset_us=_us(row[6]),
            root_delay_us=_us(row[10]),
            root_dispersion_us=_us(row[11]),
            leap_status=row[13],
        )
    except ValueError as error:
        raise ChronyUnreadable(f"chronyc -c tracking: {error}: {','.join(row)[:120]!r}") from None


def parse_sources(text: str) -> tuple[Source, ...]:
    """Parse ``chronyc -c sources`` (ChronyUnreadable when it is not chrony 4's CSV)."""
    sources = []
    for row in _rows(text, _SOURCES_FIELDS, "sources"):
        try:
            sources.append(
                Source(
                    mode=row[0],
                    state=_SOURCE_STATES.get(row[1], row[1]),
                    name=row[2],
                    stratum=int(row[3]),
                    reach=int(row[5], 8),
                    offset_us=_us(row[7]),
                    error_us=_us(row[9]),
                )
            )
        except ValueError as error:
            where = ",".join(row)[:120]
            raise ChronyUnreadable(f"chronyc -c sources: {error}: {where!r}") from None
    return tuple(sources)


async def _chronyc(chronyc: str, host: str | None, command: str, timeout_s: float) -> str:
    argv = [chronyc, *(["-h", host] if host else []), "-c", "-n", command]
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout_s)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise ChronyUnreadable(f"chronyc {command} did not answer within {timeout_s:g} s") from None
    if process.returncode != 0:
        detail = err.decode(errors="replace").strip() or f"exit code {process.returncode}"
        raise _NotRunning(detail)
    return out.decode(errors="replace")


class _NotRunning(Exception):
    """chronyc could not talk to chronyd."""


async def read_chrony(
    *, chronyc: str = CHRONYC, host: str | None = None, timeout_s: float = TIMEOUT_S
) -> ChronyState:
    """Ask chronyd for its tracking and sources; never raises: the state says what failed.

    ``host``: chronyd's command socket or address (``chronyc -h``); None for the system's.
    """
    if shutil.which(chronyc) is None:
        return ChronyState(
            problem=Phrase(
                "{tool} is not installed (Debian: apt install chrony): clock state unknown",
                tool=chronyc,
            )
        )
    try:
        tracking = parse_tracking(await _chronyc(chronyc, host, "tracking", timeout_s))
        sources = parse_sources(await _chronyc(chronyc, host, "sources", timeout_s))
    except _NotRunning as error:
        return ChronyState(
            problem=Phrase(
                "chronyd is not running ({error}): clock state unknown;"
                " start it with `systemctl start chrony`",
                error=str(error),
            )
        )
    except (ChronyUnreadable, OSError) as error:
        return ChronyState(problem=Phrase("clock state unknown: {error}", error=str(error)))
    return ChronyState(tracking, sources)
