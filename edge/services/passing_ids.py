"""The ids of a race's stored passings, held as one 64-bit hash each.

The live path asks one question of them: was this passing id taken in already?
(``edge.services.live_race``: a known id means a stored passing was rebuilt or replaced,
and the race is recomputed in full.) A 20,000-entrant race has ~60,000 of them: as a
set of strings they held ~7 MB of serve's memory (tracemalloc), as sorted hashes 0.5 MB.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, insort
from collections.abc import Iterable


class PassingIds:
    """A set of passing ids that may answer "taken in" for an id it never saw, never the
    reverse.

    Two ids share a hash about once in 2**64 / n; the live path then recomputes the race
    in full, which is always right: a collision costs a recompute, never a missed update.
    Hashes are ``hash(str)``, stable for the life of the process (and never stored).
    """

    __slots__ = ("_hashes", "_sorted")

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._hashes = array("q", map(hash, ids))
        self._sorted = False

    def update(self, ids: Iterable[str]) -> None:
        """Take in more ids at once (sorted when first looked up: one sort, not one per id)."""
        self._hashes.extend(map(hash, ids))
        self._sorted = False

    def __contains__(self, passing_id: object) -> bool:
        hashes = self._ordered()
        wanted = hash(passing_id)
        at = bisect_left(hashes, wanted)
        return at < len(hashes) and hashes[at] == wanted

    def __len__(self) -> int:
        return len(self._ordered())

    def add(self, passing_id: str) -> None:
        """Remember one more id (a few µs: one insert into a sorted array of 8-byte items)."""
        if passing_id not in self:
            insort(self._hashes, hash(passing_id))

    def _ordered(self) -> array[int]:
        if not self._sorted:
            self._hashes = array("q", sorted(set(self._hashes)))
            self._sorted = True
        return self._hashes
