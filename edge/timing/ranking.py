"""Competition ranks (1, 2, 2, 4) and the natural order of bibs."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence


def competition_ranks(values: Sequence[int]) -> list[int]:
    """Return the competition rank of each value (smaller is better; ties share a rank)."""
    ordered = sorted(values)
    # A value's rank is one plus the number of strictly smaller values.
    return [bisect_left(ordered, value) + 1 for value in values]


def bib_sort_key(bib: str) -> tuple[int, int, str]:
    """Sort key putting numeric bibs first by value ("2" < "10"), then the others by text."""
    # isascii() keeps out digits such as "²" that str.isdigit() accepts but int() rejects.
    if bib.isascii() and bib.isdigit():
        return (0, int(bib), bib)
    return (1, 0, bib)


class SortedTimes:
    """A sorted multiset of ranking times answering "what rank is this time?" in O(log n)."""

    __slots__ = ("_times",)

    def __init__(self, times: Iterable[int] = ()) -> None:
        self._times = sorted(times)

    def __len__(self) -> int:
        return len(self._times)

    def add(self, time_us: int) -> None:
        """Insert one time, keeping the order."""
        insort(self._times, time_us)

    def remove(self, time_us: int) -> None:
        """Remove one occurrence of a time that was added before."""
        index = bisect_left(self._times, time_us)
        if index == len(self._times) or self._times[index] != time_us:
            raise ValueError(f"time {time_us} is not in the ranking")
        del self._times[index]

    def rank_of(self, time_us: int) -> int:
        """Return the competition rank a time has among the stored times."""
        return bisect_left(self._times, time_us) + 1


class RankBoard:
    """Ranking times of a race's finishers: overall, per sex and per category."""

    __slots__ = ("_by_category", "_by_sex", "_ints", "_overall")

    def __init__(self, finishers: Iterable[tuple[int, str | None, str | None]] = ()) -> None:
        overall: list[int] = []
        by_sex: dict[str, list[int]] = {}
        by_category: dict[str, list[int]] = {}
        # Gather first and sort each list once: n inserts into sorted lists would be O(n²).
        for time_us, sex, category in finishers:
            overall.append(time_us)
            if sex is not None:
                by_sex.setdefault(sex, []).append(time_us)
            if category is not None:
                by_category.setdefault(category, []).append(time_us)
        self._overall = SortedTimes(overall)
        self._by_sex = {key: SortedTimes(times) for key, times in by_sex.items()}
        self._by_category = {key: SortedTimes(times) for key, times in by_category.items()}
        # One int object per rank value, shared by every result with that rank: sex and
        # category ranks repeat the overall ones (1 MB of ints at 20,000 finishers).
        self._ints: list[int] = []

    def add(self, time_us: int, sex: str | None, category: str | None) -> None:
        """Count one more finisher."""
        self._overall.add(time_us)
        if sex is not None:
            self._by_sex.setdefault(sex, SortedTimes()).add(time_us)
        if category is not None:
            self._by_category.setdefault(category, SortedTimes()).add(time_us)

    def remove(self, time_us: int, sex: str | None, category: str | None) -> None:
        """Forget a finisher added before (its time changed or it no longer finishes)."""
        self._overall.remove(time_us)
        if sex is not None:
            self._by_sex[sex].remove(time_us)
        if category is not None:
            self._by_category[category].remove(time_us)

    def ranks_of(
        self, time_us: int, sex: str | None, category: str | None
    ) -> tuple[int, int | None, int | None]:
        """Return (rank, sex rank, category rank) of a finisher already on the board."""
        sex_rank = self._int(self._by_sex[sex].rank_of(time_us)) if sex is not None else None
        category_rank = (
            self._int(self._by_category[category].rank_of(time_us))
            if category is not None
            else None
        )
        return self._int(self._overall.rank_of(time_us)), sex_rank, category_rank

    def _int(self, rank: int) -> int:
        """The one int object kept for the value ``rank``."""
        ints = self._ints
        if rank >= len(ints):
            ints.extend(range(len(ints), rank + 1))
        return ints[rank]
