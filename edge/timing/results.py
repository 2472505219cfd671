"""Results of a race, computed in full or kept up to date one passing at a time."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar, cast

from edge.errors import InvalidInput, Problem
from edge.timing.categories import AGE_REFERENCES, category_of
from edge.timing.model import (
    STATUS_ORDER,
    EntrantInfo,
    EntrantResult,
    PassingInfo,
    RaceFormat,
    RaceSpec,
    Status,
)
from edge.timing.ranking import RankBoard, bib_sort_key
from edge.timing.segments import rank_segments
from edge.timing.timeline import evaluate_entrant, manual_status

__all__ = ["RaceResults", "bib_sort_key", "compute_results"]

TIMINGS = ("chip", "gun")
C = TypeVar("C", bound=Sequence[int] | Mapping[str, int | None])


@dataclass(slots=True)
class _Slot:
    """What the engine keeps per entrant: its wave start, its passings, its unranked result.

    Nothing the entrant or result already holds is kept again (sex, category, bib sort
    key): at 20,000 entrants each field or tuple per slot costs 0.2-1.8 MB.
    """

    entrant: EntrantInfo
    wave_start_us: int
    passings: list[PassingInfo]
    result: EntrantResult
    ranked: EntrantResult | None = None  # the last copy handed out, while still right

    @property
    def sex(self) -> str | None:
        """The sex the entrant is ranked in (None: ranked overall only)."""
        return self.entrant.sex or None

    def export_key(self) -> tuple[int, int, tuple[int, int, str]]:
        """Finishers by ranking time, then DNF, DNS, DSQ; bib order within each."""
        result = self.result
        return (STATUS_ORDER[result.status], result.rank_key or 0, bib_sort_key(self.entrant.bib))


class RaceResults:
    """A race's results that can absorb new passings without a full recompute."""

    def __init__(
        self,
        spec: RaceSpec,
        entrants: Iterable[EntrantInfo],
        passings: Iterable[PassingInfo],
    ) -> None:
        _check_spec(spec)
        self._spec = spec
        self._points = spec.start_points | spec.finish_points | frozenset(spec.split_points)
        self._slots: dict[str, _Slot] = {}
        # Group first so each entrant is evaluated once, with all its passings.
        points = self._points
        passings_of: dict[str, list[PassingInfo]] = {}
        for passing in passings:
            if passing.point in points:
                bucket = passings_of.get(passing.bib)
                if bucket is None:
                    bucket = passings_of[passing.bib] = []
                bucket.append(passing)
        for entrant in entrants:
            if entrant.bib in self._slots:
                raise InvalidInput(
                    [Problem(where=f"bib {entrant.bib}", reason="appears twice in the race")]
                )
            self._slots[entrant.bib] = self._new_slot(entrant, passings_of.get(entrant.bib, []))
        # Passings of bibs outside the race stay in passings_of, which is dropped here.
        self._statuses: Counter[tuple[Status, bool]] = Counter(
            _status_key(slot.result) for slot in self._slots.values()
        )
        self._board = RankBoard(
            (key, slot.sex, slot.result.category)
            for slot in self._slots.values()
            if (key := slot.result.rank_key) is not None
        )
        # Kept for results() once it is first asked for, then moved one slot at a time:
        # sorting 20,000 slots again at every passing of a live race cost more than the
        # passing (bench_live). Bisected on export keys made as needed (keeping them all
        # held 1.4 MB; a move makes ~30).
        self._order: list[_Slot] | None = None
        # The lowest ranking time added to or removed from the board since results() last
        # handed out ranks: only finishers slower than it can have other ranks now.
        self._ranks_from: int | None = None

    def add_passing(self, passing: PassingInfo) -> EntrantResult | None:
        """Take one more passing into account; return its entrant's new result (None if unknown)."""
        slot = self._slots.get(passing.bib)
        if slot is None:
            return None
        if passing.point in self._points:
            slot.passings.append(passing)
            before = slot.result.rank_key
            placed = slot.export_key()
            self._statuses[_status_key(slot.result)] -= 1
            slot.result = self._evaluate(slot)
            slot.ranked = None
            self._statuses[_status_key(slot.result)] += 1
            after = slot.result.rank_key
            if before != after:
                category = slot.result.category  # an entrant's, whatever its passings
                if before is not None:
                    self._board.remove(before, slot.sex, category)
                    self._moved_ranks(before)
                if after is not None:
                    self._board.add(after, slot.sex, category)
                    self._moved_ranks(after)
            if self._order is not None and slot.export_key() != placed:
                self._move(slot, placed)
        return self._ranked(slot)

    def _moved_ranks(self, time_us: int) -> None:
        """A ranking time came or went: the ranks of every finisher slower than it moved."""
        if self._ranks_from is None or time_us < self._ranks_from:
            self._ranks_from = time_us

    def _move(self, slot: _Slot, placed: tuple[int, int, tuple[int, int, str]]) -> None:
        """Move ``slot`` in the kept export order from where key ``placed`` put it."""
        order = self._order
        if order is None:
            return  # no order kept yet: results() sorts when first asked
        # The slot's own key has changed already: where it stands, it still has ``placed``.
        at = bisect_left(order, placed, key=lambda s: placed if s is slot else s.export_key())
        del order[at]
        order.insert(bisect_left(order, slot.export_key(), key=_Slot.export_key), slot)

    def status_counts(self) -> Counter[tuple[Status, bool]]:
        """How many entrants have each computed status, and whether it was set by hand.

        Kept up to date as passings come in: the console's counters cost nothing per
        entrant (``edge.timing.tally.tally_of_counts`` turns them into a Tally).
        """
        return Counter({key: n for key, n in self._statuses.items() if n})

    def results(self) -> list[EntrantResult]:
        """Every entrant's result in export order, with ranks as of now."""
        if self._order is None:
            self._order = sorted(self._slots.values(), key=_Slot.export_key)
        fastest_moved, self._ranks_from = self._ranks_from, None
        results = []
        for slot in self._order:
            kept = slot.ranked
            key = slot.result.rank_key
            # A copy handed out before keeps its ranks unless a faster time came or went.
            if kept is not None and (key is None or fastest_moved is None or key <= fastest_moved):
                results.append(kept)
            else:
                results.append(self._ranked(slot))
        rank_segments(self._spec, results)
        return results

    def _take_results(self) -> list[EntrantResult]:
        """Like results(), without copies: only for an engine that is dropped right after."""
        ordered = sorted(self._slots.values(), key=_Slot.export_key)
        for slot in ordered:
            result = slot.result
            key = result.rank_key
            if key is not None:
                result.rank, result.sex_rank, result.category_rank = self._board.ranks_of(
                    key, slot.sex, result.category
                )
        results = [slot.result for slot in ordered]
        rank_segments(self._spec, results)
        return results

    def result_of(self, bib: str) -> EntrantResult | None:
        """One entrant's result with its current ranks (not segment ranks), or None if unknown."""
        slot = self._slots.get(bib)
        return self._ranked(slot) if slot is not None else None

    def _new_slot(self, entrant: EntrantInfo, passings: list[PassingInfo]) -> _Slot:
        spec = self._spec
        wave = entrant.wave if entrant.wave is not None else spec.first_wave
        if wave not in spec.waves:
            raise InvalidInput(
                [
                    Problem(
                        where=f"bib {entrant.bib}",
                        reason=f"wave {wave!r} is not a wave of race {spec.code}",
                    )
                ]
            )
        wave_start = spec.waves[wave]
        category = category_of(spec, entrant)
        return _Slot(
            entrant=entrant,
            wave_start_us=wave_start,
            passings=passings,
            result=evaluate_entrant(spec, entrant, wave_start, category, passings),
        )

    def _evaluate(self, slot: _Slot) -> EntrantResult:
        return evaluate_entrant(
            self._spec, slot.entrant, slot.wave_start_us, slot.result.category, slot.passings
        )

    def _ranked(self, slot: _Slot) -> EntrantResult:
        """A copy of the slot's result with ranks filled in, so callers never share the
        engine's state. The copy is handed out again while neither the result nor its ranks
        changed: a new passing moves one entrant, and copying the other 19,999 at each
        version was most of a live sheet's cost (bench_live). Not in a race with segments,
        whose segment ranks are written into the results handed out."""
        result = slot.result
        rank = sex_rank = category_rank = None
        key = result.rank_key
        if key is not None:
            rank, sex_rank, category_rank = self._board.ranks_of(key, slot.sex, result.category)
        kept = slot.ranked
        if (
            kept is not None
            and kept.rank == rank
            and kept.sex_rank == sex_rank
            and kept.category_rank == category_rank
        ):
            return kept
        copied = EntrantResult(
            entrant=result.entrant,
            status=result.status,
            category=result.category,
            finish_us=result.finish_us,
            chip_start_us=result.chip_start_us,
            gun_time_us=result.gun_time_us,
            chip_time_us=result.chip_time_us,
            ranking_time_us=result.ranking_time_us,
            rank=rank,
            sex_rank=sex_rank,
            category_rank=category_rank,
            splits_us=dict(result.splits_us),
            laps=result.laps,
            lap_times_us=_own(result.lap_times_us),
            segments_us=_own(result.segments_us),
            segment_ranks=_own(result.segment_ranks),
        )
        if not self._spec.segments:
            slot.ranked = copied
        return copied


