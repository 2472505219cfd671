"""The backup line merged with the chip line: which backup passings count (pure, no I/O).

A backup passing (a hand-held timer's, a photo-finish camera's) is compared with
the passings already stored for the same bib at the same point:

- none within :data:`PAIR_WINDOW_US`: it **fills** a missing passing and counts;
- the nearest one within the tolerance: it **confirms** it, is kept, never counts;
- the nearest one further than the tolerance: the pair goes to **review**; the
  stored passing stands until the operator chooses (a ``choose`` correction).

The stored passing always stands on its own: a backup passing never counts next
to one it pairs with, so a crossing is never counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

US_PER_SECOND = 1_000_000
TOLERANCE_US = US_PER_SECOND
"""Default: a backup time this close to the stored one confirms it."""
PAIR_WINDOW_US = 300 * US_PER_SECOND
"""Default: a stored passing this close (or closer) is the same crossing as a backup one.

Wide enough for a backup timer whose clock is off by minutes (its passings then
go to review, not into the results twice); a missing lap of a lap shorter than
that goes to review too, never counted twice."""


class Verdict(StrEnum):
    """What a backup passing becomes."""

    FILLS = "fills"
    CONFIRMS = "confirms"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class Known:
    """A stored passing that counts, by whose it is (``bib``, via its tag if need be)."""

    id: str
    point: str
    bib: str
    time_us: int


@dataclass(frozen=True, slots=True)
class Merged:
    """A backup passing's verdict and the stored passing it pairs with (None: fills)."""

    verdict: Verdict
    pair: Known | None


def merge_backup(
    backups: Iterable[tuple[str, str, int]],
    known: Sequence[Known],
    *,
    tolerance_us: int = TOLERANCE_US,
    window_us: int = PAIR_WINDOW_US,
) -> list[Merged]:
    """The verdict of each backup passing ``(point, bib, time_us)``, in the order given.

    Only ``known`` (stored passings) pair: two rows of one backup file are two
    crossings the timer saw, not one seen twice.
    """
    by_owner: dict[tuple[str, str], list[Known]] = {}
    for passing in known:
        by_owner.setdefault((passing.point, passing.bib), []).append(passing)
    merged: list[Merged] = []
    for point, bib, time_us in backups:
        candidates = by_owner.get((point, bib), ())
        nearest = min(
            candidates, key=lambda p: (abs(p.time_us - time_us), p.time_us, p.id), default=None
        )
        if nearest is None or abs(nearest.time_us - time_us) > window_us:
            merged.append(Merged(Verdict.FILLS, None))
        elif abs(nearest.time_us - time_us) <= tolerance_us:
            merged.append(Merged(Verdict.CONFIRMS, nearest))
        else:
            merged.append(Merged(Verdict.REVIEW, nearest))
    return merged
