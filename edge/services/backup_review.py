"""The backup line's review list: backup passings that disagree with the chip's."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from edge.domain import (
    Correction,
    CorrectionKind,
    Event,
    Passing,
    PassingMethod,
    PassingStatus,
    TimingPoint,
)
from edge.services.corrections import time_of_day
from edge.services.events import get_event
from edge.services.passings import points_by_code
from edge.store.database import Database


@dataclass(frozen=True)
class ReviewPair:
    """A backup passing that disagrees with the passing it pairs with, for the operator."""

    backup_id: str
    pair_id: str
    bib: str
    point: str
    chip_time_us: int
    chip_time: str
    chip_method: str
    backup_time_us: int
    backup_time: str
    source: str
    difference_us: int  # backup minus chip


class BackupReviewService:
    """Backup passings waiting for the operator's choice."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def review_list(self, slug: str) -> list[ReviewPair]:
        """Pairs in review that no active ``choose`` correction settled, by point then time."""
        async with self.db.read() as session:
            event = await get_event(session, slug)
            return await review_pairs(session, event)


async def review_pairs(session: AsyncSession, event: Event) -> list[ReviewPair]:
    """The event's backup passings in review not settled by an active ``choose``."""
    codes = {p.id: code for code, p in (await points_by_code(session, event)).items()}
    settled = set(
        (
            await session.exec(
                select(Correction.passing_id).where(
                    Correction.event_id == event.id,
                    Correction.kind == CorrectionKind.CHOOSE,
                    col(Correction.undone_us).is_(None),
                )
            )
        ).all()
    )
    query = select(Passing).where(
        Passing.event_id == event.id, Passing.status == PassingStatus.REVIEW
    )
    waiting = [p for p in (await session.exec(query)).all() if p.id not in settled]
    pairs = {
        p.id: p
        for p in (
            await session.exec(
                select(Passing).where(col(Passing.id).in_({b.pair_id for b in waiting}))
            )
        ).all()
    }
    found: list[ReviewPair] = []
    for backup in waiting:
        pair = pairs.get(backup.pair_id or "")
        if pair is None:
            continue  # its pair is gone (rebuilt from reads): nothing left to choose from
        found.append(
            ReviewPair(
                backup_id=backup.id,
                pair_id=pair.id,
                bib=backup.bib or "",
                point=codes[backup.point_id],
                chip_time_us=pair.time_us,
                chip_time=time_of_day(pair.time_us, event.timezone),
                chip_method=str(pair.method),
                backup_time_us=backup.time_us,
                backup_time=time_of_day(backup.time_us, event.timezone),
                source=backup.source,
                difference_us=backup.time_us - pair.time_us,
            )
        )
    found.sort(key=lambda r: (r.point, r.chip_time_us, r.bib))
    return found


async def backup_times(
    session: AsyncSession, event: Event, points: Collection[str]
) -> frozenset[tuple[str, int]]:
    """(bib, instant) of the backup passings that may count at ``points`` (codes).

    Those that fill, and those in review (one counts once the operator takes its time):
    a result whose time is one of these came from the backup line.
    """
    query = (
        select(Passing.bib, Passing.time_us)
        .join(TimingPoint, col(TimingPoint.id) == col(Passing.point_id))
        .where(
            Passing.event_id == event.id,
            Passing.method == PassingMethod.IMPORT,
            col(Passing.status).in_([PassingStatus.VALID, PassingStatus.REVIEW]),
            col(TimingPoint.code).in_(list(points)),
        )
    )
    return frozenset((bib, time_us) for bib, time_us in (await session.exec(query)).all() if bib)
