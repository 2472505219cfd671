"""How many have started, finished, are on the course or are out: the console's counters.

A relay counts its teams, not its runners: a team is what finishes, and a runner
waiting for the baton has neither started nor dropped out. Everyone with a lap in a
timed race is a finisher (that lap is their result so far), yet is still running
until the race's duration is over: while the race is open they count as on course.
A lap race's finishers are those who completed its laps, as for its results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from edge.timing.course import race_open
from edge.timing.model import EntrantResult, RaceFormat, RaceSpec, RelayResult, Status


@dataclass(frozen=True)
class Tally:
    """Where the entries (runners, or relay teams) are; a DNS is not counted at all."""

    started: int = 0
    finished: int = 0
    on_course: int = 0
    out: int = 0  # DNF (by hand, or no finish once the race closed) or DSQ

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            started=self.started + other.started,
            finished=self.finished + other.finished,
            on_course=self.on_course + other.on_course,
            out=self.out + other.out,
        )


def count_statuses(statuses: Iterable[Status], *, still_running: bool = False) -> Tally:
    """Count statuses; with ``still_running`` a finisher counts as on course."""
    return tally_statuses(Counter(statuses), still_running=still_running)


def tally_statuses(counts: Mapping[Status, int], *, still_running: bool = False) -> Tally:
    """The Tally of ``counts`` entries with each status (see ``count_statuses``)."""
    started = finished = on_course = out = 0
    for status, n in counts.items():
        if status is Status.DNS:
            continue
        started += n
        if status is Status.FIN and not still_running:
            finished += n
        elif status in (Status.FIN, Status.ONC):
            on_course += n
        else:
            out += n
    return Tally(started=started, finished=finished, on_course=on_course, out=out)


def tally_of_counts(
    spec: RaceSpec, counts: Mapping[tuple[Status, bool], int], now_us: int
) -> Tally:
    """A race's runners' counters at ``now_us`` from the engine's status counts.

    The same as ``race_tally`` over the sheet (``mark_on_course`` then counting), without
    the sheet: while the race is open a computed DNF (not set by hand) is on course.
    Not for relays, which count teams.
    """
    open_now = race_open(spec, now_us)
    statuses: Counter[Status] = Counter()
    for (status, by_hand), n in counts.items():
        on_course = status is Status.DNF and not by_hand and open_now
        statuses[Status.ONC if on_course else status] += n
    running = spec.format is RaceFormat.TIMED and open_now
    return tally_statuses(statuses, still_running=running)


def race_tally(
    spec: RaceSpec,
    results: Iterable[EntrantResult],
    teams: Iterable[RelayResult],
    now_us: int,
) -> Tally:
    """One race's counters at ``now_us``: its relay teams, else its runners."""
    if spec.format is RaceFormat.RELAY:
        return count_statuses(team.status for team in teams)
    running = spec.format is RaceFormat.TIMED and race_open(spec, now_us)
    return count_statuses((r.status for r in results), still_running=running)