def _own(found: C) -> C:
    """A copy of a mutable container; a read-only one (a tuple, ``NO_TIMES``) as it is:
    nobody can change it through the copy, so it costs nothing per result handed out."""
    if isinstance(found, list | dict):
        return cast(C, found.copy())
    return found


def _status_key(result: EntrantResult) -> tuple[Status, bool]:
    return (result.status, manual_status(result.entrant) is not None)


def compute_results(
    spec: RaceSpec, entrants: Iterable[EntrantInfo], passings: Iterable[PassingInfo]
) -> list[EntrantResult]:
    """Compute every entrant's result of a race, in export order."""
    # A full recompute owns its engine, so copying every result would be wasted work.
    return RaceResults(spec, entrants, passings)._take_results()


def format_problems(spec: RaceSpec) -> list[Problem]:
    """What makes a lap, timed, relay or segmented race impossible to time."""
    where = f"race {spec.code}"
    problems: list[Problem] = []
    points = spec.start_points | spec.finish_points | frozenset(spec.split_points)
    if spec.format is RaceFormat.LAPS and (spec.laps is None or spec.laps < 1):
        problems.append(
            Problem(where, "a laps race needs laps: the number to complete (1 or more)")
        )
    if spec.format is RaceFormat.TIMED and (spec.duration_us is None or spec.duration_us <= 0):
        problems.append(Problem(where, "a timed race needs a duration longer than 0"))
    if spec.format is RaceFormat.RELAY and not spec.legs:
        problems.append(Problem(where, "a relay needs legs: the leg codes in running order"))
    if spec.format is not RaceFormat.POINT and spec.counting_point not in points:
        problems.append(Problem(where, f"point {spec.counting_point!r} is not one of the race's"))
    for segment in spec.segments:
        for point in (segment.start_point, segment.end_point):
            if point not in points:
                reason = f"segment {segment.code}: point {point!r} is not one of the race's"
                problems.append(Problem(where, reason))
    return problems


def _check_spec(spec: RaceSpec) -> None:
    """Refuse a race definition the rules cannot be applied to, naming every fault."""
    problems: list[Problem] = []
    where = f"race {spec.code}"
    if spec.timing not in TIMINGS:
        problems.append(Problem(where, f"timing {spec.timing!r} is not one of {TIMINGS}"))
    if spec.age_reference not in AGE_REFERENCES:
        problems.append(
            Problem(where, f"age reference {spec.age_reference!r} is not one of {AGE_REFERENCES}")
        )
    if spec.team_size is not None and spec.team_size < 1:
        problems.append(Problem(where, f"team size {spec.team_size} must be at least 1"))
    problems.extend(format_problems(spec))
    if problems:
        raise InvalidInput(problems)
