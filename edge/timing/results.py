"""Results of a race, computed in full or kept up to date one passing at a time."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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


@dataclass(slots=True)
class _Slot:
    """What the engine keeps per entrant: fixed facts, its passings, its latest result.

    ``result`` is handed out as it is, ranks filled in, and never changed once it was
    (``handed``): a new one is evaluated from the passings when the ranks move. Status and
    ranking key are the engine's own: a holder changing the result cannot move them.
    Nothing the entrant already holds is kept again (sex, bib sort key): at 20,000
    entrants each field or tuple per slot costs 0.2-1.8 MB.
    """

    entrant: EntrantInfo
    wave_start_us: int
    category: str | None
    passings: tuple[PassingInfo, ...]  # a tuple: a list's spare room cost 0.5 MB
    status: Status
    rank_key: int | None
    result: EntrantResult
    handed: bool = False  # ``result`` was handed out: never written to again

    @property
    def sex(self) -> str | None:
        """The sex the entrant is ranked in (None: ranked overall only)."""
        return self.entrant.sex or None

    def take(self, result: EntrantResult) -> None:
        """Make ``result``, just evaluated, the entrant's current one."""
        self.result, self.handed = result, False
        self.status, self.rank_key = result.status, result.rank_key

    def export_key(self) -> tuple[int, int, tuple[int, int, str]]:
        """Finishers by ranking time, then DNF, DNS, DSQ; bib order within each."""
        return (STATUS_ORDER[self.status], self.rank_key or 0, bib_sort_key(self.entrant.bib))


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
            self._slots[entrant.bib] = self._new_slot(entrant, passings_of.get(entrant.bib, ()))
        # Passings of bibs outside the race stay in passings_of, which is dropped here.
        self._statuses: Counter[tuple[Status, bool]] = Counter(
            _status_key(slot) for slot in self._slots.values()
        )
        self._board = RankBoard(
            (key, slot.sex, slot.category)
            for slot in self._slots.values()
            if (key := slot.rank_key) is not None
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
            slot.passings = (*slot.passings, passing)
            before = slot.rank_key
            placed = slot.export_key()
            self._statuses[_status_key(slot)] -= 1
            slot.take(self._evaluate(slot))
            self._statuses[_status_key(slot)] += 1
            after = slot.rank_key
            if before != after:
                if before is not None:
                    self._board.remove(before, slot.sex, slot.category)
                    self._moved_ranks(before)
                if after is not None:
                    self._board.add(after, slot.sex, slot.category)
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
            key = slot.rank_key
            # A result handed out before keeps its ranks unless a faster time came or went.
            if slot.handed and (key is None or fastest_moved is None or key <= fastest_moved):
                results.append(slot.result)
            else:
                results.append(self._ranked(slot))
        if self._spec.segments:
            # Segment ranks are given to the results handed out: copies, so that no result
            # handed out before changes with them.
            results = [result.with_status(result.status) for result in results]
            rank_segments(self._spec, results)
        return results

    def _take_results(self) -> list[EntrantResult]:
        """Like results(), without copies: only for an engine that is dropped right after."""
        ordered = sorted(self._slots.values(), key=_Slot.export_key)
        for slot in ordered:
            result = slot.result
            key = slot.rank_key
            if key is not None:
                result.rank, result.sex_rank, result.category_rank = self._board.ranks_of(
                    key, slot.sex, slot.category
                )
        results = [slot.result for slot in ordered]
        rank_segments(self._spec, results)
        return results

    def result_of(self, bib: str) -> EntrantResult | None:
        """One entrant's result with its current ranks (not segment ranks), or None if unknown."""
        slot = self._slots.get(bib)
        return self._ranked(slot) if slot is not None else None

    def _new_slot(self, entrant: EntrantInfo, passings: Sequence[PassingInfo]) -> _Slot:
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
        result = evaluate_entrant(spec, entrant, wave_start, category, passings)
        return _Slot(
            entrant=entrant,
            wave_start_us=wave_start,
            category=category,
            passings=tuple(passings),
            status=result.status,
            rank_key=result.rank_key,
            result=result,
        )

    def _evaluate(self, slot: _Slot) -> EntrantResult:
        return evaluate_entrant(
            self._spec, slot.entrant, slot.wave_start_us, slot.category, slot.passings
        )

    def _ranked(self, slot: _Slot) -> EntrantResult:
        """The slot's result with its ranks as of now, handed out.

        A result handed out is its holders': the engine never writes to it again, nor
        reads anything from it but its ranks. While they hold, it is handed out again (a
        new passing moves one entrant: copying the other 19,999 at each version was most
        of a live sheet's cost, bench_live); when they move, a new result is evaluated
        from the entrant's passings. Keeping a private result besides each one handed out
        cost 7 MB at 20,000 entrants (tracemalloc).
        """
        rank = sex_rank = category_rank = None
        key = slot.rank_key
        if key is not None:
            rank, sex_rank, category_rank = self._board.ranks_of(key, slot.sex, slot.category)
        result = slot.result
        if slot.handed:
            if (
                result.rank == rank
                and result.sex_rank == sex_rank
                and result.category_rank == category_rank
            ):
                return result
            slot.take(self._evaluate(slot))
            result = slot.result
        result.rank, result.sex_rank, result.category_rank = rank, sex_rank, category_rank
        slot.handed = True
        return result


def _status_key(slot: _Slot) -> tuple[Status, bool]:
    return (slot.status, manual_status(slot.entrant) is not None)


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
