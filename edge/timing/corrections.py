"""The operator's corrections applied on top of the stored passings (pure, no I/O).

Passings are never edited by hand: a derived passing is recomputed from its
reads at any time, which would wipe an edit. Corrections are applied here,
every time results are computed, in the order they were made.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

FOLLOW_US = 2_000_000
"""How far a rebuilt passing may have moved and still be the one a correction targets."""


@dataclass(frozen=True, slots=True)
class StoredPassing:
    """A passing as stored (``point`` is the timing point's id)."""

    id: str
    point: str
    bib: str | None
    epc: str | None
    time_us: int


@dataclass(frozen=True, slots=True)
class Amendment:
    """An active correction, as the engine needs it (points are ids)."""

    id: str
    kind: str  # "move" | "ignore" | "add" | "status" | "choose" | "swap"
    passing_id: str | None = None
    target_point: str | None = None
    target_epc: str | None = None
    target_time_us: int | None = None
    point: str | None = None
    time_us: int | None = None
    bib: str | None = None
    status: str | None = None


OWNERS_ONLY = ("status", "swap")
"""Kinds that change whose passings are whose, not the passings: ``status`` changes an
entrant, ``swap`` a chip's owner (applied where tags become bibs, ``bibs_by_tag``)."""


def changes_passings(amendments: Iterable[Amendment]) -> bool:
    """Whether any amendment may change the passings: every kind but those of
    ``OWNERS_ONLY``, including kinds added later."""
    return any(a.kind not in OWNERS_ONLY for a in amendments)


def amend_passings(
    passings: Sequence[StoredPassing], amendments: Iterable[Amendment]
) -> list[StoredPassing]:
    """The passings once every move, ignore and add (in the order given) is applied."""
    current: dict[str, StoredPassing] = {p.id: p for p in passings}
    for amendment in amendments:
        if amendment.kind == "add":
            if amendment.point is None or amendment.time_us is None or not amendment.bib:
                continue
            current[amendment.id] = StoredPassing(
                amendment.id, amendment.point, amendment.bib, None, amendment.time_us
            )
            continue
        if amendment.kind == "choose":
            # The backup passing in review never counts: taking its time moves its pair.
            if amendment.status != "backup" or amendment.time_us is None:
                continue
            target = follow_target(amendment, passings)
            if target is not None and target in current:
                current[target] = replace(current[target], time_us=amendment.time_us)
            continue
        target = resolve_target(amendment, passings)
        if target is None or target not in current:
            continue  # the passing is gone (or already ignored): nothing to correct
        if amendment.kind == "ignore":
            del current[target]
        elif amendment.kind == "move":
            moved = current[target]
            if amendment.point is not None:
                moved = replace(moved, point=amendment.point)
            if amendment.time_us is not None:
                moved = replace(moved, time_us=amendment.time_us)
            current[target] = moved
    return list(current.values())


def resolve_target(amendment: Amendment, passings: Sequence[StoredPassing]) -> str | None:
    """The id of the stored passing a move or ignore is about, or None when none fits.

    The id first; failing that (the passing was recomputed from its reads and
    got a new id), the same tag or bib at the same point nearest the time it
    had, within ``FOLLOW_US``.
    """
    if amendment.passing_id is None:
        return None
    for passing in passings:
        if passing.id == amendment.passing_id:
            return passing.id
    return follow_target(amendment, passings)


def follow_target(amendment: Amendment, passings: Sequence[StoredPassing]) -> str | None:
    """The passing at the amendment's target point with its tag (or bib) nearest its time.

    Within ``FOLLOW_US``; None when none fits. A ``choose`` finds its pair this way.
    """
    if amendment.target_point is None or amendment.target_time_us is None:
        return None
    best: tuple[int, str] | None = None
    for passing in passings:
        if passing.point != amendment.target_point:
            continue
        same_tag = amendment.target_epc is not None and passing.epc == amendment.target_epc
        same_bib = (
            amendment.target_epc is None and bool(passing.bib) and passing.bib == amendment.bib
        )
        if not (same_tag or same_bib):
            continue
        gap = abs(passing.time_us - amendment.target_time_us)
        if gap <= FOLLOW_US and (best is None or gap < best[0]):
            best = (gap, passing.id)
    return best[1] if best is not None else None


def amend_statuses(amendments: Iterable[Amendment]) -> dict[str, str | None]:
    """Bib -> status set by its latest status correction (None: computed from passings)."""
    statuses: dict[str, str | None] = {}
    for amendment in amendments:
        if amendment.kind == "status" and amendment.bib:
            statuses[amendment.bib] = amendment.status
    return statuses
