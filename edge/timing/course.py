"""Whether a runner with no finish is still out on the course or has dropped out.

The engine gives every entrant seen on the course but not at the finish the status DNF:
that is what the result sheet says once the race is over. While the race is still open
most of those runners are simply not there yet, so ``mark_on_course`` gives them the
status ONC (on course) instead; every page, screen, export and the published results
read the statuses it returns. A race is open until its last wave's cutoff; a race with
no cutoff is open for ``OPEN_WITHOUT_CUTOFF_US`` after its last wave start. A DNF set by
hand is always DNF.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable

from edge.domain.clock import US_PER_SECOND
from edge.timing.model import (
    STATUS_ORDER,
    EntrantResult,
    RaceFormat,
    RaceSpec,
    RelayResult,
    Status,
)
from edge.timing.timeline import manual_status

OPEN_WITHOUT_CUTOFF_US = 24 * 3600 * US_PER_SECOND
"""How long after its last wave start a race with no cutoff counts as still running."""


def race_open(spec: RaceSpec, now_us: int) -> bool:
    """Whether runners of this race may still be on the course at ``now_us``."""
    if not spec.waves:
        return True
    cutoff = spec.cutoff_us
    if spec.format is RaceFormat.TIMED and spec.duration_us is not None:
        # A timed race is over when its duration is (or at its cutoff, if that is sooner).
        cutoff = spec.duration_us if cutoff is None else min(cutoff, spec.duration_us)
    return now_us <= race_closes_us(spec.waves.values(), cutoff)


def race_closes_us(wave_starts_us: Iterable[int], cutoff_us: int | None) -> int:
    """When a race with these wave starts closes: its last wave start plus the cutoff."""
    closes = cutoff_us if cutoff_us is not None else OPEN_WITHOUT_CUTOFF_US
    return max(wave_starts_us) + closes


def race_live(wave_starts_us: Collection[int], cutoff_us: int | None, now_us: int) -> bool:
    """Whether a race has started and is still open at ``now_us`` (no update then)."""
    if not wave_starts_us:
        return False
    return min(wave_starts_us) <= now_us <= race_closes_us(wave_starts_us, cutoff_us)


def mark_on_course(
    spec: RaceSpec, results: Iterable[EntrantResult], now_us: int
) -> list[EntrantResult]:
    """The results as of ``now_us``: while the race is open a computed DNF is ONC.

    ``results`` come in the engine's export order; the order stays that one with the
    runners on course between the finishers and the DNFs (bib order kept within each).
    """
    if not race_open(spec, now_us):
        return list(results)
    marked = [
        result.with_status(Status.ONC)
        if result.status is Status.DNF and manual_status(result.entrant) is None
        else result
        for result in results
    ]
    # sorted() is stable: ranks and bib order within each status are kept.
    return sorted(marked, key=lambda result: STATUS_ORDER[result.status])


class CourseMarks:
    """``mark_on_course`` for one race whose results are marked again and again (the live
    race, at every new passing): the ONC copy of a result is made once and handed out
    again while the engine hands out the same result. Copying the ~10,000 runners out on
    the course of a 20,000-entrant race at every passing was a third of a live sheet's
    cost (bench_live)."""

    def __init__(self, spec: RaceSpec) -> None:
        self.spec = spec
        self._copies: dict[int, tuple[EntrantResult, EntrantResult]] = {}

    def mark(self, results: Iterable[EntrantResult], now_us: int) -> list[EntrantResult]:
        """What ``mark_on_course(spec, results, now_us)`` returns (the same values)."""
        if not race_open(self.spec, now_us):
            self._copies = {}
            return list(results)
        copies: dict[int, tuple[EntrantResult, EntrantResult]] = {}
        marked = []
        for result in results:
            if result.status is Status.DNF and manual_status(result.entrant) is None:
                # Keyed by identity, the result kept alongside: an id is only unique
                # while its object lives.
                kept = self._copies.get(id(result))
                if kept is None or kept[0] is not result:
                    kept = (result, result.with_status(Status.ONC))
                copies[id(result)] = kept
                result = kept[1]
            marked.append(result)
        self._copies = copies
        return sorted(marked, key=lambda result: STATUS_ORDER[result.status])


def relay_on_course(spec: RaceSpec, teams: Iterable[RelayResult], now_us: int) -> list[RelayResult]:
    """The relay teams as of ``now_us``: while the race is open a computed DNF is ONC.

    A team set DNF by hand (one of its runners) stays DNF.
    """
    if not race_open(spec, now_us):
        return list(teams)
    marked = [
        dataclasses.replace(team, status=Status.ONC)
        if team.status is Status.DNF
        and not any(manual_status(leg.entrant) for leg in team.legs if leg.entrant is not None)
        else team
        for team in teams
    ]
    return sorted(marked, key=lambda team: STATUS_ORDER[team.status])
